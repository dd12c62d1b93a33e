"""Keeping the authority's term dates: adding, changing and removing a period, and replacing whole academic years
from a file. Each change is checked against the rules in `shared.domain.term_dates` with every other period,
saved in one transaction with its audit event, or refused with every problem and nothing saved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from shared.domain import term_dates as rules
from shared.domain.school_days import Period
from shared.models import TermPeriod, User
from shared.models.base import table_of
from shared.services import audit

FIELDS = ["kind", "starts_on", "ends_on", "description"]
GONE = "This term or closure was removed by someone else while the page was open"


class TermDatesRefused(Exception):
    """A change that would leave the term dates unusable: its problems, each with the field it is about (or None)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def as_period(row: TermPeriod) -> Period:
    return Period(row.kind, row.starts_on, row.ends_on, row.description)


def all_periods(session: Session) -> list[TermPeriod]:
    return list(
        session.scalars(select(TermPeriod).order_by(TermPeriod.starts_on, TermPeriod.kind.desc(), TermPeriod.id))
    )


def _lock(session: Session) -> list[TermPeriod]:
    """Every period, read so that no other change to the term dates can be checked against the same rows meanwhile
    (two administrators adding overlapping terms at once: the second waits, then sees the first's)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE term_periods IN SHARE ROW EXCLUSIVE MODE"))
    else:
        # SQLite has no table locks: a write statement (changing nothing) takes the database's single write lock,
        # waiting up to busy_timeout, so the rows read next cannot change before this transaction ends.
        table = table_of(TermPeriod)
        session.execute(update(table).where(table.c.id == -1).values(kind=table.c.kind))
    return all_periods(session)


def _check(before: list[Period], after: list[Period]) -> None:
    """Refuse a change from the periods `before` to `after` that makes any problem they did not already have (a
    set copied in from the old file may have some: they are not this change's fault). A change that leaves a
    closure outside every term is refused as much as one that overlaps."""
    already = Counter(problem.message for problem in rules.check_periods(before))
    problems = []
    for problem in rules.check_periods(after):
        if already[problem.message]:
            already[problem.message] -= 1
            continue
        problems.append((problem.field, problem.message))
    if problems:
        raise TermDatesRefused(problems)


def add_period(session: Session, actor: User, period: Period) -> TermPeriod:
    others = [as_period(row) for row in _lock(session)]
    _check(others, [*others, period])
    row = TermPeriod(kind=period.kind, starts_on=period.start, ends_on=period.end, description=period.description)
    session.add(row)
    session.flush()
    audit.record(session, actor, "term_dates.added", "term_period", row.id, after=audit.snapshot(row, FIELDS))
    session.commit()
    return row


def change_period(session: Session, actor: User, period_id: int, period: Period) -> TermPeriod:
    rows = _lock(session)
    row = next((row for row in rows if row.id == period_id), None)
    if row is None:
        raise TermDatesRefused([(None, GONE)])
    others = [as_period(other) for other in rows if other.id != period_id]
    _check([*others, as_period(row)], [*others, period])
    before = audit.snapshot(row, FIELDS)
    row.kind, row.starts_on, row.ends_on, row.description = period.kind, period.start, period.end, period.description
    session.flush()
    audit.record(
        session, actor, "term_dates.changed", "term_period", row.id, before=before, after=audit.snapshot(row, FIELDS)
    )
    session.commit()
    return row


def remove_period(session: Session, actor: User, period_id: int) -> None:
    rows = _lock(session)
    row = next((row for row in rows if row.id == period_id), None)
    if row is None:
        raise TermDatesRefused([(None, GONE)])
    if row.kind == "term":
        within = [
            other
            for other in rows
            if other.kind == "closure" and row.starts_on <= other.starts_on and other.ends_on <= row.ends_on
        ]
        if within:
            names = ", ".join(
                f"{rules.period_name(as_period(other))} ({rules.date_range(other.starts_on, other.ends_on)})"
                for other in within
            )
            raise TermDatesRefused(
                [(None, f"Remove or change the closures within {rules.period_name(as_period(row))} first: {names}")]
            )
    others = [as_period(other) for other in rows if other.id != period_id]
    _check([*others, as_period(row)], others)
    before = audit.snapshot(row, FIELDS)
    session.delete(row)
    audit.record(session, actor, "term_dates.removed", "term_period", period_id, before=before)
    session.commit()


@dataclass
class UploadPreview:
    """What a file of term dates would do: the academic years it covers, the periods it adds and those it replaces,
    or its problems (by line) when it cannot be used."""

    file: rules.TermDatesFile
    years: list[int]
    added: list[Period]
    replaced: list[Period]
    problems: list[str]


def preview_upload(session: Session, csv_text: str, rows: list[TermPeriod] | None = None) -> UploadPreview:
    read = rules.read_term_dates(csv_text)
    current = [as_period(row) for row in (all_periods(session) if rows is None else rows)]
    years = read.years
    replaced = rules.replaced_by(years, current)
    problems = list(read.problems)
    if not problems:
        kept = [period for period in current if period not in replaced]
        # The years the file does not cover stay; a term of theirs may still touch the file's (31 August, say).
        for problem in rules.check_periods([*kept, *read.periods]):
            if any(index >= len(kept) for index in problem.periods):
                problems.append(f"With the dates kept for other years: {problem.message}")
    return UploadPreview(read, years, sorted(read.periods, key=lambda p: p.start), replaced, problems)


def apply_upload(session: Session, actor: User | None, csv_text: str, actor_label: str | None = None) -> UploadPreview:
    """Replace the periods of the academic years the file covers with the file's, in one transaction."""
    rows = _lock(session)
    preview = preview_upload(session, csv_text, rows)
    if preview.problems:
        raise TermDatesRefused([(None, problem) for problem in preview.problems])
    years = set(preview.years)
    gone = [row for row in rows if rules.academic_year(row.starts_on) in years]
    before = [audit.snapshot(row, ["id", *FIELDS]) for row in gone]
    if gone:
        session.execute(delete(TermPeriod).where(TermPeriod.id.in_([row.id for row in gone])))
    added = [
        TermPeriod(kind=p.kind, starts_on=p.start, ends_on=p.end, description=p.description) for p in preview.added
    ]
    session.add_all(added)
    session.flush()
    audit.record(
        session,
        actor,
        "term_dates.uploaded",
        "term_period",
        None,
        before={"years": [rules.academic_year_label(year) for year in preview.years], "periods": before},
        after={"periods": [audit.snapshot(row, ["id", *FIELDS]) for row in added]},
        actor_label=actor_label,
    )
    session.commit()
    return preview
