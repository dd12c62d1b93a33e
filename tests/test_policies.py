"""Rules about the code itself, checked over the whole URL map and source tree."""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_route_has_a_permission_decision(app):
    undecided = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/dashboard/"):
            continue  # static files are public; dashboard routes are wrapped as a whole (see test_permissions)
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "permission_area"):
            undecided.append(rule.rule)
    assert undecided == []


def test_urls_are_kebab_case(app):
    shape = re.compile(r"^(/([a-z0-9]+(-[a-z0-9]+)*|<[^>]+>))*/?$")
    bad = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/dashboard/", "/assets/")) and not shape.match(rule.rule)
    ]
    assert bad == []


def _imports(folder: str) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / folder).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0] if not node.module.startswith("shared.") else node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_domain_rules_are_pure():
    # Pure libraries of rules and data: bank holidays, string similarity and sound keys, and nicknames.
    allowed = set(sys.stdlib_module_names) | {"holidays", "jellyfish", "nicknames", "__future__"}
    for path, names in _imports("shared/domain").items():
        outside = {n for n in names if n not in allowed and not n.startswith("shared.domain")}
        assert outside == set(), f"{path} imports {outside}"


def test_shared_does_not_import_flask_or_the_front_ends():
    for path, names in _imports("shared").items():
        assert not names & {"flask", "flask_login", "flask_wtf", "dash", "portal", "dashboard"}, path


def test_the_front_ends_do_not_import_each_other():
    for path, names in _imports("portal").items():
        assert "dashboard" not in names, path
    for path, names in _imports("dashboard").items():
        assert "portal" not in names, path


def test_the_web_pieces_both_front_ends_use_import_neither():
    for path, names in _imports("webcommon").items():
        assert not names & {"portal", "dashboard"}, path


AREAS = ("admin", "auth", "main", "referral", "schools", "staff")


def _portal_imports(path: Path) -> set[str]:
    """The portal modules a file imports, as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("portal"):
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("portal")}
    return found


def test_no_area_of_the_portal_imports_another():
    """What two areas share lives outside both (portal.summaries, portal.attendance, webcommon)."""
    crossing = []
    for area in AREAS:
        for path in (ROOT / "portal" / area).rglob("*.py"):
            for name in _portal_imports(path):
                other = name.split(".")[1] if name.count(".") else ""
                if other in AREAS and other != area:
                    crossing.append(f"{path.relative_to(ROOT)} imports {name}")
    assert crossing == []


def test_no_module_imports_another_package_s_private_names():
    private = []
    for folder in ("portal", "dashboard", "webcommon", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            package = ".".join(path.relative_to(ROOT).parent.parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
                    continue
                source = node.module if node.module != package else None
                for alias in node.names:
                    if source and alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"{path.relative_to(ROOT)}: {alias.name} from {node.module}")
    assert private == []


# Reading the system clock: shared.clock does it for the whole service, so one line in a test sets every "now".
READS_THE_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
READS_THE_TIME = {("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}


def test_only_the_one_clock_reads_the_system_clock():
    readers = []
    for folder in ("portal", "shared", "dashboard", "webcommon", "config.py", "wsgi.py"):
        paths = [ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py")
        for path in paths:
            if path == ROOT / "shared" / "clock.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
                    if (name, node.func.attr) in READS_THE_CLOCK | READS_THE_TIME:
                        readers.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}()")
    assert readers == []


def test_no_module_of_the_service_is_over_500_lines():
    """A module has one job: past 500 lines it is doing several (split it by job, as shared/services/attendance*.py)."""
    long = {}
    for folder in ("portal", "shared", "dashboard", "webcommon"):
        for path in (ROOT / folder).rglob("*.py"):
            if (lines := len(path.read_text().splitlines())) > 500:
                long[str(path.relative_to(ROOT))] = lines
    assert long == {}


def test_the_intake_has_no_switch_on_the_kind_of_item():
    """Each kind of item is its own module (shared/queries/intake, shared/services/intake): nothing asks which kind an
    item is, so a new kind changes no code that deals with the others."""
    models = {"Referral", "SchoolNotice", "AttendanceAlert"}
    switches = []
    folders = [ROOT / "shared" / "services" / "intake", ROOT / "shared" / "queries" / "intake"]
    paths = [*(path for folder in folders for path in folder.glob("*.py")), ROOT / "portal" / "staff" / "intake.py"]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                named = {getattr(part, "id", None) for part in ast.walk(node.args[1])}
                if named & models:
                    switches.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert switches == []
