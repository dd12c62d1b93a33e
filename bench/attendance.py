"""Attendance at a medium authority's scale: a term of marks generated, checked and imported, then the dashboard's
queries timed, beside DuckDB loading and aggregating the same file in the same run.

    .venv/bin/python bench/attendance.py [--pupils 50000] [--days 65] [--schools 300] [--runs 20] [--seed S]
        [--database-url URL]

`--schools` schools (primaries, secondaries, special schools and pupil referral units, in the proportions of an
English authority) are inserted into a database built by the migrations: a SQLite file in a temporary folder, or,
when `--database-url` or TEST_DATABASE_URL names a PostgreSQL server, a scratch database created there and dropped
afterwards. The generator (`shared/demo/marks.py`) writes `--pupils` pupils' marks for the `--days`
school days of the latest term that has had them (65 days, 2 sessions: 6.5 million marks for 50,000 pupils) to a
CSV file; `check_file` reads and checks it and `import_marks` writes it (`shared/services/attendance.py`), each
timed, with the process's max RSS after each.

Then, with the marks in, each of the dashboard's reads is run `--runs` times in a new session, timed: the weekly
trend of the term for the authority and for its largest school (`weekly_trend`, read from the rollups); the term's
measures with its persistently and severely absent pupils for the authority, that school and every school, read
from the rollups as the attendance page and the dashboard do (`term_measures`, `schools_for_term`); and the same
counted exactly from every pupil's weeks for any dates, for the authority (and over the whole weeks of the file
alone) and for that school (`persistent_absence`), and every school's (`schools_measured`). p50 is the median;
p99 the run at the 99th percentile (with 20 runs, the slowest).

The reference, in a child process so that its memory is its own: DuckDB reads the same CSV into a table
(`read_csv` with the columns' types) and aggregates it as the service does (each school's weekly sessions and
attendance; each pupil's possible and missed sessions, and how many are persistently and severely absent). Printed
beside the import: its seconds, marks per second, the ratio, and both answers, which must agree.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/attendance.py, the repository root is not on the path

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.notices import MIB, max_rss, scratch_database  # noqa: E402
from shared.clock import uk_today  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.demo import marks as generator  # noqa: E402
from shared.domain.attendance import CODES, Category, week_start  # noqa: E402
from shared.domain.school_days import SchoolCalendar, parse_term_dates  # noqa: E402
from shared.domain.terms import authority_terms  # noqa: E402
from shared.models import AttendanceAlert, AttendanceWeek, School  # noqa: E402
from shared.queries.attendance import (  # noqa: E402
    persistent_absence,
    schools_for_term,
    schools_measured,
    term_measures,
    weekly_trend,
)
from shared.services import attendance as service  # noqa: E402

TERM_DATES = ROOT / "shared" / "data" / "term_dates.csv"
LA_CODE = "999"
# An authority's schools: (kind, statutory low and high ages, share of the schools, establishment numbers from).
KINDS = (
    ("Community school", "Primary", 4, 11, 0.74, 2000),
    ("Community school", "Infant", 4, 7, 0.03, 2600),
    ("Community school", "Junior", 7, 11, 0.03, 2700),
    ("Academy converter", "Secondary", 11, 18, 0.15, 4000),
    ("Community special school", "Not applicable", 3, 19, 0.03, 7000),
    ("Pupil referral unit", "Not applicable", 5, 16, 0.02, 1100),
)


def schools_for(count: int) -> list[School]:
    """`count` schools of the kinds an authority has, in their shares (at least one of each when there is room)."""
    shares = generator.share_out(count, [share for *_, share, _ in KINDS])
    schools = []
    for (kind, phase, low, high, _, first), how_many in zip(KINDS, shares, strict=True):
        for n in range(how_many):
            urn = 700001 + len(schools)
            schools.append(
                School(
                    urn=urn,
                    la_code=LA_CODE,
                    establishment_number=f"{first + n:04d}",
                    name=f"Bench {phase} School {n + 1}",
                    establishment_type=kind,
                    type_group="Local authority maintained schools",
                    phase=phase,
                    status="Open",
                    statutory_low_age=low,
                    statutory_high_age=high,
                )
            )
    return schools


def specs_of(schools: list[School]) -> list[generator.SchoolSpec]:
    return [
        generator.school_spec(
            s.urn, s.la_code, s.establishment_number, s.statutory_low_age, s.statutory_high_age, s.establishment_type
        )
        for s in schools
    ]


@dataclass
class Phase:
    name: str
    seconds: float
    marks: int
    rss: int  # bytes, max RSS of the process that ran it, after it

    @property
    def rate(self) -> float:
        return self.marks / self.seconds if self.seconds else float("inf")


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# The reference ----------------------------------------------------------------------------------------------------


def _codes(*categories: Category) -> str:
    return ", ".join("'" + code.code + "'" for code in CODES.values() if code.category in categories)


def reference(path: str) -> dict:
    """DuckDB's load and aggregation of the file, as the parent process prints them (run in a child process)."""
    import duckdb

    possible = _codes(Category.PRESENT, Category.APPROVED, Category.AUTHORISED, Category.UNAUTHORISED)
    present = _codes(Category.PRESENT, Category.APPROVED)
    absent = _codes(Category.AUTHORISED, Category.UNAUTHORISED)
    connection = duckdb.connect()
    load_seconds, _ = timed(
        lambda: connection.execute(
            "CREATE TABLE marks AS SELECT * FROM read_csv(?, header = true, delim = ',', quote = '\"', "
            "escape = '\"', auto_detect = false, columns = {'URN': 'INTEGER', 'UPN': 'VARCHAR', "
            "'Surname': 'VARCHAR', 'Forename': 'VARCHAR', 'DOB': 'DATE', 'Date': 'DATE', 'Session': 'VARCHAR', "
            "'Code': 'VARCHAR'})",
            [path],
        )
    )

    # The IN lists are the national codes from shared.domain.attendance, never input.
    def aggregate():
        weekly = connection.execute(
            f"SELECT URN, date_trunc('week', Date) AS week, count(*) FILTER (WHERE Code IN ({possible})), "  # noqa: S608
            f"count(*) FILTER (WHERE Code IN ({present})) FROM marks GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        pupils = connection.execute(
            f"WITH pupils AS (SELECT UPN, count(*) FILTER (WHERE Code IN ({possible})) AS possible, "  # noqa: S608
            f"count(*) FILTER (WHERE Code IN ({absent})) AS absent FROM marks GROUP BY UPN) "
            "SELECT count(*), sum(CASE WHEN absent * 10 >= possible THEN 1 ELSE 0 END), "
            "sum(CASE WHEN absent * 2 >= possible THEN 1 ELSE 0 END) FROM pupils WHERE possible > 0"
        ).fetchone()
        return weekly, pupils

    aggregate_seconds, (weekly, pupils) = timed(aggregate)
    rows = connection.execute("SELECT count(*) FROM marks").fetchone()[0]
    possible_total = sum(week[2] for week in weekly)
    present_total = sum(week[3] for week in weekly)
    return {
        "rows": rows,
        "load_seconds": load_seconds,
        "aggregate_seconds": aggregate_seconds,
        "school_weeks": len(weekly),
        "attendance_rate": present_total / possible_total,
        "pupils": pupils[0],
        "persistent": pupils[1],
        "severe": pupils[2],
        "threads": connection.execute("SELECT current_setting('threads')").fetchone()[0],
        "version": duckdb.__version__,
    }


def run_reference(path: Path) -> tuple[dict, int]:
    """The reference's figures, and its process's max RSS in bytes."""
    done = subprocess.run(
        [sys.executable, __file__, "--reference", str(path)], check=True, capture_output=True, text=True
    )
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return json.loads(done.stdout), rss


# The service ------------------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed_runs(engine, runs: int, work: Callable[[Session], object]) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(runs):
        with Session(engine) as session:
            started = time.perf_counter()
            result = work(session)
            seconds.append(time.perf_counter() - started)
    return seconds, result


def run(args, label: str, server: str | None) -> None:
    calendar = SchoolCalendar(parse_term_dates(TERM_DATES.read_text(encoding="utf-8-sig")))
    today = uk_today()
    start = generator.latest_term_start(calendar, args.days, today)
    days = generator.school_days_from(calendar, start, args.days)
    term = next(term for term in authority_terms(calendar) if term.start <= days[0] <= term.end)
    term_start, term_end = min(term.start, days[0]), max(term.end, days[-1])
    # The term's whole weeks (Monday to Friday) that have marks: measured by the database alone.
    whole_from = week_start(days[0]) + timedelta(days=0 if days[0].weekday() == 0 else 7)
    whole_to = week_start(days[-1]) + timedelta(days=4 if days[-1].weekday() == 4 else -3)
    phases: list[Phase] = []

    with tempfile.TemporaryDirectory() as folder, scratch_database(server) as url:
        engine = make_engine(url)
        try:
            schools = schools_for(args.schools)
            specs = specs_of(schools)
            with Session(engine) as session:
                session.add_all(schools)
                session.commit()
                largest = session.scalar(
                    select(School.id).where(School.phase == "Secondary").order_by(School.id).limit(1)
                )
            path = Path(folder) / "attendance.csv"

            def generate():
                with path.open("w", encoding="utf-8", newline="") as out:
                    return generator.write_attendance(out, schools=specs, days=days, pupils=args.pupils, seed=args.seed)

            seconds, written = timed(generate)
            phases.append(Phase("generate the CSV", seconds, written.rows, max_rss()))
            file_mib = path.stat().st_size / MIB

            session = Session(engine)
            with path.open("rb") as stream:
                seconds, checked = timed(lambda: service.check_file(session, stream, calendar=calendar, today=today))
            phases.append(Phase("check_file", seconds, checked.mark_count, max_rss()))
            if checked.problem_count:
                problems = "; ".join(str(problem) for problem in checked.problems[:5])
                raise SystemExit(f"the generated file has {checked.problem_count:,} problems: {problems}")
            started = time.perf_counter()
            summary = service.import_marks(
                session,
                checked,
                actor=None,
                actor_label="benchmark",
                skip_bad_lines=False,
                today=today,
                calendar=calendar,
            )
            phases.append(Phase("import_marks", time.perf_counter() - started, summary.marks, max_rss()))
            session.close()
            checked = None  # the checked file's memory is the import's, not the queries'
            both = Phase("check + import", phases[-2].seconds + phases[-1].seconds, summary.marks, max_rss())
            phases.append(both)

            figures, reference_rss = run_reference(path)
            duckdb_total = figures["load_seconds"] + figures["aggregate_seconds"]
            phases += [
                Phase("DuckDB read_csv into a table", figures["load_seconds"], figures["rows"], reference_rss),
                Phase("DuckDB aggregate", figures["aggregate_seconds"], figures["rows"], reference_rss),
                Phase("DuckDB load + aggregate", duckdb_total, figures["rows"], reference_rss),
            ]

            queries = [
                ("weekly_trend, authority", lambda s: weekly_trend(s, term_start, term_end)),
                ("weekly_trend, one school", lambda s: weekly_trend(s, term_start, term_end, [largest])),
                ("term_measures (rollups), authority", lambda s: term_measures(s, term, term_end)),
                ("term_measures (rollups), one school", lambda s: term_measures(s, term, term_end, [largest])),
                ("schools_for_term (rollups), all", lambda s: schools_for_term(s, term, term_end)),
                ("persistent_absence, authority", lambda s: persistent_absence(s, term_start, term_end)),
                ("  the same, whole weeks only", lambda s: persistent_absence(s, whole_from, whole_to)),
                ("persistent_absence, one school", lambda s: persistent_absence(s, term_start, term_end, largest)),
                ("schools_measured, every school", lambda s: schools_measured(s, term_start, term_end)),
            ]
            timings = []
            results = {}
            for name, work in queries:
                seconds, result = timed_runs(engine, args.runs, work)
                timings.append((name, seconds))
                results[name] = result
            with Session(engine) as check:
                stored = check.scalar(select(func.count()).select_from(AttendanceWeek))
                alerts = check.scalar(select(func.count()).select_from(AttendanceAlert))
        finally:
            engine.dispose()

    authority = results["persistent_absence, authority"]
    from_rollups = results["term_measures (rollups), authority"]
    print(
        f"{label}: {written.pupils:,} pupils at {args.schools:,} schools, {args.days} school days "
        f"({days[0].isoformat()} to {days[-1].isoformat()}), {written.rows:,} marks, "
        f"{file_mib:.0f} MiB file; queries over {term.label} ({term_start} to {term_end}; whole weeks {whole_from} "
        f"to {whole_to})"
    )
    header = f"{'phase':<32}{'seconds':>9}{'marks/s':>12}{'max RSS MiB':>13}"
    print(header)
    print("-" * len(header))
    for phase in phases:
        print(f"{phase.name:<32}{phase.seconds:>9.2f}{phase.rate:>12,.0f}{phase.rss / MIB:>13,.0f}")
    print(
        f"check + import / DuckDB load + aggregate: {both.seconds / duckdb_total:.2f}x "
        f"(DuckDB {figures['version']} on {figures['threads']} threads; the import runs on one)"
    )
    header = f"{'query':<38}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    for name, seconds in timings:
        ms = [value * 1000 for value in seconds]
        print(
            f"{name:<38}{statistics.median(ms):>9.2f}{percentile(ms, 0.99):>9.2f}"
            f"{statistics.fmean(ms):>9.2f}{max(ms):>9.2f}"
        )
    print(
        f"imported: {summary.schools:,} schools, {summary.pupils:,} pupils, {summary.marks:,} marks, "
        f"{summary.weeks:,} pupil-weeks ({stored:,} stored), {alerts:,} alerts raised "
        f"(the generator gave {written.ongoing_runs:,} pupils a run still going)"
    )
    print(
        f"answers: attendance {authority.counts.attendance_rate:.4%} (DuckDB {figures['attendance_rate']:.4%}); "
        f"{authority.pupils:,} pupils, persistently absent {authority.persistent:,}, severely {authority.severe:,} "
        f"(DuckDB {figures['pupils']:,}, {figures['persistent']:,}, {figures['severe']:,}); "
        f"{len(results['weekly_trend, authority'])} weeks in the trend"
    )
    print(
        f"from the rollups: attendance {from_rollups.counts.attendance_rate:.4%}; {from_rollups.pupils:,} pupils "
        f"(a pupil at two schools counts at each), persistently absent {from_rollups.persistent:,}, "
        f"severely {from_rollups.severe:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=65, help="school days of marks")
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20, help="runs of each query")
    parser.add_argument("--seed", type=int, default=generator.SEED)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL server to run on instead of SQLite (a scratch database is made and dropped); "
        "TEST_DATABASE_URL by default",
    )
    parser.add_argument("--reference", help=argparse.SUPPRESS)  # the child process: DuckDB on this file
    args = parser.parse_args()
    if args.reference:
        print(json.dumps(reference(args.reference)))
        return
    if args.pupils < 1 or args.days < 1 or args.schools < 1 or args.runs < 1:
        parser.error("--pupils, --days, --schools and --runs must be 1 or more")
    if args.database_url and not make_url(args.database_url).drivername.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL server's URL")
    started = time.perf_counter()
    run(args, "PostgreSQL" if args.database_url else "SQLite", args.database_url)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
