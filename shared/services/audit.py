from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from shared.models import AuditChainHead, AuditEvent, User
from shared.models.audit import HEAD_ID, event_hash


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj, fields: list[str]) -> dict[str, Any]:
    return {field: _plain(getattr(obj, field)) for field in fields}


def record(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is committed with the change it describes. It joins the audit
    chain (its id, prev_hash and hash) when the session is flushed: see shared.models.audit."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=actor_label or (actor.email if actor else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def record_reading(
    session: Session, actor: User, action: str, object_type: str, object_id: int | None, after: dict | None = None
) -> None:
    """A reading the audit trail keeps (a case looked at, a table downloaded): nothing else is written, so it is
    recorded and committed at once."""
    record(session, actor, action, object_type, object_id, after=after)
    session.commit()


BATCH = 1000  # events read at a time while the chain is walked: a long trail is never held in memory at once


@dataclass(frozen=True)
class ChainReport:
    """What walking the audit chain found. `broken_at` is the first event that does not fit (None when the chain
    is intact, or when only the head disagrees), `problems` says what is wrong there."""

    events: int
    last_id: int | None
    last_hash: str | None
    broken_at: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return not self.problems


def _read_head(connection: Connection) -> tuple[int | None, str | None] | None:
    head = AuditChainHead.__table__
    row = connection.execute(select(head.c.last_event_id, head.c.last_hash).where(head.c.id == HEAD_ID)).first()
    return None if row is None else (row.last_event_id, row.last_hash)


def parse_anchor(text: str) -> tuple[int, str]:
    """An anchor as `cme audit verify` prints it, "ID:HASH", or ValueError saying what is wrong."""
    event_id, _, digest = (text or "").strip().partition(":")
    if not (event_id.isascii() and event_id.isdigit() and len(event_id) <= 18) or not (
        len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(f"'{text}' is not an anchor: give it as `cme audit verify` printed it, EVENT_ID:HASH")
    return int(event_id), digest


def verify_chain(connection: Connection, batch: int = BATCH, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the audit events in id order, `batch` at a time, recomputing each hash; then check the head row names
    the last event. Events recorded while the walk goes on are walked too: the head is read after the events,
    and a head past the last event walked means more have been committed since (each commit moves the head and
    adds its events together), so the walk goes on to them.

    The chain alone cannot stop someone who can write to the database from rewriting every event and hash after
    the one they change. An `anchor` (an event id and its hash, printed by an earlier verify and kept outside the
    database) closes that: the event must still be there with that hash, so nothing up to it was rewritten."""
    report = _walk(connection, batch)
    if anchor is None or (report.broken_at is not None and report.broken_at <= anchor[0]):
        return report
    anchor_id, anchor_hash = anchor
    row = connection.execute(select(AuditEvent.__table__.c.hash).where(AuditEvent.__table__.c.id == anchor_id)).first()
    if row is None:
        problem = f"the anchor's event {anchor_id} is not in the trail: events were removed"
    elif row.hash != anchor_hash:
        problem = (
            f"the anchor's event {anchor_id} now has the hash {_short(row.hash)}, not {_short(anchor_hash)}: "
            "the trail up to it was rewritten"
        )
    else:
        return report
    # Nothing up to the anchor can be trusted: it is the chain itself that was remade.
    return ChainReport(0, report.last_id, report.last_hash, broken_at=anchor_id, problems=(problem,))


def _walk(connection: Connection, batch: int) -> ChainReport:
    table = AuditEvent.__table__
    count, last_id, last_hash = 0, None, None
    looked_again = False
    while True:
        query = select(table).order_by(table.c.id).limit(batch)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = connection.execute(query).all()
        for row in rows:
            problems = []
            if row.prev_hash != last_hash:
                before = f"the hash of event {last_id}, the event before it" if last_id else "empty (the first event)"
                problems.append(
                    f"prev_hash mismatch: its prev_hash is {_short(row.prev_hash)} but should be {before} "
                    f"({_short(last_hash)}): an event was removed or inserted before it"
                )
            if row.hash != event_hash(row._mapping):
                problems.append(
                    f"hash mismatch: its stored hash {_short(row.hash)} is not the hash of its contents: "
                    "the event was altered"
                )
            if problems:
                return ChainReport(count, last_id, last_hash, broken_at=row.id, problems=tuple(problems))
            count, last_id, last_hash = count + 1, row.id, row.hash
        if len(rows) == batch:
            continue
        head = _read_head(connection)
        ahead = head is not None and head[0] is not None and (last_id is None or head[0] > last_id)
        if ahead and (rows or not looked_again):
            # Events committed since this batch was read: a query made after the head was read sees them all.
            looked_again = not rows
            continue
        problem = _head_problem(head, last_id, last_hash)
        return ChainReport(count, last_id, last_hash, problems=(problem,) if problem else ())


def _head_problem(head: tuple[int | None, str | None] | None, last_id: int | None, last_hash: str | None):
    if head is None:
        return None if last_id is None else f"the chain head row is missing but there are events up to {last_id}"
    if head == (last_id, last_hash):
        return None
    named = f"event {head[0]} ({_short(head[1])})" if head[0] is not None else "no event"
    if last_id is None:
        return f"the chain head names {named} but there are no events: events were removed"
    if head[0] is not None and head[0] > last_id:
        return f"the chain head names {named} but the last event is {last_id}: events were removed from the end"
    return (
        f"the chain head names {named} but the last event is {last_id} ({_short(last_hash)}): "
        "events were added or altered outside the service"
    )


def _short(value: str | None) -> str:
    return "none" if value is None else value[:12]
