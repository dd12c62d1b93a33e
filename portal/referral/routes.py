"""The public report: question pages, check your answers, sending, saving and resuming, adding information.

Answers live in the database (shared.services.reports), found through a random key in the session cookie;
the cookie holds nothing else about the report.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import SQLAlchemyError

from portal.database import db_session, end_session
from portal.errors import database_unavailable
from portal.extensions import limiter
from portal.logs import event
from portal.referral import flow, forms
from portal.settings import authority_settings
from portal.summaries.report import sections
from portal.tasks.work import send_mail_later
from shared.clock import uk_today, utcnow
from shared.domain import report as report_rules
from shared.domain.reference import InvalidReference, new_reference, normalise_reference, normalise_resume_code
from shared.services import reports
from webcommon.access import public, records_unreachable

bp = Blueprint("referral", __name__, url_prefix="/report")
log = logging.getLogger(__name__)

SESSION_KEY = "report_key"
# Set when the honeypot is filled: the rest of that session's report is accepted and thrown away.
BOT_FLAG = "report_discard"
# The log metric of a caught submission (portal/logs.py): the log collector counts them.
HONEYPOT_EVENT = "report.honeypot_filled"


def _client_key() -> str:
    """Rate limits count per client without the limiter's store ever holding an IP address."""
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"{secret}:{get_remote_address()}".encode()).hexdigest()[:32]


def _reference_key() -> str:
    try:
        return normalise_reference(request.form.get("reference", ""))
    except InvalidReference:
        return "-"


def _limit(setting: str):
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"], key_func=_client_key)


def _authority() -> reports.Authority:
    found = authority_settings()
    return reports.Authority(
        found.authority_name, found.authority_phone, current_app.config["SERVICE_URL"], found.authority_email
    )


def _current_draft():
    """The session's draft, or the receipt of the report it has just sent, or None."""
    return reports.find_draft(db_session(), session.get(SESSION_KEY), utcnow())


def _in_progress():
    draft = _current_draft()
    return None if draft is None or draft.submitted_reference else draft


def _caught_bot() -> None:
    """Throw away what this session has stored and accept the rest of its report without keeping it."""
    reports.discard(db_session(), session.pop(SESSION_KEY, None))
    session[BOT_FLAG] = True
    session.pop("report_fake_receipt", None)
    log.warning("honeypot filled: report discarded", extra=event(HONEYPOT_EVENT))


def _bot(form) -> bool:
    """True for a session the honeypot has caught, on this form or an earlier one."""
    if session.get(BOT_FLAG):
        return True
    if form.caught_a_bot():
        _caught_bot()
        return True
    return False


def _form(page: flow.Page, answers: dict):
    extra = {}
    if page.form is forms.LastSchoolForm and answers.get("date_of_birth"):
        extra["date_of_birth"] = date.fromisoformat(answers["date_of_birth"])
    if page.form is forms.YourDetailsForm:
        extra["reporter_type"] = answers.get("reporter_type")
    if request.method == "POST":
        return page.form(**extra)
    return page.form(data=answers, **extra)


def _url(slug: str, changing: bool = False) -> str:
    if slug == flow.CHECK_ANSWERS:
        return url_for("referral.check_answers")
    if slug == flow.AGE_CHECK:
        return url_for("referral.age_check", change="yes" if changing else None)
    return url_for("referral.question", slug=slug, change="yes" if changing else None)


@bp.route("/start")
@public
def start():
    """Where the start page's button goes: a new report, unless one is already under way in this session."""
    draft = _current_draft()
    if draft is not None and draft.submitted_reference:
        session.pop(SESSION_KEY, None)
    session.pop(BOT_FLAG, None)
    return redirect(_url(flow.PAGES[0].slug))


@bp.route("/<slug>", methods=["GET", "POST"])
@public
@_limit("REPORT_PAGE_RATE_LIMIT")
def question(slug: str):
    page = flow.BY_SLUG.get(slug)
    if page is None:
        abort(404)
    changing = request.args.get("change") == "yes"
    # Sent while the database could not be reached: the page again with what was typed, from nothing stored.
    unreachable = records_unreachable()
    draft = None if unreachable else _in_progress()
    answers = dict(draft.answers) if draft else {}
    completed = list(draft.completed_pages) if draft else []
    instead = None if unreachable else flow.instead_of(page, answers, completed)
    if instead is not None:
        return redirect(_url(instead))
    form = _form(page, answers)

    if request.method == "POST":
        saving = request.form.get("action") == "save"
        if saving and not form.typed_anything() and draft is not None:
            return redirect(url_for("referral.save"))
        if form.validate_on_submit():
            if not _bot(form):
                given = form.answers()
                clears, forget = flow.what_to_forget(page, answers, given, completed)
                draft = reports.record_answers(
                    db_session(),
                    session.setdefault(SESSION_KEY, reports.new_session_key()),
                    page.slug,
                    given,
                    clears,
                    utcnow(),
                    forget_pages=forget,
                )
                answers, completed = dict(draft.answers), list(draft.completed_pages)
            if saving:
                return redirect(url_for("referral.save"))
            return redirect(_url(flow.after_answering(page, answers, completed, changing, uk_today()), changing))

    back = flow.back_slug(page, answers, completed, changing)
    return render_template(
        page.template,
        page=page,
        form=form,
        back_url=_url(back, changing) if back else url_for("main.start"),
        changing=changing,
    )


@bp.route("/child-age-check")
@public
def age_check():
    changing = request.args.get("change") == "yes"
    draft = _in_progress()
    answers = dict(draft.answers) if draft else {}
    completed = list(draft.completed_pages) if draft else []
    dob_page = flow.BY_SLUG[flow.DATE_OF_BIRTH]
    next_url = _url(flow.next_slug(dob_page, answers, completed, changing), changing)
    check = flow.age_check(answers, uk_today())
    if not check.warning:
        return redirect(next_url)
    return render_template(
        "referral/age_check.html",
        check=check,
        next_url=next_url,
        back_url=_url(dob_page.slug, changing),
    )


@bp.route("/check-answers", methods=["GET", "POST"])
@public
@_limit("REPORT_SUBMIT_RATE_LIMIT")
def check_answers():
    if request.method == "POST":
        try:
            return _send_report()
        except (SQLAlchemyError, reports.CouldNotStore) as error:
            if isinstance(error, SQLAlchemyError) and not database_unavailable(error):
                raise
            # Nothing was half-written (one transaction) and the draft is as it was: sending again completes it.
            end_session()
            log.error("report not sent: the database is unavailable", exc_info=True)
            return render_template("referral/not_sent.html"), 503
    if session.get(BOT_FLAG):
        # A bot caught by the honeypot is shown the page as if its answers were kept.
        return _check_answers_page(None, forms.ReportForm())
    draft = _current_draft()
    if draft is not None and draft.submitted_reference:
        return redirect(url_for("referral.confirmation"))
    if draft is None:
        return redirect(url_for("referral.start"))
    missing = flow.first_unanswered(draft.answers, draft.completed_pages)
    if missing is not None:
        return redirect(_url(missing.slug, changing=True))
    return _check_answers_page(draft, forms.ReportForm())


def _check_answers_page(draft, form):
    answers = dict(draft.answers) if draft else {}
    return render_template(
        "referral/check_answers.html",
        form=form,
        sections=sections(answers, uk_today(), names=True),  # the reporter's own answers
        age=flow.age_check(answers, uk_today()),
        back_url=_url(flow.applicable(answers)[-1].slug),
    )


def _send_report():
    form = forms.ReportForm()
    stale = not form.validate()  # a page open too long: the answers again, with the message; nothing is sent
    if session.get(BOT_FLAG) and stale:
        return _check_answers_page(None, form)
    if not stale and _bot(form):
        session.setdefault("report_fake_receipt", [new_reference("RF"), report_rules.new_secret_phrase()])
        return redirect(url_for("referral.confirmation"))
    draft = _current_draft()
    if draft is not None and draft.submitted_reference:
        return redirect(url_for("referral.confirmation"))
    if draft is None:
        return redirect(url_for("referral.start"))
    if stale:
        return _check_answers_page(draft, form)
    missing = flow.first_unanswered(draft.answers, draft.completed_pages)
    if missing is not None:
        return redirect(_url(missing.slug, changing=True))
    try:
        receipt = reports.submit(db_session(), session.get(SESSION_KEY), utcnow(), _authority())
    except reports.NothingToSend:
        return redirect(url_for("referral.start"))
    log.info("report %s received", receipt.reference)
    send_mail_later(receipt.outbox_ids)
    return redirect(url_for("referral.confirmation"))


@bp.route("/confirmation")
@public
def confirmation():
    draft = _current_draft()
    if session.get(BOT_FLAG) and session.get("report_fake_receipt"):
        (reference, phrase), email = session["report_fake_receipt"], None
    elif draft is not None and draft.submitted_reference:
        reference, phrase, email = draft.submitted_reference, draft.secret_phrase, draft.confirmation_email
    else:
        return redirect(url_for("main.start"))
    return render_template("referral/confirmation.html", reference=reference, phrase=phrase, email=email)


@bp.route("/save", methods=["GET", "POST"])
@public
@_limit("REPORT_PAGE_RATE_LIMIT")
def save():
    draft = _in_progress()
    if draft is None and not session.get(BOT_FLAG):
        return redirect(url_for("referral.start"))
    given = draft.answers.get("reporter_email") if draft else None
    form = forms.SaveForm() if request.method == "POST" else forms.SaveForm(data={"email": given})
    if form.validate_on_submit():
        if draft is None or _bot(form):
            return render_template("referral/saved.html", code=None, email=None, until=None)
        saved = reports.save_for_later(db_session(), draft, utcnow(), _authority(), email=form.email.data)
        send_mail_later(saved.outbox_ids)
        return render_template(
            "referral/saved.html", code=saved.resume_code, email=form.email.data, until=saved.expires_at
        )
    return render_template("referral/save.html", form=form, back_url=_resume_target(draft))


def _resume_target(draft) -> str:
    if draft is None:
        return url_for("referral.start")
    missing = flow.first_unanswered(draft.answers, draft.completed_pages)
    return _url(missing.slug) if missing else url_for("referral.check_answers")


@bp.route("/resume", methods=["GET", "POST"])
@public
@_limit("REPORT_LOOKUP_RATE_LIMIT")
def resume():
    form = forms.ResumeForm()
    if form.validate_on_submit():
        code = None
        if not form.resume_code.data:
            form.resume_code.errors.append("Enter your resume code")
        else:
            try:
                code = normalise_resume_code(form.resume_code.data)
            except InvalidReference as error:
                form.resume_code.errors.append(str(error))
        if code:
            key = reports.new_session_key()
            draft = reports.resume(db_session(), key, utcnow(), code=code)
            if draft is not None:
                session[SESSION_KEY] = key
                session.pop(BOT_FLAG, None)
                return redirect(_resume_target(draft))
            form.resume_code.errors.append(
                "That resume code is not right or has expired. Check it, or start a new report"
            )
    return render_template("referral/resume.html", form=form)


@bp.route("/resume-link", methods=["GET", "POST"])
@public
@_limit("REPORT_LOOKUP_RATE_LIMIT")
def resume_link():
    """The link in the saved-report email. Opening it asks first, so a mail scanner following links does not
    take the report. The token is in the query string, which the access log leaves out."""
    token = request.args.get("token", "")
    form = forms.ReportForm()
    expired = False
    if form.validate_on_submit():
        key = reports.new_session_key()
        draft = reports.resume(db_session(), key, utcnow(), link_token=token[:100])
        if draft is not None:
            session[SESSION_KEY] = key
            session.pop(BOT_FLAG, None)
            return redirect(_resume_target(draft))
        expired = True
    return render_template("referral/resume_link.html", form=form, expired=expired)


@bp.route("/add-information", methods=["GET", "POST"])
@public
@_limit("REPORT_LOOKUP_RATE_LIMIT")
@limiter.limit(
    lambda: current_app.config["REPORT_LOOKUP_RATE_LIMIT"],
    methods=["POST"],
    key_func=_reference_key,
    scope="add-information-reference",
)
def add_information():
    form = forms.AddInformationForm()
    if form.validate_on_submit():
        try:
            reference = normalise_reference(form.reference.data)
        except InvalidReference as error:
            form.reference.errors.append(str(error))
        else:
            if _bot(form):
                return redirect(url_for("referral.information_added"))
            referral = reports.add_information(
                db_session(), reference, form.secret_phrase.data, form.information.data, utcnow()
            )
            if referral is not None:
                log.info("information added to report %s", referral.reference)
                return redirect(url_for("referral.information_added"))
            form.reference.errors.append(
                "The reference and secret phrase do not match a report. Check them and try again"
            )
    form.secret_phrase.data = None  # like a password: never sent back to the browser
    return render_template("referral/add_information.html", form=form)


@bp.route("/information-added")
@public
def information_added():
    return render_template("referral/information_added.html")
