"""What arrives: reports from the public and agencies, and notices from schools."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.domain.vocab import NoticeStatus, ReferralStatus
from shared.models.base import Base
from shared.models.casework import Case
from shared.models.people import Child, School, User


class Referral(Base):
    """A report that a child may be missing education. `answers` keeps the whole answer set as submitted;
    the child_* columns copy the few answers used for matching and lists."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    anonymous: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.NEW, index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    child_first_name: Mapped[str | None] = mapped_column(String(100))
    child_last_name: Mapped[str | None] = mapped_column(String(100))
    child_date_of_birth: Mapped[date | None]
    child_postcode: Mapped[str | None] = mapped_column(String(8))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(30))
    reporter_organisation: Mapped[str | None] = mapped_column(String(200))
    consent_to_contact: Mapped[bool | None]
    secret_phrase_hash: Mapped[str | None] = mapped_column(String(255))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    triaged_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)
    anonymised_at: Mapped[datetime | None]  # by `cme retention run` (docs/retention.md)

    child: Mapped[Child | None] = relationship()
    case: Mapped[Case | None] = relationship()
    triaged_by: Mapped[User | None] = relationship()


class SchoolNotice(Base):
    """A school's notice to the authority about one pupil (SI 2024/208 reg 13)."""

    __tablename__ = "school_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    # The key of the form that sent it, so sending the same form twice stores one notice.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.RECEIVED, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    upn: Mapped[str | None] = mapped_column(String(13), index=True)
    pupil_first_name: Mapped[str] = mapped_column(String(100))
    pupil_last_name: Mapped[str] = mapped_column(String(100))
    pupil_date_of_birth: Mapped[date]
    pupil_sex: Mapped[str | None] = mapped_column(String(10))
    pupil_postcode: Mapped[str | None] = mapped_column(String(8))
    event_date: Mapped[date]
    deletion_ground: Mapped[str | None] = mapped_column(String(1))
    destination_laestab: Mapped[str | None] = mapped_column(String(7))
    # Whether the notice went to the CME team's intake when it arrived; it stays true once actioned, while
    # `status` follows the team's work on it.
    routed_to_cme: Mapped[bool] = mapped_column(default=False)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    batch_reference: Mapped[str | None] = mapped_column(String(12), index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    triaged_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)
    anonymised_at: Mapped[datetime | None]  # by `cme retention run` (docs/retention.md)

    school: Mapped[School] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    triaged_by: Mapped[User | None] = relationship(foreign_keys=[triaged_by_id])
    child: Mapped[Child | None] = relationship()
    case: Mapped[Case | None] = relationship()
