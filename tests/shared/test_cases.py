from datetime import date

import pytest
from sqlalchemy import select

from shared.domain.enquiries import STANDARD_CHECKS, parse_due_days
from shared.domain.school_days import Period, SchoolCalendar
from shared.domain.vocab import CheckType
from shared.models import AuditEvent, CaseEvent, Child, Enquiry
from shared.services.cases import CaseSettings, StaleEdit, check_version, open_case

TERM = SchoolCalendar([Period("term", date(2026, 11, 2), date(2026, 12, 18))])


def test_opening_a_case_sets_every_standard_check_due_in_school_days(db, users):
    child = Child(first_name="Amira", last_name="Khan", date_of_birth=date(2015, 4, 3))
    db.add(child)
    case = open_case(
        db,
        child=child,
        actor=users["officer"],
        today=date(2026, 11, 20),  # a Friday
        settings=CaseSettings(calendar=TERM, due_days=parse_due_days("police=1")),
        primary_reason="destination_unknown",
    )
    db.commit()

    checks = {check.check_type: check for check in db.scalars(select(Enquiry).where(Enquiry.case_id == case.id))}
    assert list(checks) == list(STANDARD_CHECKS)
    assert len(checks) == 14
    assert checks[CheckType.POLICE].due_on == date(2026, 11, 23)  # the next school day, a Monday
    assert checks[CheckType.SOCIAL_CARE].due_on == date(2026, 11, 24)
    assert checks[CheckType.HOME_VISIT].due_on == date(2026, 12, 4)
    assert {check.status for check in checks.values()} == {"to_do"}
    assert {check.created_by_id for check in checks.values()} == {users["officer"].id}
    assert (case.status, case.risk_level, case.primary_reason) == ("open", "medium", "destination_unknown")
    assert case.reference.startswith("CS-")
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [(event.kind, event.summary, event.details) for event in events] == [
        ("opened", "Case opened", {"checks": 14})
    ]
    audit = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "case")).one()
    assert (audit.action, audit.actor_id, audit.object_id) == ("case.opened", users["officer"].id, case.id)
    assert audit.after["status"] == "open"


def test_an_edit_made_on_an_older_version_of_the_case_is_refused(db, users):
    child = Child(first_name="Leo", last_name="Grant")
    db.add(child)
    case = open_case(db, child=child, actor=users["officer"], today=date(2026, 11, 20), settings=CaseSettings(TERM, {}))
    db.commit()
    seen = case.version
    case.risk_level = "high"
    db.commit()
    assert case.version == seen + 1
    with pytest.raises(StaleEdit) as error:
        check_version(case, str(seen))
    assert str(error.value) == "Someone else changed this case while you were editing it"
    check_version(case, str(case.version))
    with pytest.raises(StaleEdit):
        check_version(case, "not a number")
