"""The schools register: loading the establishments from Get Information About Schools, updating by URN."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.importers.gias import FIELDS, Establishment
from shared.models import School, User
from shared.models.base import table_of
from shared.services import audit

# Statuses GIAS gives a school that can take pupils now, as the school search orders them.
OPEN_STATUSES = ("Open", "Open, but proposed to close")

# LAESTABs are looked up this many at a time: well under SQLite's and PostgreSQL's limits on bound parameters.
LOOKUP_BATCH_SIZE = 500

# Rows are written this many at a time (still in the one transaction), so the national file's 51,000 schools
# are never all held as pending statements at once.
BATCH_SIZE = 1000

_values = attrgetter(*FIELDS)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def import_schools(
    session: Session,
    rows: Iterable[Establishment],
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    source: str | None = None,
) -> ImportSummary:
    """Add each establishment to the register, or update the school with its URN, in one transaction with one
    audit event. Schools the rows do not mention are left as they are. If reading the rows raises (a bad file),
    nothing is stored and the error is raised again."""
    now = utcnow()
    created = updated = unchanged = 0
    inserts: list[dict] = []
    updates: list[dict] = []
    try:
        # One query for every school already held: URN -> (id, the values the file would set).
        existing = {
            row[1]: (row[0], tuple(row[1:]))
            for row in session.execute(select(School.id, *(getattr(School, field) for field in FIELDS)))
        }
        for row in rows:
            values = _values(row)
            held = existing.get(row.urn)
            if held is None:
                inserts.append({**dict(zip(FIELDS, values, strict=True)), "updated_at": now})
                created += 1
            elif held[1] != values:
                updates.append({"id": held[0], **dict(zip(FIELDS, values, strict=True)), "updated_at": now})
                updated += 1
            else:
                unchanged += 1
            if len(inserts) >= BATCH_SIZE:
                session.execute(insert(table_of(School)), inserts)
                inserts = []
            if len(updates) >= BATCH_SIZE:
                session.execute(update(School), updates)
                updates = []
        if inserts:
            session.execute(insert(table_of(School)), inserts)
        if updates:
            session.execute(update(School), updates)
        summary = ImportSummary(created=created, updated=updated, unchanged=unchanged)
        audit.record(
            session,
            actor,
            "import",
            "school",
            None,
            after={"source": source, "created": created, "updated": updated, "unchanged": unchanged},
            actor_label=actor_label,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary


def _is_laestab(value: str) -> bool:
    return len(value) == 7 and value.isascii() and value.isdigit()


def unknown_laestabs(session: Session, laestabs: Iterable[str]) -> set[str]:
    """The LAESTABs (seven digits: LA code, then establishment number) among these that no school in the register
    has. Anything else (blank, "XXXXXXX" for a destination not known, "MMMMMMM", a typing mistake) is left to the
    notice checks and never counted as unknown here. A register with no schools in it (a fresh install, before
    `cme import schools`) knows nothing yet, so it blocks nothing: the answer is then empty."""
    wanted = {value for value in laestabs if value and _is_laestab(value)}
    if not wanted or session.scalar(select(School.id).limit(1)) is None:
        return set()
    known: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), LOOKUP_BATCH_SIZE):
        batch = ordered[start : start + LOOKUP_BATCH_SIZE]
        rows = session.execute(
            select(School.la_code, School.establishment_number).where(
                School.la_code.in_({value[:3] for value in batch}),
                School.establishment_number.in_({value[3:] for value in batch}),
            )
        )
        known.update(f"{la_code}{number}" for la_code, number in rows)
    return wanted - known


def not_in_register(session: Session, notices: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The one rule for schools a notice names (its SCHOOL_FIELDS, answer -> LAESTAB): for each notice, those whose
    LAESTAB no school in the schools register has (none while the register is empty: see unknown_laestabs). The form
    and the file upload both ask it; each says it in its own words."""
    unknown = unknown_laestabs(session, {laestab for named in notices for laestab in named.values()})
    return [{name: laestab for name, laestab in named.items() if laestab in unknown} for named in notices]


def school_with_laestab(session: Session, laestab: str) -> School | None:
    """The school with this LAESTAB, preferring an open one when a number has been reused (GIAS keeps closed
    schools, and an establishment number can be given again after a school closes)."""
    found = schools_with_laestab(session, laestab)
    return found[0] if found else None


# A school a child of compulsory school age (5 to 16) could be on the roll of: its statutory age range goes past 5
# and starts before 16. Nursery schools (2 to 5), sixth-form colleges (16 to 19) and universities are not.
_TAKES_SCHOOL_AGE = (
    or_(School.statutory_high_age.is_(None), School.statutory_high_age > 5),
    or_(School.statutory_low_age.is_(None), School.statutory_low_age < 16),
)


def schools_for_picker(session: Session, la_codes: Iterable[str]) -> list[School]:
    """The schools a notice form lists when it cannot search (JavaScript off): the open schools, with a LAESTAB,
    in these local authorities that take children of compulsory school age, by name."""
    return list(
        session.scalars(
            select(School)
            .where(
                School.la_code.in_(list(la_codes)),
                School.status.in_(OPEN_STATUSES),
                School.establishment_number.is_not(None),
                *_TAKES_SCHOOL_AGE,
            )
            .order_by(func.lower(School.name), School.urn)
        )
    )


def schools_with_laestab(session: Session, laestab: str) -> list[School]:
    """Every school with this LAESTAB (a number can be given again after a school closes), open ones first."""
    if not _is_laestab(laestab):
        return []
    return list(
        session.scalars(
            select(School)
            .where(School.la_code == laestab[:3], School.establishment_number == laestab[3:])
            .order_by(School.status.in_(OPEN_STATUSES).desc(), School.urn.desc())
        )
    )
