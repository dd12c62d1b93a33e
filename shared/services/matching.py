"""Finding the children a referral, a school notice, an attendance alert or a search may be about.

`find_candidates` proposes existing children for an intake item, best first, with the reasons each matched;
`search_children` does the same for the words an officer types in the search box. Both look only where an index
can: the same UPN, a date of birth as given or with day and month swapped, the same postcode, children whose
first and last names both sound alike (or one name, with a birthday within a week), so a few hundred children at
most are scored in Python, whatever the size of the authority.

`rebuild_name_keys` (re)writes the name keys of many children at once, for data written without the ORM
(bulk loads, the migration that added the keys); the ORM keeps them itself (shared/models/name_keys.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from shared.domain.matching import Person, SearchTerms, child_keys, lookup_keys, parse_search, score
from shared.domain.postcode import InvalidPostcode, normalise_postcode
from shared.domain.upn import normalise_upn
from shared.models import Case, Child
from shared.queries import matching as queries

THRESHOLD = 0.5  # below this a child shares too little with the probe to be worth an officer's time
CANDIDATE_CAP = 2000  # the most children ever scored for one probe
NEAR_BIRTH = timedelta(days=7)  # one name alike is enough for a child born this close to the probe
A_YEAR = timedelta(days=366)


@dataclass(frozen=True)
class Probe:
    """The details of a child an intake item (or an officer) gives, to look for the same child on record."""

    upn: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    postcode: str | None = None
    other_names: str | None = None

    @classmethod
    def for_referral(cls, referral) -> Probe:
        """A referral's child. A UPN only when the reporter gave one (professionals sometimes do)."""
        answers = referral.answers or {}
        upn = answers.get("upn") or answers.get("child_upn")
        return cls(
            upn=normalise_upn(upn) if isinstance(upn, str) and upn.strip() else None,
            first_name=referral.child_first_name,
            last_name=referral.child_last_name,
            date_of_birth=referral.child_date_of_birth,
            postcode=referral.child_postcode,
            other_names=answers.get("child_other_names") or None,
        )

    @classmethod
    def for_notice(cls, notice) -> Probe:
        return cls(
            upn=normalise_upn(notice.upn) if notice.upn else None,
            first_name=notice.pupil_first_name,
            last_name=notice.pupil_last_name,
            date_of_birth=notice.pupil_date_of_birth,
            postcode=notice.pupil_postcode,
        )

    @classmethod
    def for_alert(cls, alert) -> Probe:
        """An attendance alert's pupil, as the school's file named them (files carry no address)."""
        return cls(
            upn=normalise_upn(alert.upn) if alert.upn else None,
            first_name=alert.pupil_first_name,
            last_name=alert.pupil_last_name,
            date_of_birth=alert.pupil_date_of_birth,
        )

    def person(self) -> Person:
        return Person(
            upn=self.upn,
            first_name=self.first_name,
            last_name=self.last_name,
            date_of_birth=self.date_of_birth,
            postcode=self.postcode,
            other_names=self.other_names,
        )


@dataclass(frozen=True)
class Candidate:
    child: Child
    score: float
    reasons: tuple[str, ...]
    open_case: Case | None


def _postcode(value: str | None) -> str | None:
    try:
        return normalise_postcode(value) if value else None
    except InvalidPostcode:
        return None


def _shift_year(day: date, years: int) -> date | None:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return None


def _dates_to_try(day: date | None) -> set[date]:
    """The date of birth as given, and with day and month swapped."""
    if day is None:
        return set()
    return {day, date(day.year, day.day, day.month)} if day.day <= 12 else {day}


def _blocks(person: Person) -> queries.Blocks:
    """Where to look for the person: the same UPN; a date of birth as given or with day and month swapped; the
    same postcode; first and last names that both sound alike (pair keys), born within a year either side when
    the date of birth is known; one name that sounds alike with a birthday within a week. One name and nothing
    else to go on is looked up on its own (at most LOOSE_BLOCK_CAP children)."""
    keys = lookup_keys(person.first_name, person.last_name, person.other_names)
    born = person.date_of_birth
    return queries.Blocks(
        upn=normalise_upn(person.upn) if person.upn else None,
        dates_of_birth=_dates_to_try(born),
        postcode=_postcode(person.postcode),
        pair_keys=keys.pairs,
        born_between=(born - A_YEAR, born + A_YEAR) if born else None,
        name_keys=keys.names | keys.forms,
        born_near=(born - NEAR_BIRTH, born + NEAR_BIRTH) if born else None,
        loose_key_groups=(keys.names, keys.forms) if not keys.pairs and born is None else (),
    )


def _ranked(
    session: Session, blocks: queries.Blocks, people: list[Person], limit: int, threshold: float
) -> list[Candidate]:
    scored = []
    for row in queries.candidate_rows(session, blocks, CANDIDATE_CAP):
        value, reasons = max((score(person, row.person) for person in people), key=lambda pair: pair[0])
        if value >= threshold:
            name = (row.person.last_name or "").lower(), (row.person.first_name or "").lower()
            scored.append((-value, name, row.child_id, reasons))
    scored.sort()
    top = scored[:limit]
    ids = [child_id for _, _, child_id, _ in top]
    children = queries.children_by_id(session, ids)
    cases = queries.open_cases_of(session, ids)
    return [
        Candidate(children[child_id], -negative, reasons, cases.get(child_id)) for negative, _, child_id, reasons in top
    ]


def find_candidates(session: Session, probe: Probe, limit: int = 10, threshold: float = THRESHOLD) -> list[Candidate]:
    """The children on record who may be the probe's child, best first (a same UPN before anything else), each
    with its score and the reasons, and its open case if it has one."""
    person = probe.person()
    blocks = _blocks(person)
    return _ranked(session, blocks, [person], limit, threshold)


def search_children(session: Session, text: str, limit: int = 50) -> list[Candidate]:
    """The children the words of a search best describe (names, misspelt or not, a date of birth, a UPN, a
    postcode or its outward code, in any mix), best first with the reasons. Nothing for text with none of them."""
    terms: SearchTerms = parse_search(text)
    if terms.is_empty:
        return []
    people = terms.people()
    # One name alone is looked up as a first name (with its short and long forms): keys do not know which it is.
    blocks = replace(_blocks(people[0]), outward=terms.outward)
    return _ranked(session, blocks, people, limit, THRESHOLD)


# Name keys in bulk ------------------------------------------------------------------------------------------------

# Light table definitions with only the columns this needs, so the migration that added the keys can use it
# whatever later revisions add to the models.
_children = sa.table(
    "children",
    sa.column("id", sa.Integer),
    sa.column("first_name", sa.String),
    sa.column("middle_names", sa.String),
    sa.column("last_name", sa.String),
    sa.column("other_names", sa.String),
)
_keys = sa.table("child_name_keys", sa.column("child_id", sa.Integer), sa.column("key", sa.String))


def rebuild_name_keys(
    connection: Connection | Session, child_ids: Iterable[int] | None = None, batch: int = 5000
) -> int:
    """Rewrite the name keys of these children (every child when `child_ids` is None), `batch` children at a
    time, in the caller's transaction (the caller commits). Returns how many keys were written."""
    columns = sa.select(_children).order_by(_children.c.id).limit(batch)
    wanted = sorted(set(child_ids)) if child_ids is not None else None
    written, after, position = 0, 0, 0
    while True:
        if wanted is None:
            rows = connection.execute(columns.where(_children.c.id > after)).all()
        else:
            chunk, position = wanted[position : position + batch], position + batch
            rows = connection.execute(columns.where(_children.c.id.in_(chunk))).all() if chunk else []
        if not rows:
            return written
        ids = [row.id for row in rows]
        connection.execute(sa.delete(_keys).where(_keys.c.child_id.in_(ids)))
        keys = [
            {"child_id": row.id, "key": key}
            for row in rows
            for key in sorted(child_keys(row.first_name, row.middle_names, row.last_name, row.other_names))
        ]
        if keys:
            connection.execute(sa.insert(_keys), keys)
        written += len(keys)
        after = ids[-1]
