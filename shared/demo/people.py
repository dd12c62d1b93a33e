"""Who the demo data is about: the fictional authority's schools, one staff account per role, and its children,
with names and addresses made up from the lists here. The functions take the seeded random generator the seeding
passes along, so the same seed makes the same people."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlalchemy.orm import Session

from shared.domain.problems import required
from shared.domain.upn import check_letter
from shared.domain.vocab import SendStatus, Sex, VulnerableGroup
from shared.models import Child, School, User
from shared.services.users import hash_password

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

# The pupils of generated attendance files (shared.demo.marks): commoner names more often, as in any register.
REGISTER_FIRST_NAMES = (
    # (name, weight)
    *(
        (name, 3)
        for name in (
            "Olivia", "Amelia", "Isla", "Ava", "Lily", "Freya", "Mia", "Grace", "Ella", "Sophia", "Oliver",
            "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie", "Muhammad", "Jacob", "Thomas",
        )
    ),
    *(
        (name, 1)
        for name in (
            "Evie", "Ruby", "Chloe", "Hannah", "Amira", "Roisin", "Layla", "Zara", "Maja", "Aisha", "Poppy",
            "Daisy", "Willow", "Florence", "Matilda", "Phoebe", "Sienna", "Ivy", "Harper", "Zoë", "Niamh", "Fatima",
            "Maryam", "Oluwaseun", "Precious", "Wiktoria", "Ana-Maria", "Kacper", "Dylan", "Ethan", "Mason",
            "Reuben", "Tomasz", "Callum", "Yusuf", "Alfie", "Theo", "Henry", "Freddie", "Archie", "Joshua", "Finley",
            "Ibrahim", "Ayaan", "Kai", "Logan", "Riley", "Jayden", "Rhys", "Owen", "Ciaran", "Seán", "Mohammed",
            "Adam", "Samuel", "Daniel", "Tyler", "Kofi", "Emmanuel", "Zain", "Hamza", "Aleksander",
        )
    ),
)  # fmt: skip
REGISTER_LAST_NAMES = (
    *(("Smith", 6), ("Jones", 5), ("Taylor", 4), ("Brown", 4), ("Williams", 4), ("Wilson", 3), ("Johnson", 3)),
    *(
        (name, 2)
        for name in (
            "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Khan", "Hughes", "Clarke", "Lewis", "Jackson", "Harris", "Martin", "Cooper",
        )
    ),
    *(
        (name, 1)
        for name in (
            "Kowalski", "Nowak", "O'Brien", "Murphy", "Ahmed", "Price", "Lee", "Ali", "Hussain", "Begum",
            "Okafor", "Adeyemi", "Mensah", "Nguyen", "Chen", "Singh", "Kaur", "Shah", "Mistry", "Rahman",
            "Smith-Jones", "Baker-Hill", "Fitzgerald", "MacDonald", "McCarthy", "Doherty", "Kelly", "Byrne",
            "Wiśniewski", "Popescu", "Ionescu", "Silva", "Santos", "Costa", "Rossi", "Müller", "Novák", "Horvat",
            "Morgan", "Griffiths", "Pritchard", "Holloway", "Ashworth", "Pennington", "Whitcombe", "Ferris",
            "Marsh", "Castle", "Byron", "Holt", "Sharpe", "Lowe", "Booth", "Fletcher", "Gill", "Bibi", "Akhtar",
        )
    ),
)  # fmt: skip


def postcode(rng: random.Random) -> str:
    return (
        f"NB{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    )


def upn(la_code: str, estab: str, year: int, serial: int) -> str:
    body = f"{la_code}{estab}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body


def add_schools(session: Session, la_code: str, rng: random.Random) -> list[School]:
    """The authority's schools, maintained and independent, with URNs from 990001."""
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
                postcode=postcode(rng),
                open_date=date(1990 + urn % 20, 9, 1),
            )
        )
    session.add_all(schools)
    session.flush()
    return schools


def add_accounts(
    session: Session, schools: list[School], passwords: dict[str, str] | None
) -> tuple[dict[str, User], list[tuple[str, str, str]]]:
    """One account per role (the school user at the second school), by the local part of its email address, and
    (email, role, password) for each: the password given for it, or a new random one."""
    users, credentials = {}, []
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
    return users, credentials


def add_children(
    session: Session, la_code: str, maintained: list[School], today: date, rng: random.Random
) -> list[Child]:
    """240 children of school age, most with a UPN of one of the maintained schools."""
    children = []
    for n in range(240):
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        dob = today - timedelta(days=rng.randint(5 * 365 + 120, 16 * 365 - 30))
        school = rng.choice(maintained)
        groups = rng.sample(list(VulnerableGroup), k=rng.choice([0, 0, 0, 1, 1, 2]))
        children.append(
            Child(
                upn=upn(la_code, required(school.establishment_number), dob.year + 5, n)
                if rng.random() < 0.8
                else None,
                first_name=rng.choice(FIRST_NAMES[sex]),
                last_name=rng.choice(LAST_NAMES),
                date_of_birth=dob,
                sex=sex,
                address_line_1=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                town=rng.choice(TOWNS),
                postcode=postcode(rng),
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
    return children
