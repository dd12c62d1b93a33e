"""An officer works a case's reasonable enquiries and logs contacts from its page: recording an answer, adding a
check, setting one aside, logging a call; dates in the future refused; a colleague's save never overwritten; and
nothing changes on a closed case."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.staff.case_forms import parse_time
from shared.clock import UK, uk_today
from shared.models import AuditEvent, CaseNote, Enquiry
from tests.conftest import error_summary, get_page, parse, sign_in, text_of
from tests.portal.test_cases import (
    a_case,
    case_url,
    checks_table,
    date_parts,
    long,
    post_form,
)


def the_check(case, kind: str) -> Enquiry:
    return next(check for check in case.enquiries if check.check_type == kind)


@pytest.fixture
def case(app, db, users):
    return a_case(app, db, users, assigned_to=users["officer"])


@pytest.fixture
def officer(client, users):
    sign_in(client, "officer@northbridge.example")
    return client


def timeline(page) -> list[str]:
    return [text_of(item.h3) for item in page.find(id="timeline").find_all("li", recursive=False)]


# Recording a check ------------------------------------------------------------------------------------------------


def test_an_officer_records_the_answer_to_a_check(officer, db, case):
    police = the_check(case, "police")
    url = case_url(case, f"/checks/{police.id}")
    page = get_page(officer, url)
    assert text_of(page.h1) == "Police"
    response = post_form(
        officer,
        url,
        {
            **date_parts("asked_on", uk_today() - timedelta(days=3)),
            **date_parts("answered_on", uk_today() - timedelta(days=1)),
            "result": "not_known",
            "answer": "No record of the family",
        },
    )
    assert response.headers["Location"] == case_url(case)
    page = get_page(officer, case_url(case))
    assert text_of(page.find(class_="govuk-notification-banner")) == "Success Police: answer recorded"
    row = next(row for row in checks_table(page) if row[0] == "Police")
    assert row[2:6] == [
        "Done",
        long(uk_today() - timedelta(days=3)),
        long(uk_today() - timedelta(days=1)),
        "Not known to them",
    ]
    first = page.find(id="timeline").find("li")
    assert text_of(first.h3) == "Check answered: Police"
    assert [text_of(p) for p in first.find_all("p")][1:] == [
        f"Asked on {long(uk_today() - timedelta(days=3))}",
        f"Answered on {long(uk_today() - timedelta(days=1))}",
        "Result: Not known to them",
        "No record of the family",
    ]
    db.expire_all()
    assert db.get(Enquiry, police.id).status == "done"


def test_a_check_asked_and_still_waiting(officer, db, case):
    housing = the_check(case, "housing")
    post_form(officer, case_url(case, f"/checks/{housing.id}"), date_parts("asked_on", uk_today()))
    page = get_page(officer, case_url(case))
    assert text_of(page.find(class_="govuk-notification-banner")) == "Success Housing services: recorded as asked"
    assert timeline(page)[0] == "Check asked: Housing services"


def test_dates_in_the_future_or_out_of_order_are_refused(officer, db, case):
    police = the_check(case, "police")
    url = case_url(case, f"/checks/{police.id}")
    page = parse(
        post_form(
            officer,
            url,
            {
                **date_parts("asked_on", uk_today() + timedelta(days=1)),
                **date_parts("answered_on", uk_today() + timedelta(days=2)),
                "result": "located",
            },
            status=200,
        )
    )
    assert page.title.get_text().startswith("Error: ")
    assert error_summary(page) == [
        ("Date asked must be today or in the past", "#asked_on-day"),
        ("Date answered must be today or in the past", "#answered_on-day"),
    ]
    page = parse(
        post_form(
            officer,
            url,
            {
                **date_parts("asked_on", uk_today()),
                **date_parts("answered_on", uk_today() - timedelta(days=1)),
                "result": "located",
            },
            status=200,
        )
    )
    assert error_summary(page) == [("Date answered must be the same as or after the date asked", "#answered_on-day")]
    page = parse(post_form(officer, url, {"asked_on": ["31", "2", "2026"], "answered_on": ["", "3", ""]}, status=200))
    assert error_summary(page) == [
        ("Date asked must be a real date", "#asked_on-day"),
        ("Date answered must include a day and a year", "#answered_on-day"),
    ]
    assert page.find("input", {"name": "asked_on"})["value"] == "31"  # what was typed stays
    db.expire_all()
    assert (db.get(Enquiry, police.id).status, db.get(Enquiry, police.id).version) == ("to_do", 1)


def test_two_officers_recording_the_same_check_the_second_is_refused_and_the_first_kept(app, officer, db, users, case):
    police = the_check(case, "police")
    url = case_url(case, f"/checks/{police.id}")
    lead = app.test_client()
    sign_in(lead, "lead@northbridge.example")
    # Both open the form on the same version of the check.
    theirs = {field["name"]: field.get("value", "") for field in get_page(lead, url).select("form input[type=hidden]")}
    post_form(
        officer,
        url,
        {
            **date_parts("asked_on", uk_today()),
            **date_parts("answered_on", uk_today()),
            "result": "located",
            "answer": "Living at 3 Mill Lane",
        },
    )
    response = lead.post(
        url,
        data={
            **theirs,
            **date_parts("asked_on", uk_today()),
            **date_parts("answered_on", uk_today()),
            "result": "not_known",
            "answer": "Not known",
        },
    )
    assert response.status_code == 200
    page = parse(response)
    assert [message for message, _ in error_summary(page)] == [
        "Someone else changed this check while you were editing it. Nothing you entered has been saved: "
        "check it as it is now and make your change again"
    ]
    assert page.find("textarea", {"name": "answer"}).get_text() == "Not known"  # what they typed is kept
    assert "What they said Living at 3 Mill Lane" in text_of(page.find(id="as-it-is-now"))
    db.expire_all()
    saved = db.get(Enquiry, police.id)
    assert (saved.result, saved.answer, saved.version) == ("located", "Living at 3 Mill Lane", 2)
    assert page.find("input", {"name": "version"})["value"] == "2"  # saving again is a fresh decision


# Adding and setting aside ---------------------------------------------------------------------------------------


def test_an_officer_adds_a_check_with_another_authority(officer, db, case):
    url = case_url(case, "/checks/new")
    page = get_page(officer, url)
    hints = {
        radio["value"]: text_of(page.find(id=radio["aria-describedby"]))
        for radio in page.find_all("input", {"name": "check_type"})
        if radio.has_attr("aria-describedby")
    }
    assert hints["police"] == "Usually due in 5 school days"
    assert hints["benefits"] == "Usually due in 10 school days"
    page = parse(post_form(officer, url, {"check_type": "previous_la"}, status=200))
    assert error_summary(page) == [("Enter the name of the local authority", "#previous_authority")]
    post_form(officer, url, {"check_type": "previous_la", "previous_authority": "Leeds City Council"})
    added = db.scalars(select(Enquiry).where(Enquiry.other_authority.is_not(None))).one()
    assert added.due_on > uk_today()
    page = get_page(officer, case_url(case))
    assert text_of(page.find(class_="govuk-notification-banner")) == (
        f"Success Check added: Previous local authority: Leeds City Council, due {long(added.due_on)}"
    )
    assert timeline(page)[0] == "Check added: Previous local authority: Leeds City Council"


def test_an_other_check_is_described_and_can_be_given_its_own_due_date(officer, db, case):
    url = case_url(case, "/checks/new")
    page = parse(
        post_form(
            officer, url, {"check_type": "other", **date_parts("due_on", uk_today() - timedelta(days=1))}, status=200
        )
    )
    assert error_summary(page) == [
        ("Enter what the check is", "#description"),
        ("Due date must be today or in the future", "#due_on-day"),
    ]
    post_form(
        officer,
        url,
        {
            "check_type": "other",
            "description": "The family's GP surgery",
            **date_parts("due_on", uk_today() + timedelta(days=3)),
        },
    )
    added = db.scalars(select(Enquiry).where(Enquiry.check_type == "other")).one()
    assert (added.description, added.due_on, added.status) == (
        "The family's GP surgery",
        uk_today() + timedelta(days=3),
        "to_do",
    )
    assert "The family's GP surgery" in [row[0] for row in checks_table(get_page(officer, case_url(case)))]


def test_a_check_is_set_aside_with_its_reason(officer, db, case):
    ceas = the_check(case, "ceas")
    url = case_url(case, f"/checks/{ceas.id}/not-applicable")
    page = parse(post_form(officer, url, {"reason": ""}, status=200))
    assert error_summary(page) == [("Enter why this check is not needed", "#reason")]
    post_form(officer, url, {"reason": "Not an Armed Forces family"})
    page = get_page(officer, case_url(case))
    row = next(row for row in checks_table(page) if row[0].startswith("Children's Education Advisory Service"))
    assert row[2] == "Not applicable Not an Armed Forces family"
    assert timeline(page)[0] == "Check not needed: Children's Education Advisory Service (Armed Forces families)"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "check.not_applicable")).one()
    assert (event.before["status"], event.after["status"], event.actor_label) == (
        "to_do",
        "not_applicable",
        "officer@northbridge.example",
    )


def test_nothing_about_the_checks_changes_on_a_closed_case(officer, db, case):
    case.status = "closed"
    db.commit()
    police = the_check(case, "police")
    for path in (f"/checks/{police.id}", f"/checks/{police.id}/not-applicable", "/checks/new"):
        for send in (
            lambda url: officer.get(url),
            lambda url: officer.post(url, data={"reason": "x", "check_type": "police"}),
        ):
            response = send(case_url(case, path))
            assert response.headers["Location"] == case_url(case), path
            banner = get_page(officer, case_url(case)).find(class_="govuk-notification-banner")
            assert text_of(banner) == (
                "Important This case is closed, so its checks cannot be changed. Reopen the case to change them"
            )
    db.expire_all()
    assert db.get(Enquiry, police.id).version == 1
    assert len(db.scalars(select(Enquiry).where(Enquiry.case_id == case.id)).all()) == len(case.enquiries)


# Contacts -------------------------------------------------------------------------------------------------------


def test_an_officer_logs_a_phone_call(officer, db, case):
    url = case_url(case, "/contacts/new")
    page = get_page(officer, url)
    now = datetime.now(UK)
    assert [field.get("value") for field in page.find_all("input", {"name": "occurred_on"})] == [
        f"{now.day:02d}",  # the date input shows today as the Design System's widget writes it: 03 12 2026
        f"{now.month:02d}",
        str(now.year),
    ]
    at = datetime.combine(uk_today() - timedelta(days=1), time(14, 5), tzinfo=UK)
    post_form(
        officer,
        url,
        {
            "kind": "phone",
            **date_parts("occurred_on", at.date()),
            "occurred_time": "2:05pm",
            "with_whom": "Jo Whitcombe (mother)",
            "outcome": "Visit arranged",
            "text": "Family back from abroad, looking for a school place",
        },
    )
    note = db.scalars(select(CaseNote)).one()
    assert (note.kind, note.occurred_at, note.with_whom, note.author_id) == (
        "phone",
        at,
        "Jo Whitcombe (mother)",
        case.assigned_to_id,
    )
    page = get_page(officer, case_url(case))
    assert text_of(page.find(class_="govuk-notification-banner")) == "Success Phone call logged"
    item = next(
        item for item in page.find(id="timeline").find_all("li", recursive=False) if item["data-kind"] == "contact"
    )
    assert [paragraph.get_text(strip=True) for paragraph in [item.h3, *item.find_all("p")]] == [
        "Phone call with Jo Whitcombe (mother)",
        f"{long(at.date())}, 2:05pm, by Test Officer",
        "Outcome: Visit arranged",
        "Family back from abroad, looking for a school place",
    ]


def test_a_contact_in_the_future_or_at_no_real_time_is_refused(officer, db, case):
    url = case_url(case, "/contacts/new")
    tomorrow = uk_today() + timedelta(days=1)
    page = parse(
        post_form(
            officer,
            url,
            {
                "kind": "home_visit",
                **date_parts("occurred_on", tomorrow),
                "occurred_time": "10am",
                "with_whom": "",
                "text": "Nobody home",
            },
            status=200,
        )
    )
    assert error_summary(page) == [
        ("Date must be today or in the past", "#occurred_on-day"),
        ("Enter who the contact was with", "#with_whom"),
    ]
    page = parse(
        post_form(
            officer,
            url,
            {"kind": "note", **date_parts("occurred_on", None), "occurred_time": "25:00", "text": ""},
            status=200,
        )
    )
    assert error_summary(page) == [
        ("Enter the date of the contact", "#occurred_on-day"),
        ("Enter a real time, like 9:30am or 14:30", "#occurred_time"),
        ("Enter the note", "#text"),
    ]
    assert db.scalars(select(CaseNote)).all() == []


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("14:30", time(14, 30)), ("2:30pm", time(14, 30)), ("2.30 PM", time(14, 30)), ("9am", time(9, 0)),
     ("12am", time(0, 0)), ("12pm", time(12, 0)), ("noon", time(12, 0)), ("midnight", time(0, 0)),
     ("09:05", time(9, 5))],
)  # fmt: skip
def test_times_are_read_as_people_write_them(typed, meant):
    assert parse_time(typed) == meant


@pytest.mark.parametrize("typed", ["", "9", "24:00", "13pm", "0am", "9:60", "half nine"])
def test_times_that_mean_nothing_are_refused(typed):
    with pytest.raises(ValueError):
        parse_time(typed)
