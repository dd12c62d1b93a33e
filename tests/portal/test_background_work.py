"""Background work on the task engine: each task in immediate mode; leases that a dead worker leaves handed on and
the work done once; scheduled work claimed period by period so two schedulers never both send a digest; the queue
and the worker's heartbeat seen at /readyz and by admins, and never a reason a request fails."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.database import database
from portal.tasks import engine, schedule, work
from shared.clock import UK, utcnow
from shared.models import AttendanceImport, AttendanceWeek, Enquiry, OutboxMessage, ReportDraft, ScheduledRun
from shared.services import attendance_files, mail, scheduled_runs
from tests.conftest import get_page, sign_in, text_of
from tests.portal.test_attendance_upload import PRESENT_WEEK, checked_page, officer, post, upload  # noqa: F401
from tests.portal.test_cases import a_case
from tests.shared.test_attendance_import import MONDAY, OLIVER, csv_file, lines

DEAD_WORKER = "old-server:4242:abcdef"


@pytest.fixture
def queue_file(tmp_path):
    """The engine on a SQLite queue of its own for one test (as `make run` has it), then back to immediate mode."""
    engine.configure(f"sqlite:///{tmp_path / 'tasks.sqlite'}")
    yield
    engine.configure("memory://")


def checked_file(officer, db) -> AttendanceImport:  # noqa: F811
    checked_page(
        officer, db, upload(officer, "/staff/attendance/upload", csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK)))
    )
    return db.scalar(select(AttendanceImport))


def left_by_a_dead_worker(db, record: AttendanceImport, *, lease_until: datetime) -> None:
    """As a worker killed part-way through the import leaves it: importing, leased, nothing written."""
    record.status, record.stage, record.attempts = "importing", "Importing the marks", 1
    record.lease_holder, record.lease_until = f"{DEAD_WORKER}/0001", lease_until
    record.progress_at = utcnow() - timedelta(minutes=3)
    db.commit()


def weeks(db) -> int:
    return db.scalar(select(func.count()).select_from(AttendanceWeek))


def test_an_upload_is_checked_by_the_task_and_its_import_by_another(officer, db):  # noqa: F811
    record = checked_file(officer, db)
    # Checked, and let go: the file waits for the user, under nobody's lease, so their Import starts at once.
    assert (record.status, record.attempts, record.problem_count, record.lease_holder) == ("checked", 0, 0, None)
    _, page = checked_page(officer, db, post(officer, f"/staff/attendance/imports/{record.reference}", {}))
    db.refresh(record)
    assert (record.status, record.attempts, record.content) == ("imported", 1, None)
    assert text_of(page.find(class_="govuk-panel__title")) == "Attendance imported"
    assert weeks(db) == 1


def test_an_import_whose_lease_ran_out_is_queued_again_and_completed_once(app, officer, db):  # noqa: F811
    record = checked_file(officer, db)
    left_by_a_dead_worker(db, record, lease_until=utcnow() - timedelta(seconds=1))
    page = get_page(officer, f"/staff/attendance/imports/{record.reference}")
    assert text_of(page.h1) == "Importing the file"
    assert text_of(page.find(id="progress")) == (
        "Waiting to start again: the work on this file stopped, and starts again from the file you uploaded. "
        "Nothing from it has been imported yet."
    )
    assert page.find("meta", {"http-equiv": "refresh"})["content"] == "3"

    with app.app_context():
        assert "attendance-sweep" in schedule.run_due(app)
    db.refresh(record)
    assert (record.status, record.attempts, record.content) == ("imported", 2, None)
    assert weeks(db) == 1
    # Swept again: nothing is left to do, and nothing is written twice.
    with app.app_context():
        assert attendance_files.stalled_ids(db, utcnow(), set()) == []
        work.attendance_file(record.id)
    db.refresh(record)
    assert (record.status, record.attempts) == ("imported", 2)
    assert weeks(db) == 1
    page = get_page(officer, f"/staff/attendance/imports/{record.reference}")
    assert text_of(page.find(class_="govuk-panel__title")) == "Attendance imported"


def test_a_lease_is_handed_on_when_its_time_runs_out_or_its_worker_falls_silent(app, db, officer, clock):  # noqa: F811
    record = checked_file(officer, db)
    left_by_a_dead_worker(db, record, lease_until=utcnow() + timedelta(minutes=1))
    now = utcnow()
    # The lease is live and its worker was heard from just now: left alone.
    assert attendance_files.stalled_ids(db, now, {DEAD_WORKER}) == []
    # Its worker has gone silent: handed on at once, though the lease has a minute to run.
    assert attendance_files.stalled_ids(db, now, {"another:1:000000"}) == [record.id]
    # Its worker still beats but the lease ran out (no progress for two minutes): handed on.
    assert attendance_files.stalled_ids(db, now + timedelta(minutes=1, seconds=1), {DEAD_WORKER}) == [record.id]
    # A file queued but never taken (the queue was lost) is queued again after a minute, not before.
    record.lease_holder, record.lease_until, record.progress_at = None, None, now
    db.commit()
    assert attendance_files.stalled_ids(db, now + timedelta(seconds=59), set()) == []
    assert attendance_files.stalled_ids(db, now + timedelta(minutes=1), set()) == [record.id]


def test_a_worker_whose_lease_was_taken_writes_nothing(app, db, officer, monkeypatch):  # noqa: F811
    record = checked_file(officer, db)
    record.status, record.lease_until = "importing", None
    db.commit()
    stage = attendance_files._Progress.stage

    def taken_meanwhile(self, text, *, writing=False):
        stage(self, text, writing=writing)
        if writing:  # another worker took the file for dead while this one checked it
            with app.extensions["cme.database"].session() as other:
                other.get(AttendanceImport, record.id).lease_holder = "another:1:000000/0002"
                other.commit()

    monkeypatch.setattr(attendance_files._Progress, "stage", taken_meanwhile)
    with app.app_context():
        assert (
            attendance_files.run(
                database().sessionmaker, record.id, engine.worker_id(), alive=engine.trusted_alive(utcnow())
            )
            == "not claimed"
        )
    db.refresh(record)
    assert (record.status, record.lease_holder) == ("importing", "another:1:000000/0002")
    assert record.content is not None
    assert weeks(db) == 0


def test_a_file_whose_work_stopped_three_times_is_not_tried_again(app, db, officer):  # noqa: F811
    record = checked_file(officer, db)
    left_by_a_dead_worker(db, record, lease_until=utcnow() - timedelta(seconds=1))
    record.attempts = attendance_files.MAX_ATTEMPTS
    db.commit()
    with app.app_context():
        assert (
            attendance_files.run(
                database().sessionmaker, record.id, engine.worker_id(), alive=engine.trusted_alive(utcnow())
            )
            == "gave up"
        )
    db.refresh(record)
    assert (record.status, record.content, weeks(db)) == ("failed", None, 0)
    page = get_page(officer, f"/staff/attendance/imports/{record.reference}")
    assert text_of(page.h1) == "The file was not imported"
    assert [text_of(p) for p in page.find("main").find_all("p") if "stopped" in text_of(p)] == [
        "The work on this file stopped 3 times before it finished. Nothing from it has been imported. Upload it "
        "again, or ask the service's administrators to look at the background worker's log."
    ]


def test_the_page_says_when_no_worker_is_running(app, db, officer, queue_file):  # noqa: F811
    from tests.portal.test_attendance_upload import upload as upload_file

    response = upload_file(officer, "/staff/attendance/upload", csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK)))
    page = get_page(officer, response.headers["Location"])
    assert text_of(page.h1) == "Checking the file"
    assert text_of(page.find(id="progress")) == "Waiting to start."
    assert text_of(page.find(id="worker-silent")).startswith(
        "! Warning The service's background work is not running at the moment. Your file is kept"
    )
    assert engine.huey.pending_count() == 1  # queued, for the worker that is not running
    engine.beat(utcnow(), 2)
    page = get_page(officer, response.headers["Location"])
    assert page.find(id="worker-silent") is None


def at(hour: int, minute: int, day=None) -> datetime:
    day = day or utcnow().astimezone(UK).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK).astimezone(UK)


def test_daily_work_waits_for_its_time_and_the_rest_runs_in_its_period(app):
    entries = {entry.name: entry for entry in schedule.entries(app.config)}
    assert entries["digests"].period(at(6, 29)) is None
    assert entries["digests"].period(at(6, 30)) == at(6, 30).date().isoformat()
    utc = at(14, 37).astimezone(UTC)
    assert entries["mail"].period(at(14, 37)) == f"{utc.date().isoformat()}T{utc.hour:02d}:35"
    assert entries["purges"].period(at(14, 37)) == f"{utc.date().isoformat()}T{utc.hour:02d}"
    # The night the clocks go back, 01:00 to 02:00 comes twice in England: its five minutes are claimed apart.
    first, second = datetime(2027, 10, 31, 0, 32, tzinfo=UTC), datetime(2027, 10, 31, 1, 32, tzinfo=UTC)
    assert (first.astimezone(UK).hour, second.astimezone(UK).hour) == (1, 1)
    assert (entries["mail"].period(first), entries["mail"].period(second)) == ("2027-10-31T00:30", "2027-10-31T01:30")
    # The night they go forward, 01:30 never comes: the work set for it runs at 02:00.
    daily = schedule.Scheduled("x", "x", lambda app, now: schedule.Outcome(""), at="01:30")
    assert daily.period(datetime(2027, 3, 28, 0, 59, tzinfo=UTC)) is None
    assert daily.period(datetime(2027, 3, 28, 1, 0, tzinfo=UTC)) == "2027-03-28"
    assert [(entry.name, entry.when) for entry in schedule.entries(app.config)] == [
        ("attendance-sweep", "Every minute"),
        ("mail", "Every 5 minutes"),
        ("purges", "Hourly"),
        ("digests", "Daily at 06:30"),
        ("return-reminders", "Daily at 06:40"),
        ("term-dates-check", "Daily at 07:00"),
        ("retention", "Not scheduled: CME_RETENTION_AT is not set"),
    ]
    # Retention deletes for good: it runs only once a council sets its time (after an agreed dry run).
    assert entries["retention"].period(at(23, 59)) is None


def overdue_case(app, db, users):
    case = a_case(app, db, users)
    case.assigned_to = users["officer"]
    checks = db.scalars(select(Enquiry).where(Enquiry.case_id == case.id).order_by(Enquiry.id)).all()
    checks[0].due_on = utcnow().astimezone(UK).date() - timedelta(days=2)
    db.commit()


def test_two_schedulers_send_the_days_digests_once(app, db, users, school, clock, mailbox):
    overdue_case(app, db, users)
    clock.set(at(6, 31))
    ran: list[list[str]] = []
    start = threading.Barrier(2)

    def scheduler():
        with app.app_context():
            start.wait(timeout=10)
            ran.append(schedule.run_due(app))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(name for names in ran for name in names if name == "digests") == ["digests"]
    run = db.scalars(select(ScheduledRun).where(ScheduledRun.name == "digests")).one()
    assert (run.period, run.attempts, run.failed) == (at(6, 31).date().isoformat(), 1, False)
    assert run.outcome == (
        "Sent 1 officer digest(s) and 2 overdue summary(ies); 1 officer(s) had nothing due; 0 already sent today."
    )
    assert sorted(message["To"] for message in mailbox.wait_for(3)) == [
        "lead@northbridge.example",
        "manager@northbridge.example",
        "officer@northbridge.example",
    ]
    # A tick later in the day: the day's digests are done.
    clock.advance(hours=3)
    with app.app_context():
        assert "digests" not in schedule.run_due(app)
    staff = {"lead@northbridge.example", "manager@northbridge.example", "officer@northbridge.example"}
    assert len([message for message in mailbox.messages if message["To"] in staff]) == 3


def test_a_scheduled_run_whose_worker_died_is_taken_again(app, db):
    now = utcnow()
    with app.app_context():
        assert scheduled_runs.claim(db, "retention", "2026-12-07", now, timedelta(hours=2), "a:1:aaaaaa") is True
        assert scheduled_runs.claim(db, "retention", "2026-12-07", now, timedelta(hours=2), "b:2:bbbbbb") is False
        later = now + timedelta(hours=2, seconds=1)  # a's lease ran out, its run unfinished
        assert scheduled_runs.claim(db, "retention", "2026-12-07", later, timedelta(hours=2), "b:2:bbbbbb") is True
        scheduled_runs.finish(db, "retention", "2026-12-07", "b:2:bbbbbb", later, "Done.")
        assert (
            scheduled_runs.claim(db, "retention", "2026-12-07", later + timedelta(hours=3), timedelta(hours=2), "c")
            is False
        )
    run = db.scalars(select(ScheduledRun)).one()
    assert (run.worker, run.attempts, run.outcome) == ("b:2:bbbbbb", 2, "Done.")


def test_the_send_email_task_sends_and_the_retry_sends_what_waited(app, db, mailbox):
    with app.app_context():
        first = mail.queue(db, "one@northbridge.example", "One", "Body one")
        mail.queue(db, "two@northbridge.example", "Two", "Body two")
        db.commit()
        work.send_email([first.id])
        assert [message["To"] for message in mailbox.wait_for(1)] == ["one@northbridge.example"]
        outcome = schedule._send_waiting_mail(app, utcnow())
    assert outcome == schedule.Outcome("Sent 1 email(s); 0 still waiting.")
    assert sorted(message["To"] for message in mailbox.wait_for(2)) == [
        "one@northbridge.example",
        "two@northbridge.example",
    ]
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_hourly_purges_and_the_nightly_runs_say_what_they_did(app, db, clock):
    now = utcnow()
    db.add(ReportDraft(session_key_hash="0" * 64, submission_key="1" * 64, expires_at=now - timedelta(minutes=1)))
    db.commit()
    with app.app_context():
        assert schedule._purges(app, now) == schedule.Outcome(
            "Deleted 1 expired report draft(s) and receipt(s) and 0 unsent school upload(s); "
            "0 attendance file(s) not imported within a day emptied."
        )
        assert schedule._retention(app, now) == schedule.Outcome(
            "Anonymised or deleted 0 record(s) past their retention period."
        )
        checked = schedule._term_dates_check(app, now)
    assert checked.problem is False and checked.text.startswith("Term dates are in place until ")


def test_a_queue_that_cannot_be_reached_fails_no_request(app, client, db, users, mailbox):
    engine.configure("redis://127.0.0.1:1/0?socket_connect_timeout=0.2")
    try:
        sign_in(client, "lead@northbridge.example")
        case = a_case(app, db, users)
        db.commit()
        page = get_page(client, f"/staff/cases/{case.reference}/assign")
        from tests.conftest import csrf_token

        response = client.post(
            f"/staff/cases/{case.reference}/assign",
            data={
                "csrf_token": csrf_token(page),
                "officer": str(users["officer"].id),
                "version": page.find("input", {"name": "version"})["value"],
            },
        )
        assert response.status_code == 302
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json()["checks"]["background_work"] == {"state": "queue unavailable", "kind": "redis"}
    finally:
        engine.configure("memory://")
    # The email waited in the outbox, for the retry.
    [waiting] = db.scalars(select(OutboxMessage)).all()
    assert waiting.to_address == "officer@northbridge.example"


def test_readyz_reports_the_worker_and_the_queue_without_failing_on_them(client, queue_file):
    checks = client.get("/readyz").get_json()["checks"]
    assert checks["background_work"] == {"state": "no worker seen", "kind": "sqlite", "queued": 0, "workers": 0}
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["status"] == "ready"
    engine.beat(utcnow() - timedelta(seconds=30), 2)
    work.send_email([999])  # queued, not run: no worker takes it
    check = client.get("/readyz").get_json()["checks"]["background_work"]
    assert {key: check[key] for key in ("state", "kind", "queued", "workers", "seconds_since_heartbeat")} == {
        "state": "ok",
        "kind": "sqlite",
        "queued": 1,
        "workers": 1,
        "seconds_since_heartbeat": 0,
    }


def test_admins_see_the_workers_the_schedule_and_what_waits(app, client, db, users, queue_file):
    engine.beat(utcnow(), 2)
    app.config["SCHEDULE_TIMES"] = {**app.config["SCHEDULE_TIMES"], "retention": "03:30"}
    with app.app_context():
        scheduled_runs.claim(db, "retention", "2026-12-07", utcnow(), timedelta(hours=2), engine.worker_id())
        scheduled_runs.finish(
            db,
            "retention",
            "2026-12-07",
            engine.worker_id(),
            utcnow(),
            "Anonymised or deleted 0 record(s) past their retention period.",
        )
    sign_in(client, "admin@northbridge.example")
    page = get_page(client, "/admin/background-work")
    assert text_of(page.h1) == "Background work"
    [row] = page.select("#workers tbody tr")
    cells = [text_of(cell) for cell in row.find_all("td")]
    assert (cells[0], cells[1]) == (f"{engine.worker_id()} Running", "0 seconds ago")
    assert text_of(page.select_one("#workers caption")) == "Queue: sqlite. Tasks waiting: 0."
    rows = {
        text_of(row.td): [text_of(cell) for cell in row.find_all("td")[1:]]
        for row in page.select("#scheduled tbody tr")
    }
    assert rows["Anonymise or delete what is past its retention period"][0] == "Daily at 03:30"
    assert rows["Anonymise or delete what is past its retention period"][2] == (
        "Anonymised or deleted 0 record(s) past their retention period."
    )
    assert rows["Reminder digests to officers, leads and managers"][1:] == ["Not run yet", ""]
    other = app.test_client()
    sign_in(other, "officer@northbridge.example")
    assert other.get("/admin/background-work").status_code == 403


def test_a_live_workers_heartbeat_keeps_the_files_it_is_working_on_and_no_others(app, db, officer):  # noqa: F811
    record = checked_file(officer, db)
    now = utcnow()
    left_by_a_dead_worker(db, record, lease_until=now + timedelta(seconds=10))
    with app.app_context():
        assert attendance_files.renew_leases(db, set(), now) == 0
        assert attendance_files.renew_leases(db, {"another:1:000000/0001"}, now) == 0
        assert attendance_files.renew_leases(db, {f"{DEAD_WORKER}/0001"}, now) == 1
    db.refresh(record)
    assert record.lease_until == now + attendance_files.LEASE
    # A longer lease (writing the marks on SQLite) is not shortened.
    record.lease_until = now + attendance_files.WRITING_LEASE
    db.commit()
    with app.app_context():
        assert attendance_files.renew_leases(db, {f"{DEAD_WORKER}/0001"}, now) == 0


def test_a_real_worker_sends_what_was_queued_beats_and_stops_on_sigterm(app, db, database_url, tmp_path, mailbox):
    """`cme worker` as systemd runs it, on a SQLite queue: it takes a task a web request queued, says it is alive,
    and on SIGTERM stops gracefully and takes its heartbeat with it."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import _SMTP, SECRET_KEY

    queue = f"sqlite:///{tmp_path / 'tasks.sqlite'}"
    with app.app_context():
        message = mail.queue(db, "worker@northbridge.example", "Queued", "Sent by the worker")
        db.commit()
    engine.configure(queue)
    try:
        work.send_email([message.id])
        assert engine.huey.pending_count() == 1
        env = {
            **os.environ,
            "CME_ENV": "test",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database_url,
            "CME_TASKS_URL": queue,
            "CME_INSTANCE_PATH": str(tmp_path),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(_SMTP["port"]),
            "MAIL_USE_TLS": "false",
            "CME_LOG_FORMAT": "text",
        }
        worker = subprocess.Popen(
            [sys.executable, "-c", "import wsgi; wsgi.main()", "worker", "--threads", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            [sent] = [email for email in mailbox.wait_for(1, timeout=60) if email["To"] == "worker@northbridge.example"]
            assert sent["Subject"] == "Queued"
            [beat] = engine.heartbeats()
            assert beat.worker.split(":")[1] == str(worker.pid) and beat.threads == 1
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        lines = output.splitlines()
        assert lines[0] == f"Worker {beat.worker} started: 1 thread(s), queue on sqlite."
        assert lines[-1] == "Worker stopped."
        assert engine.heartbeats() == []
    finally:
        engine.configure("memory://")
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_tick_task_runs_each_piece_of_work_whose_time_has_come_once(app, db, clock):
    clock.set(at(6, 35))
    work.tick()  # as a worker's scheduler queues it each minute (here it runs at once)
    done = {run.name: run for run in db.scalars(select(ScheduledRun))}
    # Everything but what is set for later in the day (06:40, 07:00), and retention, not scheduled.
    assert sorted(done) == ["attendance-sweep", "digests", "mail", "purges"]
    assert all(run.finished_at is not None and not run.failed for run in done.values())
    assert done["attendance-sweep"].outcome == "No attendance file was waiting for a worker."
    clock.set(at(7, 1))
    work.tick()
    db.expire_all()
    names = [run.name for run in db.scalars(select(ScheduledRun).order_by(ScheduledRun.id))]
    assert sorted(set(names)) == [
        "attendance-sweep",
        "digests",
        "mail",
        "purges",
        "return-reminders",
        "term-dates-check",
    ]
    assert names.count("digests") == 1


def test_a_failed_scheduled_run_is_tried_again_then_left_for_its_next_period(app, db, clock, monkeypatch):
    clock.set(at(7, 30))
    calls = []

    def broken(app, now):
        calls.append(now)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(schedule, "_term_dates_check", broken)
    with app.app_context():
        assert "term-dates-check" in schedule.run_due(app)
        run = db.scalars(select(ScheduledRun).where(ScheduledRun.name == "term-dates-check")).one()
        assert (run.finished_at, run.failed, run.attempts) == (None, True, 1)
        assert run.outcome == "Failed (RuntimeError): tried again in a few minutes."
        clock.advance(minutes=4)
        assert "term-dates-check" not in schedule.run_due(app)
        for _ in range(2):
            clock.advance(minutes=5, seconds=1)
            assert "term-dates-check" in schedule.run_due(app)
        clock.advance(minutes=6)
        assert "term-dates-check" not in schedule.run_due(app)
    db.refresh(run)
    assert (run.attempts, run.failed, run.finished_at is not None, len(calls)) == (3, True, True, 3)


def test_a_worker_whose_file_was_taken_does_not_mark_it_failed(app, db, officer):  # noqa: F811
    record = checked_file(officer, db)
    left_by_a_dead_worker(db, record, lease_until=utcnow() + timedelta(minutes=1))
    with app.app_context():
        attendance_files._fail(db, record.id, "this:1:aaaaaa/0009", attendance_files.WENT_WRONG)
    db.refresh(record)
    assert (record.status, record.lease_holder) == ("importing", f"{DEAD_WORKER}/0001")
    assert record.content is not None


def test_the_page_of_a_file_whose_worker_fell_silent_says_it_waits_to_start_again(app, db, officer, queue_file):  # noqa: F811
    record = checked_file(officer, db)
    left_by_a_dead_worker(db, record, lease_until=utcnow() + timedelta(minutes=1))
    engine.beat(utcnow(), 3)  # another worker is running: the file is handed on at its next sweep
    page = get_page(officer, f"/staff/attendance/imports/{record.reference}")
    assert text_of(page.find(id="progress")) == (
        "Waiting to start again: the work on this file stopped, and starts again from the file you uploaded. "
        "Nothing from it has been imported yet."
    )
    assert page.find(id="worker-silent") is None


def test_the_worker_refuses_to_start_without_a_queue_it_can_use(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker"])  # the tests' memory:// queue runs tasks inside the web process
    assert (result.exit_code, result.output) == (
        1,
        "Error: CME_TASKS_URL is memory://, where tasks run inside the web process: the worker needs a redis:// or "
        "sqlite:/// queue\n",
    )
    engine.configure("redis://:secret@127.0.0.1:1/0")
    try:
        result = runner.invoke(args=["worker"])
    finally:
        engine.configure("memory://")
    assert result.exit_code == 1
    assert result.output.startswith("Error: The task queue could not be reached (ConnectionError: ")
    assert result.output.endswith("Is CME_TASKS_URL right, and is its Redis server running?\n")
    assert "secret" not in result.output
