"""The scheduled work's runs as the admins' page of background work shows them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import ScheduledRun


def latest_runs(session: Session) -> dict[str, ScheduledRun]:
    """Each piece of scheduled work's most recent run, by the work's name (work never run has none)."""
    latest = (
        select(ScheduledRun.name, func.max(ScheduledRun.started_at).label("started_at"))
        .group_by(ScheduledRun.name)
        .subquery()
    )
    runs = session.scalars(
        select(ScheduledRun).join(
            latest, (ScheduledRun.name == latest.c.name) & (ScheduledRun.started_at == latest.c.started_at)
        )
    ).all()
    return {run.name: run for run in runs}
