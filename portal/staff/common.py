"""What the staff pages share: the case settings from the configuration, finding a case by its reference, and
the message an officer sees when someone else saved the same record first."""

from __future__ import annotations

from flask import abort, current_app

from portal.database import db_session
from portal.settings import authority_settings
from shared import queries
from shared.domain.reference import InvalidReference, normalise_reference
from shared.models import Case
from shared.services.calendar import school_calendar
from shared.services.cases import CaseSettings

STALE_EDIT_MESSAGE = (
    "Someone else changed this case while you were editing it. Nothing you entered has been saved: "
    "check the case as it is now and make your change again"
)


def case_settings() -> CaseSettings:
    """The case settings, each check's due days as the admins set them."""
    config = {**current_app.config, "CHECK_DUE_SCHOOL_DAYS": authority_settings().due_days}
    return CaseSettings.from_config(config, school_calendar(db_session()))


def case_or_404(reference: str) -> Case:
    """The case with this reference (any case or spacing, check character verified), or the 404 page."""
    try:
        reference = normalise_reference(reference)
    except InvalidReference:
        abort(404)
    found = queries.case_by_reference(db_session(), reference)
    if found is None:
        abort(404)
    return found
