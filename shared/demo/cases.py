"""The demo's casework: cases in every status with their checks, contacts and timelines, and the referrals that
came in (new, in triage, linked to a case or closed)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from shared.clock import long_date
from shared.demo.people import FIRST_NAMES
from shared.domain.casework import CaseStatus
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS, STANDARD_CHECKS
from shared.domain.problems import required
from shared.domain.reference import new_reference
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import (
    CheckResult,
    CheckStatus,
    CheckType,
    ContactKind,
    Outcome,
    ReferralSource,
    ReferralStatus,
    RiskLevel,
    Sex,
)
from shared.models import Case, CaseEvent, CaseNote, Child, Enquiry, Referral, School, User
from shared.reference_data import cme_reasons, primary_reasons

CASE_STATUSES = (
    [CaseStatus.OPEN] * 6
    + [CaseStatus.ENQUIRIES] * 16
    + [CaseStatus.WAITING_OTHER_LA] * 5
    + [CaseStatus.MONITORING] * 6
    + [CaseStatus.CLOSED] * 12
)
REFERRAL_STATUSES = (
    [ReferralStatus.NEW] * 18
    + [ReferralStatus.IN_TRIAGE] * 8
    + [ReferralStatus.LINKED] * 22
    + [ReferralStatus.CLOSED] * 8
)


def moment(day: date, rng: random.Random) -> datetime:
    """A time in the working day."""
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=UTC)


def add_cases(
    session: Session,
    children: list[Child],
    maintained: list[School],
    users: dict[str, User],
    today: date,
    calendar: SchoolCalendar,
    rng: random.Random,
) -> list[Case]:
    """A case for each of the first children, in the statuses of CASE_STATUSES, with their checks and contacts."""
    case_reasons = list(primary_reasons())
    caseworkers = [users["lead"], users["officer"], users["officer2"]]
    cases = []
    for n, status in enumerate(CASE_STATUSES):
        child = children[n]
        opened = today - timedelta(days=rng.randint(3, 200))
        case = Case(
            reference=new_reference("CS", rng.randrange),
            child=child,
            status=status,
            risk_level=rng.choice(list(RiskLevel)),
            assigned_to=None if status == CaseStatus.OPEN and n % 2 == 0 else rng.choice(caseworkers),
            opened_at=moment(opened, rng),
            opened_by=users["lead"],
            missing_since=opened - timedelta(days=rng.randint(0, 30)),
            primary_reason=rng.choice(case_reasons),
        )
        if status == CaseStatus.MONITORING:
            case.placed_school = rng.choice(maintained)
            case.review_date = calendar.add_school_days(today, rng.randint(5, 40))
        if status == CaseStatus.CLOSED:
            case.outcome = rng.choice(list(Outcome))
            case.closed_at = moment(min(today, opened + timedelta(days=rng.randint(10, 90))), rng)
        if status == CaseStatus.MONITORING or (status == CaseStatus.CLOSED and case.outcome != Outcome.NOT_LOCATED):
            case.located_on = min(today, opened + timedelta(days=rng.randint(1, 30)))
        session.add(case)
        cases.append(case)
        if status != CaseStatus.OPEN:
            _add_enquiries(session, case, opened, today, calendar, rng)
            for _ in range(rng.randint(1, 3)):
                session.add(
                    CaseNote(
                        case=case,
                        kind=rng.choice(list(ContactKind)),
                        author=case.assigned_to or users["lead"],
                        occurred_at=moment(opened + timedelta(days=rng.randint(0, max(1, (today - opened).days))), rng),
                        with_whom=rng.choice(["Parent", "School office", "Health visitor", "Housing officer"]),
                        outcome=rng.choice(["No answer", "Left a message", "Information given", "Visit arranged"]),
                        text="Demo note: contact recorded for this fictional case.",
                    )
                )
    session.flush()
    return cases


def _add_enquiries(
    session: Session, case: Case, opened: date, today: date, calendar: SchoolCalendar, rng: random.Random
) -> None:
    for check in STANDARD_CHECKS:
        due = calendar.add_school_days(opened, DEFAULT_DUE_SCHOOL_DAYS[check])
        if case.status == CaseStatus.CLOSED or due < today - timedelta(days=20):
            state = rng.choice([CheckStatus.DONE] * 4 + [CheckStatus.NOT_APPLICABLE])
        else:
            state = rng.choice([CheckStatus.TO_DO, CheckStatus.ASKED, CheckStatus.ASKED, CheckStatus.DONE])
        enquiry = Enquiry(case=case, check_type=check, due_on=due, status=state)
        if state in (CheckStatus.ASKED, CheckStatus.DONE):
            enquiry.asked_on = asked_on = min(today, opened + timedelta(days=rng.randint(0, 3)))
            if state == CheckStatus.DONE:
                enquiry.answered_on = min(today, asked_on + timedelta(days=rng.randint(1, 10)))
                enquiry.result = rng.choice(list(CheckResult))
                enquiry.answer = "Demo answer recorded."
        if state == CheckStatus.NOT_APPLICABLE:
            enquiry.not_applicable_reason = "Not relevant to this family's circumstances."
        session.add(enquiry)


def add_case_history(
    session: Session, cases: list[Case], users: dict[str, User], today: date, calendar: SchoolCalendar, seed: int
) -> None:
    """Each demo case's timeline events, checks' creation, and what its status implies: the enquiry a waiting
    case waits on, who closed a closed case. Its own generator, so the rest of the data stays as it was."""
    rng = random.Random(seed + 1)  # nosec B311 # made-up demo data, no secret
    for case in cases:
        opened = case.opened_at
        session.add(
            CaseEvent(case=case, actor=case.opened_by, occurred_at=opened, kind="opened", summary="Case opened")
        )
        if case.status == CaseStatus.OPEN:  # opened, its standard checks not yet started
            for check in STANDARD_CHECKS:
                due = calendar.add_school_days(opened.date(), DEFAULT_DUE_SCHOOL_DAYS[check])
                session.add(Enquiry(case=case, check_type=check, due_on=due, status=CheckStatus.TO_DO))
        session.flush()
        for enquiry in case.enquiries:
            enquiry.created_at, enquiry.created_by_id = opened, required(case.opened_by).id
        if case.assigned_to is not None:
            session.add(
                CaseEvent(
                    case=case,
                    actor=users["lead"],
                    occurred_at=opened + timedelta(hours=1),
                    kind="assigned",
                    summary=f"Assigned to {case.assigned_to.name}",
                    details={"to": case.assigned_to.id},
                )
            )
        if case.status != CaseStatus.OPEN:
            session.add(
                CaseEvent(
                    case=case,
                    actor=case.assigned_to or users["lead"],
                    occurred_at=opened + timedelta(hours=2),
                    kind="status",
                    summary="Enquiries started",
                    details={"from": "open", "to": "enquiries"},
                )
            )
        if case.status == CaseStatus.WAITING_OTHER_LA:
            _add_wait_for_other_authority(session, case, users, today, calendar, rng)
        if case.status == CaseStatus.MONITORING:
            session.add(
                CaseEvent(
                    case=case,
                    actor=case.assigned_to or users["lead"],
                    occurred_at=moment(required(case.located_on), rng),
                    kind="status",
                    summary=f"Placed at {required(case.placed_school).name}: review on {long_date(case.review_date)}",
                    details={"from": "enquiries", "to": "monitoring"},
                )
            )
        if case.status == CaseStatus.CLOSED:
            case.closed_by = case.assigned_to or users["lead"]
            case.outcome_details = {"recorded_on": required(case.closed_at).date().isoformat()}
            session.add(
                CaseEvent(
                    case=case,
                    actor=case.closed_by,
                    occurred_at=case.closed_at,
                    kind="closed",
                    summary=f"Closed: {Outcome(required(case.outcome)).label}",
                    details={"from": "enquiries", "to": "closed", "outcome": case.outcome},
                )
            )
    session.flush()


def _add_wait_for_other_authority(
    session: Session, case: Case, users: dict[str, User], today: date, calendar: SchoolCalendar, rng: random.Random
) -> None:
    """The enquiry a waiting case waits on, asked of the authority the child is thought to have moved to."""
    authority = rng.choice(["Bristol City Council", "Somerset Council", "Wiltshire Council"])
    sent = min(today, case.opened_at.date() + timedelta(days=rng.randint(3, 20)))
    session.add(
        Enquiry(
            case=case,
            check_type=CheckType.DESTINATION_LA,
            other_authority=authority,
            status=CheckStatus.ASKED,
            asked_on=sent,
            due_on=calendar.add_school_days(sent, 20),
            created_at=moment(sent, rng),
            created_by_id=(case.assigned_to or users["lead"]).id,
        )
    )
    session.add(
        CaseEvent(
            case=case,
            actor=case.assigned_to or users["lead"],
            occurred_at=moment(sent, rng),
            kind="status",
            summary=f"Waiting for {authority} to confirm the child moved there",
            details={"from": "enquiries", "to": "waiting_other_la", "authority": authority},
        )
    )


def add_referrals(
    session: Session,
    cases: list[Case],
    children: list[Child],
    users: dict[str, User],
    today: date,
    rng: random.Random,
) -> None:
    """Referrals in the statuses of REFERRAL_STATUSES: the linked ones about the cases' children, the others about
    children after those with cases."""
    reasons = list(cme_reasons())
    for n, status in enumerate(REFERRAL_STATUSES):
        source = rng.choice(list(ReferralSource))
        anonymous = source == ReferralSource.PUBLIC and rng.random() < 0.4
        linked = cases[n % len(cases)] if status == ReferralStatus.LINKED else None
        child = linked.child if linked else children[len(cases) + n]
        received = today - timedelta(days=rng.randint(0, 60))
        session.add(
            Referral(
                reference=new_reference("RF", rng.randrange),
                source=source,
                anonymous=anonymous,
                status=status,
                urgent=rng.random() < 0.15,
                received_at=moment(received, rng),
                answers=_answers(child, rng.choice(reasons), source, anonymous, n),
                child_first_name=child.first_name,
                child_last_name=child.last_name,
                child_date_of_birth=child.date_of_birth,
                child_postcode=child.postcode,
                reporter_name=None if anonymous else f"{rng.choice(FIRST_NAMES[Sex.FEMALE])} Reporter",
                reporter_email=None if anonymous else f"reporter{n}@example.com",
                reporter_organisation="Northbridge Health Visiting" if source == ReferralSource.PROFESSIONAL else None,
                consent_to_contact=None if anonymous else True,
                child=child if status in (ReferralStatus.LINKED, ReferralStatus.CLOSED) else None,
                case=linked,
                triaged_by=users["officer"] if status != ReferralStatus.NEW else None,
                triaged_at=moment(received, rng) if status != ReferralStatus.NEW else None,
                closed_reason="On roll at Millfield Primary School" if status == ReferralStatus.CLOSED else None,
            )
        )


def _answers(child: Child, reason: str, source: str, anonymous: bool, n: int) -> dict:
    """An answer set shaped like the public report's, about a fictional child."""
    answers = {
        "child_first_name": child.first_name,
        "child_last_name": child.last_name,
        "child_name_unknown": False,
        "dob_known": "yes",
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        "child_sex": child.sex,
        "address_line_1": child.address_line_1,
        "address_town": child.town,
        "address_postcode": child.postcode,
        "moved": "unknown",
        "reasons": [reason],
        "reason_details": "Demo report about a fictional child.",
        "risk_of_harm": "no",
        "reporter_type": source,
        "named": "no" if anonymous else "yes",
    }
    if not anonymous:
        answers.update(reporter_name=f"Demo Reporter {n}", reporter_email=f"reporter{n}@example.com")
        answers["consent_to_contact"] = "yes"
    return answers
