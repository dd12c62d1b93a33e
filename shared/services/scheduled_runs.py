"""The runs of the scheduled work, one a period however many workers ask: a `scheduled_runs` row, unique on the
work's name and its period, that the first worker to insert it has. A run whose worker died before it finished is
taken again once its lease runs out; one that failed is tried again after `RETRY_AFTER`, at most `RUN_ATTEMPTS`
times in its period. What runs when is the worker's schedule (portal/tasks/schedule.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db import rows_changed
from shared.models import ScheduledRun

# A run that failed is tried again after this long, at most this many times in its period.
RETRY_AFTER = timedelta(minutes=5)
RUN_ATTEMPTS = 3
# Runs of the work done every few minutes are kept a day; of the daily and hourly work, 90 days.
FREQUENT_RUNS_KEPT = timedelta(days=1)
RUNS_KEPT = timedelta(days=90)


def claim(session: Session, name: str, period: str, now: datetime, lease: timedelta, worker: str) -> bool:
    """Take the period's run for this worker: the first to insert its row has it; a run whose lease ran out
    without finishing is taken again. False when another worker has it, or has done it."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # RETURNING says whether the row went in: a driver's rowcount for an INSERT it returns from is not to be relied
    # on (psycopg's is not 1).
    inserted = (
        session.execute(
            insert(ScheduledRun)
            .values(name=name, period=period, started_at=now, lease_until=now + lease, worker=worker)
            .on_conflict_do_nothing(index_elements=["name", "period"])
            .returning(ScheduledRun.id)
        ).first()
        is not None
    )
    if not inserted:
        inserted = (
            rows_changed(
                session,
                update(ScheduledRun)
                .where(
                    ScheduledRun.name == name,
                    ScheduledRun.period == period,
                    ScheduledRun.finished_at.is_(None),
                    ScheduledRun.lease_until < now,
                )
                .values(started_at=now, lease_until=now + lease, worker=worker, attempts=ScheduledRun.attempts + 1),
            )
            == 1
        )
    session.commit()
    return inserted


def finish(
    session: Session,
    name: str,
    period: str,
    worker: str,
    now: datetime,
    outcome: str,
    *,
    problem: bool = False,
    failed: bool = False,
) -> None:
    """Record what the run did (`outcome`, in words; `problem`: something a person should look at). A run that
    `failed` is left open, to be taken again after RETRY_AFTER, until it has failed RUN_ATTEMPTS times; only the
    worker that has the run records it."""
    mine = (ScheduledRun.name == name, ScheduledRun.period == period, ScheduledRun.worker == worker)
    attempts = session.scalar(select(ScheduledRun.attempts).where(*mine))
    if attempts is None:
        return
    done = not failed or attempts >= RUN_ATTEMPTS
    session.execute(
        update(ScheduledRun)
        .where(*mine)
        .values(
            finished_at=now if done else None,
            lease_until=now if done else now + RETRY_AFTER,
            outcome=outcome[:500],
            failed=problem,
        )
    )
    session.commit()


def purge(session: Session, now: datetime, frequent: Iterable[str]) -> None:
    """Forget old runs: those of the `frequent` work (every few minutes) after FREQUENT_RUNS_KEPT, the rest after
    RUNS_KEPT."""
    session.execute(
        delete(ScheduledRun).where(
            (ScheduledRun.started_at < now - RUNS_KEPT)
            | ((ScheduledRun.started_at < now - FREQUENT_RUNS_KEPT) & ScheduledRun.name.in_(list(frequent)))
        )
    )
    session.commit()
