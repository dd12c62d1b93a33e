"""Referrals and outcomes: referrals by source over time, the outcomes of closed cases, how long it takes to locate
a child, and removals from roll without a known destination, by school."""

from __future__ import annotations

from collections import defaultdict

from dash import html

from dashboard import components as ui
from dashboard.figures import horizontal_bars, stacked_columns
from dashboard.tables import Column, Table
from dashboard.view import View
from shared.clock import long_date
from shared.queries.dashboard import outcomes as queries
from shared.queries.dashboard.referrals import referrals_over_time

PATH = "/dashboard/outcomes"
TITLE = "Referrals and outcomes"
WEEKLY_UP_TO_DAYS = 26 * 7  # longer ranges are counted by month


def _bucket(view: View) -> str:
    return "week" if (view.filters.end - view.filters.start).days <= WEEKLY_UP_TO_DAYS else "month"


def referral_table(view: View, points=None) -> Table:
    bucket = _bucket(view)
    points = points if points is not None else referrals_over_time(view.session, view.filters, bucket)
    labels = list(dict.fromkeys(point.label for point in points))
    by_period: dict = defaultdict(dict)
    for point in points:
        by_period[point.period_start][point.label] = point.count
    columns = [
        Column("period", "Week beginning" if bucket == "week" else "Month"),
        *[Column(label, label, numeric=True) for label in labels],
        Column("total", "Total", numeric=True),
    ]
    month = (lambda day: f"{day:%B %Y}") if bucket == "month" else None
    if month:
        columns[0] = Column("period", "Month", format=month)
    rows = [{"period": period, **counts, "total": sum(counts.values())} for period, counts in sorted(by_period.items())]
    return Table("referrals-by-source", "Referrals by source", columns, rows)


def outcome_table(view: View, counts=None) -> Table:
    counts = counts if counts is not None else queries.outcomes(view.session, view.filters)
    return Table(
        "case-outcomes",
        "Outcomes of closed cases",
        [Column("outcome", "Outcome"), Column("cases", "Cases closed", numeric=True)],
        [{"outcome": row.label, "cases": row.count} for row in counts],
    )


def locate_table(view: View, times=None) -> Table:
    times = times or queries.time_to_locate(view.session, view.filters, view.calendar)
    return Table(
        "time-to-locate",
        "School days from referral to located",
        [Column("band", "School days"), Column("cases", "Children located", numeric=True)],
        [{"band": band, "cases": count} for band, count in times.bands],
    )


def removal_table(view: View, removals=None) -> Table:
    removals = removals if removals is not None else queries.removals_without_destination(view.session, view.filters)
    return Table(
        "removals-unknown-destination",
        "Removals from roll without a known destination",
        [
            Column("school", "School"),
            Column("urn", "URN"),
            Column("unknown", "Without a known destination", numeric=True),
            Column("leavers", "All removals", numeric=True),
        ],
        [{"school": row.school_name, "urn": row.urn, "unknown": row.count, "leavers": row.leavers} for row in removals],
    )


TABLES = {
    "referrals-by-source": referral_table,
    "case-outcomes": outcome_table,
    "time-to-locate": locate_table,
    "removals-unknown-destination": removal_table,
}


def _referrals_drawn(points, referrals: Table, dates: str, bucket: str) -> ui.Drawn | None:
    total = sum(row["total"] for row in referrals.rows)
    if not total:
        return None
    sources: dict[str, int] = {}
    for point in points:
        sources[point.label] = sources.get(point.label, 0) + point.count
    top, top_count = max(sources.items(), key=lambda item: item[1])
    summary = (
        f"{total:,} referrals {dates}. The most came from “{top}”: {top_count:,} ({top_count / total:.0%}). "
        f"Counted by {bucket}."
    )
    figure = stacked_columns(
        [row["period"] for row in referrals.rows],
        {label: [row.get(label, 0) for row in referrals.rows] for label in sources},
        "Referrals",
    )
    return summary, figure


def _outcomes_drawn(counts, dates: str) -> ui.Drawn | None:
    closed = counts[0].total if counts else 0
    if not closed:
        return None
    top = max(counts, key=lambda row: row.count)
    summary = (
        f"{closed:,} cases closed {dates}. The most common outcome: “{top.label}”, {top.count:,} "
        f"({top.count / closed:.0%})."
    )
    return summary, horizontal_bars([row.label for row in counts], [row.count for row in counts], "Cases closed")


def _locate_drawn(times, located: Table, dates: str) -> ui.Drawn | None:
    if not times.count:
        return None
    summary = (
        f"{times.count:,} children located {dates}: half within {times.median:g} school days of the first "
        f"referral, notice or attendance alert on their case, and 9 in 10 within {times.p90:g}."
    )
    figure = horizontal_bars(
        [row["band"] for row in located.rows], [row["cases"] for row in located.rows], "Children located"
    )
    return summary, figure


def render(view: View) -> list:
    filters = view.filters
    dates = f"from {long_date(filters.start)} to {long_date(filters.end)}"
    content: list = [html.H1(TITLE, className="govuk-heading-l")]

    points = referrals_over_time(view.session, filters, _bucket(view))
    referrals = referral_table(view, points)
    content += ui.chart_or_empty(
        "referrals-by-source",
        "Referrals by source",
        _referrals_drawn(points, referrals, dates, _bucket(view)),
        referrals,
        view.search,
        f"No referrals {dates}.",
    )

    counts = queries.outcomes(view.session, filters)
    content += ui.chart_or_empty(
        "case-outcomes",
        "Outcomes of closed cases",
        _outcomes_drawn(counts, dates),
        outcome_table(view, counts),
        view.search,
        f"No cases closed {dates}.",
    )

    times = queries.time_to_locate(view.session, filters, view.calendar)
    located = locate_table(view, times)
    content.append(html.Div(id="time-to-locate"))
    content += ui.chart_or_empty(
        "locate-times",
        "Time to locate",
        _locate_drawn(times, located, dates),
        located,
        view.search,
        f"No children located {dates}.",
    )

    removals = removal_table(view)
    unknown = sum(row["unknown"] for row in removals.rows)
    content.append(html.H2(removals.caption, className="govuk-heading-m", id="removals"))
    content.append(
        html.P(
            f"{unknown:,} pupils were removed from a school's roll {dates} without a known destination, "
            f"at {sum(1 for row in removals.rows if row['unknown']):,} schools.",
            className="govuk-body",
        )
    )
    content += ui.table_section(removals, view.search, f"No removals from roll {dates}.")
    return content
