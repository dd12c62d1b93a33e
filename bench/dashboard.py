"""The dashboard at a large authority's scale, opened through HTTP as a browser opens it, beside DuckDB computing the
same figures from a copy of the same data in the same run.

    .venv/bin/python bench/dashboard.py [--scale 1.0] [--runs 20] [--seed S] [--database-url URL] [--both]
        [--pages /dashboard/ /dashboard/caseloads ...]

Data: bench/dashboard_data.py builds a large authority (300 schools, 200,000 children who are all attendance
pupils, a year of their marks with the importer's weekly rollups, 20,000 cases over three years and the intake
behind them; `--scale` multiplies the pupils, the cases and the intake) in a database built by the migrations: a
SQLite file in a temporary folder, or, with `--database-url` (or TEST_DATABASE_URL), a scratch database on that
PostgreSQL server, dropped afterwards. `--both` runs on SQLite and then on the PostgreSQL server. Each step of the
build is timed.

The dashboard, through HTTP: the app made as the tests make it (`wsgi.create_app`, CME_ENV test, rate limits in
memory), signed in as the lead with Flask's test client. Opening a page is what Dash's renderer does (dash 4.4): GET
the page, GET `_dash-layout` and `_dash-dependencies`, then POST to `_dash-update-component` every callback a first
load fires, found from those two answers alone: the callbacks whose outputs are in the layout and that do not
prevent their initial call (less those whose inputs are all missing, or all outputs of callbacks left out), and
any callback on a `dcc.Location`'s pathname, search, href or hash, which the Location sets as it mounts (a change,
so it fires even with prevent_initial_call). Values are the layout's props, the Location's are the page's URL.
A callback waits for callbacks whose outputs it reads; the callbacks a round makes ready are sent together by a
browser (here one after another). When a callback returns components, the callbacks those components start are
fired as the renderer fires them (outputs in the new components; inputs in them feeding outputs outside), and a
callback whose input another callback changed fires too. Pattern-matching ids (MATCH, ALL, ALLSMALLER) are
resolved; clientside callbacks run in the browser and are left out. Any answer but 200 (or 204, Dash's
PreventUpdate) stops the run.

Each page path (`PAGES`, or those given with `--pages`) is opened once to warm up, then `--runs` times: each
callback's p50, p99 and max per path, and the page load: all its requests one after another (as one worker serves
them), and its critical path (the three GETs and the slowest callback of each round). p99 is the run at the 99th
percentile (with 20 runs, the slowest). The aims: every callback under 300 ms at p99, the initial load of
/dashboard/ under 1 s.

The reference, in a child process so its memory and time are its own: the tables the dashboard reads are read
with the database's driver (SQLite rows, PostgreSQL's COPY) into CSV files that DuckDB loads (no extension: none
can be downloaded here), timed apart and not counted; then each figure the default views show is computed with
plain DuckDB SQL, `--runs` times (`FIGURES`). The same figures from the service's reads (shared/queries) are timed
the same way in this process, each run in a new session; printed: both p50 and p99, their ratio, and whether the
answers agree. A figure the service has no read for yet shows DuckDB's answer alone: add its read to `FIGURES`.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/dashboard.py, the repository root is not on the path

from sqlalchemy import JSON  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench import sign_in as signing_in  # noqa: E402
from bench.dashboard_data import LEAD_EMAIL, SEED, build  # noqa: E402
from bench.notices import MIB, max_rss, scratch_database  # noqa: E402
from shared.clock import uk_today  # noqa: E402
from shared.domain.attendance import week_start  # noqa: E402
from shared.domain.casework import OPEN_STATUSES, CaseStatus  # noqa: E402
from shared.domain.school_age import school_year_start  # noqa: E402
from shared.domain.school_days import SchoolCalendar  # noqa: E402
from shared.domain.terms import Term, term_of  # noqa: E402
from shared.queries.attendance import schools_for_term, weekly_trend  # noqa: E402
from shared.queries.dashboard.scope import Filters  # noqa: E402
from shared.services.calendar import school_calendar  # noqa: E402

PREFIX = "/dashboard/"
PAGES = ("/dashboard/", "/dashboard/caseloads", "/dashboard/overdue", "/dashboard/attendance")
PAGES += ("/dashboard/outcomes", "/dashboard/return")
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
CALLBACK_AIM, PAGE_AIM = 0.300, 1.0  # seconds, at p99
TABLES = (
    "cases",
    "enquiries",
    "referrals",
    "school_notices",
    "children",
    "schools",
    "users",
    "attendance_weeks",
    "attendance_school_weeks",
    "attendance_pupils",
)
LOCATION_PROPS = ("pathname", "search", "href", "hash")
MAX_CALLBACKS = 500  # in one page load: a loop in the dashboard's callbacks stops the run


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# Dash's renderer, as far as a first load goes -------------------------------------------------------------------


def id_key(value) -> str:
    """A component id as Dash writes it in prop ids and answers: a string, or a dict as sorted compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def _parse_id(text: str):
    return json.loads(text) if text.startswith("{") else text


def _wildcard(value) -> str | None:
    return (
        value[0] if isinstance(value, list) and len(value) == 1 and value[0] in ("ALL", "MATCH", "ALLSMALLER") else None
    )


@dataclass
class Dep:
    """One callback of `_dash-dependencies`: its output string as the server knows it, and (id, property) pairs."""

    output: str
    outputs: list[tuple]
    inputs: list[tuple]
    state: list[tuple]
    prevent_initial_call: bool
    multi: bool

    @classmethod
    def parse(cls, raw: dict) -> Dep:
        output = raw["output"]
        multi = output.startswith("..")
        parts = output[2:-2].split("...") if multi else [output]
        outputs = [] if raw.get("no_output") else [tuple(part.rsplit(".", 1)) for part in parts]
        return cls(
            output,
            [(_parse_id(i), prop.split("@")[0]) for i, prop in outputs],
            [(_parse_id(spec["id"]), spec["property"]) for spec in raw["inputs"]],
            [(_parse_id(spec["id"]), spec["property"]) for spec in raw.get("state") or []],
            bool(raw.get("prevent_initial_call")),
            multi,
        )

    @property
    def name(self) -> str:
        """Its first output, and how many more it has."""
        if not self.outputs:
            return f"(no output) {self.output}"
        component_id, prop = self.outputs[0]
        more = f" (+{len(self.outputs) - 1} outputs)" if len(self.outputs) > 1 else ""
        return f"{id_key(component_id)}.{prop}{more}"

    @property
    def match_keys(self) -> list[str]:
        keys = set()
        for component_id, _ in self.outputs:
            if isinstance(component_id, dict):
                keys |= {key for key, value in component_id.items() if _wildcard(value) == "MATCH"}
        return sorted(keys)


@dataclass
class Call:
    """A callback resolved against the layout: one firing of it."""

    dep: Dep
    any_values: tuple  # the MATCH values, () without MATCH
    changed: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.dep.output + json.dumps(self.any_values)


class Page:
    """The layout as the renderer holds it: every component by id, with its path in the tree."""

    def __init__(self, layout):
        self.layout = layout
        self.reindex()

    def reindex(self) -> None:
        self.components: dict[str, tuple[dict, tuple]] = {}
        for path, component in _components(self.layout, ()):
            component_id = component["props"].get("id")
            if component_id is not None:
                self.components[id_key(component_id)] = (component, path)

    def matching(self, pattern, any_values: dict) -> list[tuple[str, dict]]:
        """(id key, id) of the components an id or id pattern names, MATCH keys fixed to `any_values`."""
        if isinstance(pattern, str):
            return [(pattern, pattern)] if pattern in self.components else []
        found = []
        for key, (component, _) in self.components.items():
            concrete = component["props"]["id"]
            if not isinstance(concrete, dict) or set(concrete) != set(pattern):
                continue
            if all(_fits(pattern[name], concrete[name], any_values.get(name)) for name in pattern):
                found.append((key, concrete))
        return sorted(found, key=lambda pair: pair[0])

    def value(self, key: str, prop: str) -> dict:
        props = self.components[key][0]["props"]
        return {"value": props[prop]} if prop in props else {}  # undefined props are left out, as in JSON.stringify

    def path(self, key: str) -> tuple:
        return self.components[key][1]


def _fits(wanted, value, fixed) -> bool:
    kind = _wildcard(wanted)
    if kind is None:
        return wanted == value
    if kind == "MATCH":
        return fixed is None or value == fixed
    if kind == "ALLSMALLER":
        return fixed is None or value < fixed
    return True


def _components(node, path: tuple):
    if isinstance(node, dict):
        if "props" in node and "type" in node and isinstance(node["props"], dict):
            yield path, node
            for name, value in node["props"].items():
                yield from _components(value, (*path, "props", name))
        else:
            for name, value in node.items():
                if isinstance(value, (dict, list)):
                    yield from _components(value, (*path, name))
    elif isinstance(node, list):
        for n, item in enumerate(node):
            if isinstance(item, (dict, list)):
                yield from _components(item, (*path, n))


def _contains_components(value) -> bool:
    return next(_components(value, ()), None) is not None


class Resolver:
    """Callbacks resolved against a page: their firings, their outputs and inputs as the payload carries them."""

    def __init__(self, deps: list[Dep]):
        self.deps = deps

    def calls(self, page: Page, dep: Dep) -> list[Call]:
        keys = dep.match_keys
        if not keys:
            return [Call(dep, ())]
        pattern = next(component_id for component_id, _ in dep.outputs if isinstance(component_id, dict))
        seen = {tuple(concrete[k] for k in keys) for _, concrete in page.matching(pattern, {})}
        return [Call(dep, values) for values in sorted(seen, key=json.dumps)]

    @staticmethod
    def _spec(page: Page, call: Call, pattern, prop: str, with_value: bool):
        fixed = dict(zip(call.dep.match_keys, call.any_values, strict=True))
        found = page.matching(pattern, fixed)
        items = [
            {"id": concrete, "property": prop, **(page.value(key, prop) if with_value else {})}
            for key, concrete in found
        ]
        multi = isinstance(pattern, dict) and any(_wildcard(v) in ("ALL", "ALLSMALLER") for v in pattern.values())
        if multi:
            return items, True
        return (items[0] if items else None), bool(items)

    def outputs(self, page: Page, call: Call) -> list | None:
        """The outputs as the payload gives them; None when one is not on the page."""
        specs = []
        for pattern, prop in call.dep.outputs:
            spec, present = self._spec(page, call, pattern, prop, with_value=False)
            if not present:
                return None
            specs.append(spec)
        return specs

    def inputs(self, page: Page, call: Call, which: list[tuple]) -> tuple[list, int]:
        """The inputs (or state) with their values, and how many are missing from the page."""
        specs, missing = [], 0
        for pattern, prop in which:
            spec, present = self._spec(page, call, pattern, prop, with_value=True)
            multi = isinstance(spec, list)
            missing += 0 if present or multi else 1
            specs.append(spec if spec is not None else {"id": pattern, "property": prop})
        return specs, missing

    def prop_ids(self, page: Page, call: Call, which: list[tuple]) -> set[str]:
        found = set()
        for pattern, prop in which:
            fixed = dict(zip(call.dep.match_keys, call.any_values, strict=True))
            found |= {f"{key}.{prop}" for key, _ in page.matching(pattern, fixed)}
        return found

    def by_input(self, page: Page, key: str, prop: str) -> list[Call]:
        """Firings of callbacks with this component's prop among their inputs."""
        found = []
        for dep in self.deps:
            for call in self.calls(page, dep):
                if f"{key}.{prop}" in self.prop_ids(page, call, dep.inputs) and self.outputs(page, call) is not None:
                    call.changed.add(f"{key}.{prop}")
                    found.append(call)
        return found

    def for_layout(self, page: Page, inside: tuple | None = None) -> list[Call]:
        """The callbacks a layout (or a new part of it, under the path `inside`) starts: outputs in it, unless they
        prevent their initial call; inside a part, also inputs in it that feed outputs outside it. Then, as the
        renderer does, those left with only missing or left-out inputs are dropped."""

        def under(key: str) -> bool:
            return inside is None or page.path(key)[: len(inside)] == inside

        found: dict[str, Call] = {}
        for dep in self.deps:
            for call in self.calls(page, dep):
                outputs = self.prop_ids(page, call, dep.outputs)
                if self.outputs(page, call) is None:
                    continue
                if any(under(prop_id.rsplit(".", 1)[0]) for prop_id in outputs) and not dep.prevent_initial_call:
                    found[call.key] = call
                elif inside is not None and not all(under(prop_id.rsplit(".", 1)[0]) for prop_id in outputs):
                    inputs = {p for p in self.prop_ids(page, call, dep.inputs) if under(p.rsplit(".", 1)[0])}
                    if inputs:
                        call.changed |= inputs
                        found[call.key] = call
        excluded: set[str] = set()
        while True:
            dropped = [key for key, call in found.items() if not self._keeps(page, call, excluded)]
            if not dropped:
                return list(found.values())
            for key in dropped:
                call = found.pop(key)
                excluded |= self.prop_ids(page, call, call.dep.outputs)

    def _keeps(self, page: Page, call: Call, excluded: set[str]) -> bool:
        """A multi-valued input, or an input on the page that no dropped callback was to set."""
        for pattern, _ in call.dep.inputs:
            if isinstance(pattern, dict) and any(_wildcard(v) in ("ALL", "ALLSMALLER") for v in pattern.values()):
                return True
        return bool(self.prop_ids(page, call, call.dep.inputs) - excluded)


@dataclass
class Request:
    name: str
    seconds: float
    size: int
    round: int  # 0 for the page's GETs, then the round of callbacks it was sent in


class Browser:
    """Opens dashboard pages through Flask's test client as Dash's renderer would."""

    def __init__(self, client):
        self.client = client

    def _get(self, url: str, name: str) -> tuple[Request, object]:
        started = time.perf_counter()
        response = self.client.get(url)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        body = response.get_data()
        return Request(name, seconds, len(body), 0), response

    def open(self, path: str, search: str = "") -> list[Request]:
        page_request, _ = self._get(path + search, "GET page")
        layout_request, layout = self._get(PREFIX + "_dash-layout", "GET _dash-layout")
        deps_request, dependencies = self._get(PREFIX + "_dash-dependencies", "GET _dash-dependencies")
        requests = [page_request, layout_request, deps_request]
        deps = [Dep.parse(raw) for raw in dependencies.json if not raw.get("clientside_function")]
        resolver = Resolver(deps)
        page = Page(layout.json)
        pending: dict[str, Call] = {call.key: call for call in resolver.for_layout(page)}
        # The Location sets its props from the address bar as it mounts: a change, whatever prevent_initial_call says.
        for key, (component, _) in list(page.components.items()):
            if component.get("type") == "Location":
                props = component["props"]
                url = {"pathname": path, "search": search, "hash": "", "href": f"http://localhost{path}{search}"}
                for prop in LOCATION_PROPS:
                    if props.get(prop) != url[prop]:
                        props[prop] = url[prop]
                        for call in resolver.by_input(page, key, prop):
                            pending.setdefault(call.key, call).changed |= call.changed
        fired, round_number = 0, 0
        while pending:
            round_number += 1
            ready = self._ready(page, resolver, pending)
            updates = []
            for call in ready:
                del pending[call.key]
                fired += 1
                if fired > MAX_CALLBACKS:
                    raise SystemExit(f"{path}: more than {MAX_CALLBACKS} callbacks in one load")
                request, answer = self._fire(path, page, resolver, call, round_number)
                requests.append(request)
                updates.append(answer)
            for answer in updates:
                for call in self._apply(page, resolver, answer):
                    pending.setdefault(call.key, call).changed |= call.changed
        return requests

    @staticmethod
    def _ready(page: Page, resolver: Resolver, pending: dict[str, Call]) -> list[Call]:
        """The pending callbacks none of whose inputs another pending callback (or one it starts) will change."""
        touched: set[str] = set()
        for call in pending.values():
            touched |= resolver.prop_ids(page, call, call.dep.outputs)
        grown = True
        while grown:
            grown = False
            for dep in resolver.deps:
                for call in resolver.calls(page, dep):
                    if resolver.prop_ids(page, call, dep.inputs) & touched:
                        more = resolver.prop_ids(page, call, dep.outputs) - touched
                        if more:
                            touched |= more
                            grown = True
        ready = []
        for call in pending.values():
            own = resolver.prop_ids(page, call, call.dep.outputs)
            if not (resolver.prop_ids(page, call, call.dep.inputs) - own) & touched:
                ready.append(call)
        return ready or list(pending.values())  # a loop: fire them all rather than wait for ever

    def _fire(self, path: str, page: Page, resolver: Resolver, call: Call, round_number: int) -> tuple[Request, dict]:
        dep = call.dep
        outputs = resolver.outputs(page, call) or []
        inputs, missing = resolver.inputs(page, call, dep.inputs)
        if missing and missing < len(dep.inputs):
            raise SystemExit(f"callback {dep.output}: an input is not on the page")
        state, _ = resolver.inputs(page, call, dep.state)
        changed = sorted(call.changed)
        payload = {
            "output": dep.output,
            "outputs": outputs if dep.multi else (outputs[0] if outputs else []),
            "inputs": inputs,
            "changedPropIds": changed,
            "parsedChangedPropsIds": [_parse_id(p.rsplit(".", 1)[0]) if p.startswith("{") else p for p in changed],
        }
        if dep.state:
            payload["state"] = state
        started = time.perf_counter()
        response = self.client.post(PREFIX + "_dash-update-component", json=payload)
        seconds = time.perf_counter() - started
        if response.status_code not in (200, 204):
            text = response.get_data(as_text=True)
            title = re.search(r"<title>(.*?)</title>", text, re.DOTALL)
            detail = title.group(1).strip() if title else text[:300]
            raise SystemExit(
                f"{path}: callback {dep.name} answered {response.status_code} ({detail}); the app's log above says why"
            )
        body = response.get_data()
        answer = response.json.get("response", {}) if response.status_code == 200 else {}
        return Request(dep.name, seconds, len(body), round_number), answer

    @staticmethod
    def _apply(page: Page, resolver: Resolver, answer: dict) -> list[Call]:
        """Put a callback's answer into the page; the callbacks it starts."""
        started: list[Call] = []
        for key, props in answer.items():
            if key not in page.components:
                continue
            component, path = page.components[key]
            for prop, value in props.items():
                component["props"][prop] = value
                started += resolver.by_input(page, key, prop)
                if _contains_components(value):
                    page.reindex()
                    started += resolver.for_layout(page, (*path, "props", prop))
        page.reindex()
        return started


@dataclass
class PageTimes:
    """A page path's loads: each request's seconds and bytes by name, each load's total and critical path."""

    path: str
    seconds: dict[str, list[float]] = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    critical: list[float] = field(default_factory=list)
    callbacks: int = 0  # fired in a load
    rounds: int = 0

    def add(self, requests: list[Request]) -> None:
        for request in requests:
            if request.name not in self.seconds:
                self.order.append(request.name)
            self.seconds.setdefault(request.name, []).append(request.seconds)
            self.sizes.setdefault(request.name, []).append(request.size)
        self.totals.append(sum(request.seconds for request in requests))
        rounds: dict[int, float] = {}
        for request in requests:
            if request.round:
                rounds[request.round] = max(rounds.get(request.round, 0.0), request.seconds)
        gets = sum(request.seconds for request in requests if not request.round)
        self.critical.append(gets + sum(rounds.values()))
        self.callbacks = sum(1 for request in requests if request.round)
        self.rounds = len(rounds)


# The figures the default views show, from the service's reads and from DuckDB ------------------------------------


@dataclass(frozen=True)
class Context:
    """The dashboard's default view: its dates (the school year so far, as dashboard/filters.py sets them) and the
    term today is in (the attendance page's schools)."""

    today: date
    start: date
    term: Term
    calendar: SchoolCalendar | None = None  # the service's reads need it; DuckDB does not

    @classmethod
    def default(cls, today: date, calendar: SchoolCalendar) -> Context:
        return cls(today, date(school_year_start(today), 9, 1), term_of(today, calendar), calendar)

    def parameters(self) -> dict[str, date]:
        return {
            "start": self.start,
            "end": self.today,
            "after_end": self.today + timedelta(days=1),
            "first_monday": week_start(self.start),
            "term_first_monday": week_start(self.term.start),
            "term_last": min(self.today, self.term.end),
        }

    def filters(self) -> Filters:
        return Filters(start=self.start, end=self.today)


@dataclass(frozen=True)
class Figure:
    """A figure group: the DuckDB statements that compute it (named parameters from `Context.parameters`), how
    their rows make the answer, and the service's read that gives the same answer (None until there is one)."""

    name: str
    statements: tuple[str, ...]
    answer: Callable[[list[list[tuple]]], object]
    service: Callable[[Session, Context], object] | None


def _counts(rows) -> dict[str, int]:
    """Counts by code, zeros left out (the service lists every code, DuckDB only those it finds)."""
    return {str(key): int(value) for key, value in sorted(rows, key=lambda row: str(row[0])) if value}


def _weeks(rows: list[tuple]) -> list[list]:
    return [[monday.isoformat(), int(present), int(possible)] for monday, present, possible in sorted(rows)]


def _schools(rows: list[tuple]) -> dict[str, list[int]]:
    return {str(school_id): [int(present), int(possible)] for school_id, present, possible in sorted(rows)}


def _cases_answer(by_status: dict[str, int], unassigned: int, overdue: int) -> dict:
    return {
        "by status": {status.value: int(by_status.get(status.value, 0)) for status in CaseStatus},
        "unassigned": int(unassigned),
        "overdue checks": int(overdue),
    }


# The service's reads the default views call (dashboard/pages/): imported when used, as they are still changing.


def _service_cases(session: Session, context: Context) -> dict:
    from shared.queries.dashboard import overview as reads

    found = reads.overview(session, context.filters(), context.today, context.term.start, context.calendar)
    return _cases_answer(found.cases_by_status, found.unassigned_cases, found.overdue_checks)


def _service_sources(session: Session, context: Context) -> dict[str, int]:
    from shared.queries.dashboard import referrals as reads

    totals: dict[str, int] = {}
    for point in reads.referrals_over_time(session, context.filters(), "week"):
        totals[point.source] = totals.get(point.source, 0) + point.count
    return _counts(totals.items())


def _service_outcomes(session: Session, context: Context) -> dict[str, int]:
    from shared.queries.dashboard import outcomes as reads

    return _counts((row.outcome, row.count) for row in reads.outcomes(session, context.filters()))


def _service_weeks(session: Session, context: Context) -> list[list]:
    points = weekly_trend(session, context.start, context.today)
    return [[p.week_start.isoformat(), p.counts.present, p.counts.possible] for p in points]


def _service_schools(session: Session, context: Context) -> dict[str, list[int]]:
    rows = schools_for_term(session, context.term, min(context.term.end, context.today))
    found = {row.school.id: row.measures.counts for row in rows}
    return {str(school_id): [counts.present, counts.possible] for school_id, counts in sorted(found.items())}


_OPEN = ", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES))  # the domain's own values
_IN_DATES = "{0} >= $start AND {0} < $after_end"  # every time stamp here is daytime: its UTC day is its UK day
_WEEKS = "week_start BETWEEN $first_monday AND $end"
_TERM_WEEKS = "week_start BETWEEN $term_first_monday AND $term_last"
FIGURES = (
    Figure(
        "cases by status, unassigned cases, overdue checks",
        (
            f"SELECT status, count(*) FROM cases WHERE status IN ({_OPEN}) "  # noqa: S608
            f"OR (status = 'closed' AND {_IN_DATES.format('closed_at')}) GROUP BY status",
            f"SELECT count(*) FROM cases WHERE status IN ({_OPEN}) AND assigned_to_id IS NULL",  # noqa: S608
            "SELECT count(*) FROM enquiries JOIN cases ON cases.id = enquiries.case_id "  # noqa: S608
            f"WHERE enquiries.status IN ('to_do', 'asked') AND due_on < $end AND cases.status IN ({_OPEN})",
        ),
        lambda rows: _cases_answer(dict(rows[0]), rows[1][0][0], rows[2][0][0]),
        _service_cases,
    ),
    Figure(
        "referrals received in the dates, by source",
        (f"SELECT source, count(*) FROM referrals WHERE {_IN_DATES.format('received_at')} GROUP BY 1",),  # noqa: S608
        lambda rows: _counts(rows[0]),
        _service_sources,
    ),
    Figure(
        "cases closed in the dates, by outcome",
        (
            f"SELECT outcome, count(*) FROM cases WHERE {_IN_DATES.format('closed_at')} "  # noqa: S608
            "AND outcome IS NOT NULL GROUP BY 1",
        ),
        lambda rows: _counts(rows[0]),
        _service_outcomes,
    ),
    Figure(
        "authority's weekly attendance (pupils' weeks)",
        (f"SELECT week_start, sum(present), sum(possible) FROM attendance_weeks WHERE {_WEEKS} GROUP BY 1",),  # noqa: S608
        lambda rows: _weeks(rows[0]),
        _service_weeks,
    ),
    Figure(
        "authority's weekly attendance (rollups)",
        (f"SELECT week_start, sum(present), sum(possible) FROM attendance_school_weeks WHERE {_WEEKS} GROUP BY 1",),  # noqa: S608
        lambda rows: _weeks(rows[0]),
        _service_weeks,
    ),
    Figure(
        "each school's attendance, the term (pupils' weeks)",
        (
            f"SELECT school_id, sum(present), sum(possible) FROM attendance_weeks WHERE {_TERM_WEEKS} "  # noqa: S608
            "GROUP BY 1 HAVING sum(possible) > 0",
        ),
        lambda rows: _schools(rows[0]),
        _service_schools,
    ),
    Figure(
        "each school's attendance, the term (rollups)",
        (
            f"SELECT school_id, sum(present), sum(possible) FROM attendance_school_weeks WHERE {_TERM_WEEKS} "  # noqa: S608
            "GROUP BY 1 HAVING sum(possible) > 0",
        ),
        lambda rows: _schools(rows[0]),
        _service_schools,
    ),
)


def describe(answer) -> str:
    """An answer in a line."""
    if isinstance(answer, dict) and "by status" in answer:
        statuses = ", ".join(f"{status} {n:,}" for status, n in answer["by status"].items())
        return (
            f"{statuses} (open ones now, closed ones closed in the dates); unassigned {answer['unassigned']:,}; "
            f"overdue checks {answer['overdue checks']:,}"
        )
    if isinstance(answer, list):  # weeks
        rates = [present / possible for _, present, possible in answer if possible]
        present, possible = sum(week[1] for week in answer), sum(week[2] for week in answer)
        return (
            f"{len(answer)} weeks, {min(rates):.2%} to {max(rates):.2%}, term {present / possible:.2%}"
            if rates
            else "no weeks"
        )
    if answer and all(isinstance(value, list) for value in answer.values()):  # schools
        rates = [present / possible for present, possible in answer.values() if possible]
        return f"{len(answer)} schools, {min(rates):.2%} to {max(rates):.2%}"
    return ", ".join(f"{key} {value:,}" for key, value in answer.items()) or "none"


def first_difference(service, reference) -> str:
    if isinstance(service, dict) and isinstance(reference, dict):
        for key in sorted(set(service) | set(reference)):
            if service.get(key) != reference.get(key):
                return f"{key}: service {service.get(key)}, DuckDB {reference.get(key)}"
    if isinstance(service, list) and isinstance(reference, list):
        for mine, theirs in zip(service, reference, strict=False):
            if mine != theirs:
                return f"service {mine}, DuckDB {theirs}"
        return f"service {len(service)} rows, DuckDB {len(reference)}"
    return f"service {service}, DuckDB {reference}"


# The reference: a DuckDB copy in a child process -------------------------------------------------------------------


def _python_type(column) -> type | None:
    """The Python type a column holds (a TypeDecorator's stored type), or None for JSON, which has none."""
    stored = getattr(column.type, "impl_instance", column.type)
    return None if isinstance(stored, JSON) else stored.python_type


def _duck_type(column) -> str:
    kind = _python_type(column)
    if kind is None:
        return "VARCHAR"
    if kind is datetime:
        return "TIMESTAMP"
    return {int: "BIGINT", bool: "BOOLEAN", date: "DATE", float: "DOUBLE"}.get(kind, "VARCHAR")


def _export(url: str, table: str, columns: list, path: Path) -> None:
    """A table's rows to a CSV file, read with the database's own driver: SQLite's rows, PostgreSQL's COPY."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        import sqlite3

        names = ", ".join(f'"{column.name}"' for column in columns)
        with sqlite3.connect(parsed.database) as connection, path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([column.name for column in columns])
            cursor = connection.execute(f'SELECT {names} FROM "{table}"')  # noqa: S608 - the models' own names
            while rows := cursor.fetchmany(50_000):
                writer.writerows(rows)
        return
    import psycopg

    def selected(column) -> str:
        if _duck_type(column) == "TIMESTAMP":  # UTC wall time, so DuckDB needs no time zone support
            return f'("{column.name}" AT TIME ZONE \'UTC\') AS "{column.name}"'
        return f'"{column.name}"'

    names = ", ".join(selected(column) for column in columns)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    export = f'COPY (SELECT {names} FROM "{table}") TO STDOUT WITH (FORMAT csv, HEADER)'  # noqa: S608 - as above
    with psycopg.connect(conninfo) as connection, path.open("wb") as out, connection.cursor().copy(export) as copy:
        for block in copy:
            out.write(block)


def copy_tables(url: str, duck, folder: Path) -> dict:
    from shared.models import Base

    started = time.perf_counter()
    rows = {}
    for name in TABLES:
        table = Base.metadata.tables[name]
        columns = [column for column in table.columns if not _is_binary(column)]
        path = folder / f"{name}.csv"
        _export(url, name, columns, path)
        types = ", ".join(f"'{column.name}': '{_duck_type(column)}'" for column in columns)
        duck.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header = true, delim = ',', quote = '\"', "  # noqa: S608
            f"escape = '\"', auto_detect = false, columns = {{{types}}})",
            [str(path)],
        )
        rows[name] = duck.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # noqa: S608
        path.unlink()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def _is_binary(column) -> bool:
    return _python_type(column) is bytes


def reference(spec: dict) -> dict:
    """The child process: copy the tables into DuckDB, then compute and time each figure."""
    import duckdb

    context = Context(date.fromisoformat(spec["today"]), date.fromisoformat(spec["start"]), _term(spec["term"]))
    parameters = context.parameters()
    connection = duckdb.connect()
    with tempfile.TemporaryDirectory() as folder:
        copied = copy_tables(spec["url"], connection, Path(folder))
    figures = {}
    for figure in FIGURES:
        statements = [(sql, {k: v for k, v in parameters.items() if f"${k}" in sql}) for sql in figure.statements]
        seconds, rows = [], []
        for _ in range(spec["runs"] + 1):  # the first run warms up, as the service's reads are by the page loads
            started = time.perf_counter()
            rows = [connection.execute(sql, values).fetchall() for sql, values in statements]
            seconds.append(time.perf_counter() - started)
        figures[figure.name] = {"seconds": seconds[1:], "answer": figure.answer(rows)}
    return {
        "copy": copied,
        "figures": figures,
        "rss": own_peak_rss(),
        "version": duckdb.__version__,
        "threads": connection.execute("SELECT current_setting('threads')").fetchone()[0],
    }


def own_peak_rss() -> int:
    """This process's own peak RSS in bytes, from /proc (getrusage's counts in the parent's RSS at the fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return max_rss()


def _term(values: dict) -> Term:
    return Term(
        values["season"], values["year"], date.fromisoformat(values["start"]), date.fromisoformat(values["end"])
    )


def run_reference(url: str, context: Context, runs: int) -> dict:
    term = context.term
    spec = {
        "url": url,
        "today": context.today.isoformat(),
        "start": context.start.isoformat(),
        "term": {
            "season": term.season,
            "year": term.year,
            "start": term.start.isoformat(),
            "end": term.end.isoformat(),
        },
        "runs": runs,
    }
    done = subprocess.run([sys.executable, __file__, "--reference", json.dumps(spec)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the DuckDB reference failed:\n{done.stderr}")
    return json.loads(done.stdout)


# Measuring ---------------------------------------------------------------------------------------------------------


def make_app(url: str):
    from wsgi import create_app

    return create_app(
        {
            "CME_ENV": "test",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SIGN_IN_RATE_LIMIT": "1000 per minute",
        }
    )


def sign_in(client) -> None:
    """The lead, signed in on Flask's test client."""

    def answer(response) -> signing_in.Answer:
        return signing_in.Answer(
            response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)
        )

    try:
        signing_in.sign_in(
            lambda path: answer(client.get(path)), lambda path, data: answer(client.post(path, data=data)), LEAD_EMAIL
        )
    except signing_in.Unexpected as refused:
        raise SystemExit(str(refused)) from None


def time_pages(client, paths: list[str], runs: int) -> list[PageTimes]:
    browser = Browser(client)
    pages = [PageTimes(path) for path in paths]
    for page in pages:
        browser.open(page.path)  # warm up, as a running service is
    for _ in range(runs):
        for page in pages:
            page.add(browser.open(page.path))
    return pages


def time_service(database, context: Context, runs: int) -> dict[str, tuple[list[float], object] | str]:
    """Each figure's service read timed, with its answer; a read that fails (the reads are still being written)
    gives its error instead, and the rest go on."""
    found: dict[str, tuple[list[float], object] | str] = {}
    for figure in FIGURES:
        if figure.service is None:
            continue
        seconds, answer = [], None
        try:
            for _ in range(runs):
                with database.session() as session:
                    started = time.perf_counter()
                    answer = figure.service(session, context)
                    seconds.append(time.perf_counter() - started)
        except Exception as error:  # reported beside the figure
            found[figure.name] = f"{type(error).__name__}: {error}"
            continue
        found[figure.name] = (seconds, json.loads(json.dumps(answer)))
    return found


def run(args, label: str, server: str | None) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as instance:
        os.environ["CME_INSTANCE_PATH"] = instance  # anything the app keeps on disk goes here, not in the repository
        with scratch_database(server) as url:
            migrated = time.perf_counter() - started
            app = make_app(url)
            database = app.extensions["cme.database"]
            try:
                with database.session() as session:
                    calendar = school_calendar(session)
                today = uk_today()
                built = build(database.engine, scale=args.scale, seed=args.seed, today=today, calendar=calendar)
                built_rss = max_rss()
                gc.collect()
                gc.freeze()  # what the build left is not the service's: keep the collector off it while timing
                context = Context.default(today, calendar)
                client = app.test_client()
                sign_in(client)
                pages = time_pages(client, args.pages, args.runs)
                service = time_service(database, context, args.runs)
                timed_rss = max_rss()
                figures = run_reference(url, context, args.runs)
            finally:
                database.dispose()
    report(label, args, migrated, built, pages, service, figures, context, (built_rss, timed_rss))
    print(f"{label}: total {time.perf_counter() - started:.0f} s")


# Printing ----------------------------------------------------------------------------------------------------------


def _ms(values: list[float]) -> tuple[float, float, float]:
    ms = [value * 1000 for value in values]
    return statistics.median(ms), percentile(ms, 0.99), max(ms)


def report(label, args, migrated, built, pages, service, figures, context, rss) -> None:
    counts, terms = built.counts, ", ".join(term.label for term in built.terms)
    print(
        f"\n{label}: {counts['pupils']:,} children and pupils at 300 schools, {counts['attendance weeks']:,} "
        f"pupil-weeks of marks ({built.first_day} to {built.last_day}: {terms}), "
        f"{counts['cases']:,} cases, {counts['referrals']:,} referrals, {counts['school notices']:,} school notices, "
        f"{counts['checks']:,} checks, {counts['alerts']:,} alerts (scale {args.scale:g}, seed {args.seed})"
    )
    header = f"{'build step':<40}{'seconds':>9}{'rows':>13}"
    print(header)
    print("-" * len(header))
    print(f"{'database built by the migrations':<40}{migrated:>9.1f}{'':>13}")
    for step in built.steps:
        print(f"{step.name:<40}{step.seconds:>9.1f}{step.rows:>13,}")
    print(f"{'build, all steps':<40}{migrated + built.seconds:>9.1f}")

    print(
        f"\n{label}: the dashboard through HTTP (Flask's test client, signed in as the lead), {args.runs} loads "
        f"of each page after one to warm up; today {context.today}, {context.term.label}"
    )
    header = f"{'page':<22}{'request':<44}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'KiB':>8}"
    print(header)
    print("-" * len(header))
    slowest = (0.0, "", "")
    for page in pages:
        for n, name in enumerate(page.order):
            p50, p99, top = _ms(page.seconds[name])
            size = statistics.fmean(page.sizes[name]) / 1024
            print(f"{page.path if n == 0 else '':<22}{name[:43]:<44}{p50:>9.1f}{p99:>9.1f}{top:>9.1f}{size:>8.1f}")
            if not name.startswith("GET ") and p99 > slowest[0]:
                slowest = (p99, name, page.path)
        for name, values in (("page load, requests in turn", page.totals), ("page load, critical path", page.critical)):
            p50, p99, top = _ms(values)
            print(f"{'':<22}{name:<44}{p50:>9.1f}{p99:>9.1f}{top:>9.1f}")
        callbacks = f"{page.callbacks} callback{'s' if page.callbacks != 1 else ''}"
        print(f"{'':<22}({callbacks} in {page.rounds} round{'s' if page.rounds != 1 else ''} a load)")
    home = next((page for page in pages if page.path == PREFIX), None)
    loaded = "not timed"
    if home is not None:
        home_p99 = _ms(home.totals)[1]
        loaded = f"{'met' if home_p99 < PAGE_AIM * 1000 else 'NOT met'} ({home_p99:.1f} ms, requests in turn)"
    print(
        f"aims: every callback under {CALLBACK_AIM * 1000:.0f} ms at p99: "
        f"{'met' if slowest[0] < CALLBACK_AIM * 1000 else 'NOT met'} (slowest {slowest[1]} on {slowest[2]}, "
        f"{slowest[0]:.1f} ms); the initial load of {PREFIX} under {PAGE_AIM:.0f} s at p99: {loaded}"
    )

    copy = figures["copy"]
    print(
        f"\n{label}: the figures the default views show, from the service's reads ({args.runs} runs, a new session "
        f"each) and from DuckDB {figures['version']} ({figures['threads']} threads, a child process; "
        f"{sum(copy['rows'].values()):,} rows of {len(copy['rows'])} tables copied in {copy['seconds']:.1f} s, "
        f"not counted); the default view's dates {context.start} to {context.today}, {context.term.label} "
        f"({context.term.start} to {context.term.end})"
    )
    header = f"{'figure':<66}{'service p50/p99 ms':>20}{'DuckDB p50/p99 ms':>19}{'ratio p50/p99':>15}  answers"
    print(header)
    print("-" * len(header))
    for figure in FIGURES:
        theirs = figures["figures"][figure.name]
        d50, d99, _ = _ms(theirs["seconds"])
        mine = service.get(figure.name)
        if isinstance(mine, tuple):
            seconds, answer = mine
            s50, s99, _ = _ms(seconds)
            same = answer == theirs["answer"]
            verdict = "agree" if same else "DIFFER: " + first_difference(answer, theirs["answer"])
            print(
                f"{figure.name[:65]:<66}{f'{s50:.2f} / {s99:.2f}':>20}{f'{d50:.2f} / {d99:.2f}':>19}"
                f"{f'{s50 / d50:.1f} / {s99 / d99:.1f}':>15}  {verdict}"
            )
        else:
            note = f"the read failed: {mine}" if mine else "no service read yet"
            print(f"{figure.name[:65]:<66}{'-':>20}{f'{d50:.2f} / {d99:.2f}':>19}{'':>15}  {note}")
    for figure in FIGURES:
        print(f"  {figure.name}: {describe(figures['figures'][figure.name]['answer'])}")
    print(
        f"{label}: max RSS {rss[0] / MIB:,.0f} MiB after the build, {rss[1] / MIB:,.0f} MiB after the timing; "
        f"the DuckDB child {figures['rss'] / MIB:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the pupils, cases and intake")
    parser.add_argument("--runs", type=int, default=20, help="loads of each page, runs of each figure")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL server to run on instead of SQLite (a scratch database is made and dropped); "
        "TEST_DATABASE_URL by default",
    )
    parser.add_argument("--both", action="store_true", help="run on SQLite, then on the PostgreSQL server")
    parser.add_argument("--pages", nargs="+", default=list(PAGES), help="the page paths to open (all by default)")
    parser.add_argument("--reference", help=argparse.SUPPRESS)  # the child process: DuckDB on a copy
    args = parser.parse_args()
    if args.reference:
        print(json.dumps(reference(json.loads(args.reference))))
        return
    if args.scale <= 0 or args.runs < 1:
        parser.error("--scale must be above 0 and --runs 1 or more")
    if any(not path.startswith(PREFIX) for path in args.pages):
        parser.error(f"--pages must be paths under {PREFIX}")
    if args.database_url and not make_url(args.database_url).drivername.startswith("postgres"):
        parser.error("--database-url must be a PostgreSQL server's URL")
    if args.both and not args.database_url:
        parser.error("--both needs --database-url (or TEST_DATABASE_URL)")
    targets = [("SQLite", None), ("PostgreSQL", args.database_url)] if args.both else []
    targets = targets or [("PostgreSQL" if args.database_url else "SQLite", args.database_url)]
    for label, server in targets:
        run(args, label, server)


if __name__ == "__main__":
    main()
