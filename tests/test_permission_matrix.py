"""The permission matrix: every route in the URL map, with every method it answers, tried by someone not signed in
and by each role, on real records: who gets in, who is refused, who must sign in. A school user tries each of their
own school's records and the other school's. A route added without an entry in MATRIX fails, and so does an
entry for a route that has gone. docs/permissions.md is the same matrix in prose."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from dashboard.pages import PAGES as DASHBOARD_PAGES
from dashboard.pages import TABLES as DASHBOARD_TABLES
from portal.referral.flow import PAGES as REPORT_PAGES
from shared.domain.reference import new_reference
from shared.domain.roles import Area
from shared.models import AttendanceImport, Enquiry, NoticeUpload, Referral, School, SchoolNotice, TermPeriod
from shared.services import invitations
from tests.conftest import sign_in
from tests.portal.test_cases import a_case
from tests.portal.test_timetables import start_timetable
from tests.shared.test_intake import an_alert

ROLES = (None, "school", "officer", "lead", "manager", "admin")  # None: not signed in

# What a route gives each role. PUBLIC: everyone gets in. An Area: the roles shared.domain.roles allows in
# get in, other roles get 403, and someone not signed in is sent to sign in. DASH_REQUEST: the dashboard's
# own background requests (layout, callbacks, scripts, assets), which answer 401 rather than a sign-in page.
# A school user reaching a record of their school's (OWN_SCHOOL) gets in; another school's is the 404 page.
PUBLIC = "public"
SIGN_IN_STEP = "a step of signing in"

# Who each area lets in, written out here rather than read from shared.domain.roles.PERMISSIONS: a grant
# changed there by mistake fails this test. Keep it in step with docs/permissions.md.
STAFF = {"officer", "lead", "manager", "admin"}
LETS_IN: dict[Area, set[str]] = {
    Area.SCHOOL_NOTICES: {"school"},
    Area.CASEWORK_READ: STAFF,
    Area.CASEWORK_WRITE: {"officer", "lead", "admin"},
    Area.ASSIGN_CASES: {"lead", "admin"},
    Area.DASHBOARD: STAFF,
    Area.ADMIN: {"admin"},
    Area.AUDIT: {"admin"},
}
HOME = {None: "/sign-in", "school": "/schools/", **dict.fromkeys(STAFF, "/staff/")}


@dataclass(frozen=True)
class DashRequest:
    area: Area = Area.DASHBOARD


DASH_REQUEST = DashRequest()

MATRIX: dict[str, object] = {
    # Public pages, the report a child journey, signing in and out, health checks, static files.
    "main.start": PUBLIC,
    "main.accessibility": PUBLIC,
    "main.privacy": PUBLIC,
    "main.cookies": PUBLIC,
    "main.healthz": PUBLIC,
    "main.readyz": PUBLIC,
    "static": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.sign_out": PUBLIC,
    # The second step of a staff sign-in: each page sends back to the sign-in page when no sign-in is under way,
    # and someone already signed in to their home page.
    "auth.two_factor": SIGN_IN_STEP,
    "auth.recovery_code": SIGN_IN_STEP,
    "auth.set_up_two_factor": SIGN_IN_STEP,
    "auth.recovery_codes": SIGN_IN_STEP,
    "referral.start": PUBLIC,
    "referral.question": PUBLIC,
    "referral.age_check": PUBLIC,
    "referral.check_answers": PUBLIC,
    "referral.confirmation": PUBLIC,
    "referral.save": PUBLIC,
    "referral.resume_link": PUBLIC,
    "referral.resume": PUBLIC,
    "referral.add_information": PUBLIC,
    "referral.information_added": PUBLIC,
    # A school's own pages.
    "schools.home": Area.SCHOOL_NOTICES,
    "schools.choose_notice": Area.SCHOOL_NOTICES,
    "schools.new_notice": Area.SCHOOL_NOTICES,
    "schools.notice": Area.SCHOOL_NOTICES,
    "schools.upload_notices": Area.SCHOOL_NOTICES,
    "schools.upload_preview": Area.SCHOOL_NOTICES,
    "schools.csv_template": Area.SCHOOL_NOTICES,
    "schools.csv_guide": Area.SCHOOL_NOTICES,
    "schools.school_search": Area.SCHOOL_NOTICES,
    "schools.timetables": Area.SCHOOL_NOTICES,
    "schools.timetable": Area.SCHOOL_NOTICES,
    "schools.update_timetable": Area.SCHOOL_NOTICES,
    "schools.extend_timetable": Area.SCHOOL_NOTICES,
    "schools.end_timetable": Area.SCHOOL_NOTICES,
    "schools.timetable_return": Area.SCHOOL_NOTICES,
    "schools.timetable_return_made": Area.SCHOOL_NOTICES,
    "schools.attendance_upload": Area.SCHOOL_NOTICES,
    "schools.attendance_import": Area.SCHOOL_NOTICES,
    # The CME team's pages: reading, working cases, assigning them, the audit trail.
    "staff.home": Area.CASEWORK_READ,
    "staff.intake": Area.CASEWORK_READ,
    "staff.triage_referral": Area.CASEWORK_READ,
    "staff.decide_referral": Area.CASEWORK_WRITE,
    "staff.triage_notice": Area.CASEWORK_READ,
    "staff.decide_notice": Area.CASEWORK_WRITE,
    "staff.triage_alert": Area.CASEWORK_READ,
    "staff.decide_alert": Area.CASEWORK_WRITE,
    "staff.referrals": Area.CASEWORK_READ,
    "staff.referral": Area.CASEWORK_READ,
    "staff.school_notices": Area.CASEWORK_READ,
    "staff.school_notice": Area.CASEWORK_READ,
    "staff.part_time_timetables": Area.CASEWORK_READ,
    "staff.search": Area.CASEWORK_READ,
    "staff.case": Area.CASEWORK_READ,
    "staff.child": Area.CASEWORK_READ,
    "staff.my_cases": Area.CASEWORK_READ,
    "staff.workload": Area.CASEWORK_READ,
    "staff.case_details": Area.CASEWORK_WRITE,
    "staff.child_details": Area.CASEWORK_WRITE,
    "staff.add_check": Area.CASEWORK_WRITE,
    "staff.record_check": Area.CASEWORK_WRITE,
    "staff.check_not_applicable": Area.CASEWORK_WRITE,
    "staff.add_contact": Area.CASEWORK_WRITE,
    "staff.case_status": Area.CASEWORK_WRITE,
    "staff.other_authority": Area.CASEWORK_WRITE,
    "staff.other_authority_reply": Area.CASEWORK_WRITE,
    "staff.place_case": Area.CASEWORK_WRITE,
    "staff.close_case": Area.CASEWORK_WRITE,
    "staff.reopen_case": Area.CASEWORK_WRITE,
    "staff.assign_case": Area.ASSIGN_CASES,
    "staff.audit_trail": Area.AUDIT,
    "staff.attendance": Area.CASEWORK_READ,
    "staff.attendance_school": Area.CASEWORK_READ,
    "staff.attendance_upload": Area.CASEWORK_WRITE,
    "staff.attendance_import": Area.CASEWORK_WRITE,
    # Users, settings, term dates and emails: the administration pages; an invitation's link is public.
    "auth.invitation": PUBLIC,
    "admin.users": Area.ADMIN,
    "admin.invite": Area.ADMIN,
    "admin.user": Area.ADMIN,
    "admin.change_role": Area.ADMIN,
    "admin.deactivate": Area.ADMIN,
    "admin.reactivate": Area.ADMIN,
    "admin.reset_two_factor": Area.ADMIN,
    "admin.resend_invitation": Area.ADMIN,
    "admin_settings.settings": Area.ADMIN,
    "admin_settings.change": Area.ADMIN,
    "admin_terms.index": Area.ADMIN,
    "admin_terms.download": Area.ADMIN,
    "admin_terms.add": Area.ADMIN,
    "admin_terms.change": Area.ADMIN,
    "admin_terms.remove": Area.ADMIN,
    "admin_terms.upload": Area.ADMIN,
    "admin_terms.confirm_upload": Area.ADMIN,
    "admin_emails.index": Area.ADMIN,
    "admin_background.index": Area.ADMIN,
    # The dashboard: its pages and downloads ask for sign-in; Dash's own requests answer 401.
    "/dashboard/": Area.DASHBOARD,
    "/dashboard/<path:path>": Area.DASHBOARD,
    "dashboard_export": Area.DASHBOARD,
    "/dashboard/_dash-layout": DASH_REQUEST,
    "/dashboard/_dash-dependencies": DASH_REQUEST,
    "/dashboard/_dash-update-component": DASH_REQUEST,
    "/dashboard/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": DASH_REQUEST,
    "/dashboard/_reload-hash": DASH_REQUEST,
    "/dashboard/_favicon.ico": DASH_REQUEST,
    "_dashboard_dash_assets.static": DASH_REQUEST,
}

# Routes whose URL names one school's record: a school user gets in to their own school's and gets the 404 page
# for the other school's, exactly as for one that does not exist.
OWN_SCHOOL = {
    "schools.notice",
    "schools.upload_preview",
    "schools.timetable",
    "schools.update_timetable",
    "schools.extend_timetable",
    "schools.end_timetable",
    "schools.attendance_import",
}

ALLOWED = "allowed"  # 200, 400 (a form with errors) or a redirect elsewhere than sign-in
SIGN_IN = "sign in"  # a redirect to /sign-in?next=<the address asked for>


def expected(entry, role: str | None, other_school: bool) -> object:
    if entry == PUBLIC:
        return ALLOWED
    if entry == SIGN_IN_STEP:
        return (302, HOME[role])
    area = entry.area if isinstance(entry, DashRequest) else entry
    if role is None:
        return 401 if isinstance(entry, DashRequest) else SIGN_IN
    if role not in LETS_IN[area]:
        return 403
    return 404 if other_school else ALLOWED


def outcome(response, url: str, entry) -> object:
    location = response.headers.get("Location", "")
    if entry == SIGN_IN_STEP:
        return (response.status_code, location)
    if response.status_code == 302 and location.startswith("/sign-in?next="):
        assert location == "/sign-in?next=" + quote(url, safe=""), f"{url} sends back to {location}"
        return SIGN_IN
    if response.status_code in (200, 302, 400):
        return ALLOWED
    return response.status_code


# The records the URLs name --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    endpoint: str
    method: str
    url: str
    other_school: bool = False  # the URL names the other school's record
    json: dict | None = None


# The dashboard's page callback, as the browser calls it: the page for a path.
PAGE_CALLBACK = {
    "output": "..page.children...nav.children...filter-from.value...filter-to.value...filter-school.value"
    "...filter-phase.value...filter-officer.value...clear-filters.href..",
    "outputs": [
        {"id": name, "property": prop}
        for name, prop in (
            ("page", "children"),
            ("nav", "children"),
            ("filter-from", "value"),
            ("filter-to", "value"),
            ("filter-school", "value"),
            ("filter-phase", "value"),
            ("filter-officer", "value"),
            ("clear-filters", "href"),
        )
    ],
    "inputs": [
        {"id": "url", "property": "pathname", "value": "/dashboard/caseloads"},
        {"id": "url", "property": "search", "value": ""},
    ],
    "changedPropIds": ["url.pathname"],
    "state": [],
}


def school_records(db, school: School, users) -> dict[str, str]:
    """A notice, a notice upload, an attendance file and a part-time timetable of the school: their references."""
    notice = SchoolNotice(
        reference=new_reference("SN"),
        school=school,
        kind="joiner",
        pupil_first_name="Pupil",
        pupil_last_name=f"Of {school.urn}",
        pupil_date_of_birth=date(2016, 5, 1),
        event_date=date(2026, 11, 2),
    )
    upload = NoticeUpload(
        reference=new_reference("SF"),
        school=school,
        uploaded_by=users["school"],
        file_name="notices.csv",
        file_format="csv",
        content=b"",
        size=0,
        status="sent",
    )
    marks = AttendanceImport(
        reference=new_reference("AF"), school_id=school.id, file_name="marks.csv", size=0, status="imported"
    )
    db.add_all([notice, upload, marks])
    db.commit()
    timetable = start_timetable(db, school, users["school"])
    db.commit()
    return {
        "schools.notice": notice.reference,
        "schools.upload_preview": upload.reference,
        "schools.attendance_import": marks.reference,
        "timetable": timetable.notice.reference,
    }


@pytest.fixture
def probes(app, db, users, school) -> list[Probe]:
    """Every route × method with real records in its URL; GETs first, then POSTs, signing out last."""
    case = a_case(app, db, users)
    check = db.scalars(select(Enquiry).where(Enquiry.case_id == case.id)).first()
    referral = Referral(reference=new_reference("RF"), source="public", child_first_name="Ava", child_last_name="Lowe")
    notice = SchoolNotice(
        reference=new_reference("SN"),
        school=school,
        kind="absence",
        status="for_cme",
        pupil_first_name="Ava",
        pupil_last_name="Lowe",
        pupil_date_of_birth=date(2015, 3, 1),
        event_date=date(2026, 11, 2),
        routed_to_cme=True,
    )
    upload = AttendanceImport(reference=new_reference("AF"), file_name="marks.csv", size=0, status="imported")
    db.add_all([referral, notice, upload])
    db.commit()
    alert = an_alert(db, school)
    other = db.scalar(select(School).where(School.urn == 990102))
    own_records, other_records = school_records(db, school, users), school_records(db, other, users)
    invited = invitations.invite(
        db,
        email="invited@northbridge.example",
        name="Ina Vite",
        role="officer",
        school_urn=None,
        actor=users["admin"],
        service_url="https://cme.northbridge.example",
    )

    shared_values = {
        "reference": case.reference,
        "check_id": check.id,
        "child_id": case.child_id,
        "object_type": "case",
        "object_id": case.id,
        "urn": school.urn,
        "kind": "absence",
        "slug": REPORT_PAGES[0].slug,
        "filename": "cme.css",
        "package_name": "dash",
        "fingerprinted_path": "dcc/dash_core_components.js",
        "user_id": users["officer"].id,
        "token": invited.link.rsplit("/", 1)[1],  # a link that works, so the public page answers 200
        "section": "authority-details",
        "period_id": db.scalar(select(TermPeriod.id).order_by(TermPeriod.id).limit(1)),
    }
    by_endpoint = {
        "staff.triage_referral": referral.reference,
        "staff.decide_referral": referral.reference,
        "staff.referral": referral.reference,
        "staff.triage_notice": notice.reference,
        "staff.decide_notice": notice.reference,
        "staff.school_notice": notice.reference,
        "staff.triage_alert": alert.reference,
        "staff.decide_alert": alert.reference,
        "staff.attendance_import": upload.reference,
    }

    def reference_of(endpoint: str, records: dict[str, str]) -> str:
        return records.get(endpoint) or records["timetable"]

    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            values = dict(shared_values)
            if rule.endpoint in by_endpoint:
                values["reference"] = by_endpoint[rule.endpoint]
            if rule.endpoint == "_dashboard_dash_assets.static":
                values["filename"] = "native-choices.js"
            variants = [(False, values)]
            if rule.endpoint in OWN_SCHOOL:
                variants = [
                    (other_school, {**values, "reference": reference_of(rule.endpoint, records)})
                    for other_school, records in ((False, own_records), (True, other_records))
                ]
            if rule.endpoint == "/dashboard/<path:path>":
                variants = [(False, {"path": page.PATH.removeprefix("/dashboard/")}) for page in DASHBOARD_PAGES[1:]]
            if rule.endpoint == "dashboard_export":
                variants = [(False, {"key": key, "kind": kind}) for key in DASHBOARD_TABLES for kind in ("csv", "xlsx")]
            for other_school, chosen in variants:
                url = rule.build({name: chosen[name] for name in rule.arguments})[1]
                json = PAGE_CALLBACK if rule.endpoint == "/dashboard/_dash-update-component" else None
                found.append(Probe(rule.endpoint, method, url, other_school, json))
    return sorted(found, key=lambda p: (p.endpoint == "auth.sign_out" and p.method == "POST", p.method != "GET"))


def form_token(client, app) -> str:
    """A valid form token for the client's session, so a POST's answer is about who may, not about the token."""
    with client.session_transaction() as session:
        raw = session.setdefault("csrf_token", secrets.token_hex(20))
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_every_area_is_written_out():
    assert set(LETS_IN) == set(Area)


def test_every_route_has_an_entry_and_every_entry_a_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - MATRIX.keys()) == [], "routes without an entry in MATRIX"
    assert sorted(MATRIX.keys() - endpoints) == [], "entries in MATRIX for routes that are gone"
    assert sorted(OWN_SCHOOL - endpoints) == [], "OWN_SCHOOL names routes that are gone"


@pytest.mark.parametrize("role", ROLES, ids=[role or "anonymous" for role in ROLES])
def test_every_route_answers_each_role_as_the_matrix_says(app, users, probes, role):
    client = app.test_client()
    if role:
        sign_in(client, f"{role}@northbridge.example")
    wrong = []
    for probe in probes:
        entry = MATRIX[probe.endpoint]
        if probe.method == "POST" and probe.json is not None:
            response = client.post(probe.url, json=probe.json)
        elif probe.method == "POST":
            response = client.post(probe.url, data={"csrf_token": form_token(client, app)})
        else:
            response = client.open(probe.url, method=probe.method)
        want, got = expected(entry, role, probe.other_school), outcome(response, probe.url, entry)
        if got != want:
            wrong.append(f"{probe.method} {probe.url} ({probe.endpoint}): expected {want}, got {got}")
    assert not wrong, "\n".join(wrong)
