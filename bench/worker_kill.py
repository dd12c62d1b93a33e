"""A background worker killed with kill -9 in the middle of a million-mark attendance import, and what happened.

    .venv/bin/python bench/worker_kill.py [--pupils 7700] [--days 65] [--schools 60] [--into 0.5]
        [--database-url URL]

A file of `--pupils` pupils' marks over `--days` school days (7,700 x 65 x 2 sessions: a million marks) is stored as
the upload page stores one, to be checked and imported, and its task queued on a SQLite queue of its own. A real
`cme worker` (worker A) takes it; `--into` seconds after it starts writing the marks, A is killed with SIGKILL,
mid-transaction. A second worker (B, as systemd's Restart= would start one) is started at once. Printed: when A was
killed, how long until the file was taken again (A's heartbeat falls silent, the sweeper hands its lease on), how long
B took from there, and the checks: the marks are in once, one import in the audit trail, the file imported on its
second attempt. The baseline, in the same run, is B's own uninterrupted check and import of the same file: the
ratio is the whole wall time, kill and resumption included, over it.

SQLite in a temporary folder, and PostgreSQL when `--database-url` or TEST_DATABASE_URL names a server (a scratch
database, dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.attendance import TERM_DATES, schools_for, specs_of  # noqa: E402
from bench.notices import scratch_database  # noqa: E402
from shared.clock import uk_today, utcnow  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.demo import marks as generator  # noqa: E402
from shared.domain.attendance import IN_PROGRESS, ImportStatus  # noqa: E402
from shared.domain.reference import new_reference  # noqa: E402
from shared.domain.school_days import SchoolCalendar, parse_term_dates  # noqa: E402
from shared.models import AttendanceImport, AttendanceWeek, AuditEvent  # noqa: E402

POLL = 0.2  # seconds between looks at the file's row
GIVE_UP = 1800  # seconds: something is wrong


def worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # nosec B603: the service's own command
            [sys.executable, "-c", "import wsgi; wsgi.main()", "worker"], env=env, cwd=ROOT, stdout=out, stderr=out
        )


def row(engine, import_id: int) -> AttendanceImport:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(AttendanceImport, import_id)


def wait_for(engine, import_id: int, until, what: str) -> tuple[float, AttendanceImport]:
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        record = row(engine, import_id)
        if until(record):
            return time.perf_counter(), record
        time.sleep(POLL)
    raise SystemExit(f"gave up waiting for {what}")


def run(args, label: str, server: str | None) -> None:
    calendar = SchoolCalendar(parse_term_dates(TERM_DATES.read_text(encoding="utf-8-sig")))
    days = generator.school_days_from(calendar, generator.latest_term_start(calendar, args.days, uk_today()), args.days)
    with tempfile.TemporaryDirectory() as folder, scratch_database(server) as url:
        engine = make_engine(url)
        schools = schools_for(args.schools)
        with Session(engine) as session:
            session.add_all(schools)
            session.commit()
            specs = specs_of(schools)
        path = Path(folder) / "attendance.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            written = generator.write_attendance(out, schools=specs, days=days, pupils=args.pupils, seed=generator.SEED)
        content = path.read_bytes()
        with Session(engine) as session:  # as the upload page stores it, then sent to be imported
            record = AttendanceImport(
                reference=new_reference("AF"),
                file_name="attendance.csv",
                content=content,
                size=len(content),
                status=ImportStatus.IMPORTING,
                stage="Waiting to start",
                progress_at=utcnow(),
            )
            session.add(record)
            session.commit()
            import_id = record.id
        tasks_url = f"sqlite:///{folder}/tasks.sqlite"
        from portal.tasks import engine as tasks
        from portal.tasks import work

        tasks.configure(tasks_url)
        work.attendance_file(import_id)
        env = {
            **os.environ,
            "CME_ENV": "development",
            "DATABASE_URL": url,
            "CME_TASKS_URL": tasks_url,
            "CME_INSTANCE_PATH": folder,
            "CME_LOG_FORMAT": "text",
            "CME_WORKER_THREADS": "2",
        }
        log = Path(folder) / "workers.log"
        started = time.perf_counter()
        first = worker(env, log)
        writing_at, _ = wait_for(engine, import_id, lambda r: r.stage == "Importing the marks", "A to start writing")
        time.sleep(args.into)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.perf_counter()
        before_kill = row(engine, import_id)
        if before_kill.status != ImportStatus.IMPORTING:
            raise SystemExit(f"worker A finished ({before_kill.status}) before it was killed: give a smaller --into")
        weeks_after_kill = _count(engine, AttendanceWeek)
        second = worker(env, log)
        try:
            resumed_at, taken = wait_for(engine, import_id, lambda r: r.attempts >= 2, "B to take the file")
            done_at, done = wait_for(engine, import_id, lambda r: r.status not in IN_PROGRESS, "the import to finish")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=60)
        weeks = _count(engine, AttendanceWeek)
        with Session(engine) as session:
            imports = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import"))
        engine.dispose()
    alone = done_at - resumed_at
    print(f"\n{label}: {written.rows:,} marks, {written.pupils:,} pupils at {len(schools)} schools")
    print(f"  worker A started writing the marks after   {writing_at - started:8.1f} s")
    print(
        f"  killed with SIGKILL, {args.into} s into writing, at {killed_at - started:8.1f} s "
        f"(stage: {before_kill.stage}; attendance weeks in the database: {weeks_after_kill:,})"
    )
    print(f"  taken again by worker B after the kill    {resumed_at - killed_at:8.1f} s (attempt {taken.attempts})")
    print(f"  B's check and import, start to finish     {alone:8.1f} s (the baseline: uninterrupted)")
    whole = done_at - started
    print(f"  whole wall time, kill included            {whole:8.1f} s = {whole / alone:.2f}x the baseline")
    print(
        f"  result: status {done.status}, attempts {done.attempts}, marks {done.summary.get('marks', 0):,}, "
        f"attendance weeks {weeks:,}, imports in the audit trail {imports}"
    )
    ok = (
        done.status == ImportStatus.IMPORTED
        and done.summary.get("marks") == written.rows
        and imports == 1
        and weeks_after_kill == 0
    )
    print(f"  imported once, nothing from the killed worker kept: {'yes' if ok else 'NO'}")
    if not ok:
        raise SystemExit(1)


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=7700)
    parser.add_argument("--days", type=int, default=65)
    parser.add_argument("--schools", type=int, default=60)
    parser.add_argument("--into", type=float, default=0.5, help="seconds into writing the marks to kill worker A")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    run(args, "SQLite", None)
    if args.database_url:
        run(args, "PostgreSQL", args.database_url)


if __name__ == "__main__":
    main()
