"""Reference lists kept as data files in shared/data, so they can change without a code change.

- primary_reasons.csv: the primary reason a child is missing education, recorded on each case. Its categories are
  the Department for Education's termly children missing education collection from local authorities (primary
  reason was added to the collection in autumn 2023 and five more reasons in autumn 2025: see the methodology,
  https://explore-education-statistics.service.gov.uk/methodology/children-missing-education). `label` is what the
  team reads; `dfe_category` is the collection's own wording, for the return. The collection's "Not recorded" is
  a case with no primary reason.
- cme_reasons.csv: what someone reporting a child can tick as why they think the child is missing education, in
  words for the public (the report's reasons page and the team's view of a referral).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files


def _rows(name: str) -> list[dict[str, str]]:
    text = files("shared").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def cme_reasons() -> dict[str, str]:
    """What a reporter can give as why they think the child is missing education: code -> label."""
    return {row["code"]: row["label"] for row in _rows("cme_reasons.csv")}


@cache
def primary_reasons() -> dict[str, str]:
    """The primary reasons a case can record (the DfE collection's categories): code -> label, in the order they
    are offered."""
    return {row["code"]: row["label"] for row in _rows("primary_reasons.csv")}


@cache
def primary_reason_categories() -> dict[str, str]:
    """Each primary reason's category in the DfE collection, in the collection's own words: code -> category."""
    return {row["code"]: row["dfe_category"] for row in _rows("primary_reasons.csv")}


def primary_reason_label(code: str | None) -> str | None:
    """A case's primary reason in words; a code since taken off the list shows as itself."""
    if not code:
        return None
    return primary_reasons().get(code) or code
