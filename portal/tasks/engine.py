"""The task engine: one Huey instance for the service, its queue where CME_TASKS_URL says.

- `redis://` (production): every worker on every server takes tasks from one queue.
- `sqlite:///path` (the embedded default): a SQLite file of its own beside the service's database, never in it,
  since the service's own SQLite file already has one writer at a time.
- `memory://` (the tests): a task runs at once, where it is queued (Huey's immediate mode).

A task only starts work that the database records (an outbox message, an attendance file's row): the row is claimed
with a lease, and a sweeper queues again what a worker that died left, so a lost task loses nothing. Queueing never
fails a request: if the queue cannot be reached, the row waits for the sweeper.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage
from redis import ConnectionPool

from shared.clock import utcnow

log = logging.getLogger(__name__)

NAME = "cme"
huey = Huey(NAME, results=False, immediate=True, utc=True)  # memory until configure() says where

HEARTBEAT_PREFIX = "heartbeat:"
HEARTBEAT_EVERY = timedelta(seconds=10)
# A worker not heard from for this long is taken for dead: what it had leased is handed on.
WORKER_GONE_AFTER = timedelta(seconds=45)
FORGET_WORKER_AFTER = timedelta(days=1)

_bound_app: Flask | None = None


def configure(url: str) -> None:
    """Point the engine at the queue `url` names (CME_TASKS_URL)."""
    scheme, _, rest = url.partition("://")
    if scheme == "memory":
        huey.immediate = True
        return
    if scheme in ("redis", "rediss"):
        # Timeouts unless the address gives its own: a Redis that stops answering must not hold a request (or
        # /readyz) until the operating system gives up on the connection. Reads wait longer than Huey's blocking
        # read of the queue (1 second).
        pool = ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=5)
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"connection_pool": pool}
    else:  # sqlite:///path, as DATABASE_URL writes a file
        path = rest[1:] if rest.startswith("/") else rest
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": path, "timeout": 10}
    huey._immediate = False  # the setter keeps the storage when the mode is unchanged: build it here
    huey.storage = huey.create_storage()


def immediate() -> bool:
    return huey.immediate


def kind() -> str:
    """Where the queue is, in a word (never its address, which can carry a password): memory, redis or sqlite."""
    if huey.immediate:
        return "memory"
    return "redis" if isinstance(huey.storage, RedisStorage) else "sqlite"


def bind(app: Flask) -> None:
    """The app a worker's tasks run in (the web process's tasks, in immediate mode, run in the request's)."""
    global _bound_app
    _bound_app = app


@contextlib.contextmanager
def app_context() -> Iterator[Flask]:
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _bound_app is None:
        raise RuntimeError("no app bound: tasks run in `cme worker`, which binds one")
    with _bound_app.app_context():
        yield _bound_app


def later(task, *args) -> bool:
    """Queue `task(*args)`; False, logged, if the queue cannot be reached (the sweeper then starts the work)."""
    try:
        task(*args)
    except Exception:
        log.exception("could not queue %s: it waits for the sweeper", task.name)
        return False
    return True


# Who is working: each `cme worker` process, known by its host and process id and a few random characters (a
# process id is reused). Leases name it, so a lease whose worker has gone silent can be handed on at once.
_worker_id: str | None = None


def worker_id() -> str:
    global _worker_id
    if _worker_id is None or f":{os.getpid()}:" not in _worker_id:
        _worker_id = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"
    return _worker_id


@dataclass(frozen=True)
class Heartbeat:
    worker: str
    started_at: datetime
    seen_at: datetime
    threads: int

    def alive(self, now: datetime) -> bool:
        return now - self.seen_at <= WORKER_GONE_AFTER


def beat(started_at: datetime, threads: int) -> None:
    """This worker is alive: written every HEARTBEAT_EVERY, beside the queue (never the service's database, which a
    long import on SQLite holds). Workers silent for a day are forgotten."""
    now = utcnow()
    value = {"started_at": started_at.isoformat(), "seen_at": now.isoformat(), "threads": threads}
    huey.storage.put_data(HEARTBEAT_PREFIX + worker_id(), json.dumps(value).encode())
    for heartbeat in heartbeats():
        if now - heartbeat.seen_at > FORGET_WORKER_AFTER:
            huey.storage.delete_data(HEARTBEAT_PREFIX + heartbeat.worker)


def heartbeats() -> list[Heartbeat]:
    """Every worker heard from in the last day, the most recent first."""
    found = []
    for key, value in huey.storage.result_items().items():
        key = key.decode() if isinstance(key, bytes) else key
        if not key.startswith(HEARTBEAT_PREFIX):
            continue
        try:
            data = json.loads(value)
            found.append(
                Heartbeat(
                    worker=key.removeprefix(HEARTBEAT_PREFIX),
                    started_at=datetime.fromisoformat(data["started_at"]),
                    seen_at=datetime.fromisoformat(data["seen_at"]),
                    threads=int(data["threads"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda heartbeat: heartbeat.seen_at, reverse=True)


def alive_workers(now: datetime) -> set[str]:
    return {heartbeat.worker for heartbeat in heartbeats() if heartbeat.alive(now)}


def trusted_alive(now: datetime) -> set[str] | None:
    """The workers heard from lately, when the heartbeats can be trusted to say who is dead: this process is a worker
    and its own heartbeat is among them. None otherwise (the queue was emptied, a Redis restart; or this is not a
    worker): then only a lease that has run out is handed on."""
    alive = alive_workers(now)
    return alive if worker_id() in alive else None


def seen_alive(now: datetime) -> set[str] | None:
    """For the pages: the workers heard from lately, or None when that cannot be known (tasks run in the web
    process, or the queue cannot be read: logged)."""
    if huey.immediate:
        return None
    try:
        return alive_workers(now)
    except Exception:
        log.warning("the task queue could not be read", exc_info=True)
        return None


@dataclass(frozen=True)
class QueueState:
    """What /readyz and the admin page say of the background work: never a reason to stop serving pages."""

    kind: str  # redis, sqlite or memory: never the address, which can carry a password
    reachable: bool
    queued: int | None = None
    scheduled: int | None = None
    last_heartbeat: datetime | None = None
    workers_alive: int = 0
    heartbeats: tuple[Heartbeat, ...] = ()

    def as_check(self, now: datetime) -> dict:
        if self.kind == "memory":
            return {"state": "in the web process", "kind": self.kind}
        if not self.reachable:
            return {"state": "queue unavailable", "kind": self.kind}
        state = "no worker seen" if self.last_heartbeat is None else "ok" if self.workers_alive else "worker silent"
        check = {"state": state, "kind": self.kind, "queued": self.queued, "workers": self.workers_alive}
        if self.last_heartbeat is not None:
            check["last_heartbeat"] = self.last_heartbeat.isoformat(timespec="seconds")
            check["seconds_since_heartbeat"] = int((now - self.last_heartbeat).total_seconds())
        return check


def queue_state(now: datetime) -> QueueState:
    if huey.immediate:
        return QueueState(kind="memory", reachable=True, queued=0, scheduled=0)
    try:
        beats = heartbeats()
        queued, scheduled = huey.pending_count(), huey.scheduled_count()
    except Exception:  # Redis down, the file unreadable: said, never raised
        log.warning("the task queue could not be read", exc_info=True)
        return QueueState(kind=kind(), reachable=False)
    return QueueState(
        kind=kind(),
        reachable=True,
        queued=queued,
        scheduled=scheduled,
        last_heartbeat=beats[0].seen_at if beats else None,
        workers_alive=sum(1 for beat in beats if beat.alive(now)),
        heartbeats=tuple(beats),
    )
