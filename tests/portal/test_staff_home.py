"""The CME team's home page shows the signed-in officer's work beside the team's."""

from datetime import UTC, date, datetime, timedelta

from shared import queries
from shared.clock import uk_today
from shared.models import Case, Child, Enquiry, Referral, SchoolNotice
from tests.conftest import get_page, sign_in, text_of


def _make_work(db, users, school):
    today = uk_today()
    children = [Child(first_name=f"Child{n}", last_name="Ali", date_of_birth=date(2015, 1, n + 1)) for n in range(5)]
    db.add_all(children)
    officer = users["officer"]
    cases = [
        Case(reference="CS-TEST-001", child=children[0], status="open"),
        Case(reference="CS-TEST-002", child=children[1], status="enquiries", assigned_to=officer),
        Case(reference="CS-TEST-003", child=children[2], status="enquiries", assigned_to=users["lead"]),
        Case(reference="CS-TEST-004", child=children[3], status="monitoring", assigned_to=officer),
        Case(reference="CS-TEST-005", child=children[4], status="closed", assigned_to=officer, outcome="on_roll"),
    ]
    db.add_all(cases)
    db.add_all(
        [
            Enquiry(case=cases[1], check_type="health", due_on=today - timedelta(days=1), status="asked"),
            Enquiry(case=cases[1], check_type="police", due_on=today - timedelta(days=3), status="done"),
            Enquiry(case=cases[2], check_type="housing", due_on=today - timedelta(days=2), status="to_do"),
            Enquiry(case=cases[2], check_type="phone", due_on=today + timedelta(days=2), status="to_do"),
            Enquiry(
                case=cases[4], check_type="letter", due_on=today - timedelta(days=9), status="to_do"
            ),  # closed case
        ]
    )
    now = datetime.now(UTC)
    db.add_all(
        [
            Referral(reference="RF-TEST-001", source="public", status="new", urgent=True, received_at=now),
            Referral(reference="RF-TEST-002", source="school", status="new", received_at=now),
            Referral(reference="RF-TEST-003", source="public", status="closed", urgent=True, received_at=now),
            SchoolNotice(
                reference="SN-TEST-001",
                school=school,
                kind="absence",
                status="for_cme",
                pupil_first_name="A",
                pupil_last_name="B",
                pupil_date_of_birth=date(2014, 2, 2),
                event_date=today,
            ),
            SchoolNotice(
                reference="SN-TEST-002",
                school=school,
                kind="joiner",
                status="received",
                pupil_first_name="C",
                pupil_last_name="D",
                pupil_date_of_birth=date(2014, 2, 2),
                event_date=today,
            ),
        ]
    )
    db.commit()


def test_overview_counts(db, users, school):
    _make_work(db, users, school)
    overview = queries.overview(db, uk_today())
    assert overview == queries.Overview(
        children=5,
        new_referrals=2,
        urgent_referrals=1,
        notices_for_cme=1,
        open_cases=4,
        unassigned_cases=1,
        overdue_checks=2,
        cases_by_status={"open": 1, "enquiries": 2, "waiting_other_la": 0, "monitoring": 1, "closed": 1},
    )
    mine = queries.workload(db, uk_today(), users["officer"].id)
    assert (mine.open_cases, mine.overdue_checks) == (2, 1)


def _figures(page, list_id: str) -> dict[str, str]:
    rows = page.find(id=list_id).find_all(class_="govuk-summary-list__row")
    return {text_of(row.dt): text_of(row.dd) for row in rows}


def test_an_officer_sees_their_own_work_and_the_team_s(client, db, users, school):
    _make_work(db, users, school)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/")
    assert _figures(page, "your-work") == {"Your open cases": "2", "Your overdue checks": "1"}
    assert _figures(page, "team-work") == {
        "Intake queue": "3 waiting for a decision",
        "New referrals": "2 (1 urgent)",
        "School notices for the CME team": "1",
        "Pupils on part-time timetables": "0",
        "Open cases": "4",
        "Open cases not assigned to an officer": "1",
        "Overdue checks": "2",
    }


def test_the_intake_queue_is_one_link_from_home(client, db, users, school):
    _make_work(db, users, school)
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, "/staff/")
    link = page.find(id="team-work").find("a", string="3 waiting for a decision")
    assert link["href"] == "/staff/intake"


def test_the_lead_s_own_work_is_theirs_alone(client, db, users, school):
    _make_work(db, users, school)
    sign_in(client, "lead@northbridge.example")
    assert _figures(get_page(client, "/staff/"), "your-work") == {"Your open cases": "1", "Your overdue checks": "1"}
