"""A case's page and a child's page as the CME team sees them: the child's summary, the case, its checks and one
timeline of everything; editing the case's details and the child's; who may do what; and every look audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.clock import uk_today
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS
from shared.models import AuditEvent, Carer, Case, Child, Referral, SchoolNotice
from shared.services.cases import CaseSettings, open_case, record_event
from tests.conftest import calendar_of, error_summary, get_page, parse, sign_in, text_of


def born() -> date:
    """The test child's date of birth: in Year 6 or 7 whatever day the test runs."""
    return date(uk_today().year - 11, 10, 1)


def settings_for(app) -> CaseSettings:
    return CaseSettings(calendar=calendar_of(app), due_days=dict(DEFAULT_DUE_SCHOOL_DAYS))


def a_child(db, **details) -> Child:
    child = Child(
        first_name="Ellie",
        last_name="Whitcombe",
        date_of_birth=born(),
        sex="female",
        upn="B801200005001",
        address_line_1="14 Quarry Row",
        town="Northbridge",
        postcode="NB1 1AA",
        phone="07700 900982",
        send_status="sen_support",
        vulnerable_groups=["young_carer", "new_to_country"],
        **details,
    )
    child.carers = [Carer(name="Jo Whitcombe", relationship_to_child="Mother", phone="07700 900123")]
    db.add(child)
    db.flush()
    return child


def a_case(app, db, users, child: Child | None = None, **details) -> Case:
    """An open case for a child, opened by the lead with the standard checks, as triage opens one."""
    case = open_case(
        db,
        child=child or a_child(db),
        actor=users["lead"],
        today=uk_today(),
        settings=settings_for(app),
        missing_since=uk_today() - timedelta(days=20),
        primary_reason="school_application_awaiting_outcome",
        **details,
    )
    db.commit()
    return case


def case_url(case: Case, path: str = "") -> str:
    return f"/staff/cases/{case.reference}{path}"


def post_form(client, url: str, answers: dict, status: int = 302):
    """Post the form on `url` with the answers given, as a browser would (its token and hidden fields too)."""
    page = get_page(client, url)
    data = {field["name"]: field.get("value", "") for field in page.select("form input[type=hidden]")}
    data.update(answers)
    response = client.post(url, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def date_parts(prefix: str, day: date | None) -> dict:
    if day is None:
        return {prefix: ["", "", ""]}
    return {prefix: [str(day.day), str(day.month), str(day.year)]}


# The case page ------------------------------------------------------------------------------------------------------


def summary(page, list_id: str) -> dict[str, str]:
    rows = page.find(id=list_id).find_all(class_="govuk-summary-list__row")
    return {text_of(row.dt): text_of(row.dd) for row in rows}


def long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_the_case_page_shows_the_child_and_the_case(app, client, db, users):
    case = a_case(app, db, users, assigned_to=users["officer"])
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, case_url(case))
    assert text_of(page.h1) == "Ellie Whitcombe"
    assert page.title.get_text(strip=True).startswith(f"Case {case.reference}: Ellie Whitcombe - ")
    assert summary(page, "case-summary") == {
        "Status": "Open: enquiries not started",
        "Risk level": "Medium",
        "Officer": "Test Officer",
        "Opened": long(uk_today()),
        "Missing education since": long(uk_today() - timedelta(days=20)),
        "Primary reason": "School application awaiting outcome",
    }
    age = uk_today().year - born().year - (1 if (uk_today().month, uk_today().day) < (born().month, born().day) else 0)
    start_of_school_year = uk_today().year if uk_today().month >= 9 else uk_today().year - 1
    year_group = start_of_school_year - born().year - (1 if born().month >= 9 else 0) - 4
    assert summary(page, "child-summary") == {
        "Name": "Ellie Whitcombe",
        "Date of birth": f"1 October {born().year} (age {age}, Year {year_group})",
        "UPN": "B801200005001",
        "Address": "14 Quarry Row Northbridge NB1 1AA",
        "Parents or carers": "Jo Whitcombe (Mother), 07700 900123",
        "Looked after": "No",
        "Special educational needs": "SEN support",
        "Groups at particular risk": "Young carer New to the country",
    }
    assert page.find(id="child-summary").find("a")["href"] == f"/staff/children/{case.child_id}"
    assert [text_of(tag) for tag in page.find(id="case-tags").find_all(class_="govuk-tag")] == [
        "Open: enquiries not started",
        "Medium risk",
    ]


def test_an_unassigned_case_says_so_and_one_not_yet_known_facts_too(app, client, db, users):
    child = a_child(db, looked_after=True)
    child.upn, child.carers, child.vulnerable_groups = None, [], []
    case = open_case(db, child=child, actor=users["lead"], today=uk_today(), settings=settings_for(app))
    db.commit()
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, case_url(case))
    facts = summary(page, "case-summary")
    assert (facts["Officer"], facts["Missing education since"], facts["Primary reason"]) == (
        "Not assigned",
        "Not known",
        "Not recorded",
    )
    child_facts = summary(page, "child-summary")
    assert (child_facts["UPN"], child_facts["Parents or carers"], child_facts["Looked after"]) == (
        "Not known",
        "None recorded",
        "Yes",
    )
    assert child_facts["Groups at particular risk"] == "None recorded"


def test_a_manager_reads_a_case_and_its_child_but_never_the_child_s_name(app, client, db, users):
    case = a_case(app, db, users, assigned_to=users["officer"])
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, case_url(case))
    assert text_of(page.h1) == f"Case {case.reference}"
    assert page.title.get_text(strip=True).startswith(f"Case {case.reference} - ")
    facts = summary(page, "child-summary")
    assert "Name" not in facts and facts["Record"] == "The child's record"
    assert page.find(id="child-summary").find("a")["href"] == f"/staff/children/{case.child_id}"
    assert "Ellie" not in page.get_text() and "Whitcombe" not in page.title.get_text()
    child = get_page(client, f"/staff/children/{case.child_id}")
    assert text_of(child.h1) == "A child's record"
    assert "Full name" not in summary(child, "child-details") and "Other names" not in summary(child, "child-details")
    assert "Ellie" not in child.get_text()


def checks_table(page) -> list[list[str]]:
    rows = page.find(id="checks").find("tbody").find_all("tr")
    return [[text_of(cell) for cell in row.find_all(["th", "td"])] for row in rows]


def test_the_checks_table_shows_each_check_with_what_is_overdue(app, client, db, users):
    case = a_case(app, db, users)
    police = next(check for check in case.enquiries if check.check_type == "police")
    police.due_on, police.status, police.asked_on = (
        uk_today() - timedelta(days=1),
        "asked",
        uk_today() - timedelta(days=4),
    )
    phone = next(check for check in case.enquiries if check.check_type == "phone")
    phone.due_on = uk_today()  # due today: not yet overdue
    housing = next(check for check in case.enquiries if check.check_type == "housing")
    housing.due_on, housing.status = uk_today() - timedelta(days=2), "done"
    housing.asked_on, housing.answered_on, housing.result = (
        uk_today() - timedelta(days=5),
        uk_today() - timedelta(days=3),
        "located",
    )
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, case_url(case))
    headers = [text_of(th) for th in page.find(id="checks").find("thead").find_all("th")]
    assert headers == ["Check", "Due", "Status", "Asked", "Answered", "Result", "Actions"]
    rows = checks_table(page)
    assert rows[0] == [
        "Housing services",
        long(uk_today() - timedelta(days=2)),
        "Done",
        long(uk_today() - timedelta(days=5)),
        long(uk_today() - timedelta(days=3)),
        "Child located or known to them",
        "Record Housing services Not applicable for Housing services",
    ]
    assert rows[1] == [
        "Police",
        long(uk_today() - timedelta(days=1)),
        "Asked, awaiting answer Overdue",
        long(uk_today() - timedelta(days=4)),
        "",
        "",
        "Record Police Not applicable for Police",
    ]
    assert rows[2][:3] == ["Phone call to the family", long(uk_today()), "To do"]
    assert sum("Overdue" in row[2] for row in rows) == 1
    links = page.find(id="checks").find_all("a")
    assert links[2]["href"] == case_url(case, f"/checks/{police.id}")
    assert links[3]["href"] == case_url(case, f"/checks/{police.id}/not-applicable")


def actions(page) -> list[str]:
    listed = page.find(id="case-actions")
    return [text_of(link) for link in listed.find_all("a")] if listed else []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("officer", ["Change status", "Close case", "Edit case details", "Add a check", "Log a contact"]),
        ("lead", ["Change status", "Close case", "Assign", "Edit case details", "Add a check", "Log a contact"]),
        (
            "admin",
            [
                "Change status",
                "Close case",
                "Assign",
                "Edit case details",
                "Add a check",
                "Log a contact",
                "Audit trail",
            ],
        ),
        ("manager", []),
    ],
)
def test_the_actions_offered_follow_the_role(app, client, db, users, role, expected):
    case = a_case(app, db, users)
    sign_in(client, f"{role}@northbridge.example")
    page = get_page(client, case_url(case))
    assert actions(page) == expected
    record_links = page.find(id="checks").find_all("a")
    assert bool(record_links) is (role != "manager")
    if role == "admin":
        assert page.find("a", string="Audit trail")["href"] == f"/staff/audit/case/{case.id}"
        assert page.find("a", string="Assign")["href"] == case_url(case, "/assign")
        assert page.find("a", string="Change status")["href"] == case_url(case, "/status")


def test_a_closed_case_offers_reopening_and_no_changes_to_its_checks(app, client, db, users):
    case = a_case(app, db, users)
    case.status = "closed"
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, case_url(case))
    assert actions(page) == ["Reopen case", "Edit case details", "Log a contact"]
    assert page.find("a", string="Reopen case")["href"] == case_url(case, "/reopen")
    assert page.find(id="checks").find_all("a") == []
    assert "Overdue" not in text_of(page.find(id="checks"))


WRITE_PAGES = ("/details", "/checks/new", "/contacts/new")


def test_a_manager_reads_cases_but_cannot_change_them(app, client, db, users):
    case = a_case(app, db, users)
    check = case.enquiries[0]
    sign_in(client, "manager@northbridge.example")
    assert client.get(case_url(case)).status_code == 200
    assert client.get(f"/staff/children/{case.child_id}").status_code == 200
    urls = [case_url(case, path) for path in WRITE_PAGES] + [
        case_url(case, f"/checks/{check.id}"),
        case_url(case, f"/checks/{check.id}/not-applicable"),
        f"/staff/children/{case.child_id}/details",
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={"reason": "x", "risk_level": "high"}).status_code == 403, url
    db.expire_all()
    assert db.get(Case, case.id).version == 1


def test_school_users_and_the_public_reach_no_case_or_child(app, client, db, users):
    case = a_case(app, db, users)
    urls = [case_url(case), f"/staff/children/{case.child_id}", case_url(case, "/details")]
    for url in urls:
        response = client.get(url)
        assert (response.status_code, response.headers["Location"].split("?")[0]) == (302, "/sign-in"), url
    client = app.test_client()
    sign_in(client, "school@northbridge.example")
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={}).status_code in (403, 405), url
    assert client.post(case_url(case, "/details"), data={"risk_level": "high"}).status_code == 403


def test_a_case_or_child_that_does_not_exist_is_not_found(app, client, db, users):
    case = a_case(app, db, users)
    other = a_case(app, db, users)
    sign_in(client, "officer@northbridge.example")
    assert client.get("/staff/cases/CS-0000-0000").status_code == 404
    assert client.get("/staff/cases/not-a-reference").status_code == 404
    assert client.get("/staff/children/999999").status_code == 404
    assert client.get(case_url(case, f"/checks/{other.enquiries[0].id}")).status_code == 404
    assert client.get(f"/staff/cases/{case.reference.lower()}").status_code == 200  # as typed, any case


def test_every_look_at_a_case_or_a_child_is_audited(app, client, db, users):
    case = a_case(app, db, users)
    sign_in(client, "manager@northbridge.example")
    get_page(client, case_url(case))
    get_page(client, f"/staff/children/{case.child_id}")
    get_page(client, case_url(case))
    views = db.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["case.viewed", "child.viewed"])).order_by(AuditEvent.id)
    ).all()
    assert [(view.action, view.object_id, view.actor_id, view.actor_label) for view in views] == [
        ("case.viewed", case.id, users["manager"].id, "manager@northbridge.example"),
        ("child.viewed", case.child_id, users["manager"].id, "manager@northbridge.example"),
        ("case.viewed", case.id, users["manager"].id, "manager@northbridge.example"),
    ]
    assert all(view.occurred_at <= datetime.now(UTC) for view in views)


def test_the_timeline_on_the_page_links_referrals_and_notices(app, client, db, users, school):
    case = a_case(app, db, users)
    now = datetime.now(UTC)
    db.add_all(
        [
            Referral(
                reference="RF-7KQ4-M9X3", source="professional", reporter_name="Pat Visitor",
                reporter_organisation="Northbridge Health Visiting", received_at=now - timedelta(days=3), case=case,
            ),
            SchoolNotice(
                reference="SN-TEST-0001", school=school, kind="leaver", deletion_ground="i",
                pupil_first_name="Ellie", pupil_last_name="Whitcombe", pupil_date_of_birth=born(),
                event_date=uk_today() - timedelta(days=2), submitted_at=now - timedelta(days=2), case=case,
            ),
        ]
    )  # fmt: skip
    record_event(db, case, users["lead"], "assigned", "Assigned to Test Officer")
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, case_url(case))
    items = page.find(id="timeline").find_all("li", recursive=False)
    headings = [text_of(item.h3) for item in items]
    assert headings == [
        "Assigned to Test Officer",
        "Case opened",
        "School notice SN-TEST-0001: Pupil to be removed from the admission register",
        "Referral RF-7KQ4-M9X3 received",
    ]
    assert items[2].h3.a["href"] == "/staff/school-notices/SN-TEST-0001"
    assert items[3].h3.a["href"] == "/staff/referrals/RF-7KQ4-M9X3"
    assert text_of(items[3]).endswith("by Pat Visitor, Northbridge Health Visiting From: Professional")
    assert "Ground i: " in text_of(items[2])
    assert text_of(items[0].find("p")).endswith(", by Test Lead")


# Editing the case's details ---------------------------------------------------------------------------------------


def test_an_officer_changes_the_risk_level_and_the_timeline_says_so(app, client, db, users):
    case = a_case(app, db, users)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, case_url(case, "/details"))
    assert page.find("input", {"name": "risk_level", "value": "medium"}).has_attr("checked")
    reasons = [radio["value"] for radio in page.find_all("input", {"name": "primary_reason"})]
    assert reasons[:3] == ["school_application_awaiting_outcome", "offered_place_not_accepted", "waiting_school_start"]
    assert len(reasons) == 19
    response = post_form(
        client,
        case_url(case, "/details"),
        {
            "risk_level": "high",
            "primary_reason": "school_application_awaiting_outcome",
            **date_parts("missing_since", uk_today() - timedelta(days=20)),
        },
    )
    assert response.headers["Location"] == case_url(case)
    page = get_page(client, case_url(case))
    banner = page.find(class_="govuk-notification-banner")
    assert text_of(banner) == "Success Case details saved: risk level changed from medium to high"
    first = page.find(id="timeline").find("li")
    assert text_of(first.h3) == "Risk level changed from medium to high"
    assert text_of(first.find("p")).endswith("by Test Officer")
    assert summary(page, "case-summary")["Risk level"] == "High"


def test_the_date_missing_education_must_not_be_in_the_future(app, client, db, users):
    case = a_case(app, db, users)
    sign_in(client, "officer@northbridge.example")
    response = post_form(
        client,
        case_url(case, "/details"),
        {
            "risk_level": "low",
            "primary_reason": "mental_health",
            **date_parts("missing_since", uk_today() + timedelta(days=1)),
        },
        status=200,
    )
    page = parse(response)
    assert error_summary(page) == [
        ("Date the child became missing education must be today or in the past", "#missing_since-day")
    ]
    assert page.find("input", {"name": "risk_level", "value": "low"}).has_attr("checked")
    response = post_form(
        client,
        case_url(case, "/details"),
        {**date_parts("missing_since", None) | {"missing_since": ["3", "", "2026"]}},
        status=200,
    )
    assert error_summary(parse(response)) == [
        ("Select the risk level", "#risk_level"),
        ("Date the child became missing education must include a month", "#missing_since-day"),
        ("Select the main reason the child is missing education", "#primary_reason"),
    ]
    db.expire_all()
    assert db.get(Case, case.id).version == 1


def test_two_officers_editing_the_case_details_the_second_is_told_and_nothing_is_overwritten(app, client, db, users):
    case = a_case(app, db, users)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, case_url(case, "/details"))
    stale = {field["name"]: field.get("value", "") for field in page.select("form input[type=hidden]")}
    post_form(client, case_url(case, "/details"), {"risk_level": "high", "primary_reason": "mental_health"})
    response = client.post(case_url(case, "/details"), data={**stale, "risk_level": "low", "primary_reason": "other"})
    assert response.status_code == 200
    page = parse(response)
    assert [message for message, _ in error_summary(page)] == [
        "Someone else changed this case while you were editing it. Nothing you entered has been saved: "
        "check the case as it is now and make your change again"
    ]
    assert page.find("input", {"name": "risk_level", "value": "low"}).has_attr("checked")  # what they typed
    assert "Risk level High" in text_of(page.find(id="as-it-is-now"))
    db.expire_all()
    saved = db.get(Case, case.id)
    assert (saved.risk_level, saved.primary_reason, saved.version) == ("high", "mental_health", 2)


# The child's page -------------------------------------------------------------------------------------------------


def test_the_child_page_shows_their_details_and_everything_about_them(app, client, db, users, school):
    case = a_case(app, db, users)
    case.status = "closed"
    later = a_case(app, db, users, child=case.child, assigned_to=users["officer"])
    now = datetime.now(UTC)
    db.add_all(
        [
            Referral(reference="RF-7KQ4-M9X3", source="public", status="linked", received_at=now, case=case),
            SchoolNotice(
                reference="SN-TEST-0001", school=school, kind="absence", pupil_first_name="Ellie",
                pupil_last_name="Whitcombe", pupil_date_of_birth=born(), event_date=uk_today(), child=case.child,
            ),
        ]
    )  # fmt: skip
    db.commit()
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, f"/staff/children/{case.child_id}")
    assert text_of(page.h1) == "Ellie Whitcombe"
    details = summary(page, "child-details")
    assert (details["Full name"], details["Sex"], details["Phone number"], details["School"]) == (
        "Ellie Whitcombe",
        "Female",
        "07700 900982",
        "Not on a school roll we know of",
    )
    assert "Relationship Mother" in text_of(page.find(class_="govuk-summary-card"))
    cases = [[text_of(cell) for cell in row.find_all("td")] for row in page.find(id="cases").tbody.find_all("tr")]
    assert sorted(cases) == sorted(
        [
            [later.reference, long(uk_today()), "Open: enquiries not started", "Test Officer"],
            [case.reference, long(uk_today()), "Closed", "Not assigned"],
        ]
    )
    assert text_of(page.find(id="referrals").tbody) == f"RF-7KQ4-M9X3 {long(uk_today())} Linked to a case"
    assert (
        text_of(page.find(id="notices").tbody)
        == f"SN-TEST-0001 {long(uk_today())} Millfield Primary School Continuous unexplained absence"
    )
    assert page.find("a", string="Change the child's details")["href"] == f"/staff/children/{case.child_id}/details"


def child_form(client, url: str) -> dict:
    page = get_page(client, url)
    data = {}
    for field in page.select("form input"):
        if field.get("type") in ("radio", "checkbox"):
            if field.has_attr("checked"):
                data.setdefault(field["name"], []).append(field["value"])
        else:
            data.setdefault(field["name"], []).append(field.get("value", ""))
    return data


def test_an_officer_corrects_the_child_s_details(app, client, db, users):
    case = a_case(app, db, users)
    url = f"/staff/children/{case.child_id}/details"
    sign_in(client, "officer@northbridge.example")
    data = child_form(client, url)
    assert data["upn"] == ["B801200005001"] and data["vulnerable_groups"] == ["new_to_country", "young_carer"]
    data.update(postcode=["nb2 2bb"], upn=["b801200005001"], looked_after=["yes"], vulnerable_groups=["grt"])
    response = client.post(url, data=data)
    assert (response.status_code, response.headers["Location"]) == (302, f"/staff/children/{case.child_id}")
    page = get_page(client, f"/staff/children/{case.child_id}")
    assert text_of(page.find(class_="govuk-notification-banner")) == "Success The child's details were saved"
    details = summary(page, "child-details")
    assert (details["Address"], details["Looked after"], details["Groups at particular risk"]) == (
        "14 Quarry Row Northbridge NB2 2BB",
        "Yes",
        "Gypsy, Roma and Traveller family",
    )
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "child.details_changed")).one()
    assert (audit.before["looked_after"], audit.after["looked_after"]) == (False, True)


def test_a_wrong_upn_or_postcode_is_refused_with_what_was_typed_kept(app, client, db, users):
    case = a_case(app, db, users)
    url = f"/staff/children/{case.child_id}/details"
    sign_in(client, "officer@northbridge.example")
    data = child_form(client, url)
    data.update(
        upn=["A801200005001"], postcode=["NB1"], phone=["12"], date_of_birth=["1", "1", str(uk_today().year + 1)]
    )
    page = parse(client.post(url, data=data))
    assert error_summary(page) == [
        ("Date of birth must be in the past", "#date_of_birth-day"),
        ("UPN check letter is wrong: check the UPN has been copied correctly", "#upn"),
        ("Enter a real postcode, like BA1 1JG", "#postcode"),
        ("Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192", "#phone"),
    ]
    assert page.find("input", {"name": "upn"})["value"] == "A801200005001"
    db.expire_all()
    assert db.get(Child, case.child_id).upn == "B801200005001"


def test_two_people_editing_the_child_the_second_is_told(app, client, db, users):
    case = a_case(app, db, users)
    url = f"/staff/children/{case.child_id}/details"
    sign_in(client, "officer@northbridge.example")
    first, second = child_form(client, url), child_form(client, url)
    first["town"] = ["Eastbridge"]
    assert client.post(url, data=first).status_code == 302
    second["town"] = ["Westbridge"]
    page = parse(client.post(url, data=second))
    assert [message for message, _ in error_summary(page)] == [
        "Someone else changed this child's details while you were editing them. Nothing you entered has been "
        "saved: check the details as they are now and make your change again"
    ]
    assert page.find("input", {"name": "town"})["value"] == "Westbridge"
    assert "Eastbridge" in text_of(page.find(id="as-it-is-now"))
    db.expire_all()
    assert db.get(Child, case.child_id).town == "Eastbridge"
