"""Triage of an attendance alert: the pupil the school's file named, on roll at the school whose marks raised it,
and the child an attendance import may have linked them to already. An absence says nothing of why: a case opened
from an alert leaves the primary reason to the officer."""

from __future__ import annotations

from datetime import date

from shared.domain.vocab import ReferralStatus
from shared.models import AttendanceAlert, Child, School
from shared.queries.intake import alerts as listed
from shared.services.intake.base import IntakeKind, fit, upn_or_none
from shared.services.matching import Probe


def new_child(alert: AttendanceAlert) -> Child:
    """The pupil as the school's file named them, on roll at the school whose marks raised the alert."""
    return Child(
        first_name=fit(alert.pupil_first_name, 100),
        last_name=fit(alert.pupil_last_name, 100),
        date_of_birth=alert.pupil_date_of_birth,
        upn=upn_or_none(alert.upn),
        current_school_id=alert.school_id,
    )


def missing_since(alert: AttendanceAlert) -> date:
    return alert.run_start  # the first day of the run of unexplained absence


def linked_child(alert: AttendanceAlert) -> int | None:
    return alert.child_id  # by the attendance import: the same UPN, or the same name and date of birth


def on_roll_at(alert: AttendanceAlert) -> School:
    return alert.school


KIND = IntakeKind(
    listed=listed.KIND,
    object_type="attendance_alert",
    statuses=ReferralStatus,  # an alert's statuses are a referral's
    to_case=ReferralStatus.LINKED,
    closed=ReferralStatus.CLOSED,
    probe=Probe.for_alert,
    new_child=new_child,
    missing_since=missing_since,
    first_look=(ReferralStatus.NEW, ReferralStatus.IN_TRIAGE),
    linked_child=linked_child,
    linked_reason="Linked to this pupil by the attendance import",
    on_roll_at=on_roll_at,
)
