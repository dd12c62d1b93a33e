"""One path for every form. A form sent with a missing or stale token: every POST route in the URL map (with the
permission matrix's real records) is sent such a form by someone signed out and by each role; it never stores
anything, never gives a 500, answers each role as the matrix says (a signed-out client is sent to sign in, never
shown a signed-in page), and a page shown again says the one stale-page message. Every form is the base form and is
written with the one macro, posting to its own address. A form sent while the database fails comes back as typed."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from flask import render_template
from flask_wtf import FlaskForm
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from portal.database import db_session
from shared.clock import uk_today
from shared.models import Base, CaseNote, NoticeUpload, ReportDraft, User
from shared.services import case_details, uploads
from shared.services.users import create_user
from tests.conftest import csrf_token, database_unreachable, error_summary, get_page, make_app, parse, sign_in
from tests.portal.test_cases import a_case
from tests.test_permission_matrix import MATRIX, ROLES, expected, outcome, probes  # noqa: F401  (a fixture)
from webcommon.access import public
from webcommon.csrf import UNCHECKED
from webcommon.forms import CHOOSE_FILE_AGAIN, NOT_SAVED, STALE_PAGE, BaseForm, held

# What a form from a page open too long might carry: every answer a page of the service asks for by these names.
TEMPTING = {
    "action": "send",
    "email": "officer@northbridge.example",
    "password": "correct horse battery staple",
    "confirmation": "correct horse battery staple",
    "code": "123456",
    "kind": "absence",
    "child": "new",
    "status": "closed",
    "role": "admin",
    "confirm": "y",
    "notices": "1",
}


def contents(db) -> str:
    """A digest of every row of every table: equal before and after means nothing was stored, changed or removed."""
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in db.execute(select(table).order_by(*order)):
            digest.update(repr((table.name, tuple(row))).encode())
    db.rollback()
    return digest.hexdigest()


def test_the_only_post_route_whose_token_is_not_checked_is_dash_s_callback(app):
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert sorted(UNCHECKED) == ["/dashboard/_dash-update-component"]
    assert set(UNCHECKED) <= posts


def test_no_view_is_exempted_one_by_one(app):
    csrf = app.extensions["csrf"]
    assert (csrf._exempt_views, csrf._exempt_blueprints) == (set(), set())


@pytest.mark.parametrize("token", [None, "stale"], ids=["missing token", "stale token"])
@pytest.mark.parametrize("role", ROLES, ids=[role or "anonymous" for role in ROLES])
def test_a_form_with_a_bad_token_stores_nothing_on_any_route(app, db, users, probes, role, token):  # noqa: F811
    client = app.test_client()
    if role:
        sign_in(client, f"{role}@northbridge.example")
    before = contents(db)
    wrong = []
    for probe in probes:
        if probe.method != "POST" or probe.json is not None:
            continue
        data = dict(TEMPTING) | ({"csrf_token": token} if token else {})
        response = client.post(probe.url, data=data)
        entry = MATRIX[probe.endpoint]
        want, got = expected(entry, role, probe.other_school), outcome(response, probe.url, entry)
        said = [message for message, _ in error_summary(parse(response))] if response.status_code == 200 else []
        if response.status_code >= 500 or got != want:
            wrong.append(f"POST {probe.url}: expected {want}, got {response.status_code} {got}")
        elif response.status_code == 200 and STALE_PAGE not in said:
            wrong.append(f"POST {probe.url}: shown again without the stale-page message ({said})")
    assert not wrong, "\n".join(wrong)
    assert contents(db) == before
    if role:  # signing out from a page open too long did not sign out either
        assert client.get("/sign-in").status_code == 302


def test_a_post_without_a_token_reaches_its_view_held_back(database_url):
    app = make_app(database_url)
    seen = []

    @app.post("/a-form")
    def a_form():
        seen.append(held())
        return "shown again"

    client = app.test_client()
    assert client.post("/a-form", data={"answer": "x"}).get_data(as_text=True) == "shown again"
    assert seen == [STALE_PAGE]


def test_sign_out_from_a_page_open_too_long_asks_again(client, users):
    sign_in(client, "officer@northbridge.example")
    page = parse(client.post("/sign-out", data={"csrf_token": "stale"}))
    assert page.h1.get_text(strip=True) == "Sign out"
    assert [message for message, _ in error_summary(page)] == [STALE_PAGE]
    assert client.get("/staff/").status_code == 200  # still signed in
    # The page as shown signs out.
    token = page.find("input", {"name": "csrf_token"})["value"]
    assert client.post("/sign-out", data={"csrf_token": token}).headers["Location"] == "/sign-in"
    assert client.get("/staff/").status_code == 302


def test_choosing_a_notice_from_a_page_open_too_long_keeps_the_choice(client, users):
    sign_in(client, "school@northbridge.example")
    page = parse(client.post("/schools/notices/new", data={"csrf_token": "stale", "kind": "leaver"}))
    assert page.find("input", {"name": "kind", "value": "leaver"}).has_attr("checked")
    assert [message for message, _ in error_summary(page)] == [STALE_PAGE]
    get_page(client, "/schools/notices/new")


# Forms post where they came from ------------------------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"


def test_every_form_in_the_templates_is_written_with_the_one_form_macro():
    written_by_hand = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        if path.name != "_form.html"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "<form" in line or "csrf_token" in line
    ]
    assert written_by_hand == []
    assert len([path for path in TEMPLATES.rglob("*.html") if "form_tag(" in path.read_text()]) >= 40


def test_a_report_page_being_changed_posts_back_to_itself_with_its_query_string(client):
    client.get("/report/start")
    page = get_page(client, "/report/child-name?change=yes")
    assert [form["action"] for form in page.find_all("form")] == ["/report/child-name?change=yes"]


def test_a_page_shown_again_after_an_error_still_posts_to_its_own_address(client, users):
    sign_in(client, "school@northbridge.example")
    page = parse(client.post("/schools/notices/new?from=home", data={"csrf_token": "stale", "kind": "leaver"}))
    forms = {form["action"]: form["method"] for form in page.find_all("form")}
    assert forms == {"/schools/notices/new?from=home": "post", "/sign-out": "post"}


# A failure never loses the page's answers ----------------------------------------------------------------------------


def fails_once(monkeypatch, owner, name: str) -> None:
    """The next call of owner.name fails as a database that has just gone away does; later calls work."""
    original = getattr(owner, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def test_a_report_page_sent_while_the_database_is_down_comes_back_as_it_was_typed(app, client, db):
    page = get_page(client, "/report/child-name")
    answers = {"csrf_token": csrf_token(page), "child_first_name": "Amira", "child_last_name": "Okafor"}
    with database_unreachable(app):
        response = client.post("/report/child-name", data={**answers, "action": "continue"})
    assert response.status_code == 503
    shown = parse(response)
    assert shown.h1.get_text(strip=True) == "What is the child's name?"
    assert error_summary(shown) == [(NOT_SAVED, "#child_first_name")]
    assert [shown.find(id=name)["value"] for name in ("child_first_name", "child_last_name")] == ["Amira", "Okafor"]
    assert db.scalar(select(func.count()).select_from(ReportDraft)) == 0
    # Pressing Continue again, with the database back, saves it.
    again = client.post("/report/child-name", data={**answers, "csrf_token": csrf_token(shown), "action": "continue"})
    assert again.location == "/report/child-date-of-birth"
    assert db.scalars(select(ReportDraft)).one().answers["child_first_name"] == "Amira"


def test_a_contact_that_could_not_be_saved_is_shown_again_and_saved_the_second_time(
    app, client, db, users, monkeypatch
):
    case = a_case(app, db, users, assigned_to=users["officer"])
    sign_in(client, "officer@northbridge.example")
    url = f"/staff/cases/{case.reference}/contacts/new"
    page = get_page(client, url)
    answers = {
        "csrf_token": csrf_token(page),
        "kind": "phone",
        "occurred_on": [str(uk_today().day), str(uk_today().month), str(uk_today().year)],
        "occurred_time": "9:15am",
        "with_whom": "Jo Whitcombe (mother)",
        "text": "Family back from abroad, looking for a school place",
    }
    fails_once(monkeypatch, case_details, "add_contact")
    response = client.post(url, data=answers)
    assert response.status_code == 503
    shown = parse(response)
    assert [message for message, _ in error_summary(shown)] == [NOT_SAVED]
    assert shown.find(id="with_whom")["value"] == "Jo Whitcombe (mother)"
    assert shown.find("textarea", id="text").get_text() == "Family back from abroad, looking for a school place"
    assert db.scalar(select(func.count()).select_from(CaseNote)) == 0
    assert client.post(url, data={**answers, "csrf_token": csrf_token(shown)}).status_code == 302
    assert db.scalars(select(CaseNote.with_whom)).all() == ["Jo Whitcombe (mother)"]


def test_an_upload_that_could_not_be_stored_keeps_the_answers_and_asks_for_the_file_again(
    client, db, users, monkeypatch
):
    sign_in(client, "school@northbridge.example")
    page = get_page(client, "/schools/notices/upload")
    fails_once(monkeypatch, uploads, "store_upload")
    response = client.post(
        "/schools/notices/upload",
        data={
            "csrf_token": csrf_token(page),
            "ground": "b",
            "enquiries_made": "Phoned both parents twice",
            "file": (io.BytesIO(b"upn,first_name\n"), "notices.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    shown = parse(response)
    assert error_summary(shown) == [(NOT_SAVED, "#file"), (CHOOSE_FILE_AGAIN, "#file")]
    assert shown.find("input", {"name": "ground", "value": "b"}).has_attr("checked")
    assert shown.find("textarea", id="enquiries_made").get_text() == "Phoned both parents twice"
    assert db.scalar(select(func.count()).select_from(NoticeUpload)) == 0


def test_a_signed_in_form_sent_while_the_database_is_down_gets_the_503_page(app, client, db, users):
    case = a_case(app, db, users, assigned_to=users["officer"])
    sign_in(client, "officer@northbridge.example")
    url = f"/staff/cases/{case.reference}/contacts/new"
    token = csrf_token(get_page(client, url))
    with database_unreachable(app):
        response = client.post(url, data={"csrf_token": token, "kind": "phone", "text": "Called"})
    # Who is signed in cannot be checked, so no page of theirs is drawn; the 503 page says nothing was half-saved.
    assert response.status_code == 503
    assert parse(response).h1.get_text(strip=True) == "Sorry, the service is unavailable"


def test_every_form_class_is_the_service_s_base_form(app):
    def descendants(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from descendants(sub)

    ours = [cls for cls in descendants(FlaskForm) if cls.__module__.split(".")[0] in ("portal", "dashboard")]
    assert len(ours) >= 40
    assert [f"{cls.__module__}.{cls.__name__}" for cls in ours if not issubclass(cls, BaseForm)] == []


def test_a_password_is_used_as_typed_spaces_and_all(client, db, school):
    create_user(db, "head@northbridge.example", "Head Teacher", "school", "  spaced out pass phrase ", school.urn)
    db.commit()
    page = get_page(client, "/sign-in")
    answers = {"csrf_token": csrf_token(page), "email": "head@northbridge.example"}
    trimmed = client.post("/sign-in", data={**answers, "password": "spaced out pass phrase"})
    assert trimmed.status_code == 200  # refused: not the password
    assert client.post("/sign-in", data={**answers, "password": "  spaced out pass phrase "}).status_code == 302


def test_a_page_drawn_again_after_a_failure_is_not_counted_twice_by_the_rate_limit(database_url, users):
    app = make_app(database_url, SIGN_IN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    page = get_page(client, "/sign-in")
    answers = {"csrf_token": csrf_token(page), "email": "officer@northbridge.example", "password": "x" * 12}
    with database_unreachable(app):
        statuses = [client.post("/sign-in", data=answers).status_code for _ in range(3)]
    assert statuses == [503, 503, 429]
    app.extensions["cme.database"].dispose()


def test_after_a_commit_a_failure_gives_the_503_page_not_the_form_as_if_nothing_was_saved(database_url, users):
    app = make_app(database_url)

    @app.post("/commits-then-fails")
    @public
    def commits_then_fails():
        form = BaseForm()
        if form.validate():
            db_session().execute(update(User).values(name="Changed"))
            db_session().commit()
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return render_template("auth/sign_out.html", form=form)

    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "a" * 40
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps("a" * 40)
    response = client.post("/commits-then-fails", data={"csrf_token": token})
    assert response.status_code == 503
    assert parse(response).h1.get_text(strip=True) == "Sorry, the service is unavailable"
    app.extensions["cme.database"].dispose()
