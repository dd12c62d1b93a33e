"""The dashboard's figures come from the live database, and only staff see them."""

import json
from datetime import UTC, date, datetime, timedelta

from dashboard.figures import PALETTE, cases_by_status
from shared import queries
from shared.models import Case, Child, Enquiry, Referral, SchoolNotice
from tests.conftest import sign_in


def _make_work(db, users, school):
    today = date.today()
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
    overview = queries.overview(db, date.today())
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
    mine = queries.workload(db, date.today(), users["officer"].id)
    assert (mine.open_cases, mine.overdue_checks) == (2, 1)


def test_the_dashboard_callback_shows_the_live_counts(client, db, users, school):
    _make_work(db, users, school)
    sign_in(client, "manager@northbridge.example")
    assert client.get("/dashboard/").status_code == 200
    response = client.post(
        "/dashboard/_dash-update-component",
        json={
            "output": "overview.children",
            "outputs": {"id": "overview", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/dashboard/"}],
            "changedPropIds": ["url.pathname"],
        },
    )
    assert response.status_code == 200
    body = json.dumps(response.json)
    for element_id, value in [
        ("figure-open-cases", "4"),
        ("figure-new-referrals", "2"),
        ("figure-notices", "1"),
        ("figure-overdue-checks", "2"),
        ("figure-children", "5"),
        ("figure-urgent", "1"),
        ("figure-unassigned", "1"),
    ]:
        assert f'"children": "{value}", "id": "{element_id}"' in body, element_id


def test_school_users_are_refused_the_dashboard(client, users):
    sign_in(client, "school@northbridge.example")
    assert client.get("/dashboard/").status_code == 403
    assert client.post("/dashboard/_dash-update-component", json={}).status_code == 403


def test_the_dashboard_page_is_served_with_its_own_scripts_only(client, users):
    sign_in(client, "officer@northbridge.example")
    response = client.get("/dashboard/")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "cdn" not in html.lower() and "https://" not in html.split("<body>")[1]
    csp = response.headers["Content-Security-Policy"]
    assert "'sha256-" in csp  # Dash's inline renderer script is allowed by hash, not by 'unsafe-inline'
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_cases_by_status_figure():
    figure = cases_by_status(["Open", "Closed"], [3, 7])
    bar = figure.data[0]
    assert (list(bar.y), list(bar.x), bar.orientation, bar.marker.color) == (
        ["Open", "Closed"],
        [3, 7],
        "h",
        PALETTE[0],
    )


def test_dash_s_fingerprinted_scripts_may_be_cached_but_its_data_may_not(client, users):
    sign_in(client, "officer@northbridge.example")
    page = client.get("/dashboard/").get_data(as_text=True)
    script = next(src for src in page.split('src="')[1:] if "_dash-component-suites" in src).split('"')[0]
    assert client.get(script).headers["Cache-Control"] == "max-age=31536000"
    assert client.get("/dashboard/_dash-layout").headers["Cache-Control"] == "no-store"
