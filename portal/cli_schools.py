"""`cme schools ...`: scheduled work for schools."""

from __future__ import annotations

from flask.cli import AppGroup

schools_group = AppGroup("schools", help="Scheduled work for schools, such as part-time timetable return reminders.")
