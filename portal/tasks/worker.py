"""`cme worker`: runs the background work (portal/tasks/work.py) and the schedule, and says it is alive."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal.database import database
from portal.tasks import engine, work  # noqa: F401  (work registers the tasks the worker runs)
from shared.clock import utcnow
from shared.services import attendance_files

log = logging.getLogger(__name__)

# On SIGTERM (systemd's stop) running tasks get this long to finish; what is left is handed on by its lease.
SHUTDOWN_SECONDS = 30


class Heartbeat(threading.Thread):
    """Writes this worker's heartbeat every few seconds until stopped, then removes it (a worker stopped on purpose
    is not a silent one)."""

    def __init__(self, app: Flask, threads: int):
        super().__init__(name="heartbeat", daemon=True)
        self.app, self.threads, self.started_at, self.stopping = app, threads, utcnow(), threading.Event()
        # On SQLite a file being written holds a long lease instead: renewing would wait on the writer.
        with app.app_context():
            self.renews = database().engine.dialect.name != "sqlite"

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                engine.beat(self.started_at, self.threads)
            except Exception:
                log.warning("the heartbeat could not be written to the task queue", exc_info=True)
            if self.renews:
                self._renew()
            self.stopping.wait(engine.HEARTBEAT_EVERY.total_seconds())

    def _renew(self) -> None:
        try:
            with self.app.app_context(), database().sessionmaker() as session:
                attendance_files.renew_leases(session, attendance_files.working(), utcnow())
        except SQLAlchemyError:
            log.warning("this worker's leases could not be renewed: the database could not be used")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        try:
            engine.huey.storage.delete_data(engine.HEARTBEAT_PREFIX + engine.worker_id())
        except Exception:
            log.warning("the heartbeat could not be removed from the task queue", exc_info=True)


@click.command("worker")
@with_appcontext
@click.option(
    "--threads",
    type=click.IntRange(min=1, max=6),
    default=None,
    help="Tasks run at once (default: CME_WORKER_THREADS, 3).",
)
def worker(threads: int | None) -> None:
    """Run the background work: email, attendance files, and the scheduled digests, reminders, retries, purges,
    retention run and term dates check. Run one on each server, or several; SIGTERM stops it gracefully."""
    app: Flask = current_app._get_current_object()
    if engine.immediate():
        raise click.ClickException(
            "CME_TASKS_URL is memory://, where tasks run inside the web process: the worker needs a redis:// or "
            "sqlite:/// queue"
        )
    try:
        engine.huey.pending_count()
    except Exception as error:  # Redis down or refusing, the queue's file unwritable: one line, not a traceback a poll
        raise click.ClickException(
            f"The task queue could not be reached ({type(error).__name__}: {error}). Is CME_TASKS_URL right, and is "
            "its Redis server running?"
        ) from None
    engine.bind(app)
    threads = threads or app.config["WORKER_THREADS"]
    consumer = engine.huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        max_delay=1.0,  # a queue without blocking reads (SQLite) is asked at least every second
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    click.echo(f"Worker {engine.worker_id()} started: {threads} thread(s), queue on {engine.kind()}.")
    heartbeat = Heartbeat(app, threads)
    heartbeat.start()
    try:
        consumer.run()
    finally:
        heartbeat.stop()
        click.echo("Worker stopped.")
