"""Reference lists kept as data files in shared/data, so they can change without a code change.

Primary reasons a child became missing education follow the DfE termly collection (cme_reasons.csv)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files


@cache
def cme_reasons() -> dict[str, str]:
    text = files("shared").joinpath("data/cme_reasons.csv").read_text(encoding="utf-8")
    return {row["code"]: row["label"] for row in csv.DictReader(text.splitlines())}
