"""Reads for matching and search: the few children worth scoring, found through indexes, and their open cases.

Each way a child can be found (UPN, date of birth, postcode, sound-alike name keys) is an indexed query; their
union gives the candidates' ids, and one more query reads the details scoring needs, as plain rows. No query
scans the children: the loosest (a single name, an outward code) stop at LOOSE_BLOCK_CAP.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import CompoundSelect, Select, select, union
from sqlalchemy.orm import Session

from shared.domain.casework import CaseStatus
from shared.domain.matching import Person
from shared.models import Case, Child, ChildNameKey

# The most ids one loose block (a single common name, an outward code) may add: enough to rank a page of results
# from, never the whole authority.
LOOSE_BLOCK_CAP = 500


@dataclass(frozen=True)
class Blocks:
    """Where to look. Each field that is set adds the children it finds."""

    upn: str | None = None
    dates_of_birth: Collection[date] = ()
    postcode: str | None = None  # normalised, as stored: "BS1 4DJ"
    outward: str | None = None  # every postcode in this outward code ("BS1"), at most LOOSE_BLOCK_CAP
    pair_keys: Collection[str] = ()  # children with any of these pair keys (first and last names alike)
    born_between: tuple[date, date] | None = None  # narrows the children found by pair keys
    name_keys: Collection[str] = ()  # keys of single names: children born near with any of them
    born_near: tuple[date, date] | None = None
    # Children with any key of a group, at most LOOSE_BLOCK_CAP a group: a name alone with nothing else to go on
    # (its own keys, then its short and long forms', so that common forms cannot crowd out the name itself).
    loose_key_groups: tuple[Collection[str], ...] = ()


def _by_pair_keys(blocks: Blocks) -> Select:
    found = select(ChildNameKey.child_id).where(ChildNameKey.key.in_(sorted(blocks.pair_keys)))
    if blocks.born_between is None:
        return found
    within = found.subquery()
    return (
        select(within.c.child_id)
        .join(Child, Child.id == within.c.child_id)
        .where(Child.date_of_birth.between(*blocks.born_between))
    )


def _born_near_with_a_name_key(blocks: Blocks, born_near: tuple[date, date]) -> Select:
    # Driven by the date of birth index (a few hundred children), each checked for a key through the
    # (child_id, key) unique index: starting from the keys instead would visit every Smith.
    has_key = (
        select(ChildNameKey.id)
        .where(ChildNameKey.child_id == Child.id, ChildNameKey.key.in_(sorted(blocks.name_keys)))
        .exists()
    )
    return select(Child.id).where(Child.date_of_birth.between(*born_near), has_key)


def candidate_ids_query(blocks: Blocks) -> Select | CompoundSelect | None:
    """The union of every block's child ids, or None when there is nothing to look for."""
    parts: list[Select] = []
    if blocks.upn:
        parts.append(select(Child.id).where(Child.upn == blocks.upn))
    if blocks.dates_of_birth:
        parts.append(select(Child.id).where(Child.date_of_birth.in_(sorted(blocks.dates_of_birth))))
    if blocks.postcode:
        parts.append(select(Child.id).where(Child.postcode == blocks.postcode))
    if blocks.outward:
        within = select(Child.id).where(Child.postcode.like(f"{blocks.outward} %")).limit(LOOSE_BLOCK_CAP)
        parts.append(select(within.subquery().c.id))
    if blocks.pair_keys:
        parts.append(_by_pair_keys(blocks))
    for group in blocks.loose_key_groups:
        if group:
            alone = (
                select(ChildNameKey.child_id)
                .where(ChildNameKey.key.in_(sorted(group)))
                .distinct()
                .limit(LOOSE_BLOCK_CAP)
            )
            parts.append(select(alone.subquery().c.child_id))
    if blocks.name_keys and blocks.born_near:
        parts.append(_born_near_with_a_name_key(blocks, blocks.born_near))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union(*parts)


@dataclass(frozen=True)
class CandidateRow:
    child_id: int
    person: Person


def candidate_rows(session: Session, blocks: Blocks, cap: int) -> list[CandidateRow]:
    """The details to score of every child the blocks find (at most `cap`), as plain values."""
    ids = candidate_ids_query(blocks)
    if ids is None:
        return []
    rows = session.execute(
        select(
            Child.id,
            Child.upn,
            Child.first_name,
            Child.last_name,
            Child.date_of_birth,
            Child.postcode,
            Child.middle_names,
            Child.other_names,
        )
        # A child anonymised by the retention run is no longer anyone a new report can be about.
        .where(Child.id.in_(ids), Child.anonymised_at.is_(None))
        .limit(cap)
    )
    return [CandidateRow(row[0], Person(*row[1:])) for row in rows]


def children_by_id(session: Session, ids: Iterable[int]) -> dict[int, Child]:
    ids = list(ids)
    if not ids:
        return {}
    return {child.id: child for child in session.scalars(select(Child).where(Child.id.in_(ids)))}


def open_cases_of(session: Session, child_ids: Iterable[int]) -> dict[int, Case]:
    """Each child's open case (the latest opened, should a child have two)."""
    child_ids = list(child_ids)
    if not child_ids:
        return {}
    cases = session.scalars(
        select(Case)
        .where(Case.child_id.in_(child_ids), Case.status != CaseStatus.CLOSED)
        .order_by(Case.opened_at, Case.id)
    )
    return {case.child_id: case for case in cases}


def child_with_upn(session: Session, upn: str) -> Child | None:
    """Exact-key lookup of a child by UPN (the benchmark's baseline beside matching)."""
    return session.scalars(select(Child).where(Child.upn == upn).limit(1)).first()
