"""What an authority's admin keeps in the service itself: invitations to set a password, the settings changed in
the admin pages, the authority's term dates, and the runs of the background worker's scheduled work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.models.base import Base
from shared.models.people import User


class Invitation(Base):
    """A one-time link for a new user to set their password; only the token's SHA-256 is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Setting(Base):
    """One setting changed in the admin pages (its value as JSON); a setting with no row takes its default."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TermPeriod(Base):
    """A term (or half term) of the authority's schools, or a day or days they close within one (kind 'closure')."""

    __tablename__ = "term_periods"
    __table_args__ = (
        CheckConstraint("kind IN ('term', 'closure')", name="kind_is_known"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_it_starts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScheduledRun(Base):
    """One period's run of a piece of scheduled work (a day's digests, an hour's purges): the row is the claim, so
    however many workers' schedulers ask, the period's work is done once. A run whose worker died (its lease ran
    out before it finished) is taken again."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("name", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))  # 2026-12-07, 2026-12-07T14 or 2026-12-07T14:35
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(default=1)
    failed: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(String(500))  # what it did, in words, or why it failed
