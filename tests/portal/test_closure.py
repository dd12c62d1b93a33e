"""Moving a case along its states on the staff pages: enquiries, waiting for another authority and its reply,
placing the child in a school, closing with an outcome, reopening; who may; stale tabs; bad answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shared.clock import uk_today
from shared.domain.school_age import compulsory_school_age_ends
from shared.models import AuditEvent, CaseEvent, Enquiry
from tests.conftest import csrf_token, error_summary, get_page, parse, sign_in, text_of
from tests.portal.test_cases import a_case

TODAY = uk_today()


@pytest.fixture
def case(app, db, users, school):
    found = a_case(app, db, users)
    db.commit()
    return found


def post(client, url: str, data: dict, follow: bool = False):
    page = get_page(client, url)
    return client.post(url, data={"csrf_token": csrf_token(page), **data}, follow_redirects=follow)


def date_parts(prefix: str, day: date) -> dict:
    return {prefix: [str(day.day), str(day.month), str(day.year)]}


def version_of(client, url: str) -> str:
    return get_page(client, url).find("input", {"name": "version"})["value"]


def events(db, case) -> list[str]:
    db.expire_all()
    return [e.summary for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))]


def test_an_officer_takes_a_case_through_enquiries_another_authority_and_closes_it(client, db, users, case):
    sign_in(client, "officer@northbridge.example")
    base = f"/staff/cases/{case.reference}"
    response = post(client, f"{base}/status", {"move": "enquiries", "version": version_of(client, f"{base}/status")})
    assert response.headers["Location"] == base
    sent = TODAY - timedelta(days=1)
    response = post(
        client,
        f"{base}/other-authority",
        {
            "authority": "Bristol City Council",
            "direction": "moved_to",
            **date_parts("sent_on", sent),
            "version": version_of(client, f"{base}/other-authority"),
        },
    )
    assert response.headers["Location"] == base
    db.expire_all()
    assert case.status == "waiting_other_la"
    waiting = db.scalars(select(Enquiry).where(Enquiry.case_id == case.id, Enquiry.other_authority.is_not(None))).one()
    assert (waiting.check_type, waiting.status, waiting.asked_on) == ("destination_la", "asked", sent)
    assert waiting.due_on > sent

    response = post(
        client,
        f"{base}/other-authority/reply",
        {
            "confirmed": "yes",
            **date_parts("answered_on", TODAY),
            "version": version_of(client, f"{base}/other-authority/reply"),
        },
    )
    assert response.headers["Location"] == f"{base}/close?outcome=moved_to_other_la"
    close = get_page(client, f"{base}/close?outcome=moved_to_other_la")
    assert close.find("input", {"name": "authority"})["value"] == "Bristol City Council"
    assert len(close.select("#open-checks li")) == 14
    response = post(
        client,
        f"{base}/close",
        {
            "outcome": "moved_to_other_la",
            "authority": "Bristol City Council",
            **date_parts("on", TODAY),
            "justification": "Bristol confirmed the child is on roll there",
            "version": close.find("input", {"name": "version"})["value"],
        },
    )
    assert response.headers["Location"] == base
    db.expire_all()
    assert (case.status, case.outcome, case.outcome_details) == (
        "closed",
        "moved_to_other_la",
        {"date": TODAY.isoformat(), "authority": "Bristol City Council"},
    )
    assert (case.closed_by_id, case.located_on) == (users["officer"].id, TODAY)
    assert case.closure_justification == "Bristol confirmed the child is on roll there"
    assert events(db, case)[:2] == ["Case opened", "Enquiries started"]
    assert events(db, case)[2].startswith("Waiting for Bristol City Council to confirm the child, who moved to it")
    assert events(db, case)[3] == f"Bristol City Council confirmed they know the child ({TODAY.day} {TODAY:%B %Y})"
    assert events(db, case)[4] == (
        "Closed: moved to another local authority (Bristol City Council), with 14 checks open: "
        "Bristol confirmed the child is on roll there"
    )
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "case", AuditEvent.object_id == case.id)
    )
    assert list(actions)[-4:] == [
        "case.status_changed",
        "case.status_changed",
        "case.other_authority_replied",
        "case.closed",
    ]


def test_closing_needs_an_outcome_its_facts_and_a_reason_for_open_checks(client, db, users, case):
    sign_in(client, "officer@northbridge.example")
    url = f"/staff/cases/{case.reference}/close"
    page = parse(post(client, url, {"version": version_of(client, url)}))
    assert [message for message, _ in error_summary(page)] == ["Select the outcome"]
    page = parse(
        post(
            client,
            url,
            {
                "outcome": "referred_to_admissions",
                **date_parts("on", TODAY + timedelta(days=2)),
                "version": version_of(client, url),
            },
        )
    )
    assert [message for message, _ in error_summary(page)] == [
        "Select who the child was referred to",
        "Date referred must be today or in the past",
        "Enter why the case can close with 14 checks still open",
    ]
    assert page.title.text.startswith("Error: ")
    db.expire_all()
    assert case.status == "open"


def test_a_second_tab_cannot_close_a_case_already_moved(client, db, users, case):
    sign_in(client, "officer@northbridge.example")
    base = f"/staff/cases/{case.reference}"
    old_version = version_of(client, f"{base}/close")
    post(client, f"{base}/status", {"move": "enquiries", "version": version_of(client, f"{base}/status")})
    page = parse(
        post(
            client,
            f"{base}/close",
            {
                "outcome": "elective_home_education",
                **date_parts("on", TODAY),
                "justification": "x",
                "version": old_version,
            },
        )
    )
    assert [message for message, _ in error_summary(page)] == [
        "Someone else changed this case while you were editing it. Nothing you entered has been saved: check the "
        "case as it is now and make your change again"
    ]
    assert page.find("textarea", {"name": "justification"}).text.strip() == "x"
    db.expire_all()
    assert case.status == "enquiries"


def test_placing_a_child_in_a_school_sets_the_review_date_and_closing_then_reopening(client, db, users, case, school):
    sign_in(client, "lead@northbridge.example")
    base = f"/staff/cases/{case.reference}"
    post(client, f"{base}/status", {"move": "enquiries", "version": version_of(client, f"{base}/status")})
    review = TODAY + timedelta(days=40)
    page = parse(
        post(
            client,
            f"{base}/placement",
            {
                "school": str(school.id),
                **date_parts("on_roll_from", TODAY),
                **date_parts("review_date", TODAY),
                "version": version_of(client, f"{base}/placement"),
            },
        )
    )
    assert [message for message, _ in error_summary(page)] == ["Review date must be in the future"]
    response = post(
        client,
        f"{base}/placement",
        {
            "school": str(school.id),
            **date_parts("on_roll_from", TODAY),
            **date_parts("review_date", review),
            "version": version_of(client, f"{base}/placement"),
        },
    )
    assert response.headers["Location"] == base
    db.expire_all()
    assert (case.status, case.placed_school_id, case.review_date) == ("monitoring", school.id, review)
    close = get_page(client, f"{base}/close")
    assert close.find("input", {"name": "outcome", "value": "on_roll"}).has_attr("checked")
    assert close.find("option", {"value": str(school.id)}).has_attr("selected")
    post(
        client,
        f"{base}/close",
        {
            "outcome": "on_roll",
            "school": str(school.id),
            **date_parts("on", TODAY),
            "justification": "Settled at school",
            "version": close.find("input", {"name": "version"})["value"],
        },
    )
    db.expire_all()
    assert (case.status, case.outcome, case.outcome_details["school"]) == (
        "closed",
        "on_roll",
        "Millfield Primary School",
    )
    assert get_page(client, f"{base}/status").find("input", {"value": "enquiries"}) is not None
    page = parse(post(client, f"{base}/reopen", {"reason": "", "version": version_of(client, f"{base}/reopen")}))
    assert [message for message, _ in error_summary(page)] == ["Enter why the case is reopened"]
    post(
        client,
        f"{base}/reopen",
        {"reason": "The school reports she has stopped attending", "version": version_of(client, f"{base}/reopen")},
    )
    db.expire_all()
    assert (case.status, case.outcome, case.closed_at) == ("enquiries", None, None)
    assert events(db, case)[-1] == "Reopened: The school reports she has stopped attending"


def test_not_compulsory_school_age_is_checked_against_the_date_of_birth(client, db, users, case):
    sign_in(client, "officer@northbridge.example")
    url = f"/staff/cases/{case.reference}/close"
    page = parse(
        post(
            client,
            url,
            {
                "outcome": "not_compulsory_age",
                **date_parts("on", TODAY),
                "justification": "x",
                "version": version_of(client, url),
            },
        )
    )
    ends = compulsory_school_age_ends(case.child.date_of_birth)
    assert [message for message, _ in error_summary(page)] == [
        f"Compulsory school age ends on {ends.day} {ends:%B %Y} for this child's date of birth"
    ]


def test_an_other_authority_that_does_not_know_the_child_sends_the_case_back_to_enquiries(client, db, users, case):
    sign_in(client, "officer@northbridge.example")
    base = f"/staff/cases/{case.reference}"
    post(
        client,
        f"{base}/other-authority",
        {
            "authority": "Somerset Council",
            "direction": "came_from",
            **date_parts("sent_on", TODAY),
            "version": version_of(client, f"{base}/other-authority"),
        },
    )
    page = parse(
        post(
            client,
            f"{base}/other-authority/reply",
            {
                "confirmed": "no",
                **date_parts("answered_on", TODAY - timedelta(days=3)),
                "version": version_of(client, f"{base}/other-authority/reply"),
            },
        )
    )
    assert [message for message, _ in error_summary(page)] == [
        f"Date of the reply must be on or after the enquiry, {TODAY.day} {TODAY:%B %Y}"
    ]
    post(
        client,
        f"{base}/other-authority/reply",
        {
            "confirmed": "no",
            **date_parts("answered_on", TODAY),
            "version": version_of(client, f"{base}/other-authority/reply"),
        },
    )
    db.expire_all()
    assert case.status == "enquiries"
    check = db.scalars(
        select(Enquiry).where(Enquiry.case_id == case.id, Enquiry.other_authority == "Somerset Council")
    ).one()
    assert (check.check_type, check.status, check.result) == ("previous_la", "done", "not_known")


@pytest.mark.parametrize("path", ["status", "other-authority", "placement", "close", "reopen"])
def test_managers_read_cases_but_cannot_move_them(client, users, case, path):
    sign_in(client, "manager@northbridge.example")
    assert client.get(f"/staff/cases/{case.reference}/{path}").status_code == 403
    assert client.post(f"/staff/cases/{case.reference}/{path}", data={}).status_code == 403
    assert text_of(get_page(client, f"/staff/cases/{case.reference}").find("h1"))
