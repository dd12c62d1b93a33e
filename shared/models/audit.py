"""The audit trail, kept as a hash chain.

Each event carries the hash of the event before it (by id) and its own hash over its fields and that one, so an
event altered, removed or slipped in afterwards shows up when the chain is walked (`cme audit verify`). The
database also refuses to update or delete events (triggers made by the first migration).

Events join the chain when their transaction commits (listeners registered on every Session when `shared.models` is
imported), so anything that adds an `AuditEvent` to a session is chained; until then a flush holds them back, and a
query inside the transaction does not see them. Core inserts (`session.execute(insert(...))`)
bypass the listener: do not write audit events that way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event, select, update
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.clock import utcnow
from shared.models.base import Base, table_of

HEAD_ID = 1  # the single row of audit_chain_head


class AuditEvent(Base):
    """Who did what to which record, when, with the values before and after. Append-only: the database
    refuses updates and deletes (triggers made by the first migration)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    # The chain: the hash of the event before (by id) and this event's own hash over its fields and that one.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the last event in the audit chain. Writers lock it, so events join the chain one at a time."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int | None]
    last_hash: Mapped[str | None] = mapped_column(String(64))


HASHED_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "prev_hash",
)


def _instant(value: datetime) -> str:
    # SQLite keeps no zone: a naive value read back by plain SQL (as the migration does) is UTC.
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def event_hash(fields: Mapping[Any, Any]) -> str:
    """SHA-256 (hex) of an event's canonical form: sorted-key JSON of HASHED_FIELDS, the time as ISO 8601 in UTC
    with microseconds. JSON keeps what the database gives back (a tuple and a list, an int key and its string
    form, serialise alike), so the hash computed before the INSERT is the one recomputed from the stored row."""
    canonical = {name: fields[name] for name in HASHED_FIELDS}
    canonical["occurred_at"] = _instant(canonical["occurred_at"])
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> tuple[int, str | None]:
    """Lock the chain's head row for the rest of the transaction and return (last event id, last hash).

    PostgreSQL: SELECT ... FOR UPDATE; a second writer waits here until the first commits or rolls back, then
    reads the head the first left. SQLite has no row locks: an UPDATE of the head takes the database's single
    write lock first (waiting up to busy_timeout), so the SELECT after it cannot be overtaken by another writer.
    The head row is made if it is missing (a fresh or truncated database): ON CONFLICT DO NOTHING lets two
    writers race to make it without either failing."""
    head = table_of(AuditChainHead)
    postgresql = session.get_bind().dialect.name == "postgresql"
    for _attempt in range(2):
        if not postgresql:
            session.execute(update(head).where(head.c.id == HEAD_ID).values(last_hash=head.c.last_hash))
        row = session.execute(
            select(head.c.last_event_id, head.c.last_hash).where(head.c.id == HEAD_ID).with_for_update()
        ).first()
        if row is not None:
            return row.last_event_id or 0, row.last_hash
        make = postgresql_insert(head) if postgresql else sqlite_insert(head)
        session.execute(make.values(id=HEAD_ID).on_conflict_do_nothing(index_elements=["id"]))
    raise RuntimeError("the audit chain's head row could not be made")  # pragma: no cover


PENDING = "cme_audit_pending"  # session.info: the transaction's new events, held back until it commits
JOINING = "cme_audit_joining"  # session.info: set while held-back events are being written


@event.listens_for(Session, "before_flush")
def _hold_back_new_events(session: Session, _flush_context, _instances) -> None:
    """Take new audit events out of the flush and keep them for the commit (see `_chain_pending_events`)."""
    if session.info.get(JOINING):
        return
    new_events = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new_events:
        return
    new_events.sort(key=lambda obj: orm_inspect(obj).insert_order or 0)
    session.info.setdefault(PENDING, []).extend(new_events)
    for audit_event in new_events:
        session.expunge(audit_event)


@event.listens_for(Session, "before_commit")
def _chain_pending_events(session: Session) -> None:
    """Give each of the transaction's audit events its id, prev_hash and hash, in the order they were added, and
    write them: the last thing a transaction does before it commits.

    The head row is locked only here, at the very end, so a transaction never waits for the head while holding
    it and then waits for another row (two writers taking the head and, say, a case in opposite orders would
    deadlock). Every other lock a transaction takes comes before this one.

    The id is the head's last id + 1, taken while the head is locked, not from the table's sequence: the hash
    covers the id and the row must be INSERTed with its hash (the triggers refuse UPDATEs), so the id has to be
    known before the INSERT, and ids handed out under the lock follow the chain's order exactly. A transaction
    that rolls back takes its events and its head update with it, and the next writer reuses the ids, so the
    chain has no gaps. (On PostgreSQL the audit_events id sequence is therefore not used.)"""
    if session.info.get(JOINING):
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # the transaction's own changes first: they may hold back more events
    new_events = session.info.pop(PENDING, [])
    if not new_events:
        return
    session.info[JOINING] = True
    try:
        with session.no_autoflush:
            last_id, last_hash = _lock_head(session)
            for audit_event in new_events:
                last_id += 1
                audit_event.id = last_id
                if audit_event.occurred_at is None:
                    audit_event.occurred_at = utcnow()
                audit_event.prev_hash = last_hash
                audit_event.hash = last_hash = event_hash({name: getattr(audit_event, name) for name in HASHED_FIELDS})
                session.add(audit_event)
            head = table_of(AuditChainHead)
            session.execute(update(head).where(head.c.id == HEAD_ID).values(last_event_id=last_id, last_hash=last_hash))
        session.flush()
    finally:
        session.info.pop(JOINING, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_events(session: Session, _previous_transaction) -> None:
    """A transaction rolled back: its held-back events describe changes that never happened. (A savepoint's
    rollback keeps them: the events held back before it are still the outer transaction's.)"""
    if not _previous_transaction.nested:
        session.info.pop(PENDING, None)
