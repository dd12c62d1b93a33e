"""A public report while it is being written, what reporters add later, and mail waiting to go out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.models.base import Base
from shared.models.intake import Referral


class ReportDraft(Base):
    """A report being written, kept on the server and found through the reporter's session.

    Only hashes of the session's draft key, the resume code and the emailed resume link are stored, so a copy
    of the table cannot be used to take over a draft. Once sent, the draft keeps the referral's reference and
    the secret phrase (and nothing else) for a short while, so the confirmation page can be shown again after a
    double click or a reload; then it is deleted.
    """

    __tablename__ = "report_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    completed_pages: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    saved_at: Mapped[datetime | None]
    resume_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    resume_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_reference: Mapped[str | None] = mapped_column(String(12))
    secret_phrase: Mapped[str | None] = mapped_column(String(200))
    confirmation_email: Mapped[str | None] = mapped_column(String(254))


class ReferralAddition(Base):
    """Information a reporter added to their report later, with its reference and secret phrase."""

    __tablename__ = "referral_additions"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    referral: Mapped[Referral] = relationship()


class OutboxMessage(Base):
    """An email written in the same transaction as the change it reports, sent after commit. It is deleted
    once the mail server has accepted it; one the server refused stays here for `cme mail send` to retry."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Set by the sender that has taken the message, so two senders never send it twice.
    claimed_until: Mapped[datetime | None]
