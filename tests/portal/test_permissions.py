"""What refused people see beyond the status: the way back after signing in, the dashboard's scripts kept from people
not signed in, a school's own notices only, no child's name for a manager. tests/test_permission_matrix.py tries
every route with every role."""

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


def test_a_manager_reads_the_team_s_pages_but_never_a_child_s_name(app, users, db, school):
    """One rule (shared.domain.roles.may_see_names): managers see references and figures, not who the children are."""
    from datetime import date

    from shared.domain.reference import new_reference
    from shared.models import Case, Child, PartTimeTimetable, Referral, SchoolNotice

    case, referral_ref, notice_ref = new_reference("CS"), new_reference("RF"), new_reference("SN")
    child = Child(first_name="Zebedee", last_name="Quill", date_of_birth=date(2015, 4, 3))
    referral = Referral(
        reference=referral_ref, source="public", status="new", child_first_name="Zebedee", child_last_name="Quill"
    )
    referral.answers = {"child_first_name": "Zebedee", "child_last_name": "Quill", "child_other_names": "Zeb"}
    notice = SchoolNotice(
        reference=notice_ref,
        school=school,
        kind="part_time",
        status="for_cme",
        routed_to_cme=True,
        pupil_first_name="Zebedee",
        pupil_last_name="Quill",
        pupil_date_of_birth=date(2015, 4, 3),
        event_date=date(2026, 11, 2),
    )
    timetable = PartTimeTimetable(
        school=school,
        notice=notice,
        pupil_first_name="Zebedee",
        pupil_last_name="Quill",
        pupil_date_of_birth=date(2015, 4, 3),
        start_date=date(2026, 11, 2),
        hours_per_week=10,
        reason="Medical needs",
        review_date=date(2026, 12, 1),
        agreed_with_parents=True,
    )
    # A report that spells the name another way: the children proposed for it say why they match.
    near_ref = new_reference("RF")
    near_miss = Referral(
        reference=near_ref,
        source="public",
        status="new",
        child_first_name="Zebedy",
        child_last_name="Quill",
        child_date_of_birth=date(2015, 4, 3),
    )
    near_miss.answers = {"child_first_name": "Zebedy", "child_last_name": "Quill"}
    db.add_all([Case(reference=case, child=child, status="open"), referral, notice, timetable, near_miss])
    db.commit()
    pages = (
        f"/staff/cases/{case}",
        f"/staff/children/{child.id}",
        "/staff/workload",
        "/staff/referrals",
        f"/staff/referrals/{referral_ref}",
        "/staff/school-notices",
        f"/staff/school-notices/{notice_ref}",
        "/staff/part-time-timetables",
        "/staff/search?q=3+4+2015",
        "/staff/intake",
        f"/staff/intake/referrals/{referral_ref}",
        f"/staff/intake/notices/{notice_ref}",
        f"/staff/intake/referrals/{near_ref}",
        "/staff/search?q=Zebedy",
    )
    officer, manager = app.test_client(), app.test_client()
    sign_in(officer, "officer@northbridge.example")
    sign_in(manager, "manager@northbridge.example")
    for url in pages:
        assert "Zebedee" in officer.get(url).get_data(as_text=True), url
        response = manager.get(url)
        assert response.status_code == 200, url
        assert "Zebedee" not in response.get_data(as_text=True), url
        assert "Quill" not in response.get_data(as_text=True), url
