"""The intake queue and triage pages as the CME team uses them: what waits, in what order and for how long; the
filters and pages; triage of a referral or notice into a case or closed; answers refused and kept; two officers
at once; who may look and who may decide."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.clock import long_date
from shared.models import AuditEvent, Case, Child, Referral, SchoolNotice
from shared.queries import intake as queries
from shared.services.intake import KINDS
from tests.conftest import error_summary, get_page, parse, sign_in, text_of
from tests.portal.test_cases import post_form
from tests.shared.test_intake import BORN, NOW, a_case_for, a_notice, a_referral, ellie
from webcommon.forms import STALE_PAGE


@pytest.fixture
def settings(app):
    from tests.portal.test_cases import settings_for

    return settings_for(app)


def queue_rows(page) -> list[list[str]]:
    return [
        [text_of(cell) for cell in row.find_all("td")] for row in page.find(id="queue").find("tbody").find_all("tr")
    ]


def long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def triage_url(item) -> str:
    kind = "referrals" if isinstance(item, Referral) else "notices"
    return f"/staff/intake/{kind}/{item.reference}"


def banner(page) -> str:
    return text_of(page.find(class_="govuk-notification-banner"))


# The queue --------------------------------------------------------------------------------------------------------


def test_the_queue_shows_everything_waiting_urgent_first_then_oldest(client, db, users, school):
    old = a_referral(db, source="public", received_at=NOW - timedelta(days=9))
    urgent = a_referral(db, urgent=True, status="in_triage", received_at=NOW - timedelta(days=1))
    notice = a_notice(
        db, school, submitted_at=NOW - timedelta(days=3), pupil_first_name="Zara", pupil_last_name="Okafor"
    )
    nameless = a_referral(
        db, source="other_la", received_at=NOW - timedelta(days=2), child_first_name=None, date_of_birth=None
    )
    a_referral(db, status="linked", received_at=NOW - timedelta(days=30))
    a_notice(db, school, status="actioned", submitted_at=NOW - timedelta(days=30))
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/intake")
    assert text_of(page.h1) == "Intake queue"
    assert text_of(page.find(id="queue").caption) == "4 items waiting, urgent first, then oldest first"
    links = [row.find("a")["href"] for row in page.find(id="queue").find("tbody").find_all("tr")]
    assert links == [triage_url(urgent), triage_url(old), triage_url(notice), triage_url(nameless)]
    rows = queue_rows(page)
    assert [row[0] for row in rows] == [urgent.reference, old.reference, notice.reference, nameless.reference]
    assert [row[1] for row in rows] == [
        "Referral: Professional",
        "Referral: Member of the public",
        "School notice: continuous unexplained absence Millfield Primary School",
        "Referral: Another local authority",
    ]
    assert [row[2] for row in rows] == [
        f"Ellie Whitcombe Born {long(BORN)}",
        f"Ellie Whitcombe Born {long(BORN)}",
        f"Zara Okafor Born {long(BORN)}",
        "Whitcombe Date of birth not known",
    ]
    assert [row[5] for row in rows] == ["Urgent In triage", "New", "Sent to the CME team", "New"]


def test_ages_are_working_days_so_a_bank_holiday_weekend_counts_one(client, db, users, school, clock):
    # Friday 1 May 2026, then the weekend and the early May bank holiday (Monday 4 May): today is Tuesday 5 May.
    clock.set(date(2026, 5, 5))
    at_ten = lambda day: datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)  # noqa: E731  (10am in May)
    made = {
        "today": a_referral(db, received_at=at_ten(date(2026, 5, 5))),
        "friday": a_referral(db, received_at=at_ten(date(2026, 5, 1))),
        "thursday": a_referral(db, received_at=at_ten(date(2026, 4, 30))),
        "week before": a_notice(db, school, submitted_at=at_ten(date(2026, 4, 24))),
    }
    sign_in(client, "officer@northbridge.example")
    ages = {row[0]: (row[3], row[4]) for row in queue_rows(get_page(client, "/staff/intake"))}
    assert ages == {
        made["today"].reference: ("5 May 2026", "Today"),
        made["friday"].reference: ("1 May 2026", "1 working day"),
        made["thursday"].reference: ("30 April 2026", "2 working days"),
        made["week before"].reference: ("24 April 2026", "6 working days"),
    }


def test_the_queue_filters_by_source_and_status_and_keeps_the_choices(client, db, users, school):
    public = a_referral(db, source="public", received_at=NOW - timedelta(days=4))
    in_triage = a_referral(db, source="school", status="in_triage", received_at=NOW - timedelta(days=3))
    notice = a_notice(db, school, submitted_at=NOW - timedelta(days=2))
    other_la = a_referral(db, source="other_la", received_at=NOW - timedelta(days=1))
    sign_in(client, "officer@northbridge.example")

    def references(query: str) -> list[str]:
        page = get_page(client, "/staff/intake" + query)
        table = page.find(id="queue")
        return [row[0] for row in queue_rows(page)] if table else []

    assert references("?source=school_notice") == [notice.reference]
    assert references("?source=public&source=other_la") == [public.reference, other_la.reference]
    assert references("?status=in_triage&status=for_cme") == [in_triage.reference, notice.reference]
    assert references("?source=school&status=new") == []
    assert references("?source=everything&status=whatever") == [
        public.reference,
        in_triage.reference,
        notice.reference,
        other_la.reference,
    ]
    page = get_page(client, "/staff/intake?source=school_notice&status=for_cme")
    checked = [box["value"] for box in page.select("input[type=checkbox][checked]")]
    assert checked == ["school_notice", "for_cme"]
    assert text_of(page.find(id="queue").caption) == "1 item matches the filters, urgent first, then oldest first"
    assert page.find("a", string="Clear filters")["href"] == "/staff/intake"
    labels = [text_of(label) for label in page.select(".govuk-checkboxes__label")]
    assert labels == [
        "Member of the public",
        "Professional",
        "School (a referral)",
        "Another local authority",
        "School notice",
        "Attendance alert",
        "New",
        "In triage",
        "Sent to the CME team",
    ]
    nothing = get_page(client, "/staff/intake?source=school&status=for_cme")
    assert text_of(nothing.find(id="no-matches")).startswith("Nothing waiting matches the filters.")


def test_the_queue_comes_fifty_to_a_page_with_the_filters_kept(client, db, users, school):
    for n in range(51):
        a_referral(db, source="public", received_at=NOW - timedelta(minutes=100 - n))
    a_notice(db, school)
    sign_in(client, "officer@northbridge.example")
    first = get_page(client, "/staff/intake?source=public")
    assert len(queue_rows(first)) == 50
    assert text_of(first.find(id="queue").caption) == "51 items match the filters, urgent first, then oldest first"
    pagination = first.find(class_="govuk-pagination")
    assert pagination.find(class_="govuk-pagination__next").find("a")["href"] == "/staff/intake?page=2&source=public"
    second = get_page(client, "/staff/intake?source=public&page=2")
    assert len(queue_rows(second)) == 1
    assert (
        get_page(client, "/staff/intake?page=99&source=public")
        .find(class_="govuk-pagination__item--current")
        .get_text(strip=True)
        == "2"
    )


def test_an_empty_queue_says_so(client, users):
    sign_in(client, "officer@northbridge.example")
    assert text_of(get_page(client, "/staff/intake").find(id="nothing-waiting")) == "Nothing is waiting for a decision."


# Who may look, who may decide -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("officer", 200), ("lead", 200), ("admin", 200), ("manager", 200), ("school", 403)]
)
def test_the_team_reads_the_queue_and_triage_pages_and_schools_cannot(client, db, users, school, role, status):
    referral, notice = a_referral(db), a_notice(db, school)
    sign_in(client, f"{role}@northbridge.example")
    for url in ("/staff/intake", triage_url(referral), triage_url(notice)):
        assert client.get(url).status_code == status, url
    assert client.post(triage_url(referral), data={}).status_code in ((403,) if role == "school" else (200, 403))


def test_anyone_signed_out_is_sent_to_sign_in(client, db, users):
    referral = a_referral(db)
    for url in ("/staff/intake", triage_url(referral)):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")


def test_a_manager_sees_the_item_and_its_candidates_but_no_decision_and_cannot_post_one(
    client, db, users, school, settings
):
    child = ellie(db)
    referral = a_referral(db)
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, triage_url(referral))
    assert page.find(id="main-content").find("form", method="post") is None
    assert text_of(page.find(id="read-only")) == (
        "You can read this referral, but deciding on it is for the CME officers, the lead and administrators."
    )
    assert page.find(id="candidates").find("a")["href"] == f"/staff/children/{child.id}"
    response = client.post(triage_url(referral), data={"child": "new", "action": "open_case"})
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Referral, referral.id).status == "new"  # a manager's look moves nothing
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_unknown_references_and_notices_the_team_never_had_are_not_found(client, db, users, school):
    joiner = a_notice(db, school, kind="joiner", status="received")
    sign_in(client, "officer@northbridge.example")
    assert client.get("/staff/intake/referrals/not-a-reference").status_code == 404
    assert client.get("/staff/intake/referrals/RF-0000-0000").status_code == 404
    assert client.get(triage_url(joiner)).status_code == 404


# The triage page --------------------------------------------------------------------------------------------------


def test_the_triage_page_shows_the_referral_and_the_children_it_may_be(app, client, db, users, school, settings):
    child = ellie(db)
    case = a_case_for(db, child, users, settings)
    referral = a_referral(db, urgent=True)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, triage_url(referral))
    assert text_of(page.h1) == f"Triage {referral.reference}"
    assert text_of(page.find(class_="govuk-caption-l")) == "Referral: Professional"
    assert [text_of(tag) for tag in page.find(id="item-tags").find_all(class_="govuk-tag")] == [
        "In triage",
        "Urgent",
    ]
    headings = [text_of(h) for h in page.find_all("h3")]
    assert headings == ["About the child", "Their education", "Their family", "Risk"]
    cells = [text_of(cell) for cell in page.find(id="candidates").find("tbody").find("tr").find_all("td")]
    assert cells[0] == "Ellie Whitcombe"
    assert cells[1:5] == [long(BORN), "NB1 1AA", "B801200005001", "Strong match"]
    assert cells[5] == "Same first name Same last name Same date of birth Same postcode"
    assert cells[6] == case.reference
    choices = [text_of(label) for label in page.select("#main-content .govuk-radios__label")]
    assert choices[:3] == ["Ellie Whitcombe", "A new child", "Do not record a child"]
    assert choices[3:] == [
        "Open a new case",
        "Add it to the child’s open case",
        "Close it: the child is on roll at a school",
        "Close it: not a child missing education",
        "Close it: a duplicate of another referral or notice",
        "Close it for another reason",
    ]
    hint = text_of(page.find(id="action-item-hint"))
    assert hint == (
        "With the standard checks. It starts with high risk, missing education since "
        f"{long(date.fromisoformat(referral.answers['last_at_school']))}, and the primary reason unsuitable elective "
        "home education: you can change them on the case"
    )
    db.expire_all()
    assert db.get(Referral, referral.id).status == "in_triage"
    looks = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "referral").order_by(AuditEvent.id))
    assert list(looks) == ["referral.triage_started", "referral.viewed"]


def test_the_referral_s_own_page_and_the_notice_s_link_to_triage(client, db, users, school):
    referral, notice = a_referral(db), a_notice(db, school)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, f"/staff/referrals/{referral.reference}")
    assert page.find(id="triage-link")["href"] == triage_url(referral)
    page = get_page(client, f"/staff/school-notices/{notice.reference}")
    assert page.find(id="triage-link")["href"] == triage_url(notice)


# Deciding ---------------------------------------------------------------------------------------------------------


def test_an_officer_opens_a_case_for_a_new_child_and_lands_on_it(client, db, users, school):
    referral = a_referral(db, urgent=True)
    sign_in(client, "officer@northbridge.example")
    response = post_form(client, triage_url(referral), {"child": "new", "action": "open_case"})
    case = db.scalar(select(Case))
    assert response.headers["Location"] == f"/staff/cases/{case.reference}"
    assert (case.risk_level, case.child.full_name) == ("high", "Ellie Whitcombe")
    assert banner(get_page(client, response.headers["Location"])) == (
        f"Success Case {case.reference} opened for Ellie Whitcombe from referral {referral.reference}"
    )


def test_an_officer_adds_a_notice_to_the_child_s_open_case(client, db, users, school, settings):
    child = ellie(db)
    case = a_case_for(db, child, users, settings)
    notice = a_notice(db, school)
    sign_in(client, "officer@northbridge.example")
    response = post_form(client, triage_url(notice), {"child": str(child.id), "action": "add_to_case"})
    assert response.headers["Location"] == f"/staff/cases/{case.reference}"
    db.expire_all()
    assert (db.get(SchoolNotice, notice.id).status, db.get(SchoolNotice, notice.id).case_id) == ("attached", case.id)


def test_a_child_with_two_open_cases_needs_one_chosen(client, db, users, school, settings):
    child = ellie(db)
    first, second = a_case_for(db, child, users, settings), a_case_for(db, child, users, settings)
    notice = a_notice(db, school)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, triage_url(notice))
    offered = [radio["value"] for radio in page.find_all("input", {"name": "case"})]
    assert offered == [first.reference, second.reference]
    page = parse(post_form(client, triage_url(notice), {"child": str(child.id), "action": "add_to_case"}, 200))
    assert error_summary(page) == [("Select which of Ellie Whitcombe’s open cases to add it to", "#case")]
    response = post_form(
        client, triage_url(notice), {"child": str(child.id), "action": "add_to_case", "case": second.reference}
    )
    assert response.headers["Location"] == f"/staff/cases/{second.reference}"


def test_closing_a_notice_as_on_roll_returns_to_the_queue_with_the_reason(client, db, users, school):
    notice = a_notice(db, school)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, triage_url(notice))
    options = [text_of(option) for option in page.find("select", id="school").find_all("option")]
    assert options == [
        "Select a school",
        "Millfield Primary School (URN 990101)",
        "Riverside Junior School (URN 990102)",
        "A school not in this list",
    ]
    response = post_form(client, triage_url(notice), {"child": "new", "action": "close_on_roll", "school": "990102"})
    assert response.headers["Location"] == "/staff/intake"
    queue = parse(client.get("/staff/intake"))
    assert banner(queue) == (
        f"Success School notice {notice.reference} closed without a case: "
        "On roll at a named school: Riverside Junior School (URN 990102)"
    )
    assert queue.find(id="nothing-waiting") is not None
    db.expire_all()
    assert db.get(SchoolNotice, notice.id).status == "actioned"


def test_answers_that_cannot_be_accepted_are_shown_with_what_was_typed(client, db, users, school):
    referral = a_referral(db)
    sign_in(client, "officer@northbridge.example")
    page = parse(post_form(client, triage_url(referral), {}, status=200))
    assert page.title.get_text(strip=True).startswith("Error: ")
    assert error_summary(page) == [
        ("Select the child this referral is about, or ‘A new child’", "#child"),
        ("Select what to do with this referral", "#action"),
    ]
    page = parse(
        post_form(
            client,
            triage_url(referral),
            {"child": "none", "action": "close_duplicate", "duplicate_of": "RF-12"},
            status=200,
        )
    )
    assert error_summary(page) == [
        ("Enter the reference exactly as it was given to you, like RF-7KQ4-M9X3", "#duplicate_of"),
    ]
    assert page.find("input", id="duplicate_of")["value"] == "RF-12"
    assert page.find("input", {"name": "child", "value": "none"}).has_attr("checked")
    assert page.find("input", {"name": "action", "value": "close_duplicate"}).has_attr("checked")
    page = parse(
        post_form(client, triage_url(referral), {"child": "999999", "action": "close_other", "other_details": ""}, 200)
    )
    assert error_summary(page) == [
        ("Select one of the children shown, or ‘A new child’", "#child"),
        ("Enter why the referral is closed without a case", "#other_details"),
    ]
    db.expire_all()
    assert db.get(Referral, referral.id).status == "in_triage"
    assert db.scalar(select(func.count()).select_from(Child)) == 0


def test_a_page_open_too_long_keeps_the_answers_and_saves_nothing(client, db, users, school):
    referral = a_referral(db)
    sign_in(client, "officer@northbridge.example")
    response = client.post(
        triage_url(referral),
        data={"csrf_token": "expired", "child": "new", "action": "close_other", "other_details": "Withdrawn"},
    )
    page = parse(response)
    assert response.status_code == 200
    assert [message for message, _ in error_summary(page)] == [STALE_PAGE]
    assert page.find("textarea", id="other_details").get_text().strip() == "Withdrawn"
    db.expire_all()
    assert db.get(Referral, referral.id).status == "new"


def test_the_second_officer_to_decide_is_told_and_nothing_of_theirs_is_saved(app, db, users, school):
    referral = a_referral(db)
    first, second = app.test_client(), app.test_client()
    sign_in(first, "officer@northbridge.example")
    sign_in(second, "lead@northbridge.example")
    # Both have the triage page open.
    mine, theirs = (get_page(client, triage_url(referral)) for client in (first, second))
    token = lambda page: page.find("input", {"name": "csrf_token"})["value"]  # noqa: E731
    done = first.post(triage_url(referral), data={"csrf_token": token(mine), "child": "new", "action": "open_case"})
    assert done.status_code == 302
    refused = second.post(
        triage_url(referral),
        data={"csrf_token": token(theirs), "child": "none", "action": "close_not_cme"},
    )
    assert refused.headers["Location"] == triage_url(referral)
    page = get_page(second, triage_url(referral))
    assert banner(page) == (
        "Important Someone else triaged this referral while you were looking at it. Nothing you chose has been saved: "
        "their decision is shown below"
    )
    case = db.scalar(select(Case))
    db.expire_all()
    referral = db.get(Referral, referral.id)
    rows = {
        text_of(row.dt): text_of(row.dd) for row in page.find(id="decision").find_all(class_="govuk-summary-list__row")
    }
    assert rows == {
        "Status": "Linked to a case",
        "Child": "Ellie Whitcombe",
        "Case": case.reference,
        "Decided": f"{long_date(referral.triaged_at)} by Test Officer",
    }
    assert page.find(id="main-content").find("form", method="post") is None
    assert (referral.status, referral.triaged_by_id, referral.closed_reason) == ("linked", users["officer"].id, None)
    assert db.scalar(select(func.count()).select_from(Case)) == 1


# The kinds of item ------------------------------------------------------------------------------------------------


def test_each_kind_of_item_is_listed_triaged_and_shown_by_its_own_module_and_template(app):
    assert [kind.listed for kind in KINDS] == list(queries.KINDS)
    for kind in KINDS:
        shown = app.jinja_env.get_template(f"staff/intake/{kind.name}.html").module
        missing = [
            name for name in ("in_queue", "caption", "tags", "details", "new_child_hint") if not hasattr(shown, name)
        ]
        assert missing == [], kind.name
        endpoint, values = app.url_map.bind("").match(f"/staff/intake/{kind.name}s/RF-0000-0000")
        assert (endpoint, values["kind"]) == (f"staff.triage_{kind.name}", kind.name)
