"""Keeps each child's sound-alike name keys (child_name_keys) in step with their names.

Whenever a session flushes a child that is new, or whose first, middle, last or other names changed, the child's
keys are rewritten from `shared.domain.matching.child_keys`: the keys no longer wanted are deleted and the new ones
added, in the same flush, so the keys are never out of step with a committed name. Registered on every Session
when `shared.models` is imported.

Core inserts and bulk UPDATEs bypass the ORM and so this listener: after one, call
`shared.services.matching.rebuild_name_keys` for the children written.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from shared.domain.matching import child_keys
from shared.models.people import Child, ChildNameKey

NAME_FIELDS = ("first_name", "middle_names", "last_name", "other_names")


def keys_for(child: Child) -> set[str]:
    return child_keys(child.first_name, child.middle_names, child.last_name, child.other_names)


def _names_changed(child: Child) -> bool:
    attributes = inspect(child).attrs
    return any(attributes[field].history.has_changes() for field in NAME_FIELDS)


def _write_keys(child: Child) -> None:
    wanted = keys_for(child)
    held = {row.key: row for row in child.name_keys}
    for key, row in held.items():
        if key not in wanted:
            child.name_keys.remove(row)  # delete-orphan: the row is deleted in this flush
    for key in sorted(wanted - held.keys()):
        child.name_keys.append(ChildNameKey(key=key))


@event.listens_for(Session, "before_flush")
def _keep_name_keys(session: Session, _flush_context, _instances) -> None:
    with session.no_autoflush:
        for child in [obj for obj in session.new if isinstance(obj, Child)]:
            _write_keys(child)
        for child in [obj for obj in session.dirty if isinstance(obj, Child)]:
            if _names_changed(child):
                _write_keys(child)
