"""An admin changes the service's settings at /admin/settings: the public pages, new cases, the retention run and
where schools' absence notices and attendance alerts go follow what was saved; a wrong answer saves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.clock import uk_today
from shared.models import AuditEvent, Case, Enquiry, SchoolNotice, Setting
from tests.conftest import (
    calendar_of,
    csrf_token,
    database_unreachable,
    error_summary,
    get_page,
    make_app,
    parse,
    sign_in,
    text_of,
)
from tests.dashboard.test_dashboard import figure, page_body
from tests.portal.test_intake import banner, queue_rows
from tests.portal.test_notices import a_pupil, send
from tests.shared.test_intake import NOW, a_referral, an_alert

AUTHORITY = {
    "authority_name": "Northbridge Council",
    "authority_la_code": "999",
    "authority_email": "cme@northbridge.example",
    "authority_phone": "01632 960000",
    "social_care_phone": "01632 960111",
    "social_care_out_of_hours_phone": "01632 960999",
}


@pytest.fixture
def admin(client, users):
    sign_in(client, "admin@northbridge.example")
    return client


def save(client, slug: str, answers: dict, status: int = 302):
    page = get_page(client, f"/admin/settings/{slug}")
    response = client.post(f"/admin/settings/{slug}", data={"csrf_token": csrf_token(page), **answers})
    assert response.status_code == status
    return response


def counts(db) -> tuple[int, int]:
    return (
        db.scalar(select(func.count()).select_from(Setting)),
        db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "settings.changed")),
    )


def summary(page, slug: str) -> dict[str, str]:
    rows = page.find(id=slug).find_all(class_="govuk-summary-list__row")
    return {text_of(row.dt): text_of(row.dd) for row in rows}


def test_the_settings_page_shows_the_configured_values_in_sections(admin):
    page = get_page(admin, "/admin/settings")
    assert [text_of(h2) for h2 in page.select("main h2")] == [
        "Authority details",
        "Reasonable enquiries",
        "Retention periods",
        "Long absence",
    ]
    assert summary(page, "authority-details") == {
        "Authority name": "Northbridge Council",
        "Local authority code": "999",
        "CME team email address": "cme@northbridge.example",
        "CME team phone number": "01632 960000",
        "Children's social care phone number": "01632 960111",
        "Children's social care out-of-hours phone number": "01632 960999",
    }
    enquiries = summary(page, "reasonable-enquiries")
    assert len(enquiries) == 14
    assert (enquiries["Police"], enquiries["Children's social care"]) == ("5 school days", "2 school days")
    assert summary(page, "retention-periods")["Keep children's records until they are this age"] == "No age rule"
    assert summary(page, "long-absence") == {
        "Does a registered pupil's long unexplained absence count as missing education here?": "Yes"
    }
    assert [a["href"] for a in page.select("main .govuk-summary-card__actions a")] == [
        "/admin/settings/authority-details",
        "/admin/settings/reasonable-enquiries",
        "/admin/settings/retention-periods",
        "/admin/settings/long-absence",
    ]
    assert page.find("nav", attrs={"aria-label": "Administration"}).find(attrs={"aria-current": "page"}).text == (
        "Settings"
    )


def test_settings_start_from_the_environment(database_url, users, monkeypatch):
    monkeypatch.setenv("CME_AUTHORITY_PHONE", "01632 960444")
    app = make_app(database_url)
    client = app.test_client()
    assert "Phone 01632 960444" in text_of(get_page(client, "/"))
    app.extensions["cme.database"].dispose()


@pytest.mark.parametrize("role", ["officer", "lead", "manager"])
def test_only_admins_see_or_change_the_settings(client, users, db, role):
    sign_in(client, f"{role}@northbridge.example")
    assert client.get("/admin/settings").status_code == 403
    assert client.get("/admin/settings/authority-details").status_code == 403
    assert client.post("/admin/settings/authority-details", data=AUTHORITY).status_code == 403
    assert counts(db) == (0, 0)


def test_an_unknown_section_is_not_found(admin):
    assert admin.get("/admin/settings/mail-server").status_code == 404


def test_a_new_phone_number_and_name_show_on_the_public_pages_and_are_audited(admin, client, db, users):
    response = save(
        admin,
        "authority-details",
        {**AUTHORITY, "authority_name": "Westshire County Council", "authority_phone": "01632 960222"},
    )
    assert response.headers["Location"] == "/admin/settings#authority-details"
    page = get_page(admin, response.headers["Location"])
    assert banner(page) == "Success Settings saved"
    assert summary(page, "authority-details")["CME team phone number"] == "01632 960222"

    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert (event.actor_id, event.object_type, event.before, event.after) == (
        users["admin"].id,
        "settings",
        {"authority_name": "Northbridge Council", "authority_phone": "01632 960000"},
        {"authority_name": "Westshire County Council", "authority_phone": "01632 960222"},
    )

    public = make_app_client(client)
    start = get_page(public, "/")
    assert start.title.get_text(strip=True).endswith(" - Children missing education - Westshire County Council")
    text = text_of(start)
    assert "phone the Children Missing Education team on 01632 960222" in text
    assert "Run by Westshire County Council's Children Missing Education team. Phone 01632 960222." in text
    assert "01632 960000" not in text


def test_a_page_open_while_another_admin_saved_never_puts_their_change_back(admin, client, db, users):
    """Two admins open Authority details; the first saves a new phone number, then the second saves a new name
    from the page still showing the old number: the number stays the first admin's."""
    second = client.application.test_client()
    sign_in(second, "admin@northbridge.example")
    stale = get_page(second, "/admin/settings/authority-details")
    shown = {name: stale.find(attrs={"name": name})["value"] for name in AUTHORITY}
    assert shown == AUTHORITY
    save(admin, "authority-details", {**AUTHORITY, "authority_phone": "01632 960222"}, status=302)

    response = second.post(
        "/admin/settings/authority-details",
        data={
            "csrf_token": csrf_token(stale),
            "shown": stale.find(attrs={"name": "shown"})["value"],
            **shown,
            "authority_name": "Westshire County Council",
        },
    )
    assert response.status_code == 302
    page = get_page(second, "/admin/settings")
    assert {
        key: summary(page, "authority-details")[label]
        for key, label in (("authority_name", "Authority name"), ("authority_phone", "CME team phone number"))
    } == {
        "authority_name": "Westshire County Council",
        "authority_phone": "01632 960222",
    }
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed").order_by(AuditEvent.id)).all()
    assert [(event.before, event.after) for event in events] == [
        ({"authority_phone": "01632 960000"}, {"authority_phone": "01632 960222"}),
        ({"authority_name": "Northbridge Council"}, {"authority_name": "Westshire County Council"}),
    ]


def make_app_client(client):
    """Someone else, not signed in, on the same service."""
    return client.application.test_client()


def test_an_answer_out_of_range_saves_nothing_and_keeps_what_was_typed(admin, db):
    before = counts(db)
    response = save(
        admin,
        "authority-details",
        {**AUTHORITY, "authority_phone": "01632 960222", "authority_la_code": "80", "authority_email": "cme"},
        status=200,
    )
    page = parse(response)
    assert page.title.get_text(strip=True).startswith("Error: ")
    assert error_summary(page) == [
        ("Enter the local authority code as 3 digits, like 801", "#authority_la_code"),
        ("Enter an email address in the correct format, like name@example.com", "#authority_email"),
    ]
    assert page.find(id="authority_phone")["value"] == "01632 960222"
    assert page.find(id="authority_la_code")["value"] == "80"
    assert counts(db) == before == (0, 0)
    assert "01632 960000" in text_of(get_page(admin, "/"))


def test_due_days_out_of_range_are_refused_with_the_range(admin, db):
    answers = enquiry_answers(get_page(admin, "/admin/settings/reasonable-enquiries"))
    changed = {**answers, "check_due_days_health": "4", "check_due_days_police": "61", "check_due_days_phone": ""}
    page = parse(save(admin, "reasonable-enquiries", changed, status=200))
    assert error_summary(page) == [
        ("Enter a number of school days between 1 and 60", "#check_due_days_police"),
        ("Enter a number of school days between 1 and 60", "#check_due_days_phone"),
    ]
    assert page.find(id="check_due_days_health")["value"] == "4"
    assert counts(db) == (0, 0)


def enquiry_answers(page) -> dict:
    return {field["name"]: field["value"] for field in page.select("main form input.govuk-input")}


def test_saved_due_days_are_what_a_newly_opened_case_gives_its_checks(app, admin, client, db, users):
    page = get_page(admin, "/admin/settings/reasonable-enquiries")
    answers = enquiry_answers(page)
    assert (answers["check_due_days_police"], len(answers)) == ("5", 14)
    save(admin, "reasonable-enquiries", {**answers, "check_due_days_police": "1", "check_due_days_health": "12"})

    referral = a_referral(db, received_at=NOW - timedelta(days=1))
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    page = get_page(officer, f"/staff/intake/referrals/{referral.reference}")
    response = officer.post(
        f"/staff/intake/referrals/{referral.reference}",
        data={"csrf_token": csrf_token(page), "child": "new", "action": "open_case"},
    )
    assert response.status_code == 302, error_summary(parse(response))
    case = db.scalar(select(Case))
    due = {check.check_type: check.due_on for check in db.scalars(select(Enquiry).where(Enquiry.case_id == case.id))}
    calendar, today = calendar_of(app), uk_today()
    assert due["police"] == calendar.add_school_days(today, 1)
    assert due["health"] == calendar.add_school_days(today, 12)
    assert due["social_care"] == calendar.add_school_days(today, 2)  # unchanged: the default


def test_the_retention_run_uses_the_saved_period(app, admin, db):
    from tests.test_cli import run

    page = get_page(admin, "/admin/settings/retention-periods")
    answers = {field["name"]: field["value"] for field in page.select("main form input.govuk-input")}
    assert answers == {
        "retention_closed_case_years": "6",
        "retention_keep_until_age": "0",
        "retention_no_case_years": "2",
        "retention_attendance_years": "3",
        "retention_file_days": "365",
        "retention_outbox_days": "90",
    }
    refused = save(admin, "retention-periods", {**answers, "retention_closed_case_years": "0"}, status=200)
    assert error_summary(parse(refused)) == [
        ("Enter a number of years between 1 and 100", "#retention_closed_case_years")
    ]
    save(admin, "retention-periods", {**answers, "retention_closed_case_years": "7", "retention_keep_until_age": "25"})
    result = run(app, "retention", "run", "--dry-run")
    assert result.output.splitlines()[0].startswith(
        "Periods: children 7 years after their last case closed, and not before the child is 25;"
    )


def test_with_long_absence_counted_as_cme_absence_notices_and_alerts_reach_the_cme_team(app, admin, db, school):
    alert = an_alert(db, school)
    schools = app.test_client()
    sign_in(schools, "school@northbridge.example")
    send(schools, "absence", a_pupil(contact_attempted="Phoned twice"))
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.status, notice.routed_to_cme) == ("for_cme", True)

    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    assert sorted(row[0] for row in queue_rows(get_page(officer, "/staff/intake"))) == sorted(
        [alert.reference, notice.reference]
    )
    assert "2 waiting for a decision" in text_of(get_page(officer, "/staff/"))


def test_where_long_absence_is_not_cme_notices_are_kept_but_not_routed_and_alerts_leave_the_queue(
    app, admin, db, school, mailbox
):
    page = get_page(admin, "/admin/settings/long-absence")
    hints = [text_of(hint) for hint in page.select(".govuk-radios__hint")]
    assert hints[1] == (
        "A school's continuous-absence notice is kept and acknowledged but not sent to the CME team, and attendance "
        "alerts stay on the attendance pages for the attendance team, out of the intake queue"
    )
    save(admin, "long-absence", {"long_absence_is_cme": "no"})
    assert summary(get_page(admin, "/admin/settings"), "long-absence") == {
        "Does a registered pupil's long unexplained absence count as missing education here?": "No"
    }

    alert = an_alert(db, school)
    referral = a_referral(db, received_at=NOW - timedelta(days=1))
    schools = app.test_client()
    sign_in(schools, "school@northbridge.example")
    response = send(schools, "absence", a_pupil(contact_attempted="Phoned twice"))
    assert response.status_code == 302
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.status, notice.routed_to_cme) == ("received", False)
    # A removal with nowhere to go still reaches the team.
    send(schools, "leaver", a_pupil(upn="", first_name="Ben", deletion_ground="f", destination="XXXXXXX"))
    leaver = db.scalars(select(SchoolNotice).where(SchoolNotice.kind == "leaver")).one()
    assert leaver.status == "for_cme"

    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    queue = get_page(officer, "/staff/intake")
    assert sorted(row[0] for row in queue_rows(queue)) == sorted([referral.reference, leaver.reference])
    assert "Attendance alert" not in [text_of(label) for label in queue.select("main .govuk-checkboxes__label")]
    assert "2 waiting for a decision" in text_of(get_page(officer, "/staff/"))
    # The dashboard counts the intake queue as the intake page shows it.
    assert figure(page_body(officer, "/dashboard/"), "figure-unassigned-intake") == "2"
    # The alert is still there for whoever follows it up.
    assert db.get(type(alert), alert.id).status == "new"


def test_an_unexpected_error_page_shows_the_saved_phone_number(app, admin, monkeypatch):
    save(admin, "authority-details", {**AUTHORITY, "authority_phone": "01632 960222"})

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "main.privacy", broken)
    response = app.test_client().get("/privacy")
    assert response.status_code == 500
    assert "phone the Children Missing Education team on 01632 960222" in text_of(parse(response))


def test_with_the_database_down_the_503_page_still_shows_the_configured_phone_number(database_url, users):
    app = make_app(database_url)
    client = app.test_client()
    sign_in(client, "officer@northbridge.example")
    with database_unreachable(app):
        for url in ("/staff/", "/"):
            response = client.get(url)
            page = parse(response)
            assert response.status_code == (503 if url == "/staff/" else 200)
            assert "01632 960000" in text_of(page)
            assert page.title.get_text(strip=True).endswith("Northbridge Council")
    app.extensions["cme.database"].dispose()


def test_the_dashboard_shows_the_saved_name_and_returns_under_the_saved_code(app, admin, db, users):
    save(
        admin,
        "authority-details",
        {**AUTHORITY, "authority_name": "Westshire County Council", "authority_la_code": "801"},
    )
    lead = app.test_client()
    sign_in(lead, "lead@northbridge.example")
    layout = lead.get("/dashboard/_dash-layout").get_data(as_text=True)
    assert "Westshire County Council: children missing education" in layout
    assert "Northbridge Council" not in layout
    text = lead.get(f"/dashboard/export/dfe-return.csv?census={uk_today()}").get_data(as_text=True)
    assert text.splitlines()[1].startswith(f"801,{uk_today()},")
