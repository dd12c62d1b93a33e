"""Triage of a referral: the child its answers describe, and what a case opened from it starts with."""

from __future__ import annotations

from datetime import date

from shared.domain.vocab import ReferralStatus, RiskLevel
from shared.models import Carer, Child, Referral
from shared.queries.intake import referrals as listed
from shared.services.intake.base import IntakeKind, fit, postcode_or_none, sex_or_unknown, upn_or_none
from shared.services.matching import Probe

# A referral's reasons (what the reporter ticked, shared/data/cme_reasons.csv) that say plainly which of the DfE
# collection's primary reasons (shared/data/primary_reasons.csv) a case has. Others leave it to the officer.
REFERRAL_REASON_TO_PRIMARY = {
    "no_suitable_place": "no_suitable_place",
    "unsuitable_home_education": "unsuitable_home_education",
    "removed_by_parents": "parental_decision_not_to_register",
}


def new_child(referral: Referral) -> Child:
    answers = referral.answers or {}
    child = Child(
        first_name=fit(referral.child_first_name, 100),
        last_name=fit(referral.child_last_name, 100),
        other_names=fit(answers.get("child_other_names"), 300),
        date_of_birth=referral.child_date_of_birth,
        sex=sex_or_unknown(answers.get("child_sex")),
        upn=upn_or_none(answers.get("upn") or answers.get("child_upn")),
        address_line_1=fit(answers.get("address_line_1"), 200),
        address_line_2=fit(answers.get("address_line_2"), 200),
        town=fit(answers.get("address_town"), 100),
        postcode=postcode_or_none(referral.child_postcode),
        phone=fit(answers.get("family_phone"), 30),
    )
    # The reporter writes the carers in one box: one carer a line, as most people type them.
    lines = [line.strip() for line in (answers.get("carers") or "").splitlines() if line.strip()]
    child.carers = [Carer(name=fit(line, 200)) for line in lines[:6]]
    return child


def missing_since(referral: Referral) -> date | None:
    """The day the reporter says the child was last at school."""
    try:
        return date.fromisoformat((referral.answers or {}).get("last_at_school") or "")
    except ValueError:
        return None


def primary_reason(referral: Referral) -> str | None:
    given = (referral.answers or {}).get("reasons") or []
    mapped = {REFERRAL_REASON_TO_PRIMARY[code] for code in given if code in REFERRAL_REASON_TO_PRIMARY}
    return mapped.pop() if len(mapped) == 1 else None


def risk(referral: Referral) -> str:
    return RiskLevel.HIGH if referral.urgent else RiskLevel.MEDIUM


KIND = IntakeKind(
    listed=listed.KIND,
    object_type="referral",
    statuses=ReferralStatus,
    to_case=ReferralStatus.LINKED,
    closed=ReferralStatus.CLOSED,
    probe=Probe.for_referral,
    new_child=new_child,
    missing_since=missing_since,
    primary_reason=primary_reason,
    risk=risk,
    first_look=(ReferralStatus.NEW, ReferralStatus.IN_TRIAGE),
)
