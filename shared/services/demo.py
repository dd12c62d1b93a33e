"""Demonstration data: a fictional authority with schools, one user per role, children, reports, notices and
cases in every status. A fixed random seed and a given `today` make every run the same."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.clock import long_date, uk_today
from shared.domain.casework import CaseStatus
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS, STANDARD_CHECKS
from shared.domain.reference import new_reference
from shared.domain.school_age import national_curriculum_year
from shared.domain.school_days import SchoolCalendar
from shared.domain.upn import check_letter
from shared.domain.vocab import (
    CheckResult,
    CheckStatus,
    CheckType,
    ContactKind,
    NoticeKind,
    NoticeStatus,
    Outcome,
    ReferralSource,
    ReferralStatus,
    RiskLevel,
    SendStatus,
    Sex,
    VulnerableGroup,
)
from shared.models import (
    Case,
    CaseEvent,
    CaseNote,
    Child,
    Enquiry,
    PartTimeTimetable,
    Referral,
    School,
    SchoolNotice,
    User,
)
from shared.reference_data import cme_reasons, primary_reasons
from shared.services import audit
from shared.services.users import hash_password

SEED = 20261123
PART_TIME_REASONS = (
    "Phased return after a long illness",
    "Anxiety: building up hours with the mental health team",
    "Waiting for an EHCP placement to start",
)
DOMAIN = "northbridge.example"

FIRST_NAMES = {
    Sex.FEMALE: [
        "Amelia",
        "Olivia",
        "Isla",
        "Ava",
        "Mia",
        "Sophia",
        "Grace",
        "Lily",
        "Freya",
        "Aisha",
        "Zara",
        "Maja",
        "Ella",
        "Evie",
        "Ruby",
        "Chloe",
        "Hannah",
        "Amira",
        "Roisin",
        "Layla",
    ],
    Sex.MALE: [
        "Oliver",
        "George",
        "Noah",
        "Arthur",
        "Leo",
        "Harry",
        "Oscar",
        "Muhammad",
        "Jack",
        "Charlie",
        "Jacob",
        "Thomas",
        "Kacper",
        "Dylan",
        "Ethan",
        "Mason",
        "Reuben",
        "Tomasz",
        "Callum",
        "Yusuf",
    ],
}
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Khan",
    "Kowalski",
    "Nowak",
    "O'Brien",
    "Murphy",
    "Ahmed",
    "Hughes",
    "Price",
    "Lee",
    "Ali",
    "Clarke",
]
STREETS = [
    "Mill Lane",
    "Church Street",
    "Station Road",
    "Park Avenue",
    "Victoria Road",
    "Queen Street",
    "Riverside",
    "The Crescent",
    "Orchard Close",
    "Canal Walk",
    "High Street",
    "Bridge Road",
]
TOWNS = ["Northbridge", "Ashford Vale", "Kingsmere", "Low Marston"]

SCHOOLS = [
    # name, type group, type, phase, low age, high age, establishment number
    (
        "Northbridge Church of England Primary School",
        "Local authority maintained schools",
        "Voluntary aided school",
        "Primary",
        4,
        11,
        "3001",
    ),
    ("Millfield Primary School", "Local authority maintained schools", "Community school", "Primary", 4, 11, "2001"),
    ("Riverside Infant School", "Local authority maintained schools", "Community school", "Primary", 4, 7, "2002"),
    ("Riverside Junior School", "Local authority maintained schools", "Community school", "Primary", 7, 11, "2003"),
    (
        "St Anne's Catholic Primary School",
        "Local authority maintained schools",
        "Voluntary aided school",
        "Primary",
        4,
        11,
        "3002",
    ),
    ("Kingsmere Primary Academy", "Academies", "Academy converter", "Primary", 4, 11, "2004"),
    ("Ashford Vale Primary School", "Local authority maintained schools", "Community school", "Primary", 4, 11, "2005"),
    ("Low Marston Primary School", "Local authority maintained schools", "Foundation school", "Primary", 4, 11, "2006"),
    ("Canal Side Primary Academy", "Academies", "Academy sponsor led", "Primary", 4, 11, "2007"),
    ("Orchard Primary School", "Local authority maintained schools", "Community school", "Primary", 4, 11, "2008"),
    ("Northbridge Academy", "Academies", "Academy converter", "Secondary", 11, 18, "4001"),
    ("Kingsmere High School", "Local authority maintained schools", "Community school", "Secondary", 11, 16, "4002"),
    ("Ashford Vale School", "Academies", "Academy sponsor led", "Secondary", 11, 18, "4003"),
    (
        "St Bede's Catholic High School",
        "Local authority maintained schools",
        "Voluntary aided school",
        "Secondary",
        11,
        16,
        "4004",
    ),
    ("Millbrook Special School", "Special schools", "Community special school", "Not applicable", 3, 19, "7001"),
    (
        "Northbridge Pupil Referral Unit",
        "Local authority maintained schools",
        "Pupil referral unit",
        "Not applicable",
        5,
        16,
        "1101",
    ),
    ("Grange Park Preparatory School", "Independent schools", "Other independent school", "Primary", 3, 11, "6001"),
    ("The Mere School", "Independent schools", "Other independent school", "All-through", 4, 18, "6002"),
]

ROLE_ACCOUNTS = [
    ("admin", "Priya Shah", "admin"),
    ("lead", "Sam Okafor", "lead"),
    ("officer", "Jo Marsh", "officer"),
    ("officer2", "Ellis Byrne", "officer"),
    ("manager", "Ruth Castle", "manager"),
    ("school", "Dan Hollis", "school"),
]


def has_data(session: Session) -> bool:
    return bool(
        session.scalar(select(func.count()).select_from(User))
        or session.scalar(select(func.count()).select_from(School))
    )


def _postcode(rng: random.Random) -> str:
    return (
        f"NB{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    )


def _upn(la_code: str, estab: str, year: int, serial: int) -> str:
    body = f"{la_code}{estab}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body


def _demo_answers(child: Child, reason: str, source: str, anonymous: bool, n: int) -> dict:
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


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=UTC)


def seed(
    session: Session,
    la_code: str,
    today: date | None = None,
    calendar: SchoolCalendar | None = None,
    passwords: dict[str, str] | None = None,
) -> list[tuple[str, str, str]]:
    """Load the demo authority; returns (email, role, password) for each account, to be shown once."""
    today = today or uk_today()
    calendar = calendar or SchoolCalendar()
    rng = random.Random(SEED)  # nosec B311 # made-up demo data, no secret

    schools = []
    for urn, (name, group, kind, phase, low, high, estab) in enumerate(SCHOOLS, start=990001):
        schools.append(
            School(
                urn=urn,
                la_code=la_code,
                establishment_number=estab,
                name=name,
                type_group=group,
                establishment_type=kind,
                phase=phase,
                status="Open",
                statutory_low_age=low,
                statutory_high_age=high,
                street=rng.choice(STREETS),
                town=rng.choice(TOWNS),
                postcode=_postcode(rng),
                open_date=date(1990 + urn % 20, 9, 1),
            )
        )
    session.add_all(schools)
    session.flush()
    maintained = [s for s in schools if not s.is_independent]

    credentials, users = [], {}
    for local, name, role in ROLE_ACCOUNTS:
        password = (passwords or {}).get(local) or secrets.token_urlsafe(12)
        user = User(
            email=f"{local}@{DOMAIN}",
            name=name,
            role=role,
            password_hash=hash_password(password),
            school=schools[1] if role == "school" else None,
        )
        session.add(user)
        users[local] = user
        credentials.append((user.email, role, password))
    session.flush()
    caseworkers = [users["lead"], users["officer"], users["officer2"]]

    children = []
    for n in range(240):
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        dob = today - timedelta(days=rng.randint(5 * 365 + 120, 16 * 365 - 30))
        school = rng.choice(maintained)
        groups = rng.sample(list(VulnerableGroup), k=rng.choice([0, 0, 0, 1, 1, 2]))
        children.append(
            Child(
                upn=_upn(la_code, school.establishment_number, dob.year + 5, n) if rng.random() < 0.8 else None,
                first_name=rng.choice(FIRST_NAMES[sex]),
                last_name=rng.choice(LAST_NAMES),
                date_of_birth=dob,
                sex=sex,
                address_line_1=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                town=rng.choice(TOWNS),
                postcode=_postcode(rng),
                phone=f"07700 900{rng.randint(0, 999):03d}",
                looked_after=VulnerableGroup.LOOKED_AFTER in groups,
                send_status=rng.choice(
                    [SendStatus.NONE] * 5 + [SendStatus.SEN_SUPPORT, SendStatus.EHCP, SendStatus.UNKNOWN]
                ),
                vulnerable_groups=[g.value for g in groups],
            )
        )
    session.add_all(children)
    session.flush()

    reasons, case_reasons = list(cme_reasons()), list(primary_reasons())
    statuses = (
        [CaseStatus.OPEN] * 6
        + [CaseStatus.ENQUIRIES] * 16
        + [CaseStatus.WAITING_OTHER_LA] * 5
        + [CaseStatus.MONITORING] * 6
        + [CaseStatus.CLOSED] * 12
    )
    cases = []
    for n, status in enumerate(statuses):
        child = children[n]
        opened = today - timedelta(days=rng.randint(3, 200))
        case = Case(
            reference=new_reference("CS", rng.randrange),
            child=child,
            status=status,
            risk_level=rng.choice(list(RiskLevel)),
            assigned_to=None if status == CaseStatus.OPEN and n % 2 == 0 else rng.choice(caseworkers),
            opened_at=_moment(opened, rng),
            opened_by=users["lead"],
            missing_since=opened - timedelta(days=rng.randint(0, 30)),
            primary_reason=rng.choice(case_reasons),
        )
        if status == CaseStatus.MONITORING:
            case.placed_school = rng.choice(maintained)
            case.review_date = calendar.add_school_days(today, rng.randint(5, 40))
        if status == CaseStatus.CLOSED:
            case.outcome = rng.choice(list(Outcome))
            case.closed_at = _moment(min(today, opened + timedelta(days=rng.randint(10, 90))), rng)
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
                        occurred_at=_moment(
                            opened + timedelta(days=rng.randint(0, max(1, (today - opened).days))), rng
                        ),
                        with_whom=rng.choice(["Parent", "School office", "Health visitor", "Housing officer"]),
                        outcome=rng.choice(["No answer", "Left a message", "Information given", "Visit arranged"]),
                        text="Demo note: contact recorded for this fictional case.",
                    )
                )
    session.flush()
    _add_case_history(session, cases, users, today, calendar)

    referral_statuses = (
        [ReferralStatus.NEW] * 18
        + [ReferralStatus.IN_TRIAGE] * 8
        + [ReferralStatus.LINKED] * 22
        + [ReferralStatus.CLOSED] * 8
    )
    for n, status in enumerate(referral_statuses):
        source = rng.choice(list(ReferralSource))
        anonymous = source == ReferralSource.PUBLIC and rng.random() < 0.4
        linked = cases[n % len(cases)] if status == ReferralStatus.LINKED else None
        child = linked.child if linked else children[len(statuses) + n]
        received = today - timedelta(days=rng.randint(0, 60))
        session.add(
            Referral(
                reference=new_reference("RF", rng.randrange),
                source=source,
                anonymous=anonymous,
                status=status,
                urgent=rng.random() < 0.15,
                received_at=_moment(received, rng),
                answers=_demo_answers(child, rng.choice(reasons), source, anonymous, n),
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
                triaged_at=_moment(received, rng) if status != ReferralStatus.NEW else None,
                closed_reason="On roll at Millfield Primary School" if status == ReferralStatus.CLOSED else None,
            )
        )

    kinds = list(NoticeKind)
    for n in range(80):
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
        details = {"year_group": national_curriculum_year(child.date_of_birth, event)}
        if kind == NoticeKind.PART_TIME:  # its own generator, so the rest of the data stays as it was
            own = random.Random(SEED + n)  # nosec B311 # made-up demo data, no secret
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
            submitted_at=_moment(event + timedelta(days=rng.randint(0, 4)), rng),
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
    audit.record(
        session,
        None,
        "demo_seed",
        "database",
        None,
        after={"schools": len(schools), "children": len(children), "cases": len(cases)},
        actor_label="demo seed",
    )
    session.commit()
    return credentials


def _add_case_history(
    session: Session, cases: list[Case], users: dict[str, User], today: date, calendar: SchoolCalendar
) -> None:
    """Each demo case's timeline events, checks' creation, and what its status implies: the enquiry a waiting
    case waits on, who closed a closed case. Its own generator, so the rest of the data stays as it was."""
    rng = random.Random(SEED + 1)  # nosec B311 # made-up demo data, no secret
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
            enquiry.created_at, enquiry.created_by_id = opened, case.opened_by.id
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
            authority = rng.choice(["Bristol City Council", "Somerset Council", "Wiltshire Council"])
            sent = min(today, opened.date() + timedelta(days=rng.randint(3, 20)))
            session.add(
                Enquiry(
                    case=case,
                    check_type=CheckType.DESTINATION_LA,
                    other_authority=authority,
                    status=CheckStatus.ASKED,
                    asked_on=sent,
                    due_on=calendar.add_school_days(sent, 20),
                    created_at=_moment(sent, rng),
                    created_by_id=(case.assigned_to or users["lead"]).id,
                )
            )
            session.add(
                CaseEvent(
                    case=case,
                    actor=case.assigned_to or users["lead"],
                    occurred_at=_moment(sent, rng),
                    kind="status",
                    summary=f"Waiting for {authority} to confirm the child moved there",
                    details={"from": "enquiries", "to": "waiting_other_la", "authority": authority},
                )
            )
        if case.status == CaseStatus.MONITORING:
            session.add(
                CaseEvent(
                    case=case,
                    actor=case.assigned_to or users["lead"],
                    occurred_at=_moment(case.located_on, rng),
                    kind="status",
                    summary=f"Placed at {case.placed_school.name}: review on {long_date(case.review_date)}",
                    details={"from": "enquiries", "to": "monitoring"},
                )
            )
        if case.status == CaseStatus.CLOSED:
            case.closed_by = case.assigned_to or users["lead"]
            case.outcome_details = {"recorded_on": case.closed_at.date().isoformat()}
            session.add(
                CaseEvent(
                    case=case,
                    actor=case.closed_by,
                    occurred_at=case.closed_at,
                    kind="closed",
                    summary=f"Closed: {Outcome(case.outcome).label}",
                    details={"from": "enquiries", "to": "closed", "outcome": case.outcome},
                )
            )
    session.flush()


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
            enquiry.asked_on = min(today, opened + timedelta(days=rng.randint(0, 3)))
        if state == CheckStatus.DONE:
            enquiry.answered_on = min(today, enquiry.asked_on + timedelta(days=rng.randint(1, 10)))
            enquiry.result = rng.choice(list(CheckResult))
            enquiry.answer = "Demo answer recorded."
        if state == CheckStatus.NOT_APPLICABLE:
            enquiry.not_applicable_reason = "Not relevant to this family's circumstances."
        session.add(enquiry)
