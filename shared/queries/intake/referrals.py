"""Referrals in the intake queue: reports from the public, professionals, schools and other authorities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from shared.domain.vocab import ReferralSource, ReferralStatus
from shared.models import Referral
from shared.queries.intake.base import Option, QueueKind, queue_columns

NAME = "referral"


def rows(statuses: Sequence[str], sources: Sequence[str] | None) -> Select:
    statement = select(
        *queue_columns(
            NAME,
            reference=Referral.reference,
            source=Referral.source,
            first_name=Referral.child_first_name,
            last_name=Referral.child_last_name,
            date_of_birth=Referral.child_date_of_birth,
            received_at=Referral.received_at,
            urgent=Referral.urgent,
            status=Referral.status,
        )
    ).where(Referral.status.in_(statuses))
    return statement if sources is None else statement.where(Referral.source.in_(sources))


def for_triage(session: Session, reference: str) -> Referral | None:
    return session.scalar(
        select(Referral)
        .where(Referral.reference == reference)
        .options(selectinload(Referral.case), selectinload(Referral.child), selectinload(Referral.triaged_by))
    )


KIND = QueueKind(
    name=NAME,
    noun="referral",
    model=Referral,
    prefix="RF",
    waiting=(ReferralStatus.NEW, ReferralStatus.IN_TRIAGE),
    sources=(
        Option(ReferralSource.PUBLIC, "Member of the public"),
        Option(ReferralSource.PROFESSIONAL, "Professional"),
        Option(ReferralSource.SCHOOL, "School (a referral)"),
        Option(ReferralSource.OTHER_LA, "Another local authority"),
    ),
    rows=rows,
    for_triage=for_triage,
    received=Referral.received_at,
    from_school=None,
)
