"""The CME team's home page shows the signed-in officer's work beside the team's."""

from tests.conftest import get_page, sign_in, text_of
from tests.dashboard.test_dashboard import _make_work


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
