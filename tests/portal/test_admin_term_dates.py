"""An administrator keeps the authority's term dates in the service: lists them by academic year, adds, changes and
removes a term or closure, uploads several years from a file, downloads them; the lead and admins are told when the
coming term has no dates, and so is monitoring (`cme term-dates check`)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from shared.models import AuditEvent, TermPeriod
from tests.conftest import csrf_token, error_summary, get_page, parse, sign_in, text_of

SHIPPED_ROWS = 26


@pytest.fixture
def admin(client, users):
    sign_in(client, "admin@northbridge.example")
    return client


def period_form(kind: str, start: date | None, end: date | None, description: str) -> dict:
    parts = lambda day: [str(day.day), str(day.month), str(day.year)] if day else ["", "", ""]  # noqa: E731
    return {"kind": kind, "starts_on": parts(start), "ends_on": parts(end), "description": description}


def post(client, url: str, answers: dict, status: int = 302, **kwargs):
    page = get_page(client, url)
    response = client.post(url, data={"csrf_token": csrf_token(page), **answers}, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def rows(db) -> list[tuple]:
    db.expire_all()
    return [
        (p.kind, p.starts_on.isoformat(), p.ends_on.isoformat(), p.description)
        for p in db.scalars(select(TermPeriod).order_by(TermPeriod.starts_on, TermPeriod.kind.desc()))
    ]


def audit_actions(db) -> list[tuple]:
    return [
        (event.action, event.before, event.after)
        for event in db.scalars(
            select(AuditEvent).where(AuditEvent.action.like("term_dates.%")).order_by(AuditEvent.id)
        )
    ]


def test_the_term_dates_are_listed_by_academic_year(admin):
    page = get_page(admin, "/admin/term-dates")
    year = page.find("table", id="year-2027")
    assert text_of(year.caption) == "2027 to 2028"
    cells = [text_of(cell) for cell in year.find("tbody").find("tr").find_all("td")]
    assert cells[:4] == ["Autumn 2027 first half", "Term", "2 September 2027", "22 October 2027"]
    assert cells[4].startswith("Change Autumn 2027 first half, 2 September 2027 Remove")
    assert len(year.find("tbody").find_all("tr")) == 6
    assert [text_of(t.caption) for t in page.find_all("table")] == [
        "2024 to 2025",
        "2025 to 2026",
        "2026 to 2027",
        "2027 to 2028",
    ]


@pytest.mark.parametrize("role", ["lead", "officer", "manager", "school"])
def test_only_admins_manage_term_dates(client, users, role):
    sign_in(client, f"{role}@northbridge.example")
    for url in ("/admin/term-dates", "/admin/term-dates/add", "/admin/term-dates/upload", "/admin/term-dates/1/change"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/term-dates/1/remove").status_code == 403


def test_a_term_that_ends_before_it_starts_is_refused_and_nothing_saved(admin, db):
    before = rows(db)
    response = post(
        admin,
        "/admin/term-dates/add",
        period_form("term", date(2028, 10, 20), date(2028, 9, 4), "Autumn 2028 first half"),
        status=200,
    )
    page = parse(response)
    assert error_summary(page) == [("The end date must be the same as or after the start date", "#ends_on-day")]
    assert page.title.get_text(strip=True).startswith("Error: Add a term or closure")
    assert rows(db) == before
    assert audit_actions(db) == []


def test_a_term_that_overlaps_another_is_refused_and_nothing_saved(admin, db):
    before = rows(db)
    page = parse(
        post(
            admin,
            "/admin/term-dates/add",
            period_form("term", date(2027, 10, 2), date(2027, 10, 30), "Autumn 2027 extra"),
            status=200,
        )
    )
    assert [message for message, _ in error_summary(page)] == [
        "Autumn 2027 first half overlaps Autumn 2027 extra (2 to 22 October 2027)"
    ]
    assert rows(db) == before


def test_a_form_with_nothing_chosen_says_what_to_enter(admin):
    page = parse(post(admin, "/admin/term-dates/add", period_form("", None, None, ""), status=200))
    assert error_summary(page) == [
        ("Select whether it is a term or a closure", "#kind"),
        ("Enter the start date", "#starts_on-day"),
        ("Enter the end date", "#ends_on-day"),
    ]


def test_an_admin_adds_changes_and_removes_a_term_and_each_is_audited(admin, db):
    post(admin, "/admin/term-dates/add", period_form("term", date(2028, 9, 4), date(2028, 10, 20), "Autumn 2028"))
    page = get_page(admin, "/admin/term-dates")
    assert [text_of(b) for b in page.select(".govuk-notification-banner__heading")] == ["Autumn 2028 added"]
    added = db.scalar(select(TermPeriod).where(TermPeriod.description == "Autumn 2028"))
    assert [text_of(td) for td in page.find("table", id="year-2028").find("tbody").find_all("td")][:4] == [
        "Autumn 2028",
        "Term",
        "4 September 2028",
        "20 October 2028",
    ]
    post(
        admin,
        f"/admin/term-dates/{added.id}/change",
        period_form("term", date(2028, 9, 5), date(2028, 10, 20), "Autumn 2028 first half"),
    )
    confirm = get_page(admin, f"/admin/term-dates/{added.id}/remove")
    assert text_of(confirm.h1) == "Are you sure you want to remove Autumn 2028 first half?"
    post(admin, f"/admin/term-dates/{added.id}/remove", {})
    assert len(rows(db)) == SHIPPED_ROWS
    first = {"kind": "term", "starts_on": "2028-09-04", "ends_on": "2028-10-20", "description": "Autumn 2028"}
    second = {**first, "starts_on": "2028-09-05", "description": "Autumn 2028 first half"}
    assert audit_actions(db) == [
        ("term_dates.added", None, first),
        ("term_dates.changed", first, second),
        ("term_dates.removed", second, None),
    ]


def upload(client, text: str, status: int = 200):
    page = get_page(client, "/admin/term-dates/upload")
    response = client.post(
        "/admin/term-dates/upload",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(text.encode("utf-8")), "terms.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == status
    page = parse(response)
    return page


NEW_YEARS = """kind,start,end,description
term,2027-09-01,2027-12-17,Autumn 2027
term,2028-01-04,2028-03-31,Spring 2028
term,2028-04-18,2028-07-21,Summer 2028
closure,2027-09-01,2027-09-01,Staff training day
term,2028-09-04,2028-12-15,Autumn 2028
"""


def test_a_file_replaces_the_academic_years_it_covers_once_confirmed(admin, db):
    page = upload(admin, NEW_YEARS)
    assert text_of(page.h1) == "Check the term dates in the file"
    assert text_of(page.find(id="covers")) == (
        "The file covers the academic years 2027 to 2028 and 2028 to 2029. Saving it replaces every term and "
        "closure starting in those years with the file's."
    )
    added = [[text_of(td) for td in tr.find_all("td")] for tr in page.find("table", id="added").tbody.find_all("tr")]
    assert added[0] == ["Autumn 2027", "Term", "1 September 2027", "17 December 2027"]
    assert len(added) == 5
    replaced = page.find("table", id="replaced").tbody.find_all("tr")
    assert [text_of(tr.td) for tr in replaced] == [
        "Autumn 2027 first half",
        "Autumn 2027 second half",
        "Spring 2028 first half",
        "Spring 2028 second half",
        "Summer 2028 first half",
        "Summer 2028 second half",
    ]
    assert len(rows(db)) == SHIPPED_ROWS  # nothing saved until confirmed
    content = page.find("input", {"name": "content"})["value"]
    response = admin.post("/admin/term-dates/upload/confirm", data={"csrf_token": csrf_token(page), "content": content})
    assert response.status_code == 302
    after = rows(db)
    assert len(after) == SHIPPED_ROWS - 6 + 5
    assert ("term", "2027-09-01", "2027-12-17", "Autumn 2027") in after
    assert ("term", "2027-09-02", "2027-10-22", "Autumn 2027 first half") not in after
    assert ("term", "2027-06-07", "2027-07-21", "Summer 2027 second half") in after  # 2026 to 2027 stays
    [(action, before, audited)] = audit_actions(db)
    assert action == "term_dates.uploaded"
    assert before["years"] == ["2027 to 2028", "2028 to 2029"]
    assert len(before["periods"]) == 6 and len(audited["periods"]) == 5
    flash = get_page(admin, "/admin/term-dates").select(".govuk-notification-banner__heading")
    assert [text_of(b) for b in flash] == ["Term dates for 2027 to 2028, 2028 to 2029 replaced: 5 added, 6 replaced"]


def test_a_file_with_problems_lists_each_with_its_line_and_nothing_is_saved(admin, db):
    page = upload(
        admin,
        "kind,start,end,description\n"
        "term,2028-09-04,2028-10-20,Autumn 2028 first half\n"
        "term,2028-10-02,2028-12-15,Autumn 2028 second half\n"
        "term,2029-01-07,2029-01-02,Spring 2029\n"
        "closure,2028-10-27,2028-10-27,Training day in the holiday\n",
    )
    assert text_of(page.h1) == "The file cannot be used"
    assert [text_of(li) for li in page.find(id="problems").find_all("li")] == [
        "Lines 2 and 3: Autumn 2028 first half overlaps Autumn 2028 second half (2 to 20 October 2028)",
        "Line 4: the end date must be the same as or after the start date",
    ]
    assert page.find("input", {"name": "content"}) is None
    assert len(rows(db)) == SHIPPED_ROWS
    assert audit_actions(db) == []


def test_a_file_changed_on_its_way_to_confirm_is_checked_again(admin, db):
    page = get_page(admin, "/admin/term-dates/upload")
    response = admin.post(
        "/admin/term-dates/upload/confirm",
        data={"csrf_token": csrf_token(page), "content": "kind,start,end,description\nterm,2099-09-01,2099-01-01,x\n"},
    )
    assert response.status_code == 200
    assert len(rows(db)) == SHIPPED_ROWS


def test_the_term_dates_download_as_csv(admin):
    response = admin.get("/admin/term-dates/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="term_dates.csv"'
    lines = response.get_data(as_text=True).splitlines()
    assert lines[:2] == ["kind,start,end,description", "term,2024-09-04,2024-10-25,Autumn 2024 first half"]
    assert "closure,2026-01-05,2026-01-05,Staff training day" in lines
    assert len(lines) == SHIPPED_ROWS + 1


# The warning that the coming term has no dates --------------------------------------------------------------------

# The shipped dates' last term ends on Friday 21 July 2028: 8 weeks before is Friday 26 May.


@pytest.mark.parametrize(("today", "warned"), [(date(2028, 5, 25), False), (date(2028, 5, 26), True)])
def test_the_admin_page_warns_when_the_coming_term_has_no_dates(client, users, clock, today, warned):
    clock.set(today)
    sign_in(client, "admin@northbridge.example")
    warning = get_page(client, "/admin/term-dates").find(id="coming-term-warning")
    if not warned:
        assert warning is None
        return
    assert text_of(warning) == (
        "! Warning The last term in the service ends on 21 July 2028 and the term after it has no dates. Add the "
        "next term's dates: until then school days after it are counted as every weekday that is not a bank "
        "holiday, holidays included."
    )


@pytest.mark.parametrize(("role", "warned"), [("lead", True), ("admin", True), ("officer", False), ("manager", False)])
def test_the_team_home_page_warns_the_lead_and_admins(client, users, clock, role, warned):
    clock.set(date(2028, 7, 24))
    sign_in(client, f"{role}@northbridge.example")
    banner = get_page(client, "/staff/").find(id="term-dates-warning")
    assert (banner is not None) == warned
    if warned:
        assert text_of(banner.find(class_="govuk-notification-banner__heading")) == "The coming term has no dates"
        assert "The last term in the service ended on 21 July 2028" in text_of(banner)
        assert (banner.find("a", href="/admin/term-dates") is not None) == (role == "admin")


def test_the_team_home_page_has_no_warning_when_next_term_has_dates(client, users, db, clock):
    clock.set(date(2028, 7, 24))
    db.add(TermPeriod(kind="term", starts_on=date(2028, 9, 4), ends_on=date(2028, 10, 20), description="Autumn 2028"))
    db.commit()
    sign_in(client, "lead@northbridge.example")
    assert get_page(client, "/staff/").find(id="term-dates-warning") is None


# The command line -------------------------------------------------------------------------------------------------


def test_cme_term_dates_check_exits_1_with_the_warning(app, clock):
    runner = app.test_cli_runner()
    clock.set(date(2028, 5, 25))
    result = runner.invoke(args=["term-dates", "check"])
    assert (result.exit_code, result.output) == (0, "Term dates are in place until 21 July 2028.\n")
    clock.set(date(2028, 5, 26))
    result = runner.invoke(args=["term-dates", "check"])
    assert result.exit_code == 1
    assert result.output.startswith("The last term in the service ends on 21 July 2028 and the term after it")


def test_cme_term_dates_import_checks_the_whole_file_and_export_writes_it(app, db, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,start,end,description\nterm,2028-09-04,2028-10-20,A\nbreak,2028-10-21,2028-10-22,B\n")
    result = runner.invoke(args=["term-dates", "import", str(bad)])
    assert result.exit_code == 1
    assert "Line 3: the kind must be term or closure" in result.output
    assert "Nothing was saved." in result.output
    assert len(rows(db)) == SHIPPED_ROWS
    good = tmp_path / "good.csv"
    good.write_text(NEW_YEARS)
    result = runner.invoke(args=["term-dates", "import", str(good)])
    assert (result.exit_code, result.output) == (0, "Term dates for 2027 to 2028, 2028 to 2029: 5 added, 6 replaced.\n")
    assert db.scalar(select(AuditEvent.actor_label).where(AuditEvent.action == "term_dates.uploaded")) == (
        "command line"
    )
    exported = runner.invoke(args=["term-dates", "export"]).output.splitlines()
    assert exported[-1] == "term,2028-09-04,2028-12-15,Autumn 2028"
    assert len(exported) == SHIPPED_ROWS - 6 + 5 + 1
    assert db.scalar(select(func.count()).select_from(TermPeriod)) == SHIPPED_ROWS - 1
