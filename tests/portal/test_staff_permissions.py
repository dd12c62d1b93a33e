"""Every route under /staff/ walked with every role, GET and POST, against the permission table below. A staff
route added without a row here fails the first test."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from shared.domain.reference import new_reference
from shared.models import AttendanceImport, Enquiry, Referral, SchoolNotice
from tests.conftest import sign_in
from tests.portal.test_cases import a_case
from tests.shared.test_intake import an_alert

READ, WRITE, ASSIGN, AUDIT = "read", "write", "assign", "audit"
WHO = {
    READ: {"officer", "lead", "manager", "admin"},
    WRITE: {"officer", "lead", "admin"},
    ASSIGN: {"lead", "admin"},
    AUDIT: {"admin"},
}
TABLE = {
    "staff.home": READ,
    "staff.intake": READ,
    "staff.triage_referral": READ,
    "staff.decide_referral": WRITE,
    "staff.triage_notice": READ,
    "staff.decide_notice": WRITE,
    "staff.triage_alert": READ,
    "staff.decide_alert": WRITE,
    "staff.referrals": READ,
    "staff.referral": READ,
    "staff.school_notices": READ,
    "staff.school_notice": READ,
    "staff.part_time_timetables": READ,
    "staff.search": READ,
    "staff.case": READ,
    "staff.child": READ,
    "staff.my_cases": READ,
    "staff.workload": READ,
    "staff.case_details": WRITE,
    "staff.child_details": WRITE,
    "staff.add_check": WRITE,
    "staff.record_check": WRITE,
    "staff.check_not_applicable": WRITE,
    "staff.add_contact": WRITE,
    "staff.case_status": WRITE,
    "staff.other_authority": WRITE,
    "staff.other_authority_reply": WRITE,
    "staff.place_case": WRITE,
    "staff.close_case": WRITE,
    "staff.reopen_case": WRITE,
    "staff.assign_case": ASSIGN,
    "staff.audit_trail": AUDIT,
    "staff.attendance": READ,
    "staff.attendance_school": READ,
    "staff.attendance_upload": WRITE,
    "staff.attendance_import": WRITE,
}
ROLES = (None, "school", "officer", "lead", "manager", "admin")


def staff_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff/")]


def test_every_staff_route_is_in_the_permission_table(app):
    assert sorted({rule.endpoint for rule in staff_rules(app)}) == sorted(TABLE)


@pytest.fixture
def urls(app, db, users, school):
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
    db.add_all([referral, notice])
    db.commit()
    alert = an_alert(db, school)
    upload = AttendanceImport(reference=new_reference("AF"), file_name="marks.csv", size=0, status="imported")
    db.add(upload)
    db.commit()
    values = {
        "reference": case.reference,
        "check_id": check.id,
        "child_id": case.child_id,
        "object_type": "case",
        "object_id": case.id,
        "urn": school.urn,
    }
    found = []
    for rule in staff_rules(app):
        args = {name: values[name] for name in rule.arguments}
        if rule.endpoint in ("staff.triage_referral", "staff.decide_referral", "staff.referral"):
            args["reference"] = referral.reference
        if rule.endpoint in ("staff.triage_notice", "staff.decide_notice", "staff.school_notice"):
            args["reference"] = notice.reference
        if rule.endpoint in ("staff.triage_alert", "staff.decide_alert"):
            args["reference"] = alert.reference
        if rule.endpoint == "staff.attendance_import":
            args["reference"] = upload.reference
        url = rule.build(args)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_route_answers_each_role_as_the_table_says(app, users, urls, role):
    client = app.test_client()
    if role:
        sign_in(client, f"{role}@northbridge.example")
    wrong = []
    for endpoint, method, url in urls:
        response = client.open(url, method=method, data={})
        allowed = role in WHO[TABLE[endpoint]]
        if role is None:
            ok = response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
        elif not allowed:
            ok = response.status_code == 403
        else:
            ok = response.status_code in (200, 302) and not response.headers.get("Location", "").startswith("/sign-in")
        if not ok:
            wrong.append((method, url, response.status_code))
    assert wrong == []
