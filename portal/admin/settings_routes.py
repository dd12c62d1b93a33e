"""The service's settings: the authority's details, check due days, retention periods and what counts as CME.
Admins see them all on one page and change a section at a time; a section is saved whole or not at all, and each
save is audited."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, StringField

from portal import settings as portal_settings
from portal.database import db_session
from shared.domain import settings as rules
from shared.domain.roles import Area
from shared.services import settings as settings_service
from webcommon.access import requires
from webcommon.forms import BaseForm, radios

bp = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")

# Each section's address, in the page's order.
SECTIONS = {
    "authority-details": rules.Section.AUTHORITY,
    "reasonable-enquiries": rules.Section.ENQUIRIES,
    "retention-periods": rules.Section.RETENTION,
    "long-absence": rules.Section.LONG_ABSENCE,
}
SLUGS = {section: slug for slug, section in SECTIONS.items()}

# How wide each kind of answer's box is (the Design System's fixed widths).
WIDTHS = {
    rules.Kind.LA_CODE: "govuk-input--width-3",
    rules.Kind.SCHOOL_DAYS: "govuk-input--width-3",
    rules.Kind.YEARS: "govuk-input--width-3",
    rules.Kind.AGE: "govuk-input--width-3",
    rules.Kind.DAYS: "govuk-input--width-5",
    rules.Kind.PHONE: "govuk-input--width-20",
}
SUFFIXES = {rules.Kind.SCHOOL_DAYS: "school days", rules.Kind.YEARS: "years", rules.Kind.DAYS: "days"}
INPUT_TYPES = {rules.Kind.EMAIL: "email", rules.Kind.PHONE: "tel"}
AUTOCOMPLETE = {rules.Kind.EMAIL: "email", rules.Kind.PHONE: "tel"}


def section_form(section: rules.Section, data: dict | None = None) -> BaseForm:
    """A form with one field per setting in the section, named by the setting's key; the rules are the domain's."""
    fields = {}
    for definition in rules.in_section(section):
        if definition.kind == rules.Kind.YES_NO:
            fields[definition.key] = radios(definition.label, ((rules.YES, "Yes"), (rules.NO, "No")), definition.hint)
        else:
            fields[definition.key] = StringField(definition.label, widget=GovTextInput(), description=definition.hint)
    # The answers as the page first showed them: a save changes only what this admin changed, so an answer left as
    # it was never puts back a value another admin saved meanwhile.
    fields["shown"] = HiddenField()
    form_class = type(f"{section.name.title()}SettingsForm", (BaseForm,), fields)
    if data is None:
        return form_class()
    return form_class(data={**data, "shown": json.dumps(data, sort_keys=True)})


def changed_answers(form: BaseForm, definitions: list[rules.Definition]) -> dict[str, str]:
    """The answers the admin changed from those the page showed (every answer, if what it showed is unreadable)."""
    try:
        shown = json.loads(form.shown.data or "")
    except ValueError:
        shown = None
    if not isinstance(shown, dict):
        shown = {}
    answers = {definition.key: form[definition.key].data or "" for definition in definitions}
    return {key: answer for key, answer in answers.items() if key not in shown or shown[key] != answer}


def field_params(definition: rules.Definition) -> dict:
    """What each field is rendered with: its width, type and the help browsers give."""
    if definition.kind == rules.Kind.YES_NO:
        return {
            "fieldset": {
                "legend": {"text": definition.label, "classes": "govuk-fieldset__legend--m", "isPageHeading": False}
            },
            "items": [
                {"value": rules.YES, "text": "Yes", "hint": {"text": rules.LONG_ABSENCE_HINT_YES}},
                {"value": rules.NO, "text": "No", "hint": {"text": rules.LONG_ABSENCE_HINT_NO}},
            ],
        }
    params: dict = {"label": {"classes": "govuk-label--s"}, "spellcheck": False}
    if definition.kind in WIDTHS:
        params["classes"] = WIDTHS[definition.kind]
    if definition.numeric or definition.kind == rules.Kind.LA_CODE:
        params["inputmode"] = "numeric"
    if definition.kind in SUFFIXES:
        params["suffix"] = {"text": SUFFIXES[definition.kind]}
    if definition.kind in INPUT_TYPES:
        params["type"] = INPUT_TYPES[definition.kind]
        params["autocomplete"] = AUTOCOMPLETE[definition.kind]
    return params


@bp.route("")
@requires(Area.ADMIN)
def settings():
    current = portal_settings.authority_settings()
    sections = [(section, SLUGS[section], rules.in_section(section)) for section in rules.Section]
    return render_template("admin/settings.html", sections=sections, current=current)


@bp.route("/<section>", methods=["GET", "POST"])
@requires(Area.ADMIN)
def change(section: str):
    slug, section = section, SECTIONS.get(section)
    if section is None:
        abort(404)
    definitions = rules.in_section(section)
    if request.method == "GET":
        current = portal_settings.authority_settings()
        form = section_form(section, {d.key: d.typed(current[d.key]) for d in definitions})
    else:
        form = section_form(section)

    def page():
        params = {definition.key: field_params(definition) for definition in definitions}
        return render_template(
            "admin/settings_change.html", form=form, section=section, definitions=definitions, params=params
        )

    if request.method == "GET" or not form.fresh():
        return page()
    answers = changed_answers(form, definitions)
    saved = settings_service.save(db_session(), current_user, answers, rules.defaults(current_app.config))
    if not saved.ok:
        form.show(saved.problems)
        return page()
    portal_settings.forget()
    if saved.after:
        flash("Settings saved", "success")
    else:
        flash("Nothing was changed: the answers were the settings already")
    return redirect(url_for("admin_settings.settings", _anchor=slug))
