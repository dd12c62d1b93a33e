"""What refused people see beyond the status: the way back after signing in, the dashboard's scripts kept from people
not signed in, a school's own notices only. tests/test_permission_matrix.py tries every route with every role."""

from tests.conftest import sign_in


def test_anonymous_people_are_sent_to_sign_in_and_back(client):
    for url in ("/staff/", "/schools/", "/admin/", "/dashboard/"):
        response = client.get(url)
        assert response.headers["Location"] == "/sign-in?next=" + url.replace("/", "%2F")


def test_dash_scripts_and_assets_are_not_served_to_anonymous_people(client, app):
    suites = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/dashboard/")]
    assert "/dashboard/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>" in suites
    assert client.get("/dashboard/_dash-component-suites/dash/dcc/dash_core_components.js").status_code == 401
    assert client.post("/dashboard/_dash-update-component", json={}).status_code == 401


def test_a_school_user_sees_only_their_own_school_s_notices(client, users, db, school):
    from datetime import date

    from shared.models import School, SchoolNotice

    other = db.query(School).filter(School.urn == 990102).one()
    for n, owner in enumerate((school, other)):
        db.add(
            SchoolNotice(
                reference=f"SN-TEST-00{n}",
                school=owner,
                kind="joiner",
                pupil_first_name=f"Pupil{n}",
                pupil_last_name="Lee",
                pupil_date_of_birth=date(2016, 5, 1),
                event_date=date(2026, 11, 2),
            )
        )
    db.commit()
    sign_in(client, "school@northbridge.example")
    body = client.get("/schools/").get_data(as_text=True)
    assert "SN-TEST-000" in body and "Pupil0 Lee" in body
    assert "SN-TEST-001" not in body and "Pupil1" not in body
