"""The audit trail is a hash chain: an event altered, removed or inserted behind the service's back is found."""

import hashlib
import importlib.util
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from shared.models import AuditChainHead, AuditEvent
from shared.models.audit import HASHED_FIELDS, event_hash
from shared.services import audit

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def initial_migration():
    spec = importlib.util.spec_from_file_location("migration_0001", MIGRATIONS / "20261123_0001_initial_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def unguarded(db):
    """The append-only triggers dropped, as someone with the database's owner account could; made again after
    (a PostgreSQL test database is kept between tests)."""
    migration = initial_migration()
    dialect = db.get_bind().dialect.name
    for statement in migration._AUDIT_GUARDS_DROP[dialect]:
        db.execute(text(statement))
    db.commit()
    yield db
    db.rollback()
    for statement in migration._AUDIT_GUARDS[dialect]:
        db.execute(text(statement))
    db.commit()


def record_events(db, count: int, start: int = 1) -> None:
    for number in range(start, start + count):
        audit.record(db, None, "case.updated", "case", number, before={"risk": "low"}, after={"risk": f"r{number}"})
        db.commit()


def verify(db):
    db.rollback()
    with db.get_bind().connect() as connection:
        return audit.verify_chain(connection, batch=2)  # small batches: the walk crosses batch boundaries


def test_each_event_carries_the_hash_of_the_one_before_and_the_head_names_the_last(db):
    audit.record(db, None, "user.created", "user", 7, after={"email": "a@northbridge.example"}, actor_label="cli")
    audit.record(db, None, "user.updated", "user", 7, before={"role": "officer"}, after={"role": "lead"})
    db.commit()
    audit.record(db, None, "case.opened", "case", 3, after={"status": "open", "checks": (1, 2)})
    db.commit()

    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [event.id for event in events] == [1, 2, 3]
    assert [event.prev_hash for event in events] == [None, events[0].hash, events[1].hash]
    for event in events:
        db.refresh(event)  # as stored: the hash is recomputed from what the database gives back
        assert event.hash == event_hash({name: getattr(event, name) for name in HASHED_FIELDS})
        assert len(event.hash) == 64
    head = db.get(AuditChainHead, 1)
    assert (head.last_event_id, head.last_hash) == (3, events[2].hash)
    report = verify(db)
    assert (report.intact, report.events, report.last_id, report.last_hash) == (True, 3, 3, events[2].hash)


def test_the_hash_covers_every_field_in_a_fixed_canonical_form():
    fields = {
        "id": 1,
        "occurred_at": datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        "actor_id": None,
        "actor_label": "system",
        "action": "case.opened",
        "object_type": "case",
        "object_id": 3,
        "before": None,
        "after": {"status": "open", "b": [1, 2]},
        "prev_hash": None,
    }
    canonical = (
        '{"action":"case.opened","actor_id":null,"actor_label":"system","after":{"b":[1,2],"status":"open"},'
        '"before":null,"id":1,"object_id":3,"object_type":"case","occurred_at":"2026-12-03T09:30:00.000000+00:00",'
        '"prev_hash":null}'
    )
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert event_hash(fields) == expected
    naive_but_utc = {**fields, "occurred_at": datetime(2026, 12, 3, 9, 30)}  # as SQLite gives it back
    assert event_hash(naive_but_utc) == expected
    for name, changed in [("id", 2), ("actor_label", "someone"), ("after", {"status": "closed", "b": [1, 2]})]:
        assert event_hash({**fields, name: changed}) != expected


def test_a_rolled_back_transaction_leaves_the_chain_as_it_was(db):
    record_events(db, 2)
    audit.record(db, None, "case.closed", "case", 99)
    db.flush()
    db.rollback()
    assert db.get(AuditChainHead, 1).last_event_id == 2
    record_events(db, 1, start=3)

    assert db.scalars(select(AuditEvent.object_id).order_by(AuditEvent.id)).all() == [1, 2, 3]
    assert db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all() == [1, 2, 3]
    assert verify(db).intact


def test_an_empty_trail_is_intact(db):
    report = verify(db)
    assert (report.intact, report.events, report.last_id) == (True, 0, None)


def test_an_altered_event_is_named(unguarded):
    db = unguarded
    record_events(db, 5)
    db.execute(text("UPDATE audit_events SET actor_label = 'someone else' WHERE id = 3"))
    db.commit()
    stored = db.scalar(select(AuditEvent.hash).where(AuditEvent.id == 3))

    report = verify(db)
    assert (report.intact, report.broken_at, report.events) == (False, 3, 2)
    assert report.problems == (
        f"hash mismatch: its stored hash {stored[:12]} is not the hash of its contents: the event was altered",
    )


def test_a_removed_event_is_found_at_the_event_after_it(unguarded):
    db = unguarded
    record_events(db, 5)
    hashes = dict(db.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    db.execute(text("DELETE FROM audit_events WHERE id = 3"))
    db.commit()

    report = verify(db)
    assert (report.broken_at, report.events) == (4, 2)
    assert report.problems == (
        f"prev_hash mismatch: its prev_hash is {hashes[3][:12]} but should be the hash of event 2, the event "
        f"before it ({hashes[2][:12]}): an event was removed or inserted before it",
    )


def test_a_changed_prev_hash_is_named(unguarded):
    db = unguarded
    record_events(db, 4)
    hashes = dict(db.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    db.execute(text("UPDATE audit_events SET prev_hash = :forged WHERE id = 2"), {"forged": "f" * 64})
    db.commit()

    report = verify(db)
    assert (report.broken_at, report.events) == (2, 1)
    assert report.problems == (
        f"prev_hash mismatch: its prev_hash is ffffffffffff but should be the hash of event 1, the event before it "
        f"({hashes[1][:12]}): an event was removed or inserted before it",
        f"hash mismatch: its stored hash {hashes[2][:12]} is not the hash of its contents: the event was altered",
    )


def test_removing_the_first_event_is_found(unguarded):
    db = unguarded
    record_events(db, 3)
    db.execute(text("DELETE FROM audit_events WHERE id = 1"))
    db.commit()

    report = verify(db)
    assert (report.broken_at, report.events) == (2, 0)
    assert "should be empty (the first event) (none)" in report.problems[0]


def test_removing_the_last_events_is_found_by_the_head(unguarded):
    db = unguarded
    record_events(db, 4)
    hashes = dict(db.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    db.execute(text("DELETE FROM audit_events WHERE id >= 3"))
    db.commit()

    report = verify(db)
    assert (report.intact, report.broken_at, report.events, report.last_id) == (False, None, 2, 2)
    assert report.problems == (
        f"the chain head names event 4 ({hashes[4][:12]}) but the last event is 2: events were removed from the end",
    )


def test_an_event_added_outside_the_service_is_found_by_the_head(db):
    record_events(db, 2)
    last = db.scalar(select(AuditEvent.hash).where(AuditEvent.id == 2))
    forged = {
        "id": 3,
        "occurred_at": datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
        "actor_id": None,
        "actor_label": "system",
        "action": "case.closed",
        "object_type": "case",
        "object_id": 1,
        "before": None,
        "after": None,
        "prev_hash": last,
    }
    # A correctly hashed row, written past the ORM (so past the listener that moves the head).
    db.execute(AuditEvent.__table__.insert().values(**forged, hash=event_hash(forged)))
    db.commit()

    report = verify(db)
    assert (report.broken_at, report.events, report.last_id) == (None, 3, 3)
    assert report.problems == (
        f"the chain head names event 2 ({last[:12]}) but the last event is 3 ({event_hash(forged)[:12]}): "
        "events were added or altered outside the service",
    )


THREADS, EVENTS_EACH = 8, 25


def test_concurrent_writers_make_one_unbroken_chain(app, db):
    """8 writers, each with its own session and connection, recording 25 events each, one transaction per
    event, with a rolled-back transaction every fifth event."""
    sessionmaker = app.extensions["cme.database"].sessionmaker
    start = threading.Barrier(THREADS)
    failures = []

    def writer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for sequence in range(EVENTS_EACH):
                with sessionmaker() as session:
                    if sequence % 5 == 4:
                        audit.record(session, None, "case.viewed", "thrown-away", number)
                        session.flush()
                        session.rollback()
                    audit.record(session, None, "case.updated", f"writer-{number}", sequence)
                    session.commit()
        except Exception as error:  # reported by the test below
            failures.append(repr(error))

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []

    rows = db.execute(select(AuditEvent.id, AuditEvent.object_type, AuditEvent.object_id).order_by(AuditEvent.id)).all()
    assert [row.id for row in rows] == list(range(1, THREADS * EVENTS_EACH + 1))
    for number in range(THREADS):
        assert [row.object_id for row in rows if row.object_type == f"writer-{number}"] == list(range(EVENTS_EACH))
    report = verify(db)
    assert (report.intact, report.events, report.last_id) == (True, 200, 200)


def test_events_join_the_chain_at_commit_and_a_rollback_leaves_none_behind(db):
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    audit.record(db, None, "viewed", "case", 1)
    db.flush()
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before  # held back until the commit
    db.rollback()
    audit.record(db, None, "viewed", "case", 2)
    db.commit()
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(event.action, event.object_id) for event in events[before:]] == [("viewed", 2)]
    head = db.get(AuditChainHead, 1)
    assert (head.last_event_id, head.last_hash) == (events[-1].id, events[-1].hash)
