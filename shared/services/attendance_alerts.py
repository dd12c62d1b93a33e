"""Runs of unexplained absence and the alerts they raise, at each attendance import: each touched pupil's current
and longest runs recomputed from all their weeks at every school, and one alert for a run that has reached
`ALERT_SESSIONS` (10 school days), once per run, for the CME team's intake queue."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from sqlalchemy import Row, String, insert, select, type_coerce
from sqlalchemy.orm import Session

from shared.domain.attendance import ALERT_SESSIONS, UNEXPLAINED, Runs, combine, last_marked, runs
from shared.domain.reference import new_reference
from shared.domain.vocab import ReferralStatus
from shared.models import AttendanceAlert, AttendanceImport, AttendancePupil, AttendanceWeek
from shared.services.attendance_bulk import LOOKUP_BATCH, Writer, among, chunks


@dataclass(frozen=True)
class Candidate:
    """A pupil whose current run of unexplained absence is long enough for an alert."""

    pupil_id: int
    run_start: date
    sessions: int
    school_id: int  # the school of the run's latest marks


def recompute_runs(session: Session, writer: Writer, pupil_ids: list[int], now, progress) -> list[Candidate]:
    """Each pupil's current and longest runs and last marked day, from all their weeks at every school; the
    pupils whose current run has reached `ALERT_SESSIONS`."""
    weeks = AttendanceWeek
    candidates: list[Candidate] = []
    changes: list[tuple] = []
    day = writer.day
    mondays = _Mondays()
    connection = session.connection()  # rows as the driver gives them: hundreds of thousands of them
    for done, chunk in enumerate(chunks(pupil_ids, LOOKUP_BATCH), start=1):
        held = connection.execute(
            select(weeks.pupil_id, type_coerce(weeks.week_start, String), weeks.school_id, weeks.marks)
            .where(among(session, weeks.pupil_id, chunk))
            .order_by(weeks.pupil_id, weeks.week_start, weeks.school_id)
        ).all()
        rows = ((pupil_id, mondays[monday], school_id, marks) for pupil_id, monday, school_id, marks in held)
        unmarked = set(chunk)  # a pupil whose marks the file took away has no runs left
        for pupil_id, pupil_rows in itertools.groupby(rows, key=itemgetter(0)):
            unmarked.discard(pupil_id)
            found, last_day, candidate = pupil_runs(pupil_id, list(pupil_rows))
            current, longest = found.current, found.longest
            changes.append(
                (
                    day(last_day) if last_day is not None else None,
                    day(current.start) if current else None,
                    current.sessions if current else 0,
                    day(longest.start) if longest else None,
                    longest.sessions if longest else 0,
                    pupil_id,
                )
            )
            if candidate is not None:
                candidates.append(candidate)
        changes.extend((None, None, 0, None, 0, pupil_id) for pupil_id in unmarked)
        progress(min(1, done * LOOKUP_BATCH / max(len(pupil_ids), 1)))
    writer.set_runs(changes, now)
    return candidates


class _Mondays(dict):
    """Dates as the database gives them (ISO text on SQLite, dates on PostgreSQL), each converted once."""

    def __missing__(self, value):
        found = self[value] = value if isinstance(value, date) else date.fromisoformat(value)
        return found


def pupil_runs(pupil_id: int, rows: list) -> tuple[Runs, date | None, Candidate | None]:
    """A pupil's runs and last marked day from their weeks, (pupil id, Monday, school id, marks) in date order (a
    week with two schools' marks taken as one, `combine`), and the alert it calls for, if any."""
    merged: list[tuple[date, str]] = []
    by_week: list[list] = []
    for monday, group in itertools.groupby(rows, key=itemgetter(1)):
        week_rows = list(group)
        marks = week_rows[0][3]
        for row in week_rows[1:]:
            marks = combine(marks, row[3])
        merged.append((monday, marks))
        by_week.append(week_rows)
    found = runs(merged)
    current = found.current
    candidate = None
    if current is not None and current.sessions >= ALERT_SESSIONS:
        candidate = Candidate(pupil_id, current.start, current.sessions, _run_school(merged, by_week))
    return found, last_marked(*merged[-1]), candidate


def _run_school(merged: list[tuple[date, str]], by_week: list[list]) -> int:
    """The school whose mark is the run's latest unexplained absence."""
    for (_monday, marks), week_rows in zip(reversed(merged), reversed(by_week), strict=True):
        at = max(marks.rfind(symbol) for symbol in UNEXPLAINED)
        if at >= 0:
            return next(row[2] for row in week_rows if row[3][at] == marks[at])
    raise AssertionError("a current run has an unexplained absence")


def raise_alerts(session: Session, candidates: list[Candidate], import_record: AttendanceImport | None, now) -> int:
    """An alert for each candidate's run, unless the run has one already."""
    if not candidates:
        return 0
    raised: set[tuple[int, date]] = set()
    for chunk in chunks([candidate.pupil_id for candidate in candidates], LOOKUP_BATCH):
        raised.update(
            session.execute(
                select(AttendanceAlert.pupil_id, AttendanceAlert.run_start).where(
                    among(session, AttendanceAlert.pupil_id, chunk)
                )
            )
        )
    new = [candidate for candidate in candidates if (candidate.pupil_id, candidate.run_start) not in raised]
    if not new:
        return 0
    pupils = AttendancePupil
    details: dict[int, Row[int, str, str, str, date, int | None]] = {}
    for chunk in chunks([candidate.pupil_id for candidate in new], LOOKUP_BATCH):
        rows = session.execute(
            select(
                pupils.id, pupils.upn, pupils.first_name, pupils.last_name, pupils.date_of_birth, pupils.child_id
            ).where(among(session, pupils.id, chunk))
        )
        details.update((row.id, row) for row in rows)
    session.execute(
        insert(AttendanceAlert),
        [
            {
                "reference": new_reference("AA"),
                "pupil_id": candidate.pupil_id,
                "school_id": candidate.school_id,
                "import_id": import_record.id if import_record is not None else None,
                "run_start": candidate.run_start,
                "sessions": candidate.sessions,
                "raised_at": now,
                "status": ReferralStatus.NEW,
                "upn": details[candidate.pupil_id].upn,
                "pupil_first_name": details[candidate.pupil_id].first_name,
                "pupil_last_name": details[candidate.pupil_id].last_name,
                "pupil_date_of_birth": details[candidate.pupil_id].date_of_birth,
                "child_id": details[candidate.pupil_id].child_id,
            }
            for candidate in new
        ],
    )
    return len(new)
