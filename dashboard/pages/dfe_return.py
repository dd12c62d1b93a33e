"""The DfE return: the termly children missing education collection's figures for a census day, as a download in
the collection's shape (docs/dfe-return.md), with the children behind it by case reference and the records that
would make it wrong. The census day is the page's own parameter (`census`); the return covers the whole authority,
so the other filters do not narrow it."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from dash import dcc, html

from dashboard import components as ui
from dashboard.figures import horizontal_bars
from dashboard.tables import Column, Table
from dashboard.view import View
from shared.clock import long_date
from shared.domain.problems import Problem
from shared.queries import dfe_return as queries
from webcommon.settings import settings_in

PATH = "/dashboard/return"
TITLE = "The DfE return"
USES_FILTERS = False  # the return is the whole authority's: the shared filters neither narrow nor block it
CENSUS_ID = {"type": "page-param", "name": "census"}


def _nth_thursday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 7 * (nth - 1))


def census_days(before: date, count: int = 3) -> list[date]:
    """The school census days (first Thursday of October, third Thursday of January and of May) on or before a
    day, latest first."""
    days = []
    for year in range(before.year, before.year - 3, -1):
        days += [_nth_thursday(year, 10, 1), _nth_thursday(year, 5, 3), _nth_thursday(year, 1, 3)]
    return sorted((day for day in days if day <= before), reverse=True)[:count]


def census_day(view: View) -> tuple[date | None, str | None]:
    """The census day asked for, else the latest school census day: (day, problem)."""
    value = view.chosen.param("census").strip()
    if not value:
        return census_days(view.today)[0], None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, "The census day must be a real date, like 2026-10-01"
    if day > view.today:
        return None, f"The census day must be today or in the past: there are no figures after {long_date(view.today)}"
    return day, None


def own_problems(view: View) -> list[str]:
    """Why nothing can be downloaded from this page: a census day that cannot be used."""
    _, problem = census_day(view)
    return [problem] if problem else []


def _return(view: View):
    day, problem = census_day(view)
    return (queries.cme_on(view.session, day, view.calendar) if day else None), problem


def return_table(view: View, found=None) -> Table:
    found = found if found is not None else _return(view)[0]
    la_code = settings_in(view.session).authority_la_code
    text = queries.return_csv(found, la_code) if found else ""
    lines = list(csv.reader(io.StringIO(text)))[1:]
    rows = [dict(zip(queries.RETURN_COLUMNS, [*line[:-1], int(line[-1])], strict=True)) for line in lines]
    return Table(
        "dfe-return",
        "Children missing education on the census day",
        [Column(name, name, numeric=name == "child_count") for name in queries.RETURN_COLUMNS],
        rows,
        exact_csv=text,
    )


def detail_table(view: View, found=None) -> Table:
    found = found if found is not None else _return(view)[0]
    rows = [
        {
            "case": child.case_reference,
            "missing_since": child.missing_since,
            "days": child.calendar_days,
            "school_days": child.school_days,
            "band": child.band,
            "reason": child.reason_label or "Not recorded",
            "category": child.dfe_category,
            "problems": "; ".join(child.problems),
        }
        for child in (found.children if found else [])
    ]
    return Table(
        "dfe-return-children",
        "The children behind the return",
        [
            Column("case", "Case"),
            Column("missing_since", "Missing since"),
            Column("days", "Days missing", numeric=True),
            Column("school_days", "School days missing", numeric=True),
            Column("band", "Length of time missing"),
            Column("reason", "Primary reason"),
            Column("category", "DfE category"),
            Column("problems", "Problems with the record"),
        ],
        rows,
        links={"case": lambda row: f"/staff/cases/{row['case']}"},
    )


def band_table(view: View, found=None) -> Table:
    found = found if found is not None else _return(view)[0]
    return Table(
        "dfe-return-bands",
        "Length of time missing",
        [Column("band", "Length of time missing"), Column("children", "Children", numeric=True)],
        [{"band": band, "children": count} for band, count in (found.by_band if found else [])],
    )


def reason_table(view: View, found=None) -> Table:
    found = found if found is not None else _return(view)[0]
    return Table(
        "dfe-return-reasons",
        "Primary reason",
        [Column("reason", "Primary reason (DfE category)"), Column("children", "Children", numeric=True)],
        [{"reason": reason, "children": count} for reason, count in (found.by_category if found else []) if count],
    )


TABLES = {
    "dfe-return": return_table,
    "dfe-return-children": detail_table,
    "dfe-return-bands": band_table,
    "dfe-return-reasons": reason_table,
}


def _chooser(view: View, day: date | None) -> html.Div:
    recent = census_days(view.today)
    return html.Div(
        className="govuk-form-group",
        children=[
            html.Label("Census day", htmlFor=ui.dom_id(CENSUS_ID), className="govuk-label govuk-label--s"),
            html.Div(
                "The school census days: "
                + ", ".join(long_date(each) for each in recent)
                + ". Any past day can be chosen.",
                id="census-hint",
                className="govuk-hint",
            ),
            dcc.Input(
                id=CENSUS_ID,
                type="date",
                value=(day or recent[0]).isoformat(),
                max=view.today.isoformat(),
                className="govuk-input govuk-input--width-10",
            ),
            html.Button(
                "Show the return",
                id={"type": "page-apply", "name": "census"},
                className="govuk-button govuk-button--secondary govuk-!-margin-left-2 govuk-!-margin-bottom-0",
                n_clicks=0,
            ),
        ],
    )


def render(view: View) -> list:
    day, problem = census_day(view)
    content: list = [
        html.H1(TITLE, className="govuk-heading-l"),
        html.P(
            "The termly children missing education data collection: the children missing education on the census "
            "day, how long each had been missing and why. It covers the whole authority, whatever the filters.",
            className="govuk-body",
        ),
    ]
    if problem:
        content.insert(0, ui.problem_summary([Problem("census", problem)]))
        return [*content, _chooser(view, None), ui.empty_state("Choose a census day to see the return.")]
    found = queries.cme_on(view.session, day, view.calendar)
    content.append(_chooser(view, day))
    summary = return_table(view, found)
    children = detail_table(view, found)
    total = len(found.children)
    content.append(html.H2(f"On {long_date(day)}", className="govuk-heading-m", id="return-day"))
    the_return = [
        html.H2("The return", className="govuk-heading-m", id="the-return"),
        html.P(
            "A row for each primary reason and length of time, then by sex and by year group, with totals: no "
            "child is named or identified.",
            className="govuk-body",
        ),
        *ui.table_section(summary, view.search, ""),
    ]
    if not total:
        # A return of zeros is still a return to send.
        return [*content, ui.empty_state(f"No child was missing education on {long_date(day)}."), *the_return]
    content.append(
        html.P(
            f"{total:,} children were missing education on {long_date(day)}.",
            className="govuk-body-l",
            id="return-total",
        )
    )
    if found.problems:
        content.append(
            html.Div(
                className="govuk-warning-text",
                children=[
                    html.Span("!", className="govuk-warning-text__icon", **{"aria-hidden": "true"}),
                    html.Strong(
                        className="govuk-warning-text__text",
                        children=[
                            html.Span("Warning", className="govuk-visually-hidden"),
                            f"{len(found.problems):,} records need attention before the return is sent: "
                            "they are listed in the table of children.",
                        ],
                    ),
                ],
            )
        )
    bands = [(band, count) for band, count in found.by_band]
    reasons = [(category, count) for category, count in found.by_category if count]
    longest = max(bands, key=lambda item: item[1])
    content.append(
        ui.chart(
            "return-by-length",
            "How long they had been missing education",
            f"The largest group: {longest[0].lower()}, {longest[1]:,} of {total:,} children.",
            horizontal_bars([band for band, _ in bands], [count for _, count in bands], "Children"),
            band_table(view, found),
            view.search,
        )
    )
    top = max(reasons, key=lambda item: item[1])
    content.append(
        ui.chart(
            "return-by-reason",
            "Primary reason",
            f"The most common primary reason: {top[0]}, {top[1]:,} of {total:,} children. "
            f"{len(reasons)} reasons are recorded.",
            horizontal_bars([reason for reason, _ in reasons], [count for _, count in reasons], "Children"),
            reason_table(view, found),
            view.search,
        )
    )
    content += [
        *the_return,
        html.H2("The children behind it", className="govuk-heading-m", id="return-children"),
        *ui.table_section(children, view.search, ""),
    ]
    return content
