"""Triage of a school notice sent to the CME team: the pupil it names, and what a case opened from it starts
with."""

from __future__ import annotations

from datetime import date

from shared.domain.vocab import NoticeKind, NoticeStatus
from shared.models import Carer, Child, SchoolNotice
from shared.queries.intake import notices as listed
from shared.services.intake.base import (
    IntakeKind,
    address_lines,
    fit,
    postcode_or_none,
    sex_or_unknown,
    upn_or_none,
)
from shared.services.matching import Probe


def new_child(notice: SchoolNotice) -> Child:
    details = notice.details or {}
    line_1, line_2 = address_lines(details.get("address"))
    child = Child(
        first_name=fit(notice.pupil_first_name, 100),
        last_name=fit(notice.pupil_last_name, 100),
        date_of_birth=notice.pupil_date_of_birth,
        sex=sex_or_unknown(notice.pupil_sex),
        upn=upn_or_none(notice.upn),
        address_line_1=line_1,
        address_line_2=line_2,
        postcode=postcode_or_none(notice.pupil_postcode),
    )
    if details.get("parent_name"):
        child.carers = [
            Carer(
                name=fit(details["parent_name"], 200),
                phone=fit(details.get("parent_phone"), 30),
                address=fit(details.get("address"), 400),
            )
        ]
    return child


def missing_since(notice: SchoolNotice) -> date | None:
    """The day the pupil left the roll, or their first day of absence."""
    return notice.event_date if notice.kind in (NoticeKind.LEAVER, NoticeKind.ABSENCE) else None


def primary_reason(notice: SchoolNotice) -> str | None:
    if notice.kind == NoticeKind.LEAVER and (notice.details or {}).get("new_la"):
        return "believed_moved_to_other_la"
    return None


KIND = IntakeKind(
    listed=listed.KIND,
    object_type="school_notice",
    statuses=NoticeStatus,
    to_case=NoticeStatus.ATTACHED,
    closed=NoticeStatus.ACTIONED,
    probe=Probe.for_notice,
    new_child=new_child,
    missing_since=missing_since,
    primary_reason=primary_reason,
)
