"""Reporting a child who may be missing education: what is stored, what is sent, and what is not."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.models import AuditEvent, OutboxMessage, Referral, ReferralAddition, ReportDraft
from shared.services import reports
from tests.conftest import csrf_token, database_unreachable, error_summary, get_page, make_app, parse, text_of
from tests.portal.report_helpers import (
    ANONYMOUS,
    answer,
    answers_for,
    confirmation,
    fill_in,
    send,
    year_6_birthday,
)
from webcommon.forms import STALE_PAGE


def answer_without_page(client, slug: str, data: dict):
    """POST answers straight to a page, with a token from another page, as a script might."""
    token = csrf_token(get_page(client, "/report/resume"))
    return client.post(f"/report/{slug}", data={"csrf_token": token, **data})


def eventually(condition, seconds: float = 10) -> bool:
    """For what the service does just after answering (sending mail): poll until true or time is up."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def referrals(db: Session) -> list[Referral]:
    db.expire_all()
    return list(db.scalars(select(Referral).order_by(Referral.id)))


def count(db: Session, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_a_named_report_is_stored_whole_and_the_reporter_gets_their_reference_by_email(client, db, mailbox):
    dob = year_6_birthday()
    fill_in(client, answers_for(dob))
    response = send(client)
    assert response.status_code == 302 and response.location == "/report/confirmation"
    reference, phrase = confirmation(client)

    [referral] = referrals(db)
    assert referral.reference == reference
    assert (referral.status, referral.source, referral.anonymous, referral.urgent) == (
        "new",
        "professional",
        False,
        False,
    )
    assert (referral.child_first_name, referral.child_last_name, referral.child_date_of_birth) == (
        "Amira",
        "Okafor",
        dob,
    )
    assert referral.child_postcode == "NB1 1AA"
    assert (referral.reporter_name, referral.reporter_email, referral.reporter_phone) == (
        "Jo Bloggs",
        "jo.bloggs@example.com",
        "01632 960001",
    )
    assert referral.reporter_organisation == "Northbridge Health Visiting"
    assert referral.consent_to_contact is True
    assert referral.answers == {
        "child_first_name": "Amira",
        "child_last_name": "Okafor",
        "child_name_unknown": False,
        "child_other_names": "Mira",
        "date_of_birth": dob.isoformat(),
        "dob_unknown": False,
        "approximate_age": None,
        "dob_known": "yes",
        "child_sex": "female",
        "address_line_1": "14 Canal Row",
        "address_line_2": None,
        "address_town": "Northbridge",
        "address_postcode": "NB1 1AA",
        "address_unknown": False,
        "family_phone": "07700 900982",
        "moved": "yes",
        "new_address": "Somewhere in Leeds",
        "last_school": "Millfield Primary School",
        "last_school_area": "Northbridge",
        "last_at_school": None,
        "reasons": ["stopped_attending", "other"],
        "reason_details": "Not seen at school since June",
        "carers": "Mother, Grace Okafor",
        "languages": "English, Igbo",
        "agencies": "Health visitor",
        "groups": ["young_carer", "new_to_country"],
        "risk_of_harm": "no",
        "risk_details": None,
        "anything_else": "She looks after her younger brother.",
        "reporter_type": "professional",
        "named": "yes",
        "reporter_name": "Jo Bloggs",
        "reporter_organisation": "Northbridge Health Visiting",
        "reporter_email": "jo.bloggs@example.com",
        "reporter_phone": "01632 960001",
        "consent_to_contact": "yes",
    }
    assert len(phrase.split()) == 5

    [email] = mailbox.wait_for(1)
    assert email["To"] == "jo.bloggs@example.com"
    assert email["Subject"] == f"Your report to Northbridge Council: {reference}"
    body = email.get_content()
    assert f"Your reference is {reference}." in body
    assert "https://cme.northbridge.example/report/add-information" in body
    for detail in ("Amira", "Okafor", "NB1 1AA", "Canal Row", "Millfield", phrase):
        assert detail not in body
    assert eventually(lambda: count(db, OutboxMessage) == 0)  # sent, so not kept


def test_an_anonymous_report_keeps_nothing_about_the_reporter_not_even_their_address_or_browser(app, db, mailbox):
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="ReporterBrowser/9.9")
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS, **{"about-you": {"reporter_type": "public"}}))
    send(client)
    reference, _ = confirmation(client)

    [referral] = referrals(db)
    assert (referral.reference, referral.anonymous, referral.source) == (reference, True, "public")
    assert (referral.reporter_name, referral.reporter_email, referral.reporter_phone) == (None, None, None)
    assert (referral.reporter_organisation, referral.consent_to_contact) == (None, None)
    assert not {"reporter_name", "reporter_email", "reporter_phone"} & set(referral.answers)
    # Nowhere in the database: not the client's address, not its browser.
    everything = " ".join(
        str(row)
        for table in inspect(db.get_bind()).get_table_names()
        for row in db.execute(text(f'SELECT * FROM "{table}"'))
    )
    assert "203.0.113.77" not in everything and "ReporterBrowser" not in everything
    assert mailbox.messages == []  # no email given, and not urgent: nobody is emailed


def test_changing_to_anonymous_forgets_the_details_already_given(client, db):
    fill_in(client, answers_for(year_6_birthday()))
    response = answer(client, "anonymity", {"named": "no"}, query="?change=yes")
    assert response.location == "/report/check-answers"
    send(client)
    [referral] = referrals(db)
    assert referral.anonymous is True
    assert referral.reporter_email is None and "reporter_email" not in referral.answers
    assert "Jo Bloggs" not in str(referral.answers)


def test_an_anonymous_reporter_is_never_asked_for_their_details(client):
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS))
    assert client.get("/report/your-details").location == "/report/check-answers"
    assert answer_without_page(client, "your-details", {"reporter_name": "Jo"}).location == "/report/check-answers"


def test_changing_to_named_from_check_your_answers_asks_for_the_details_then_comes_back(client):
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS))
    response = answer(client, "anonymity", {"named": "yes"}, query="?change=yes")
    assert response.location == "/report/your-details?change=yes"
    details = {"reporter_name": "Sam Patel", "reporter_organisation": "Northbridge GP", "consent_to_contact": "no"}
    assert answer(client, "your-details", details, query="?change=yes").location == "/report/check-answers"
    rows = {
        text_of(row.select_one("dt")): text_of(row.select_one("dd"))
        for row in get_page(client, "/report/check-answers").select(".govuk-summary-list__row")
    }
    assert rows["Tell us who you are"] == "Yes"
    assert rows["Your name"] == "Sam Patel"


def test_check_your_answers_shows_what_was_given_with_the_year_group_worked_out(client):
    fill_in(client, answers_for(year_6_birthday()))
    page = get_page(client, "/report/check-answers")
    rows = [
        (text_of(row.select_one("dt")), text_of(row.select_one("dd")))
        for row in page.select(".govuk-summary-list__row")
    ]
    assert rows[:9] == [
        ("Name", "Amira Okafor"),
        ("Other names", "Mira"),
        ("Date of birth", f"{year_6_birthday().day} October {year_6_birthday().year}"),
        ("Year group", "Year 6 (worked out from the date of birth)"),
        ("Sex", "Female"),
        ("Address", "14 Canal Row Northbridge NB1 1AA"),
        ("Family's phone number", "07700 900982"),
        ("Moved recently", "Yes Somewhere in Leeds"),
        ("Last school", "Millfield Primary School Northbridge"),
    ]
    change = page.select_one('a[href="/report/child-name?change=yes"]')
    assert text_of(change) == "Change name"


def test_a_change_from_check_your_answers_returns_there(client, db):
    fill_in(client, answers_for(year_6_birthday()))
    response = answer(
        client, "child-name", {"child_first_name": "Amirah", "child_last_name": "Okafor"}, query="?change=yes"
    )
    assert response.location == "/report/check-answers"
    send(client)
    assert referrals(db)[0].child_first_name == "Amirah"


def test_a_report_of_risk_of_harm_is_urgent_and_the_leads_are_emailed_at_once(client, db, users, mailbox):
    fill_in(
        client,
        answers_for(year_6_birthday(), **{"risk-of-harm": {"risk_of_harm": "yes", "risk_details": "Bruises"}}),
    )
    send(client)
    reference, _ = confirmation(client)
    assert referrals(db)[0].urgent is True
    messages = mailbox.wait_for(2)
    alert = mailbox.to("lead@northbridge.example")[0]
    assert alert["Subject"] == f"Urgent report {reference}: child may be at risk of harm"
    body = alert.get_content()
    assert f"https://cme.northbridge.example/staff/referrals/{reference}" in body
    for detail in ("Amira", "Okafor", "NB1 1AA", "Bruises"):
        assert detail not in body
    assert sorted(message["To"] for message in messages) == ["jo.bloggs@example.com", "lead@northbridge.example"]


def test_sending_twice_makes_one_referral_and_shows_the_same_reference(client, db):
    fill_in(client, answers_for(year_6_birthday()))
    page = get_page(client, "/report/check-answers")
    token = csrf_token(page)
    first = client.post("/report/check-answers", data={"csrf_token": token})
    second = client.post("/report/check-answers", data={"csrf_token": token})
    assert (first.status_code, second.status_code) == (302, 302)
    assert second.location == "/report/confirmation"
    assert count(db, Referral) == 1
    assert confirmation(client)[0] == referrals(db)[0].reference


def test_two_sendings_at_the_same_moment_make_one_referral(app, client, db):
    fill_in(client, answers_for(year_6_birthday()))
    with client.session_transaction() as cookie_session:
        key = cookie_session["report_key"]
    database = app.extensions["cme.database"]
    authority = reports.Authority(
        "Northbridge Council", "01632 960000", "https://cme.northbridge.example", "cme@northbridge.example"
    )
    start = threading.Barrier(2)
    receipts, errors = [], []

    def sending():
        with database.session() as session:
            start.wait()
            try:
                receipts.append(reports.submit(session, key, utcnow(), authority).reference)
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=sending) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert count(db, Referral) == 1
    assert receipts == [referrals(db)[0].reference] * 2


def test_if_the_database_fails_while_sending_nothing_is_half_stored_and_sending_again_completes_it(
    app, client, db, monkeypatch
):
    fill_in(client, answers_for(year_6_birthday()))
    page = get_page(client, "/report/check-answers")
    real_commit = Session.commit
    failures = []

    def failing_commit(session):
        if not failures:
            failures.append(1)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return real_commit(session)

    monkeypatch.setattr(Session, "commit", failing_commit)
    response = client.post("/report/check-answers", data={"csrf_token": csrf_token(page)})
    monkeypatch.setattr(Session, "commit", real_commit)
    assert response.status_code == 503
    sorry = parse(response)
    assert sorry.h1.get_text(strip=True) == "Sorry, your report has not been sent yet"
    assert count(db, Referral) == 0 and count(db, AuditEvent) == 0 and count(db, OutboxMessage) == 0
    [draft] = db.scalars(select(ReportDraft)).all()
    assert draft.answers["child_first_name"] == "Amira" and draft.submitted_reference is None

    again = client.post("/report/check-answers", data={"csrf_token": csrf_token(sorry)})
    assert again.location == "/report/confirmation"
    assert count(db, Referral) == 1


def test_if_the_database_is_unreachable_the_reporter_is_told_and_the_draft_waits(app, client, db):
    fill_in(client, answers_for(year_6_birthday()))
    page = get_page(client, "/report/check-answers")
    with database_unreachable(app):
        response = client.post("/report/check-answers", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 503
    assert parse(response).h1.get_text(strip=True) == "Sorry, your report has not been sent yet"
    assert send(client).location == "/report/confirmation"
    assert count(db, Referral) == 1


def test_a_stale_form_is_shown_again_with_what_was_typed_and_nothing_is_stored(client, db):
    client.get("/report/start")
    response = client.post(
        "/report/child-name",
        data={"csrf_token": "forged", "child_first_name": "Amira", "child_last_name": "Okafor", "action": "continue"},
    )
    assert response.status_code == 200
    page = parse(response)
    assert page.title.get_text(strip=True).startswith("Error: What is the child's name?")
    assert error_summary(page) == [(STALE_PAGE, "#child_first_name")]
    assert page.find("input", {"name": "child_first_name"})["value"] == "Amira"
    assert page.find("input", {"name": "child_last_name"})["value"] == "Okafor"
    assert count(db, ReportDraft) == 0
    # Continuing from the page as shown works.
    again = client.post(
        "/report/child-name",
        data={"csrf_token": csrf_token(page), "child_first_name": "Amira", "action": "continue"},
    )
    assert again.location == "/report/child-date-of-birth"


def test_a_stale_check_your_answers_page_sends_nothing_and_asks_again(client, db):
    fill_in(client, answers_for(year_6_birthday()))
    response = client.post("/report/check-answers", data={"csrf_token": "expired"})
    assert response.status_code == 200
    assert error_summary(parse(response))[0][0] == STALE_PAGE
    assert count(db, Referral) == 0


@pytest.mark.parametrize(
    ("slug", "data", "errors"),
    [
        (
            "child-name",
            {},
            [
                (
                    "Enter the child's first name or last name, or select 'I do not know the child's name'",
                    "#child_first_name",
                )
            ],
        ),
        (
            "child-name",
            {"child_first_name": "A" * 101, "child_other_names": "B" * 201},
            [
                ("First name must be 100 characters or fewer", "#child_first_name"),
                ("Other names must be 200 characters or fewer", "#child_other_names"),
            ],
        ),
        (
            "child-date-of-birth",
            {"date_of_birth": ["", "", ""]},
            [("Enter the child's date of birth, or select 'I do not know their date of birth'", "#date_of_birth-day")],
        ),
        (
            "child-date-of-birth",
            {"date_of_birth": ["31", "2", "2015"]},
            [("Date of birth must be a real date", "#date_of_birth-day")],
        ),
        (
            "child-date-of-birth",
            {"date_of_birth": ["3", "", "2015"]},
            [("Date of birth must include a month", "#date_of_birth-day")],
        ),
        (
            "child-date-of-birth",
            {"date_of_birth": ["3", "4", "15"]},
            [("Year must include 4 numbers", "#date_of_birth-day")],
        ),
        (
            "child-date-of-birth",
            {"date_of_birth": ["1", "1", "2099"]},
            [("Date of birth must be in the past", "#date_of_birth-day")],
        ),
        (
            "child-date-of-birth",
            {"dob_unknown": "y", "approximate_age": "nine"},
            [("How old they are must be a whole number of years, like 9", "#approximate_age")],
        ),
        ("child-sex", {"child_sex": "bogus"}, [("Select the child's sex, or 'I do not know'", "#child_sex")]),
        ("reasons", {"reasons": ["bogus"]}, [("Select why you think the child is missing education", "#reasons")]),
        (
            "risk-groups",
            {"groups": ["young_carer", "bogus"]},
            [("Select the groups that apply from the list, or none", "#groups")],
        ),
        (
            "child-date-of-birth",
            {"date_of_birth": ["99999999999999999999", "1", "2015"], "approximate_age": "²"},
            [("Date of birth must be a real date", "#date_of_birth-day")],
        ),
        (
            "child-date-of-birth",
            {"dob_unknown": "y", "approximate_age": "²"},
            [("How old they are must be a whole number of years, like 9", "#approximate_age")],
        ),
        (
            "child-date-of-birth",
            {"dob_unknown": "y", "approximate_age": "1" * 5000},
            [("How old they are must be between 0 and 25", "#approximate_age")],
        ),
        (
            "child-address",
            {"address_line_1": "1 High Street", "address_postcode": "NB1", "family_phone": "12345"},
            [
                ("Enter a real postcode, like BA1 1JG", "#address_postcode"),
                ("Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192", "#family_phone"),
            ],
        ),
        (
            "child-address",
            {},
            [("Enter the child's address, or select 'I do not know where the child lives'", "#address_line_1")],
        ),
        ("moved", {}, [("Select whether the child's family has moved recently", "#moved")]),
        (
            "last-school",
            {"last_at_school": ["1", "1", "2099"]},
            [("Date last at school must be today or in the past", "#last_at_school-day")],
        ),
        ("reasons", {}, [("Select why you think the child is missing education", "#reasons")]),
        (
            "reasons",
            {"reasons": ["other"]},
            [("Tell us why you think the child is missing education", "#reason_details")],
        ),
        (
            "anything-else",
            {"anything_else": "x" * 5001},
            [("Anything else must be 5,000 characters or fewer", "#anything_else")],
        ),
        ("risk-of-harm", {}, [("Select whether you think the child is at risk of harm", "#risk_of_harm")]),
        ("about-you", {}, [("Select which of these best describes you", "#reporter_type")]),
        ("anonymity", {}, [("Select whether you want to tell us who you are", "#named")]),
    ],
)
def test_each_question_says_exactly_what_is_wrong_and_keeps_what_was_typed(client, db, slug, data, errors):
    response = answer(client, slug, data)
    assert response.status_code == 200
    page = parse(response)
    assert error_summary(page) == errors
    assert page.title.get_text(strip=True).startswith("Error: ")
    for name, value in data.items():
        field = page.find(attrs={"name": name})
        if field.get("type") in ("radio", "checkbox"):
            chosen = [box["value"] for box in page.find_all(attrs={"name": name}) if box.has_attr("checked")]
            assert chosen == [choice for choice in ([value] if isinstance(value, str) else value) if choice != "bogus"]
        elif isinstance(value, list):  # a date's day, month and year boxes
            boxes = [page.find(id=f"{name}-{part}").get("value") or "" for part in ("day", "month", "year")]
            assert boxes == value
        else:
            assert (field.get("value") or field.get_text()) == value
    assert count(db, ReportDraft) == 0


def test_your_details_need_a_way_to_make_contact_when_contact_is_agreed(client):
    fill_in(client, answers_for(year_6_birthday(), **{"your-details": None}))
    response = answer(
        client,
        "your-details",
        {"reporter_name": "", "reporter_email": "", "consent_to_contact": "yes"},
    )
    assert error_summary(parse(response)) == [
        ("Enter your full name", "#reporter_name"),
        ("Enter the organisation you work for", "#reporter_organisation"),
        ("Enter an email address or phone number so the team can contact you", "#consent_to_contact"),
    ]
    response = answer(
        client,
        "your-details",
        {"reporter_name": "Jo Bloggs", "reporter_email": "jo@", "reporter_phone": "12345", "consent_to_contact": "no"},
    )
    assert error_summary(parse(response)) == [
        ("Enter the organisation you work for", "#reporter_organisation"),
        ("Enter an email address in the correct format, like name@example.com", "#reporter_email"),
        ("Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192", "#reporter_phone"),
    ]


def test_a_date_last_at_school_must_come_after_the_date_of_birth(client):
    dob = year_6_birthday()
    fill_in(client, {"child-date-of-birth": answers_for(dob)["child-date-of-birth"]})
    before = dob - timedelta(days=1)
    response = answer(client, "last-school", {"last_at_school": [str(before.day), str(before.month), str(before.year)]})
    assert error_summary(parse(response)) == [
        ("Date last at school must be after the child's date of birth", "#last_at_school-day")
    ]


def test_a_child_not_yet_of_school_age_gets_a_warning_but_the_report_can_still_be_sent(client, db):
    toddler = year_6_birthday().replace(year=year_6_birthday().year + 8)
    response = answer(
        client,
        "child-date-of-birth",
        {"date_of_birth": [str(toddler.day), str(toddler.month), str(toddler.year)]},
    )
    assert response.location == "/report/child-age-check"
    page = get_page(client, "/report/child-age-check")
    warning = text_of(page.select_one(".govuk-warning-text__text"))
    assert warning == (
        f"Warning A child born on 1 October {toddler.year} is not of compulsory school age until "
        f"31 December {toddler.year + 5}. Until then their parents do not have to send them to school, so they are "
        "not missing education."
    )
    assert page.select_one("a.govuk-button")["href"] == "/report/child-sex"
    fill_in(client, answers_for(toddler))
    assert send(client).location == "/report/confirmation"
    assert referrals(db)[0].child_date_of_birth == toddler


def test_a_guessed_age_of_seventeen_gets_a_warning(client):
    response = answer(client, "child-date-of-birth", {"dob_unknown": "y", "approximate_age": "17"})
    assert response.location == "/report/child-age-check"
    assert "aged about 17 is past compulsory school age" in text_of(get_page(client, "/report/child-age-check"))


def test_a_bot_that_fills_the_hidden_field_sees_a_confirmation_but_nothing_is_stored(client, db, caplog):
    caplog.set_level(logging.WARNING, logger="portal.referral.routes")
    pages = answers_for(year_6_birthday(), **ANONYMOUS)
    pages["child-name"] = {**pages["child-name"], "website": "http://spam.example"}
    fill_in(client, pages)
    assert send(client).location == "/report/confirmation"
    reference, phrase = confirmation(client)
    assert reference.startswith("RF-") and len(phrase.split()) == 5
    assert count(db, Referral) == 0 and count(db, ReportDraft) == 0
    caught = [record for record in caplog.records if "honeypot" in record.getMessage()]
    assert [(record.getMessage(), record.levelname, record.event) for record in caught] == [
        ("honeypot filled: report discarded", "WARNING", "report.honeypot_filled")
    ]


def test_sending_reports_is_rate_limited_per_client(database_url):
    app = make_app(database_url, REPORT_SUBMIT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    fill_in(client, answers_for(year_6_birthday()))
    page = get_page(client, "/report/check-answers")
    statuses = [
        client.post("/report/check-answers", data={"csrf_token": csrf_token(page)}).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 429]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert other.post("/report/check-answers", data={}).status_code == 302  # another client has its own count
    app.extensions["cme.database"].dispose()


def test_no_log_line_contains_an_answer(client, caplog, mailbox):
    caplog.set_level(logging.DEBUG)
    fill_in(client, answers_for(year_6_birthday()))
    send(client)
    mailbox.wait_for(1)
    # Everything the service logged (the test's own SMTP server, logger "mail.log", is not the service).
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail."))
    for answer_given in ("Amira", "Okafor", "Canal Row", "NB1 1AA", "07700 900982", "jo.bloggs", "Jo Bloggs", "Leeds"):
        assert answer_given not in logged
    assert "received" in logged  # the reference is logged, so the log is not simply empty


def test_save_and_come_back_later_with_the_resume_code_on_another_device(app, client, db):
    pages = answers_for(year_6_birthday())
    fill_in(client, dict(list(pages.items())[:4]))
    response = answer(client, "moved", {"moved": "no"}, action="save")
    assert response.location == "/report/save"
    page = get_page(client, "/report/save")
    saved = client.post("/report/save", data={"csrf_token": csrf_token(page), "email": ""})
    code = parse(saved).select_one(".cme-reference").get_text(strip=True)
    assert len(code) == 14 and code[4] == code[9] == "-"
    [draft] = db.scalars(select(ReportDraft)).all()
    assert draft.expires_at - draft.saved_at == timedelta(days=7)
    assert draft.resume_code_hash == reports.key_hash(code)  # only a hash is kept

    other_device = app.test_client()
    page = get_page(other_device, "/report/resume")
    resumed = other_device.post("/report/resume", data={"csrf_token": csrf_token(page), "resume_code": code.lower()})
    assert resumed.location == "/report/last-school"  # the first question not yet answered
    assert get_page(other_device, "/report/child-name").find("input", {"name": "child_first_name"})["value"] == "Amira"
    assert get_page(other_device, "/report/moved").find("input", {"value": "no"}).has_attr("checked")
    # The first device no longer holds the draft, and the code has been used up.
    assert client.get("/report/check-answers").location == "/report/start"
    again = app.test_client()
    form = get_page(again, "/report/resume")
    refused = again.post("/report/resume", data={"csrf_token": csrf_token(form), "resume_code": code})
    assert error_summary(parse(refused))[0][0].startswith("That resume code is not right or has expired")


def test_a_wrong_or_expired_resume_code_is_refused(client, db):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    page = get_page(client, "/report/save")
    code = parse(client.post("/report/save", data={"csrf_token": csrf_token(page)})).select_one(".cme-reference").text

    def resume_with(value: str) -> list:
        visitor = client.application.test_client()
        form = get_page(visitor, "/report/resume")
        return error_summary(
            parse(visitor.post("/report/resume", data={"csrf_token": csrf_token(form), "resume_code": value}))
        )

    assert resume_with("") == [("Enter your resume code", "#resume_code")]
    assert resume_with("ABC") == [
        ("Enter the resume code exactly as it was given to you, like 7KQ4-M9X3-2BHT", "#resume_code")
    ]
    assert resume_with("0000-0000-0000") == [
        ("That resume code is not right or has expired. Check it, or start a new report", "#resume_code")
    ]
    db.execute(text("UPDATE report_drafts SET expires_at = :past"), {"past": utcnow() - timedelta(minutes=1)})
    db.commit()
    assert resume_with(code) == [
        ("That resume code is not right or has expired. Check it, or start a new report", "#resume_code")
    ]


def test_saving_with_an_email_address_sends_a_link_that_brings_the_draft_back(app, client, db, mailbox):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    page = get_page(client, "/report/save")
    client.post("/report/save", data={"csrf_token": csrf_token(page), "email": "reporter@example.com"})
    [email] = mailbox.wait_for(1)
    assert email["To"] == "reporter@example.com"
    body = email.get_content()
    assert "Amira" not in body and "Okafor" not in body
    link = next(line for line in body.splitlines() if "/report/resume-link?token=" in line)
    path = link.removeprefix("https://cme.northbridge.example")

    phone = app.test_client()
    page = get_page(phone, path)  # opening the link asks first: a mail scanner cannot take the draft
    assert page.h1.get_text(strip=True) == "Carry on with your saved report"
    response = phone.post(path, data={"csrf_token": csrf_token(page)})
    assert response.location == "/report/child-date-of-birth"
    assert eventually(lambda: count(db, OutboxMessage) == 0)


def test_drafts_are_deleted_when_their_time_is_up(app, client, db):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    db.execute(text("UPDATE report_drafts SET expires_at = :past"), {"past": utcnow() - timedelta(seconds=1)})
    db.commit()
    result = app.test_cli_runner().invoke(args=["reports", "purge-drafts"])
    assert result.output == "Deleted 1 expired draft(s).\n"
    assert count(db, ReportDraft) == 0


def test_an_unsaved_draft_lasts_a_day_and_a_sent_reports_receipt_an_hour(client, db):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    [draft] = db.scalars(select(ReportDraft)).all()
    assert draft.expires_at - draft.updated_at == timedelta(days=1)
    fill_in(client, answers_for(year_6_birthday()))
    send(client)
    db.expire_all()
    [receipt] = db.scalars(select(ReportDraft)).all()
    assert receipt.answers == {} and receipt.submitted_reference is not None
    assert timedelta(minutes=59) < receipt.expires_at - utcnow() <= timedelta(hours=1)


def test_a_reporter_adds_information_with_their_reference_and_secret_phrase(app, client, db):
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS))
    send(client)
    reference, phrase = confirmation(client)

    later = app.test_client()
    page = get_page(later, "/report/add-information")
    assert "Amira" not in page.get_text()
    response = later.post(
        "/report/add-information",
        data={
            "csrf_token": csrf_token(page),
            "reference": reference.lower().replace("-", " "),
            "secret_phrase": phrase.upper(),
            "information": "They moved to 3 Mill Lane last week.",
        },
    )
    assert response.location == "/report/information-added"
    [addition] = db.scalars(select(ReferralAddition)).all()
    assert addition.text == "They moved to 3 Mill Lane last week."
    assert addition.referral.reference == reference
    assert "Amira" not in get_page(later, "/report/information-added").get_text()


def test_a_wrong_secret_phrase_adds_nothing_and_is_not_shown_back(app, client, db):
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS))
    send(client)
    reference, _ = confirmation(client)
    visitor = app.test_client()
    page = get_page(visitor, "/report/add-information")
    response = visitor.post(
        "/report/add-information",
        data={
            "csrf_token": csrf_token(page),
            "reference": reference,
            "secret_phrase": "wrong words entirely here now",
            "information": "More details",
        },
    )
    page = parse(response)
    assert error_summary(page) == [
        ("The reference and secret phrase do not match a report. Check them and try again", "#reference")
    ]
    assert page.find("input", {"name": "secret_phrase"}).get("value") in (None, "")
    assert page.find("textarea", {"name": "information"}).get_text() == "More details"
    assert count(db, ReferralAddition) == 0


def test_guessing_phrases_is_limited_per_report(database_url, client):
    app = make_app(database_url, REPORT_LOOKUP_RATE_LIMIT="3 per minute")
    reporter = app.test_client()
    fill_in(reporter, answers_for(year_6_birthday(), **ANONYMOUS))
    send(reporter)
    reference, _ = confirmation(reporter)
    statuses = []
    for n in range(4):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"  # a new address each time
        page = get_page(guesser, "/report/add-information")
        data = {
            "csrf_token": csrf_token(page),
            "reference": reference,
            "secret_phrase": "a b c d e",
            "information": "x",
        }
        statuses.append(guesser.post("/report/add-information", data=data).status_code)
    assert statuses == [200, 200, 200, 429]
    app.extensions["cme.database"].dispose()


def test_mail_that_cannot_be_sent_waits_in_the_outbox_for_cme_mail_send(database_url, mailbox):
    from tests.conftest import _SMTP

    closed = make_app(database_url, MAIL_PORT=1)
    client = closed.test_client()
    fill_in(client, answers_for(year_6_birthday()))
    send(client)
    reference, _ = confirmation(client)
    with closed.extensions["cme.database"].session() as session:
        for _ in range(50):
            session.expire_all()
            waiting = session.scalars(select(OutboxMessage)).all()
            if waiting and waiting[0].attempts:
                break
            threading.Event().wait(0.1)
        assert [(m.to_address, m.attempts) for m in waiting] == [("jo.bloggs@example.com", 1)]
        assert waiting[0].last_error.startswith("ConnectionRefusedError")
    closed.extensions["cme.database"].dispose()

    working = make_app(database_url, MAIL_PORT=_SMTP["port"])
    result = working.test_cli_runner().invoke(args=["mail", "send"])
    assert result.output == f"Sent 1 email(s) through SMTP server 127.0.0.1:{_SMTP['port']}; 0 still waiting.\n"
    assert mailbox.wait_for(1)[0]["Subject"] == f"Your report to Northbridge Council: {reference}"
    working.extensions["cme.database"].dispose()


def test_the_cme_team_reads_the_referral_with_what_was_added_later(app, client, db, users):
    from tests.conftest import sign_in

    fill_in(client, answers_for(year_6_birthday()))
    send(client)
    reference, phrase = confirmation(client)
    reports.add_information(db, reference, phrase, "Seen at the park on Monday.", utcnow())

    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    listing = get_page(officer, "/staff/referrals")
    assert [text_of(a) for a in listing.select("tbody a")] == [reference]
    page = get_page(officer, f"/staff/referrals/{reference}")
    assert page.h1.get_text(strip=True) == reference
    text_shown = text_of(page)
    for shown in ("Amira Okafor", "Jo Bloggs", "jo.bloggs@example.com", "Seen at the park on Monday."):
        assert shown in text_shown

    school = app.test_client()
    sign_in(school, "school@northbridge.example")
    assert school.get(f"/staff/referrals/{reference}").status_code == 403
    assert app.test_client().get(f"/staff/referrals/{reference}").status_code == 302  # to sign in
    assert officer.get("/staff/referrals/RF-0000-0000").status_code == 404


def test_changing_who_the_reporter_is_asks_their_details_again_and_drops_what_no_longer_applies(client, db):
    fill_in(client, answers_for(year_6_birthday()))
    response = answer(client, "about-you", {"reporter_type": "school"}, query="?change=yes")
    assert response.location == "/report/your-details?change=yes"
    page = get_page(client, "/report/your-details?change=yes")
    assert text_of(page.find("label", {"for": "reporter_organisation"})) == "Name of your school"
    details = {**answers_for(year_6_birthday())["your-details"], "reporter_organisation": "Millfield Primary School"}
    assert answer(client, "your-details", details, query="?change=yes").location == "/report/check-answers"

    response = answer(client, "about-you", {"reporter_type": "public"}, query="?change=yes")
    assert response.location == "/report/your-details?change=yes"
    answer(client, "your-details", details, query="?change=yes")
    send(client)
    [referral] = referrals(db)
    assert (referral.source, referral.reporter_organisation) == ("public", None)
    assert referral.answers["reporter_organisation"] is None


def test_the_back_link_is_in_its_own_landmark_and_goes_to_the_previous_question(client):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    page = get_page(client, "/report/child-date-of-birth")
    back = page.select_one('nav[aria-label="Back"] a.govuk-back-link')
    assert (back["href"], text_of(back)) == ("/report/child-name", "Back")
    assert get_page(client, "/report/child-name").select_one("a.govuk-back-link")["href"] == "/"
    # Changing an answer goes back to Check your answers; a question a change brings up goes back to that change.
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS))
    assert get_page(client, "/report/child-sex?change=yes").select_one("a.govuk-back-link")["href"] == (
        "/report/check-answers"
    )
    assert (
        answer(client, "anonymity", {"named": "yes"}, query="?change=yes").location == "/report/your-details?change=yes"
    )
    assert get_page(client, "/report/your-details?change=yes").select_one("a.govuk-back-link")["href"] == (
        "/report/anonymity?change=yes"
    )


def test_a_draft_is_on_the_server_so_another_app_server_carries_on_with_it(database_url, client):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    cookie = client.get_cookie("cme_session")
    with client.session_transaction() as cookie_session:
        assert set(cookie_session) == {"csrf_token", "report_key"}  # a key to the draft, never the answers
    other_server = make_app(database_url)
    browser = other_server.test_client()
    browser.set_cookie("cme_session", cookie.value)
    page = get_page(browser, "/report/child-name")
    assert page.find("input", {"name": "child_first_name"})["value"] == "Amira"
    other_server.extensions["cme.database"].dispose()


def test_with_redis_two_app_servers_share_one_count_of_reports_sent(database_url):
    import redis

    store = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(store).flushdb()
    except redis.exceptions.ConnectionError:
        from tests.conftest import skip_or_fail

        skip_or_fail("Redis is not running on 127.0.0.1:6379")
    servers = [
        make_app(database_url, RATELIMIT_STORAGE_URI=store, REPORT_SUBMIT_RATE_LIMIT="2 per minute") for _ in range(2)
    ]
    try:
        statuses = [servers[n % 2].test_client().post("/report/check-answers").status_code for n in range(3)]
        assert statuses == [302, 302, 429]
    finally:
        redis.Redis.from_url(store).flushdb()
        for server in servers:
            server.extensions["cme.database"].dispose()


@pytest.mark.parametrize("caught_on", ["moved", "check-answers"])
def test_a_bot_caught_part_way_leaves_nothing_stored_and_still_sees_a_confirmation(client, db, caught_on):
    pages = answers_for(year_6_birthday(), **ANONYMOUS)
    if caught_on == "moved":
        pages["moved"] = {**pages["moved"], "website": "http://spam.example"}
    fill_in(client, pages)
    assert count(db, ReportDraft) == (0 if caught_on == "moved" else 1)
    page = get_page(client, "/report/check-answers")
    data = {"csrf_token": csrf_token(page), "website": "http://spam.example" if caught_on == "check-answers" else ""}
    assert client.post("/report/check-answers", data=data).location == "/report/confirmation"
    reference, _ = confirmation(client)
    assert reference.startswith("RF-")
    assert count(db, Referral) == 0 and count(db, ReportDraft) == 0


def test_a_saved_draft_lives_seven_days_from_saving_however_it_changes_after(client, db):
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    page = get_page(client, "/report/save")
    client.post("/report/save", data={"csrf_token": csrf_token(page)})
    [draft] = db.scalars(select(ReportDraft)).all()
    saved_until = draft.expires_at
    answer(client, "child-sex", {"child_sex": "female"})
    db.expire_all()
    assert db.scalars(select(ReportDraft)).one().expires_at == saved_until


def test_database_errors_never_carry_answers_into_messages_or_logs(app):
    """Errors the service logs come from its engine, which leaves statements' values out of their messages."""
    with app.app_context():
        from portal.database import database

        with pytest.raises(DBAPIError) as error, database().engine.connect() as connection:
            connection.execute(text("INSERT INTO no_such_table VALUES (:name)"), {"name": "Zainab Haddad"})
    message = str(error.value)
    assert "no_such_table" in message and "Zainab" not in message
    assert "[SQL parameters hidden due to hide_parameters=True]" in message


def test_an_urgent_report_with_no_active_lead_alerts_the_teams_own_address(client, db, mailbox):
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS, **{"risk-of-harm": {"risk_of_harm": "yes"}}))
    send(client)
    reference, _ = confirmation(client)
    [alert] = mailbox.wait_for(1)
    assert (alert["To"], alert["Subject"]) == (
        "cme@northbridge.example",
        f"Urgent report {reference}: child may be at risk of harm",
    )


def test_an_email_address_the_mail_relay_may_not_take_is_refused_with_a_clear_message(client):
    fill_in(client, answers_for(year_6_birthday(), **{"your-details": None}))
    details = {**answers_for(year_6_birthday())["your-details"], "reporter_email": "josé@exämple.com"}
    assert error_summary(parse(answer(client, "your-details", details))) == [
        ("Enter an email address in the correct format, like name@example.com", "#reporter_email")
    ]


def test_a_report_is_still_sent_when_the_rate_limit_store_is_down(database_url):
    app = make_app(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = app.test_client()
    fill_in(client, answers_for(year_6_birthday(), **ANONYMOUS))
    assert send(client).location == "/report/confirmation"
    with app.extensions["cme.database"].session() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 1
    app.extensions["cme.database"].dispose()
