from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.clock import utcnow
from shared.domain.vocab import SendStatus, Sex
from shared.models.base import Base

if TYPE_CHECKING:
    from shared.models.casework import Case


class School(Base):
    """An establishment from Get Information About Schools (GIAS)."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[int] = mapped_column(unique=True)
    la_code: Mapped[str] = mapped_column(String(3))
    establishment_number: Mapped[str | None] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(200), index=True)
    establishment_type: Mapped[str] = mapped_column(String(100))
    type_group: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(60))
    statutory_low_age: Mapped[int | None]
    statutory_high_age: Mapped[int | None]
    street: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(8))
    open_date: Mapped[date | None]
    close_date: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def laestab(self) -> str | None:
        return f"{self.la_code}{self.establishment_number}" if self.establishment_number else None

    @property
    def is_independent(self) -> bool:
        return self.type_group == "Independent schools"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'school' AND school_id IS NOT NULL) OR (role <> 'school' AND school_id IS NULL)",
            name="school_users_have_a_school",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_signed_in_at: Mapped[datetime | None]
    # Part of the session's user id: raising it (at sign-out) ends every session the user has open.
    session_version: Mapped[int] = mapped_column(default=1)
    # Two-factor sign-in (TOTP): the shared secret, when it was confirmed, and the last time step a code was
    # accepted for (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Failed sign-ins since the last good one, and the time until which the account refuses sign-in.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    failures_since: Mapped[datetime | None]  # the first of those failures: the count lasts one lockout period
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    school: Mapped[School | None] = relationship()

    # What Flask-Login asks of a user object, kept free of Flask so this layer stays framework-neutral.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class RecoveryCode(Base):
    """A single-use code that signs a staff user in when their authenticator is lost; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Child(Base):
    """A child the CME team knows of: one record per real child, whatever reports arrive about them."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    upn: Mapped[str | None] = mapped_column(String(13), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(100), index=True)
    other_names: Mapped[str | None] = mapped_column(String(300))
    date_of_birth: Mapped[date | None] = mapped_column(index=True)
    sex: Mapped[str] = mapped_column(String(10), default=Sex.UNKNOWN)
    address_line_1: Mapped[str | None] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    looked_after: Mapped[bool] = mapped_column(default=False)
    send_status: Mapped[str] = mapped_column(String(20), default=SendStatus.UNKNOWN)
    vulnerable_groups: Mapped[list[str]] = mapped_column(default=list)
    current_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When `cme retention run` took the child's identifying details away (docs/retention.md).
    anonymised_at: Mapped[datetime | None]

    current_school: Mapped[School | None] = relationship()
    name_keys: Mapped[list[ChildNameKey]] = relationship(
        back_populates="child", cascade="all, delete-orphan", passive_deletes=True
    )
    carers: Mapped[list[Carer]] = relationship(back_populates="child", cascade="all, delete-orphan")
    cases: Mapped[list[Case]] = relationship(back_populates="child")

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or "Name not known"


class ChildNameKey(Base):
    """A sound-alike key of one part of a child's names (first, last, other): how matching and search find
    "Smyth" for "Smith" or "Jones" for "Smith-Jones" through an index, not by scoring every child."""

    __tablename__ = "child_name_keys"
    __table_args__ = (UniqueConstraint("child_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(20), index=True)

    child: Mapped[Child] = relationship(back_populates="name_keys")


class Carer(Base):
    """A parent or carer of a child (reg 13(4): each parent the pupil normally lives with)."""

    __tablename__ = "carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship_to_child: Mapped[str | None] = mapped_column(String(60))
    lives_with_child: Mapped[bool] = mapped_column(default=True)
    address: Mapped[str | None] = mapped_column(String(400))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))

    child: Mapped[Child] = relationship(back_populates="carers")
