"""Every page a signed-in person can reach, with every role: who gets in, who is refused, who must sign in."""

import pytest

from tests.conftest import sign_in

ROLES = ("school", "officer", "lead", "manager", "admin")
# url: the roles that may see it (None = public).
PAGES = {
    "/": None,
    "/sign-in": None,
    "/accessibility": None,
    "/privacy": None,
    "/cookies": None,
    "/healthz": None,
    "/readyz": None,
    "/schools/": {"school"},
    "/staff/": {"officer", "lead", "manager", "admin"},
    "/admin/": {"admin"},
    "/dashboard/": {"officer", "lead", "manager", "admin"},
    "/dashboard/_dash-layout": {"officer", "lead", "manager", "admin"},
    "/dashboard/_dash-dependencies": {"officer", "lead", "manager", "admin"},
}


def expected_status(url: str, role: str | None) -> int:
    allowed = PAGES[url]
    if allowed is None:
        return 302 if (url == "/sign-in" and role) else 200  # signed-in users are sent on from sign-in
    if role is None:
        return 401 if url.startswith("/dashboard/_") else 302
    return 200 if role in allowed else 403


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_page_answers_each_role_as_the_matrix_says(client, users, role):
    if role:
        sign_in(client, f"{role}@northbridge.example")
    answers = {url: client.get(url).status_code for url in PAGES}
    assert answers == {url: expected_status(url, role) for url in PAGES}


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
