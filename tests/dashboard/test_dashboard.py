"""The dashboard through its own requests, as the browser makes them: each page drawn by its callback from the URL,
the filters read from the query string (and what cannot be used said, never an error), names only for the roles
that work cases, the tables downloaded as CSV and workbooks safe against formula injection, and only staff let in."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dashboard.figures import PALETTE, cases_by_status, lines
from dashboard.filters import query_string, read_filters, school_year_start
from dashboard.tables import Column, Table, as_csv, safe_text
from shared.clock import long_date, uk_today
from shared.domain.retention import years_before
from shared.models import AuditEvent, Case, Child, Enquiry, Referral, SchoolNotice
from tests.conftest import a_school, calendar_of, sign_in

FORMULA = '=HYPERLINK("http://attacker.example","Open")'


@pytest.fixture
def work(app, db, users, school):
    """Five cases (four open), their checks (two overdue on open cases, one a text a spreadsheet would run),
    referrals and notices. Case 2's school is Millfield Primary through its notice; a secondary school exists."""
    today = uk_today()
    db.add(a_school(990103, "4101", "Northbridge Academy", "NB3 3CC"))
    children = [
        Child(first_name=f"Child{n}", last_name="Ali", date_of_birth=years_before(today, 9 + n)) for n in range(5)
    ]
    db.add_all(children)
    officer, lead = users["officer"], users["lead"]
    cases = [
        Case(reference="CS-TEST-001", child=children[0], status="open"),
        Case(reference="CS-TEST-002", child=children[1], status="enquiries", assigned_to=officer),
        Case(reference="CS-TEST-003", child=children[2], status="enquiries", assigned_to=lead),
        Case(reference="CS-TEST-004", child=children[3], status="monitoring", assigned_to=officer),
        Case(
            reference="CS-TEST-005",
            child=children[4],
            status="closed",
            assigned_to=officer,
            outcome="on_roll",
            closed_at=datetime.now(UTC) - timedelta(days=1),
        ),
    ]
    db.add_all(cases)
    db.add_all(
        [
            Enquiry(case=cases[1], check_type="health", due_on=today - timedelta(days=1), status="asked"),
            Enquiry(case=cases[1], check_type="police", due_on=today - timedelta(days=3), status="done"),
            Enquiry(
                case=cases[2], check_type="other", description=FORMULA, due_on=today - timedelta(days=8), status="to_do"
            ),
            Enquiry(case=cases[2], check_type="phone", due_on=today + timedelta(days=2), status="to_do"),
            Enquiry(case=cases[4], check_type="letter", due_on=today - timedelta(days=9), status="to_do"),
        ]
    )
    now = datetime.now(UTC)
    db.add_all(
        [
            Referral(reference="RF-TEST-001", source="public", status="new", urgent=True, received_at=now),
            Referral(reference="RF-TEST-002", source="school", status="new", received_at=now),
            SchoolNotice(
                reference="SN-TEST-001",
                school=school,
                kind="absence",
                status="attached",
                routed_to_cme=True,
                case=cases[1],
                pupil_first_name="Child1",
                pupil_last_name="Ali",
                pupil_date_of_birth=children[1].date_of_birth,
                event_date=today,
            ),
        ]
    )
    db.commit()
    return cases


def page_body(client, path: str, search: str = "") -> str:
    """What the page callback draws for a URL, as the text of its JSON answer."""
    dependencies = client.get("/dashboard/_dash-dependencies").json
    callback = next(d for d in dependencies if any(i["id"] == "url" for i in d["inputs"]))
    outputs = [
        dict(zip(("id", "property"), o.split("."), strict=True)) for o in callback["output"].strip(".").split("...")
    ]
    response = client.post(
        "/dashboard/_dash-update-component",
        json={
            "output": callback["output"],
            "outputs": outputs,
            "inputs": [
                {"id": "url", "property": "pathname", "value": path},
                {"id": "url", "property": "search", "value": search},
            ],
            "changedPropIds": ["url.pathname"],
            "state": [],
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return json.dumps(response.json)


def figure(body: str, element_id: str) -> str:
    marker = f'"id": "{element_id}"'
    before = body[: body.index(marker)]
    return json.loads("{" + before[before.rindex('"children": ') :].rstrip(", ") + "}")["children"]


# Filters from the URL -----------------------------------------------------------------------------------------------


def test_the_filters_default_to_the_school_year_so_far(db, school):
    today = uk_today()
    chosen = read_filters(db, "", today)
    assert (chosen.filters.start, chosen.filters.end, chosen.problems) == (school_year_start(today), today, ())
    assert chosen.filters.school_ids is None and chosen.filters.phase is None and chosen.filters.officer_id is None


def test_filters_that_cannot_be_used_are_said_plainly(db, users, school):
    today = uk_today()
    future = today + timedelta(days=30)
    messages = lambda search: [problem.message for problem in read_filters(db, search, today).problems]  # noqa: E731
    assert messages(f"from={future}&to={future + timedelta(days=5)}") == [
        f"The dates are in the future: there are no figures after today, {long_date(today)}"
    ]
    assert messages("from=2026-10-10&to=2026-10-01") == ["The start date must be on or before the end date"]
    assert messages("from=31/02/2026") == ["The start date must be a real date, like 2026-09-01"]
    assert messages("school=999999&school=abc") == [
        "“abc” is not a school's URN: a URN is 6 digits",
        "No school with URN 999999 is in the schools register",
    ]
    assert messages("phase=Nursery") == ["No school in the register has the phase “Nursery”"]
    assert messages(f"officer={users['manager'].id}") == [
        "The officer chosen is not a CME officer or lead in this service"
    ]
    ended_later = read_filters(db, f"from=2026-09-01&to={future}", today)
    assert ended_later.usable and ended_later.filters.end == today
    assert ended_later.notes == (f"The figures run to today, {long_date(today)}: there are none after it.",)


def test_odd_addresses_are_problems_never_errors(db, users, school):
    today = uk_today()
    messages = lambda search: [problem.message for problem in read_filters(db, search, today).problems]  # noqa: E731
    assert messages("to=0001-03-01") == ["The dates must be on or after 1 January 2000"]
    assert messages("school=%C2%B2") == ["“²” is not a school's URN: a URN is 6 digits"]
    assert messages("officer=%C2%B2&officer=99999999999") == [
        "The officer chosen is not a CME officer or lead in this service"
    ]
    assert messages("&".join(f"school={n}" for n in range(201))) == [
        "The address has too many filters: use 200 or fewer"
    ]


def test_the_query_string_keeps_filters_first_and_drops_emptied_ones():
    params = {"q": ["health"], "from": ["2026-09-01"], "school": ["990101", "990102"]}
    assert query_string(params, sort="due_on", school=[]) == "?from=2026-09-01&q=health&sort=due_on"
    assert query_string({}, phase="") == ""


# Pages --------------------------------------------------------------------------------------------------------------


def test_the_overview_counts_live_work_and_its_figures_follow_the_filters(client, users, work):
    sign_in(client, "lead@northbridge.example")
    body = page_body(client, "/dashboard/")
    assert [figure(body, f"figure-{name}") for name in ("open-cases", "overdue-checks", "referrals-week")] == [
        "4",
        "2",
        "2",
    ]
    officer = page_body(client, "/dashboard/", f"?officer={users['officer'].id}")
    assert (figure(officer, "figure-open-cases"), figure(officer, "figure-overdue-checks")) == ("2", "1")
    primary = page_body(client, "/dashboard/", "?school=990101")
    assert figure(primary, "figure-open-cases") == "1"  # case 2, through its notice from Millfield
    assert figure(page_body(client, "/dashboard/", "?school=990103"), "figure-open-cases") == "0"


def test_filters_outside_the_data_show_why_instead_of_figures(client, users, work):
    sign_in(client, "manager@northbridge.example")
    body = page_body(client, "/dashboard/caseloads", "?school=123456")
    assert "There is a problem with the filters" in body
    assert "No school with URN 123456 is in the schools register" in body
    assert "No figures are shown until the filters can be used" in body
    assert "figure-queue" not in body


def test_managers_see_case_references_but_never_childrens_names(app, client, users, work):
    sign_in(client, "manager@northbridge.example")
    for path in ("/dashboard/overdue", "/dashboard/caseloads"):
        body = page_body(client, path)
        assert "CS-TEST-002" in body and "CS-TEST-003" in body
        assert "Child1" not in body and "Ali" not in body
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    assert "Child1 Ali" in page_body(officer, "/dashboard/overdue")


def test_the_overdue_table_sorts_and_searches_through_the_url(client, users, work):
    sign_in(client, "lead@northbridge.example")
    by_most_overdue = page_body(client, "/dashboard/overdue")
    assert by_most_overdue.index("CS-TEST-003") < by_most_overdue.index("CS-TEST-002")
    by_due_date_latest = page_body(client, "/dashboard/overdue", "?sort=due_on&order=desc")
    assert by_due_date_latest.index("CS-TEST-002") < by_due_date_latest.index("CS-TEST-003")
    searched = page_body(client, "/dashboard/overdue", "?q=health")
    assert "CS-TEST-002" in searched and "CS-TEST-003" not in searched
    assert "1 overdue checks match the search." in searched


def test_every_page_draws_for_every_staff_role(app, users, work):
    for role in ("officer", "lead", "manager", "admin"):
        client = app.test_client()
        sign_in(client, f"{role}@northbridge.example")
        for path, heading in [
            ("/dashboard/", "Overview"),
            ("/dashboard/caseloads", "Caseloads"),
            ("/dashboard/overdue", "Overdue enquiries"),
            ("/dashboard/attendance", "Attendance trends"),
            ("/dashboard/outcomes", "Referrals and outcomes"),
            ("/dashboard/return", "The DfE return"),
            ("/dashboard/nowhere", "Page not found"),
        ]:
            assert f'"children": "{heading}"' in page_body(client, path), (role, path)


# Downloads ----------------------------------------------------------------------------------------------------------


def test_a_table_downloads_as_the_page_shows_it_and_a_formula_stays_text(app, client, db, users, work):
    sign_in(client, "lead@northbridge.example")
    response = client.get("/dashboard/export/overdue-checks.csv?sort=overdue&order=desc")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="overdue-checks-{uk_today()}.csv"'
    calendar = calendar_of(app)
    today = uk_today()
    days = [calendar.school_days_between(today - timedelta(days=n), today) for n in (8, 1)]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [
        ["Case", "Child", "Officer", "Check", "Due", "School days overdue"],
        ["CS-TEST-003", "Child2 Ali", "Test Lead", "'" + FORMULA, str(today - timedelta(days=8)), str(days[0])],
        [
            "CS-TEST-002",
            "Child1 Ali",
            "Test Officer",
            "Child health service",
            str(today - timedelta(days=1)),
            str(days[1]),
        ],
    ]
    workbook = load_workbook(io.BytesIO(client.get("/dashboard/export/overdue-checks.xlsx").get_data()))
    sheet = workbook.active
    check = sheet.cell(row=2, column=4)
    assert (check.value, check.data_type) == ("'" + FORMULA, "s")
    assert [cell.value for cell in sheet[1]] == ["Case", "Child", "Officer", "Check", "Due", "School days overdue"]
    exported = db.scalars(select(AuditEvent).where(AuditEvent.action == "dashboard.export")).all()
    assert [(event.after["table"], event.after["format"], event.after["rows"]) for event in exported] == [
        ("overdue-checks", "csv", 2),
        ("overdue-checks", "xlsx", 2),
    ]


def test_a_managers_download_has_no_names_and_bad_filters_download_nothing(client, users, work):
    sign_in(client, "manager@northbridge.example")
    header = client.get("/dashboard/export/open-cases.csv").get_data().decode("utf-8-sig").splitlines()[0]
    assert header == "Case,Status,Officer,School,Risk,Opened"
    refused = client.get("/dashboard/export/open-cases.csv?from=2099-01-01&to=2099-02-01")
    assert refused.status_code == 400
    assert "there are no figures after today" in refused.get_data(as_text=True)
    assert client.get("/dashboard/export/no-such-table.csv").status_code == 404
    assert client.get("/dashboard/export/open-cases.pdf").status_code == 404


def test_names_never_reach_a_manager_on_any_page_or_workbook(client, users, work):
    sign_in(client, "manager@northbridge.example")
    for path in (
        "/dashboard/",
        "/dashboard/caseloads",
        "/dashboard/overdue",
        "/dashboard/attendance",
        "/dashboard/outcomes",
        "/dashboard/return",
    ):
        assert "Child1" not in page_body(client, path), path
    for table in ("overdue-checks", "open-cases", "notices-waiting", "dfe-return-children"):
        sheet = load_workbook(io.BytesIO(client.get(f"/dashboard/export/{table}.xlsx").get_data())).active
        cells = [str(cell.value) for row in sheet.iter_rows() for cell in row]
        assert not any(re.search(r"Child\d|\bAli\b", cell) for cell in cells), table


def test_a_workbook_drops_control_characters_a_spreadsheet_cannot_hold(client, db, users, work):
    check = db.scalars(select(Enquiry).where(Enquiry.check_type == "health")).one()
    check.check_type, check.description = "other", "Asked\x0bthe GP\x1b"
    db.commit()
    sign_in(client, "lead@northbridge.example")
    sheet = load_workbook(io.BytesIO(client.get("/dashboard/export/overdue-checks.xlsx").get_data())).active
    assert [row[3].value for row in sheet.iter_rows(min_row=2)] == ["'" + FORMULA, "Askedthe GP"]


def test_the_dfe_return_downloads_in_the_collections_shape(client, users, work):
    sign_in(client, "lead@northbridge.example")
    text = client.get(f"/dashboard/export/dfe-return.csv?census={uk_today()}").get_data(as_text=True)
    lines_ = text.splitlines()
    assert lines_[0] == "la_code,census_date,breakdown_topic,breakdown,length_of_time_missing,child_count"
    assert f"999,{uk_today()},Primary reason category,Total,Total,4" in lines_
    assert not text.startswith("\ufeff")
    bands = client.get(f"/dashboard/export/dfe-return-bands.csv?census={uk_today()}")
    assert bands.status_code == 200 and bands.get_data().decode("utf-8-sig").startswith("Length of time missing,")
    refused = client.get("/dashboard/export/dfe-return.csv?census=2099-01-01")
    assert refused.status_code == 400
    assert "The census day must be today or in the past" in refused.get_data(as_text=True)
    # The return is the whole authority's: the shared filters neither narrow nor block it.
    assert "There is a problem" not in page_body(client, "/dashboard/return", "?school=123456")


def test_csv_cells_a_spreadsheet_would_run_are_made_text():
    assert [safe_text(value) for value in ("=1+1", "+44 1632", "-2", "@SUM(A1)", "\tx", "Plain", "")] == [
        "'=1+1",
        "'+44 1632",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Plain",
        "",
    ]
    table = Table("t", "T", [Column("name", "=Name"), Column("n", "N", numeric=True)], [{"name": "-x", "n": -3}])
    assert as_csv(table) == "'=Name,N\r\n'-x,-3\r\n"


# Who may see it -----------------------------------------------------------------------------------------------------


def test_school_users_are_refused_the_dashboard_and_its_downloads(client, users):
    sign_in(client, "school@northbridge.example")
    assert client.get("/dashboard/").status_code == 403
    assert client.post("/dashboard/_dash-update-component", json={}).status_code == 403
    assert client.get("/dashboard/export/open-cases.csv").status_code == 403


def test_signed_out_the_page_asks_for_sign_in_and_its_requests_get_401(client, users):
    page = client.get("/dashboard/caseloads?phase=Primary")
    assert page.status_code == 302 and "/sign-in?next=" in page.headers["Location"]
    assert client.get("/dashboard/export/open-cases.csv").status_code == 302
    answer = client.post("/dashboard/_dash-update-component", json={})
    assert (answer.status_code, answer.json) == (401, {"error": "Sign in to use the dashboard"})


def test_the_dashboard_page_is_served_with_its_own_scripts_only(client, users):
    sign_in(client, "officer@northbridge.example")
    response = client.get("/dashboard/")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "cdn" not in html.lower() and "https://" not in html.split("<body")[1]
    csp = response.headers["Content-Security-Policy"]
    assert "'sha256-" in csp  # Dash's inline renderer script is allowed by hash, not by 'unsafe-inline'
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_dash_s_fingerprinted_scripts_may_be_cached_but_its_data_may_not(client, users):
    sign_in(client, "officer@northbridge.example")
    page = client.get("/dashboard/").get_data(as_text=True)
    script = next(src for src in page.split('src="')[1:] if "_dash-component-suites" in src).split('"')[0]
    assert client.get(script).headers["Cache-Control"] == "max-age=31536000"
    assert client.get("/dashboard/_dash-layout").headers["Cache-Control"] == "no-store"


# Figures ------------------------------------------------------------------------------------------------------------


def test_cases_by_status_figure():
    bar = cases_by_status(["Open", "Closed"], [3, 7]).data[0]
    assert (list(bar.y), list(bar.x), bar.orientation, bar.marker.color) == (
        ["Open", "Closed"],
        [3, 7],
        "h",
        PALETTE[0],
    )


def test_lines_differ_by_more_than_colour():
    day = uk_today()
    figure = lines([day], {"A": [0.9], "B": [0.8]}, "Attendance")
    assert [(t.line.dash, t.marker.symbol, t.line.color) for t in figure.data] == [
        ("solid", "circle", PALETTE[0]),
        ("dash", "square", PALETTE[1]),
    ]
