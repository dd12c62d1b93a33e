"""The demo schools' notices: joiners, leavers, part-time timetables (with the timetable each started) and
continuous absence, some routed to the CME team and some joiners attached to the case of the child they name."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from shared.demo.cases import moment
from shared.domain.problems import required
from shared.domain.reference import new_reference
from shared.domain.school_age import national_curriculum_year
from shared.domain.vocab import NoticeKind, NoticeStatus
from shared.models import Case, Child, PartTimeTimetable, School, SchoolNotice, User

NOTICES = 80
PART_TIME_REASONS = (
    "Phased return after a long illness",
    "Anxiety: building up hours with the mental health team",
    "Waiting for an EHCP placement to start",
)


def add_notices(
    session: Session,
    schools: list[School],
    children: list[Child],
    cases: list[Case],
    users: dict[str, User],
    today: date,
    rng: random.Random,
    seed: int,
) -> None:
    """Notices of every kind, one in six from the school user's own school (sent by them)."""
    kinds = list(NoticeKind)
    for n in range(NOTICES):
        kind = kinds[n % len(kinds)]
        school = schools[1] if n % 6 == 0 else rng.choice(schools)
        child = children[rng.randrange(len(children))]
        routed = kind == NoticeKind.ABSENCE or (kind == NoticeKind.LEAVER and n % 3 == 0)
        status = (
            NoticeStatus.FOR_CME if routed and n % 2 else (NoticeStatus.ACTIONED if routed else NoticeStatus.RECEIVED)
        )
        # A joiner who is the child of a case in enquiries is evidence of where they are: attached to it.
        attached_to = cases[7 + n // 5] if kind == NoticeKind.JOINER and n % 2 == 0 else None
        if attached_to is not None:
            child, status = attached_to.child, NoticeStatus.ATTACHED
        event = today - timedelta(days=rng.randint(1, 90))
        details: dict[str, object] = {"year_group": national_curriculum_year(required(child.date_of_birth), event)}
        if kind == NoticeKind.PART_TIME:  # its own generator, so the rest of the data stays as it was
            own = random.Random(seed + n)  # nosec B311 # made-up demo data, no secret
            details |= {
                "hours_per_week": own.choice((10.0, 12.5, 15.0, 20.0)),
                "reason": own.choice(PART_TIME_REASONS),
                "review_date": (event + timedelta(weeks=6)).isoformat(),
                "agreed_with_parents": True,
            }
        notice = SchoolNotice(
            reference=new_reference("SN", rng.randrange),
            school=school,
            kind=kind,
            status=status,
            submitted_by=users["school"] if school is schools[1] else None,
            submitted_at=moment(event + timedelta(days=rng.randint(0, 4)), rng),
            upn=child.upn,
            pupil_first_name=child.first_name,
            pupil_last_name=child.last_name,
            pupil_date_of_birth=child.date_of_birth,
            pupil_sex=child.sex,
            pupil_postcode=child.postcode,
            event_date=event,
            deletion_ground=rng.choice("afgi") if kind == NoticeKind.LEAVER else None,
            destination_laestab="XXXXXXX" if kind == NoticeKind.LEAVER and routed else None,
            routed_to_cme=routed,
            details=details,
            child=child if routed or attached_to else None,
            case=attached_to,
        )
        session.add(notice)
        if kind == NoticeKind.PART_TIME:  # the timetable the notice started, still running
            session.add(
                PartTimeTimetable(
                    school=school,
                    notice=notice,
                    upn=child.upn,
                    pupil_first_name=child.first_name,
                    pupil_last_name=child.last_name,
                    pupil_date_of_birth=child.date_of_birth,
                    start_date=event,
                    hours_per_week=details["hours_per_week"],
                    reason=details["reason"],
                    review_date=event + timedelta(weeks=6),
                    agreed_with_parents=True,
                    status="active",
                    updated_at=notice.submitted_at,
                    changes=[],
                )
            )
