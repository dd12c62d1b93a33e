"""Bulk notices: the preview of a notices CSV and of a Common Transfer File, and storing what they hold, beside
plain-library baselines measured in the same run.

    .venv/bin/python bench/notices.py [--rows 10000] [--pupils 2000] [--open-cases 1000] [--other-children 4000]
        [--repeat 3] [--database-url URL]

Preview: `parse_notices_csv` over a CSV of `--rows` notices (every type in turn) and `parse_ctf` over a CTF of
`--pupils` leavers, each beside a bare read of the same bytes that checks nothing: `csv.DictReader` for the CSV,
defusedxml's `iterparse` (the same safe parser) for the CTF. Import: `send_notices` storing each file's notices in
one transaction, into a database with a school, its user and children with open cases, some of them the file's
joiners (found by UPN or by name and date of birth) so the matching does real work; beside a bare SQLAlchemy Core
`insert(SchoolNotice)` executemany of as many rows in one transaction. The import runs on a throwaway SQLite
database built by the migrations and, when `--database-url` or TEST_DATABASE_URL names a PostgreSQL server, on a
scratch database created there and dropped afterwards.

Each phase is timed with tracing off (best of `--repeat` for the previews, one run for the imports), then run
once more under tracemalloc for its peak memory. Prints rows per second, the ratio to the baseline's rows per
second, the peak traced memory of the phase and of its baseline, and the process's max RSS after the phase.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/notices.py, the repository root is not on the path

from defusedxml.ElementTree import iterparse  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from portal.schema import upgrade_database  # noqa: E402
from shared.clock import uk_today, utcnow  # noqa: E402
from shared.db import make_engine, normalise_database_url  # noqa: E402
from shared.domain.casework import CaseStatus  # noqa: E402
from shared.domain.notices import CheckedNotice  # noqa: E402
from shared.domain.reference import new_reference  # noqa: E402
from shared.domain.school_days import SchoolCalendar, parse_term_dates  # noqa: E402
from shared.domain.vocab import NoticeKind, NoticeStatus  # noqa: E402
from shared.importers.ctf import parse_ctf  # noqa: E402
from shared.importers.notices_csv import MAX_ROWS, parse_notices_csv  # noqa: E402
from shared.models import Case, Child, PartTimeTimetable, School, SchoolNotice, User  # noqa: E402
from shared.services import users as user_service  # noqa: E402
from shared.services.notices import send_notices  # noqa: E402
from tests.bulk_files import make_ctf, make_notices_csv, upn  # noqa: E402

TERM_DATES = ROOT / "shared" / "data" / "term_dates.csv"
SERVICE_URL = "http://127.0.0.1:8000"
SCHOOL_URN = 990101
KIND_COUNT = len(NoticeKind)  # make_notices_csv cycles through the kinds: joiners are rows 0, 5, 10, ...
MIB = 1024 * 1024


@dataclass
class Measure:
    rows: int
    seconds: float
    peak: int  # bytes traced by tracemalloc at the phase's peak

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


@dataclass
class Row:
    phase: str
    database: str
    measured: Measure
    baseline: Measure
    max_rss: int  # bytes
    note: str = ""


def max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def timed(work: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """The best wall-clock time of `repeat` runs, and the last run's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def traced_peak(work: Callable[[], object]) -> int:
    """The most memory Python held at once while `work` ran (what it allocated beyond what was already held)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def measure(rows: int, work: Callable[[], object], repeat: int = 1) -> tuple[Measure, object]:
    seconds, result = timed(work, repeat)
    return Measure(rows, seconds, traced_peak(work)), result


# Previews --------------------------------------------------------------------------------------------------------


def dict_reader_rows(data: bytes) -> int:
    return sum(1 for _ in csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def iterparse_pupils(data: bytes) -> int:
    count = 0
    for _, element in iterparse(io.BytesIO(data)):
        if element.tag == "Pupil":
            count += 1
            element.clear()
    return count


def preview_rows(args, today: date) -> tuple[list[Row], list[CheckedNotice], list[CheckedNotice]]:
    csv_bytes, ctf_bytes = make_notices_csv(args.rows), make_ctf(args.pupils)
    rows = []

    measured, preview = measure(args.rows, lambda: parse_notices_csv(csv_bytes, today), args.repeat)
    if preview.problems or len(preview.notices) != args.rows:
        raise SystemExit(f"the CSV preview found problems: {[str(p) for p in preview.problems[:5]]}")
    baseline, counted = measure(args.rows, lambda: dict_reader_rows(csv_bytes), args.repeat)
    assert counted == args.rows, counted
    note = f"{len(csv_bytes) / MIB:.1f} MiB file"
    rows.append(Row("preview: notices CSV", "-", measured, baseline, max_rss(), note))
    csv_notices = [notice for _, notice in preview.notices]

    measured, preview = measure(args.pupils, lambda: parse_ctf(ctf_bytes, today), args.repeat)
    if preview.problems or len(preview.notices) != args.pupils:
        raise SystemExit(f"the CTF preview found problems: {[str(p) for p in preview.problems[:5]]}")
    baseline, counted = measure(args.pupils, lambda: iterparse_pupils(ctf_bytes), args.repeat)
    assert counted == args.pupils, counted
    note = f"{len(ctf_bytes) / MIB:.1f} MiB file; baseline iterparse"
    rows.append(Row("preview: CTF", "-", measured, baseline, max_rss(), note))
    ctf_notices = [notice for _, notice in preview.notices]
    return rows, csv_notices, ctf_notices


# Imports ---------------------------------------------------------------------------------------------------------


@contextmanager
def scratch_database(server_url: str | None):
    """A database built by the migrations: a SQLite file in a temporary folder, or a new database on the
    PostgreSQL server, dropped afterwards."""
    if server_url is None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.sqlite"
            upgrade_database(url)
            yield url
        return
    server = normalise_database_url(server_url)
    name = f"cme_bench_{secrets.token_hex(4)}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            upgrade_database(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def set_up(session: Session, csv_notices: list[CheckedNotice], open_cases: int, other_children: int) -> None:
    """A school and its user, `open_cases` of the file's joiners known to the CME team with an open case (half
    found by UPN, half with no UPN on record, found by name and date of birth), and `other_children` children with
    open cases who are none of the file's pupils."""
    school = School(
        urn=SCHOOL_URN,
        la_code="999",
        establishment_number="2101",
        name="Millfield Primary School",
        establishment_type="Community school",
        type_group="Local authority maintained schools",
        phase="Primary",
        status="Open",
        postcode="NB1 1AA",
    )
    session.add(school)
    session.flush()
    user_service.create_user(
        session, "school@bench.example", "Bench School", "school", "benchmark password 1", SCHOOL_URN
    )
    joiners = [notice for notice in csv_notices if notice.kind == NoticeKind.JOINER][:open_cases]
    children = [
        {
            "upn": notice.upn if position % 2 == 0 else None,
            "first_name": notice.first_name,
            "last_name": notice.last_name,
            "date_of_birth": notice.date_of_birth,
        }
        for position, notice in enumerate(joiners)
    ]
    children += [
        {
            "upn": upn(7_000_000 + number),  # beyond any file's UPNs
            "first_name": "Other",
            "last_name": f"Child{number}",
            "date_of_birth": date(2008, 1, 1),
        }
        for number in range(other_children)
    ]
    if children:
        session.execute(insert(Child), children)
        ids = session.scalars(select(Child.id).order_by(Child.id)).all()
        session.execute(
            insert(Case),
            [
                {"reference": new_reference("CS"), "child_id": child_id, "status": CaseStatus.ENQUIRIES}
                for child_id in ids
            ],
        )
    session.commit()


def bare_rows(notices: list[CheckedNotice], school_id: int, user_id: int) -> list[dict]:
    now = utcnow()
    return [
        {
            "reference": new_reference("SN"),
            "school_id": school_id,
            "kind": notice.kind.value,
            "status": NoticeStatus.RECEIVED.value,
            "submitted_by_id": user_id,
            "submitted_at": now,
            "upn": notice.upn,
            "pupil_first_name": notice.first_name,
            "pupil_last_name": notice.last_name,
            "pupil_date_of_birth": notice.date_of_birth,
            "pupil_sex": notice.sex,
            "pupil_postcode": notice.postcode,
            "event_date": notice.event_date,
            "deletion_ground": notice.deletion_ground,
            "destination_laestab": notice.destination_laestab,
            "routed_to_cme": False,
            "details": notice.details,
            "batch_reference": None,
        }
        for notice in notices
    ]


def import_rows(
    label: str, server_url: str | None, csv_notices, ctf_notices, args, today: date
) -> tuple[list[Row], list[str]]:
    add_school_days = SchoolCalendar(parse_term_dates(TERM_DATES.read_text(encoding="utf-8-sig"))).add_school_days
    rows, checks = [], []
    with scratch_database(server_url) as url:
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                set_up(session, csv_notices, args.open_cases, args.other_children)
                school_id = session.scalar(select(School.id).where(School.urn == SCHOOL_URN))
                user_id = session.scalar(select(User.id).where(User.school_id == school_id))

            for phase, notices in (("import: notices CSV", csv_notices), ("import: CTF", ctf_notices)):

                def store(notices=notices):
                    with Session(engine, expire_on_commit=False) as session:
                        school, user = session.get(School, school_id), session.get(User, user_id)
                        return send_notices(
                            session, school, user, notices, utcnow(), today, add_school_days, SERVICE_URL
                        )

                def bare(notices=notices):
                    prepared = bare_rows(notices, school_id, user_id)
                    with engine.begin() as connection:
                        connection.execute(insert(SchoolNotice), prepared)

                # Each run stores the notices again (new references): the later runs measure memory only.
                measured, sent = measure(len(notices), store)
                baseline, _ = measure(len(notices), bare)
                rows.append(Row(phase, label, measured, baseline, max_rss()))
                checks.append(
                    f"{label}, {phase}: {len(sent.references):,} stored in batch {sent.batch_reference}; "
                    f"{sent.routed:,} for the CME team, {sent.attached:,} joiners attached to open cases, "
                    f"{sent.late:,} late joiners"
                )
            with Session(engine) as session:
                notices_stored = session.scalar(select(func.count()).select_from(SchoolNotice))
                timetables = session.scalar(select(func.count()).select_from(PartTimeTimetable))
            expected = 4 * (len(csv_notices) + len(ctf_notices))  # send_notices and the bare insert, twice each
            checks.append(
                f"{label}: {notices_stored:,} notices in the database (expected {expected:,}), "
                f"{timetables:,} part-time timetables"
            )
        finally:
            engine.dispose()
    return rows, checks


# Report ----------------------------------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'phase':<22}{'database':<12}{'rows':>8}{'seconds':>9}{'rows/s':>10}{'base rows/s':>13}{'ratio':>8}"
        f"{'peak MiB':>10}{'base peak':>11}{'max RSS MiB':>13}  note"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        m, b = row.measured, row.baseline
        print(
            f"{row.phase:<22}{row.database:<12}{m.rows:>8,}{m.seconds:>9.3f}{m.rate:>10,.0f}{b.rate:>13,.0f}"
            f"{m.rate / b.rate:>8.3f}{m.peak / MIB:>10.1f}{b.peak / MIB:>11.1f}{row.max_rss / MIB:>13.0f}  {row.note}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="notices in the CSV")
    parser.add_argument("--pupils", type=int, default=2_000, help="pupils in the Common Transfer File")
    parser.add_argument("--open-cases", type=int, default=1_000, help="the CSV's joiners with an open case")
    parser.add_argument("--other-children", type=int, default=4_000, help="other children with an open case")
    parser.add_argument("--repeat", type=int, default=3, help="preview runs, best time kept")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL server to import into as well (a scratch database is made and dropped); "
        "TEST_DATABASE_URL by default",
    )
    args = parser.parse_args()
    for name in ("rows", "pupils"):
        if not 1 <= getattr(args, name) <= MAX_ROWS:
            parser.error(f"--{name} must be from 1 to {MAX_ROWS:,} (the most one file may hold)")
    if args.open_cases > (args.rows + KIND_COUNT - 1) // KIND_COUNT:
        parser.error("--open-cases must be at most the number of joiners in the CSV (one row in five)")
    if args.database_url and not make_url(args.database_url).drivername.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL server's URL")

    started = time.perf_counter()
    today = uk_today()
    rows, csv_notices, ctf_notices = preview_rows(args, today)
    checks = []
    for label, server in (("SQLite", None), ("PostgreSQL", args.database_url)):
        if label == "PostgreSQL" and not server:
            continue
        imported, notes = import_rows(label, server, csv_notices, ctf_notices, args, today)
        rows += imported
        checks += notes

    print(
        f"notices CSV: {args.rows:,} rows; CTF: {args.pupils:,} pupils; open cases: {args.open_cases:,} of the "
        f"CSV's joiners and {args.other_children:,} other children; previews best of {args.repeat}"
    )
    print_table(rows)
    print(
        "ratio = rows/s / baseline rows/s. Baselines: csv.DictReader (CSV), defusedxml iterparse (CTF), one Core "
        "insert(SchoolNotice) executemany (imports). Peaks: tracemalloc over the phase alone, a separate run."
    )
    for check in checks:
        print(check)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
