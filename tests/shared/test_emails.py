"""Every email the service sends is a template in one place, with a catalogue entry that says when it goes and to
whom: each renders with its example values, a value left out fails, and the subject is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from shared.services import emails

TEMPLATES = Path(emails.__file__).resolve().parents[1] / "templates" / "email"
NAMES = [email.name for email in emails.CATALOGUE]


def test_every_template_file_has_a_catalogue_entry_and_every_entry_a_template():
    assert sorted(path.stem for path in TEMPLATES.glob("*.txt")) == sorted(NAMES)
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_email_renders_with_its_example_values_and_a_one_line_subject(name):
    email = next(email for email in emails.CATALOGUE if email.name == name)
    subject, body = email.preview()
    assert subject and "\n" not in subject and subject == subject.strip()
    assert len(subject) < 100  # a long subject is folded badly by some mail readers
    assert body.endswith("\n") and not body.endswith("\n\n") and body.strip()
    assert "{{" not in body and "{%" not in body
    assert email.title and email.sent_when and email.recipients


@pytest.mark.parametrize("name", NAMES)
def test_each_value_an_email_uses_must_be_given(name):
    email = next(email for email in emails.CATALOGUE if email.name == name)
    for left_out in email.example:
        values = {key: value for key, value in email.example.items() if key != left_out}
        with pytest.raises(UndefinedError):
            emails.render(name, **values)


def test_a_preview_takes_the_authoritys_own_values_and_ignores_ones_the_email_does_not_use():
    email = next(email for email in emails.CATALOGUE if email.name == "urgent_report")
    subject, body = email.preview(service_url="https://cme.example.gov.uk", authority_name="Anytown Council")
    assert subject == "Urgent report RF-M9S3-46QV: child may be at risk of harm"
    assert body == (
        "A report sent through the public portal says the child may be at risk of harm.\n\n"
        "Read it and decide what to do today:\nhttps://cme.example.gov.uk/staff/referrals/RF-M9S3-46QV\n\n"
        "This email does not contain the child's details: sign in to see them.\n"
    )


def test_a_file_of_more_than_fifty_notices_lists_fifty_and_says_how_many_more():
    references = [f"SN-0000-{n:04d}" for n in range(53)]
    subject, body = emails.render(
        "notices_received",
        school_name="Northbridge Primary School",
        batch="SB-97KB-6CQG",
        references=references,
        service_url="https://cme.northbridge.example",
    )
    assert subject == "53 notices received: SB-97KB-6CQG"
    lines = body.splitlines()
    assert lines[0] == "We have received 53 notices from Northbridge Primary School, batch reference SB-97KB-6CQG."
    assert lines[2:52] == [f"- {reference}" for reference in references[:50]]
    assert lines[52:] == [
        "- and 3 more: see your school's notices in the service",
        "",
        "See your school's notices: https://cme.northbridge.example/schools/",
    ]


@pytest.mark.parametrize(
    ("active", "overdue", "expected"),
    [
        (1, False, ("It is due by 18 December 2026.", "holds 1 current part-time timetable for your school")),
        (0, True, ("It was due by 18 December 2026.", "holds no current part-time timetables")),
        (3, False, ("It is due by 18 December 2026.", "holds 3 current part-time timetables for your school")),
    ],
)
def test_the_timetable_reminder_says_whether_it_is_late_and_how_many_timetables_are_held(active, overdue, expected):
    email = next(email for email in emails.CATALOGUE if email.name == "timetable_return_reminder")
    _, body = email.preview(active=active, overdue=overdue)
    assert all(text in body for text in expected)


def test_a_template_without_a_subject_line_is_refused(monkeypatch):
    from jinja2 import DictLoader

    monkeypatch.setattr(emails._templates, "loader", DictLoader({"broken.txt": "Hello\n\nBody"}))
    with pytest.raises(ValueError, match=r"must start with one line 'Subject: \.\.\.'"):
        emails.render("broken")
