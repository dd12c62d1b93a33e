"""Downloads of the dashboard's tables: `/dashboard/export/<table>.csv` or `.xlsx`, with the same query string as the
page, so the download is exactly the table on screen (the same filters, search and sort, and the same columns for
the same role: no children's names for managers). Each download is audited: which table, in which form, with
which filters; never the rows."""

from __future__ import annotations

from flask import Response, abort, request
from flask_login import current_user

from dashboard.filters import read_filters
from dashboard.pages import PAGES, TABLES
from dashboard.tables import as_csv, as_xlsx
from dashboard.view import View, Viewer
from shared.clock import uk_today
from shared.db import Database
from shared.services import audit
from shared.services.calendar import school_calendar
from webcommon.settings import settings_in

KINDS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


PAGE_OF = {key: page for page in PAGES for key in page.TABLES}


def export_table(database: Database):
    def export(key: str, kind: str):
        if key not in TABLES or kind not in KINDS:
            abort(404)
        today = uk_today()
        with database.session() as session:
            page = PAGE_OF[key]
            search = request.query_string.decode("utf-8", "replace")
            chosen = read_filters(session, search, today, settings_in(session).long_absence_is_cme)
            view = View(
                session,
                chosen,
                today,
                school_calendar(session),
                Viewer(current_user.id, current_user.role),
                page.PATH,
            )
            problems = [p.message for p in chosen.problems] if getattr(page, "USES_FILTERS", True) else []
            problems += page.own_problems(view) if hasattr(page, "own_problems") else []
            if problems:
                message = "Nothing was downloaded, because:\n" + "\n".join(f"- {problem}" for problem in problems)
                return Response(message, status=400, mimetype="text/plain")
            table = TABLES[key](view)
            if kind == "xlsx":
                body = as_xlsx(table)
            elif table.exact_csv is not None:
                body = table.exact_csv.encode("utf-8")
            else:
                body = as_csv(table).encode("utf-8-sig")  # the mark tells spreadsheets the text is UTF-8
            audit.record_reading(
                session,
                current_user,
                "dashboard.export",
                "dashboard_table",
                None,
                after={"table": key, "format": kind, "rows": len(table.rows), "query": view.search},
            )
        return Response(
            body,
            mimetype=KINDS[kind],
            headers={"Content-Disposition": f'attachment; filename="{key}-{today.isoformat()}.{kind}"'},
        )

    return export
