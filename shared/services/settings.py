"""The settings admins change in the service: read in one query (each with no saved value takes its default from
the configuration), and saved all or nothing, only what changed, with one audit event saying what it was before
and after."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from shared.db import Database
from shared.domain.problems import Problem
from shared.domain.settings import Settings, check_answers, merged
from shared.models import Setting, User
from shared.services import audit

log = logging.getLogger(__name__)


def current(session: Session, defaults: Mapping[str, Any]) -> Settings:
    """The settings as they are now: saved values over the defaults."""
    saved = {row.key: row.value for row in session.execute(select(Setting.key, Setting.value))}
    return merged(defaults, saved)


def current_or_defaults(database: Database, defaults: Mapping[str, Any]) -> Settings:
    """The settings, read in a session of their own; the defaults when the database cannot be read, so that the
    pages which say how to reach the team (the error pages above all) still can."""
    try:
        with database.session() as session:
            return current(session, defaults)
    except SQLAlchemyError:
        log.warning("the settings could not be read: showing the configured ones", exc_info=True)
        return Settings(dict(defaults))


@dataclass(frozen=True)
class Saved:
    """What a save did: the problems (nothing saved) or the settings changed, with their old and new values."""

    problems: list[Problem] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def save(session: Session, actor: User, answers: Mapping[str, str], defaults: Mapping[str, Any]) -> Saved:
    """Check every answer (typed strings, keyed by setting) and, if all pass, save those whose value changed and
    record one audit event; any problem saves nothing. Commits."""
    values, problems = check_answers(answers)
    if problems:
        return Saved(problems=problems)
    try:
        return _write(session, actor, values, defaults)
    except IntegrityError:
        # Another admin saved one of these settings for the first time at the same moment: their row is there
        # now, so read again and save over it (the later save wins, as it would have a moment later).
        session.rollback()
        return _write(session, actor, values, defaults)


def _write(session: Session, actor: User, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> Saved:
    now = current(session, defaults)
    changed = {key: value for key, value in values.items() if now[key] != value}
    if not changed:
        return Saved()
    rows = {row.key: row for row in session.scalars(select(Setting).where(Setting.key.in_(changed)))}
    for key, value in changed.items():
        row = rows.get(key)
        if row is None:
            session.add(Setting(key=key, value=value, updated_by_id=actor.id))
        else:
            row.value, row.updated_by_id = value, actor.id
    before = {key: now[key] for key in changed}
    audit.record(session, actor, "settings.changed", "settings", None, before=before, after=changed)
    session.commit()
    return Saved(before=before, after=changed)
