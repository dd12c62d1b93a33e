"""Case statuses and the moves allowed between them (docs/case-states.md draws the same machine)."""

from __future__ import annotations

from shared.domain.vocab import Labelled


class CaseStatus(Labelled):
    OPEN = "open", "Open: enquiries not started"
    ENQUIRIES = "enquiries", "Making enquiries"
    WAITING_OTHER_LA = "waiting_other_la", "Waiting for another authority"
    MONITORING = "monitoring", "Placed: monitoring attendance"
    CLOSED = "closed", "Closed"


TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.ENQUIRIES, CaseStatus.WAITING_OTHER_LA, CaseStatus.CLOSED}),
    CaseStatus.ENQUIRIES: frozenset({CaseStatus.WAITING_OTHER_LA, CaseStatus.MONITORING, CaseStatus.CLOSED}),
    CaseStatus.WAITING_OTHER_LA: frozenset({CaseStatus.ENQUIRIES, CaseStatus.CLOSED}),
    CaseStatus.MONITORING: frozenset({CaseStatus.ENQUIRIES, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.ENQUIRIES}),
}

OPEN_STATUSES = frozenset(set(CaseStatus) - {CaseStatus.CLOSED})


def can_move(current: str, new: str) -> bool:
    return CaseStatus(new) in TRANSITIONS[CaseStatus(current)]
