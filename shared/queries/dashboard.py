"""Reads for the staff dashboard: plain functions from a session and the dashboard's filters to data, each a fixed
number of queries however many rows (never a query per row). The Dash layer only lays out what they return.

How the filters apply:
- the date range (`start`..`end`, both inclusive) bounds flows: referrals and notices received, cases opened,
  cases closed, children located. Counts "now" (open cases, the queue, overdue checks) are as of `today`.
- the schools (`school_ids`) and `phase` bound cases by the case's school (`case_school`: the school that sent the
  first notice on the case, else the child's current school), notices by the sending school, and attendance by
  the school of the marks. A phase is a School.phase value ("Primary", "Secondary", ...).
- the officer (`officer_id`) bounds cases and their checks by the officer assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    school_ids: frozenset[int] | None = None  # None: every school
    phase: str | None = None  # None: every phase
    officer_id: int | None = None  # None: every officer

    @property
    def bounds_schools(self) -> bool:
        return self.school_ids is not None or self.phase is not None
