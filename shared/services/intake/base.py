"""What triage needs to know about each kind of item in the CME team's intake queue, and the pieces the kinds
share for making a new child from an item's details. Each kind is a module of this package (referrals.py,
notices.py, alerts.py) making one `IntakeKind`; the package lists them in `KINDS`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from shared.domain.postcode import InvalidPostcode, normalise_postcode
from shared.domain.upn import InvalidUPN, validate_upn
from shared.domain.vocab import Labelled, RiskLevel, Sex
from shared.models import AttendanceAlert, Child, Referral, School, SchoolNotice
from shared.queries.intake.base import Item, QueueKind
from shared.services.matching import Probe

# What triage decides on: an item of one of these kinds, each with its reference and status, and the child, case
# and officer of the decision. Adding a kind of item adds its model here.
TriageItem = Referral | SchoolNotice | AttendanceAlert
ItemT = TypeVar("ItemT", bound=TriageItem)


def _nothing(item: Item) -> None:
    return None


def _medium(item: Item) -> str:
    return RiskLevel.MEDIUM


@dataclass(frozen=True)
class IntakeKind(Generic[ItemT]):
    """One kind of item, as triage deals with it."""

    listed: QueueKind  # how the queue lists it and its triage page finds one (shared.queries.intake)
    object_type: str  # the audit trail's name for it: "school_notice"
    statuses: type[Labelled]  # its statuses, with their labels
    to_case: str  # its status once it is on a case
    closed: str  # ... once closed without one
    probe: Callable[[ItemT], Probe]  # the child it is about, to look for among the children on record
    new_child: Callable[[ItemT], Child]  # a new child made from its details
    missing_since: Callable[[ItemT], date | None]  # the day it says the child was last at school
    primary_reason: Callable[[ItemT], str | None] = _nothing  # the DfE primary reason, where it says it plainly
    risk: Callable[[ItemT], str] = _medium  # the risk level a case opened from it starts with
    # The status an officer's first look moves one from, and to, so the queue shows the team someone has it.
    first_look: tuple[str, str] | None = None
    linked_child: Callable[[ItemT], int | None] = _nothing  # the child on record it is linked to already
    linked_reason: str = "Linked to it already"  # ... as the list of children proposed says why
    on_roll_at: Callable[[ItemT], School | None] = _nothing  # the school it says the child is on roll at

    @property
    def name(self) -> str:
        return self.listed.name

    @property
    def noun(self) -> str:
        """In messages: "school notice"."""
        return self.listed.noun

    @property
    def title(self) -> str:
        """On the case's timeline: "School notice"."""
        return self.listed.noun.capitalize()

    @property
    def model(self) -> type[ItemT]:
        return self.listed.model

    @property
    def waiting(self) -> tuple[str, ...]:
        return self.listed.waiting


# A new child from the item's details ------------------------------------------------------------------------------


def postcode_or_none(value: str | None) -> str | None:
    try:
        return normalise_postcode(value) if value else None
    except InvalidPostcode:
        return None


def upn_or_none(value: str | None) -> str | None:
    try:
        return validate_upn(value) if value else None
    except InvalidUPN:
        return None


def fit(text: str | None, limit: int) -> str | None:
    """Text cut to fit a column of `limit` characters, or None for nothing."""
    text = (text or "").strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def address_lines(address: str | None) -> tuple[str | None, str | None]:
    """An address typed in one box as two lines of at most 200 characters: the first part, and the rest."""
    parts = [part.strip() for part in (address or "").replace("\n", ",").split(",") if part.strip()]
    if not parts:
        return None, None
    return fit(parts[0], 200), fit(", ".join(parts[1:]), 200)


def sex_or_unknown(value: str | None) -> str:
    return value if value in set(Sex) else Sex.UNKNOWN
