"""Attendance trends: the weekly attendance rate for the authority and chosen schools, persistent and severe absence
over the term so far week by week, each school compared for a term, and attendance since placement for the
children the team placed. All from the weekly rollups the import keeps, except since placement, which counts the
placed children's own marks."""

from __future__ import annotations

from dash import html

from dashboard import components as ui
from dashboard.figures import horizontal_bars, lines
from dashboard.tables import Column, Table
from dashboard.view import View
from shared.clock import long_date
from shared.domain.terms import term_of
from shared.queries import attendance as queries
from shared.queries.dashboard.choices import school_names, selected_school_ids
from shared.queries.dashboard.placed import placed_attendance, placed_summary
from shared.queries.dashboard.scope import Filters

PATH = "/dashboard/attendance"
TITLE = "Attendance trends"
MOST_LINES = 6  # chosen schools drawn as their own lines; more are drawn together
LOWEST_SCHOOLS_DRAWN = 20


def _rate(value: float | None) -> str:
    """A share as the measures are published, to one decimal place: 0.9512 -> "95.1%"."""
    return "No data" if value is None else f"{value * 100:.1f}%"


def _trend_series(view: View) -> tuple[list, dict[str, list], dict[str, list], list[dict]]:
    """The weeks, each line's attendance, each line's persistent and severe absence, and the table's rows."""
    session, filters = view.session, view.filters
    # The first line is the authority, or the phase's schools; then each chosen school (in the phase, if one is
    # chosen too), or the chosen schools together when there are many.
    chosen = selected_school_ids(session, filters)
    base_name = f"{filters.phase} schools" if filters.phase else "The authority"
    base_ids = selected_school_ids(session, Filters(filters.start, filters.end, phase=filters.phase))
    lines_wanted: list[tuple[str, set[int] | None]] = [(base_name, base_ids)]
    if filters.school_ids:
        names = school_names(session, chosen or set())
        if len(names) <= MOST_LINES:
            lines_wanted += [(names[school_id], {school_id}) for school_id in sorted(names, key=names.get)]
        else:
            lines_wanted.append((f"The {len(names)} chosen schools", set(names)))
    trends = {name: queries.weekly_trend(session, filters.start, filters.end, ids) for name, ids in lines_wanted}
    weeks = sorted({point.week_start for points in trends.values() for point in points})
    attendance, absence, rows = {}, {}, []
    for name, points in trends.items():
        by_week = {point.week_start: point for point in points}
        attendance[name] = [by_week[w].counts.attendance_rate if w in by_week else None for w in weeks]
        if name == lines_wanted[-1][0] or name == base_name:
            absence[f"{name}: persistent absence"] = [
                by_week[w].persistent_rate if w in by_week else None for w in weeks
            ]
            absence[f"{name}: severe absence"] = [by_week[w].severe_rate if w in by_week else None for w in weeks]
        for point in points:
            rows.append(
                {
                    "line": name,
                    "week": point.week_start,
                    "pupils": point.pupils,
                    "possible": point.counts.possible,
                    "attendance": point.counts.attendance_rate,
                    "persistent": point.persistent_rate,
                    "severe": point.severe_rate,
                }
            )
    return weeks, attendance, absence, rows


TREND_COLUMNS = [
    Column("line", "Schools"),
    Column("week", "Week beginning"),
    Column("pupils", "Pupils", numeric=True),
    Column("possible", "Possible sessions", numeric=True),
    Column("attendance", "Attendance", numeric=True, format=_rate),
    Column("persistent", "Persistently absent, term so far", numeric=True, format=_rate),
    Column("severe", "Severely absent, term so far", numeric=True, format=_rate),
]


def trend_table(view: View) -> Table:
    _, _, _, rows = _trend_series(view)
    return Table("attendance-weekly", "Weekly attendance", TREND_COLUMNS, rows)


SCHOOL_COLUMNS = [
    Column("school", "School"),
    Column("urn", "URN"),
    Column("phase", "Phase"),
    Column("pupils", "Pupils", numeric=True),
    Column("attendance", "Attendance", numeric=True, format=_rate),
    Column("authorised", "Authorised absence", numeric=True, format=_rate),
    Column("unauthorised", "Unauthorised absence", numeric=True, format=_rate),
    Column("persistent", "Persistently absent", numeric=True, format=_rate),
    Column("severe", "Severely absent", numeric=True, format=_rate),
]


def school_table(view: View) -> Table:
    term = term_of(view.filters.end, view.calendar)
    chosen = selected_school_ids(view.session, view.filters)
    rows = [
        {
            "school": row.school.name,
            "urn": row.school.urn,
            "phase": row.school.phase,
            "pupils": row.measures.pupils,
            "attendance": row.measures.counts.attendance_rate,
            "authorised": row.measures.counts.authorised_rate,
            "unauthorised": row.measures.counts.unauthorised_rate,
            "persistent": row.measures.persistent_rate,
            "severe": row.measures.severe_rate,
        }
        for row in queries.schools_for_term(view.session, term, min(term.end, view.filters.end))
        if chosen is None or row.school.id in chosen
    ]
    return Table(
        "attendance-schools",
        f"Schools compared, {term.label.lower()} to {long_date(min(term.end, view.filters.end))}",
        SCHOOL_COLUMNS,
        rows,
        links={"school": lambda row: f"/staff/attendance/schools/{row['urn']}?term={term.key}"},
    )


PLACED_COLUMNS = [
    Column("case", "Case"),
    Column("school", "Placed at"),
    Column("placed_on", "Placed on"),
    Column("possible", "Possible sessions since", numeric=True),
    Column("attended", "Sessions attended", numeric=True),
    Column("rate", "Attendance since placement", numeric=True, format=_rate),
]


def placed_table(view: View, placed=None) -> Table:
    placed = placed if placed is not None else placed_attendance(view.session, view.filters, view.today)
    rows = [
        {
            "case": child.case_reference,
            "school": child.school_name,
            "placed_on": child.placed_on,
            "possible": child.possible,
            "attended": child.attended,
            "rate": child.attendance_rate,
        }
        for child in placed
    ]
    return Table(
        "attendance-since-placement",
        "Attendance since placement",
        PLACED_COLUMNS,
        rows,
        links={"case": lambda row: f"/staff/cases/{row['case']}"},
    )


def lowest_table(view: View, schools: Table | None = None) -> Table:
    """The schools the comparison chart draws: those with the lowest attendance."""
    schools = schools or school_table(view)
    lowest = sorted((r for r in schools.rows if r["attendance"] is not None), key=lambda r: r["attendance"])
    return Table(
        "attendance-lowest-schools",
        "Lowest attendance",
        SCHOOL_COLUMNS,
        lowest[:LOWEST_SCHOOLS_DRAWN],
        links=schools.links,
    )


TABLES = {
    "attendance-weekly": trend_table,
    "attendance-schools": school_table,
    "attendance-lowest-schools": lowest_table,
    "attendance-since-placement": placed_table,
}


def _trend_summary(weeks, attendance: dict[str, list]) -> str:
    name, values = next(iter(attendance.items()))
    known = [(week, value) for week, value in zip(weeks, values, strict=True) if value is not None]
    if not known:
        return "No attendance marks in these dates."
    last_week, last = known[-1]
    lowest_week, lowest = min(known, key=lambda item: item[1])
    text = f"{name}: attendance was {_rate(last)} in the week beginning {long_date(last_week)}"
    if len(known) > 1:
        previous = known[-2][1]
        change = "up from" if last > previous else "down from" if last < previous else "the same as"
        text += f", {change} {_rate(previous)} the week before"
    return text + f". The lowest week was {long_date(lowest_week)}, at {_rate(lowest)}, over {len(known)} weeks."


def _absence_summary(absence: dict[str, list]) -> str:
    last = {name: next((v for v in reversed(values) if v is not None), None) for name, values in absence.items()}
    return (
        "Each week shows the share of pupils who had missed 10% or more (persistent) and 50% or more (severe) of "
        "their sessions in the term up to that week. Latest: "
        + "; ".join(f"{name} {_rate(value)}" for name, value in last.items())
        + "."
    )


def _comparison_drawn(schools: Table, lowest: Table) -> ui.Drawn | None:
    drawn = lowest.rows
    if not drawn:
        return None
    highest = max((row for row in schools.rows if row["attendance"] is not None), key=lambda row: row["attendance"])
    summary = (
        f"{len(schools.rows)} schools have marks in the term. The lowest is {drawn[0]['school']} at "
        f"{_rate(drawn[0]['attendance'])}; the highest is {highest['school']} at {_rate(highest['attendance'])}. "
        "The full list is in the table below."
    )
    figure = horizontal_bars([r["school"] for r in drawn], [r["attendance"] for r in drawn], "Attendance", True)
    return summary, figure


def render(view: View) -> list:
    filters = view.filters
    weeks, attendance, absence, rows = _trend_series(view)
    content: list = [html.H1(TITLE, className="govuk-heading-l")]
    if filters.officer_id is not None:
        content.append(
            ui.notes(
                ["Attendance is counted by school, so the officer filter narrows only attendance since placement."]
            )[0]
        )
    trend = Table("attendance-weekly", "Weekly attendance", TREND_COLUMNS, rows)
    content += ui.chart_or_empty(
        "attendance-trend",
        "Weekly attendance rate",
        (_trend_summary(weeks, attendance), lines(weeks, attendance, "Attendance")) if weeks else None,
        trend,
        view.search,
        f"No attendance marks have been imported for these schools between {long_date(filters.start)} "
        f"and {long_date(filters.end)}.",
    )
    # With no marks, the weekly rate above says so for both.
    content += ui.chart_or_empty(
        "absence-trend",
        "Persistent and severe absence, term so far",
        (_absence_summary(absence), lines(weeks, absence, "Pupils")) if weeks else None,
        trend,
        view.search,
        None,
    )
    schools = school_table(view)
    content.append(html.H2(schools.caption, className="govuk-heading-m", id="schools-compared"))
    lowest = lowest_table(view, schools)
    # With no school's marks, the table below says so.
    content += ui.chart_or_empty(
        "school-comparison",
        f"The {len(lowest.rows)} schools with the lowest attendance",
        _comparison_drawn(schools, lowest),
        lowest,
        view.search,
        None,
        level=3,
    )
    content += ui.table_section(schools, view.search, "No school has marks in this term.")
    placed = placed_attendance(view.session, filters, view.today)
    table = placed_table(view, placed)
    content.append(html.H2("Attendance since placement", className="govuk-heading-m", id="since-placement"))
    summary = placed_summary(placed)
    content.append(
        html.P(
            f"{summary.placed:,} children the team placed in a school; {summary.with_marks:,} have marks since. "
            + (
                f"Their median attendance since placement is {_rate(summary.median_rate)}, and "
                f"{summary.under_90:,} are under 90%."
                if summary.with_marks
                else ""
            ),
            className="govuk-body",
        )
    )
    content += ui.table_section(table, view.search, "No child placed by the team in these dates.")
    return content
