"""The dashboard's pages, in the order of its navigation. Each page module has a PATH, a TITLE, `render(view)`
giving the page's components, and TABLES: each downloadable table's builder by its key."""

from __future__ import annotations

from types import ModuleType

from dashboard.pages import attendance, caseloads, dfe_return, outcomes, overdue, overview

PAGES: tuple[ModuleType, ...] = (overview, caseloads, overdue, attendance, outcomes, dfe_return)
TABLES = {key: builder for page in PAGES for key, builder in page.TABLES.items()}


def page_for(path: str) -> ModuleType | None:
    wanted = path.rstrip("/")
    return next((page for page in PAGES if page.PATH.rstrip("/") == wanted), None)
