"""What bench/load.py and bench/faults.py share: scratch databases, the `cme serve` processes, and the simulated
users (a member of the public filling in the report page by page, a signed-in school user sending a notice), with
the figures they record and the checks of what the database holds afterwards.

Every simulated user is a thread with its own `requests.Session` (its own cookie jar). A member of the public is a
new browser for each report; a school user signs in once and sends notice after notice. Each request goes to the
next server in turn, so with two servers one user's session and draft move between them on every page. Redirects
are followed by hand, so every request is timed and counted, and each page is checked to be the one expected.

Each report and notice carries a marker (the report's "anything else" answer, the notice's address) naming the
simulated submission and the attempt, so what is stored can be matched to what the users were shown.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/load.py, the repository root is not on the path

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.sign_in import PASSWORD, Answer, Unexpected, csrf_token  # noqa: E402
from bench.sign_in import sign_in as sign_in_with  # noqa: E402
from shared.clock import uk_today  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.domain.school_age import school_year_start  # noqa: E402
from tests.bulk_files import upn  # noqa: E402

BIN = Path(sys.executable).parent
SECRET_KEY = "load-benchmark-secret-key-shared-by-every-server-0123456789"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379"
SCHOOL_URN = 990101
# Rate limits raised for the run: every simulated user comes from 127.0.0.1, one address, which the default
# limits (made for one person each) would refuse after the first few reports.
RAISED_LIMITS = {
    "CME_REPORT_SUBMIT_RATE_LIMIT": "1000000 per minute",
    "CME_REPORT_PAGE_RATE_LIMIT": "1000000 per minute",
    "CME_REPORT_LOOKUP_RATE_LIMIT": "1000000 per minute",
    "CME_SIGN_IN_RATE_LIMIT": "1000000 per minute",
}
# Retry-After for people: how long a simulated user waits before trying again after no answer or a 503.
RETRY_PAUSE = 0.5

_HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_NAME = re.compile(r'name="([^"]*)"')
_VALUE = re.compile(r'value="([^"]*)"')
_TITLE = re.compile(r"<title[^>]*>\s*([^<]*?)\s*</title>", re.S)
_REPORT_REFERENCE = re.compile(r'class="cme-reference">([A-Z0-9-]+)<')
_NOTICE_REFERENCE = re.compile(r"Its reference is (SN-[A-Z0-9-]+)")
REPORT_MARKER = re.compile(r"Load report (\d+) try (\d+)")
NOTICE_MARKER = re.compile(r"(\d+) Load Road, Northbridge, try (\d+)")

UNAVAILABLE_PAGES = ("Sorry, the service is unavailable", "Sorry, your report has not been sent yet")


# ---------------------------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def redis_available(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


def service_env(database_url: str, instance: Path, rate_limit_storage: str, **settings: str) -> dict:
    """The environment `cme` runs in: a scratch instance folder, one SECRET_KEY for every server (so a session
    signed by one is good on the other), raised rate limits, and a mail server that is not there (emails wait in
    the outbox, as they do when the relay is down; nobody waits for them)."""
    env = {
        **os.environ,
        "CME_ENV": "development",
        "CME_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "RATELIMIT_STORAGE_URI": rate_limit_storage,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(free_port()),
        "MAIL_TIMEOUT": "2",
        "CME_LOG_FORMAT": "text",
        "PYTHONPATH": str(ROOT),  # the servers run this checkout's code, as this process does
        **RAISED_LIMITS,
    }
    env.update(settings)
    return env


LOGS = Path(tempfile.gettempdir()) / "cme-bench-logs"


def server_log(name: str) -> Path:
    """Where a server writes its log: kept if a proof fails (see settle_logs), deleted otherwise."""
    LOGS.mkdir(exist_ok=True)
    return LOGS / f"{name}-{os.getpid()}.log"


def settle_logs(servers: list[Server], passed: bool) -> None:
    for server in servers:
        if passed:
            server.log.unlink(missing_ok=True)
        else:
            print(f"  server log kept: {server.log}")


def cme(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(BIN / "cme"), *args], env=env, cwd=ROOT, input=stdin, text=True, capture_output=True, timeout=300
    )
    if done.returncode:
        raise SystemExit(f"cme {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class Server:
    """`cme serve` (gunicorn: a master and its sync workers) in a process group of its own, so that the whole
    group can be killed at once, as a crashed host would lose it."""

    def __init__(self, env: dict, port: int, workers: int | None, log: Path):
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, wait: float = 60) -> None:
        argv = [str(BIN / "cme"), "serve", "--port", str(self.port)]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        self.wait_until_up(wait)

    def wait_until_up(self, seconds: float) -> float:
        """Seconds until /healthz answered 200."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.process and self.process.poll() is not None:
                raise SystemExit(f"cme serve on port {self.port} stopped:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise SystemExit(f"cme serve on port {self.port} did not answer /healthz in {seconds:.0f} s (see {self.log})")

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def worker_pids(self) -> list[int]:
        found = subprocess.run(
            ["/usr/bin/pgrep", "-g", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split() if int(pid) != self.process.pid]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the master and its live workers have used so far."""
        total = 0
        for pid in [self.process.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def kill9(self) -> int:
        """SIGKILL the master and every worker (the process group); returns how many processes were killed."""
        victims = 1 + len(self.worker_pids())
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self.group_alive() and time.monotonic() < deadline:  # orphaned workers: init reaps them
            time.sleep(0.05)
        return victims

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------------------------------- databases


def admin_url(postgres_url: str | None) -> str:
    """A plain libpq URL to the server of `postgres_url` (TEST_DATABASE_URL, say), or the machine's own."""
    url = make_url(postgres_url or PG_ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def postgres_database(server_url: str, prefix: str):
    """A fresh database on the PostgreSQL server at `server_url`, dropped afterwards; yields its URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(database_url: str, school_users: int) -> list[str]:
    """A school in the register and `school_users` school users (no two-factor sign-in for school users); their
    email addresses. Made through the service layer, as `cme users create` would."""
    from shared.models import School
    from shared.services import users as user_service

    database = Database(database_url)
    emails = [f"school{n}@load.northbridge.example" for n in range(school_users)]
    try:
        with database.session() as session:
            session.add(
                School(
                    urn=SCHOOL_URN,
                    la_code="999",
                    establishment_number="2101",
                    name="Millfield Primary School",
                    establishment_type="Community school",
                    type_group="Local authority maintained schools",
                    phase="Primary",
                    status="Open",
                    town="Northbridge",
                    postcode="NB1 1AA",
                )
            )
            session.flush()
            for number, email in enumerate(emails):
                user_service.create_user(
                    session, email, f"School User {number}", "school", PASSWORD, SCHOOL_URN, actor_label="load bench"
                )
            session.commit()
    finally:
        database.dispose()
    return emails


# ---------------------------------------------------------------------------------------------------- figures


@dataclass
class Stats:
    """One thread's figures (merged at the end, so the threads never wait on each other to count)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)  # (kind, status)
    server_errors: list[tuple[str, str, int, str]] = field(default_factory=list)  # kind, path, status, title
    unavailable: Counter = field(default_factory=Counter)  # the 503 pages' titles
    connection_failures: Counter = field(default_factory=Counter)  # (kind, step)
    unexpected: list[str] = field(default_factory=list)
    gave_up: int = 0

    def merge(self, other: Stats) -> None:
        for key, values in other.latencies.items():
            self.latencies[key].extend(values)
        self.statuses.update(other.statuses)
        self.server_errors.extend(other.server_errors)
        self.unavailable.update(other.unavailable)
        self.connection_failures.update(other.connection_failures)
        self.unexpected.extend(other.unexpected)
        self.gave_up += other.gave_up

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def count(self, predicate: Callable[[int], bool]) -> int:
        return sum(n for (_, status), n in self.statuses.items() if predicate(status))


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    if len(values) < 2:
        value = values[0] * 1000 if values else float("nan")
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def title_of(page: str) -> str:
    found = _TITLE.search(page)
    return html.unescape(found.group(1)).split(" - ")[0].strip() if found else page[:80]


# ---------------------------------------------------------------------------------------------------- users


class GaveUp(Exception):
    pass


class StartOver(Exception):
    pass


@dataclass
class Behaviour:
    """What a simulated user does when the service does not answer."""

    retry_connection_errors: bool = False  # press reload (or Send again) after no answer
    retry_unavailable: bool = False  # after a 5xx page, wait and try again (each is still counted)
    start_over_on_lost_send: bool = False  # after no answer to Send, start the report or notice again
    patience: float = 180.0  # seconds of no answer before giving up on the item


@dataclass
class Confirmation:
    kind: str  # "report" or "notice"
    number: int
    attempt: int
    reference: str


def year_6_birthday() -> date:
    """A date of birth in Year 6 this school year: no age warning page."""
    return date(school_year_start(uk_today()) - 11, 10, 1)


def report_answers(number: int, attempt: int) -> dict[str, dict]:
    """One report's answers, page by page: named or anonymous, urgent now and then, with a marker."""
    dob = year_6_birthday()
    rng = random.Random(number)
    named = number % 2 == 0
    pages = {
        "child-name": {
            "child_first_name": rng.choice(["Amira", "Jack", "Olivia", "Mohammed", "Zofia", "Leo"]),
            "child_last_name": rng.choice(["Okafor", "Smith", "Nowak", "Khan", "Evans", "Brown"]),
            "child_other_names": "",
        },
        "child-date-of-birth": {"date_of_birth": [str(dob.day), str(dob.month), str(dob.year)]},
        "child-sex": {"child_sex": rng.choice(["female", "male"])},
        "child-address": {
            "address_line_1": f"{number % 200 + 1} Canal Row",
            "address_town": "Northbridge",
            "address_postcode": "nb1 1aa",
            "family_phone": "07700 900982",
        },
        "moved": {"moved": "yes", "new_address": "Somewhere in Leeds"},
        "last-school": {"last_school": "Millfield Primary School", "last_school_area": "Northbridge"},
        "reasons": {"reasons": ["stopped_attending", "other"], "reason_details": "Not seen at school since June"},
        "family": {"carers": "Mother", "languages": "English", "agencies": "Health visitor"},
        "risk-groups": {"groups": ["young_carer"]},
        "risk-of-harm": {"risk_of_harm": "yes" if number % 10 == 3 else "no"},
        "anything-else": {"anything_else": f"Load report {number} try {attempt}"},
        "about-you": {"reporter_type": "professional" if named else "public"},
        "anonymity": {"named": "yes" if named else "no"},
        "your-details": {
            "reporter_name": "Jo Bloggs",
            "reporter_organisation": "Northbridge Health Visiting",
            "reporter_email": f"reporter{number}@example.com",
            "reporter_phone": "01632 960001",
            "consent_to_contact": "yes",
        },
    }
    if not named:
        del pages["your-details"]
    return pages


NOTICE_KINDS = ("absence", "leaver", "joiner")


def notice_answers(number: int, attempt: int) -> tuple[str, dict]:
    """One notice's kind and answers: continuous absence, a removal to home education, or a joiner."""
    last_month = uk_today() - timedelta(days=30)
    kind = NOTICE_KINDS[number % len(NOTICE_KINDS)]
    answers = {
        "upn": upn(number),
        "first_name": random.Random(number).choice(["Amy", "Ben", "Chloe", "Dev", "Ella", "Finn"]),
        "last_name": "Lee",
        "date_of_birth": ["1", "10", str(uk_today().year - 11)],
        "sex": "F" if number % 2 else "M",
        "address": f"{number} Load Road, Northbridge, try {attempt}",
        "postcode": "nb1 1aa",
        "parent_name": "Jo Lee",
        "parent_phone": "07700 900123",
        "event_date": [str(last_month.day), str(last_month.month), str(last_month.year)],
    }
    if kind == "absence":
        answers["contact_attempted"] = "Phoned twice, letter sent"
    elif kind == "leaver":
        answers.update(deletion_ground="f", destination="none")
    return kind, answers


class Gauge:
    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def change(self, by: int) -> None:
        with self.lock:
            self.value += by


SENDS_IN_FLIGHT = Gauge()  # Send requests waiting for their answer, so a fault can be timed to catch some


class User:
    """One simulated person at a time in one thread: a member of the public sending reports (a new browser for
    each), and a signed-in school user sending notices."""

    def __init__(self, bases: list[str], behaviour: Behaviour, school_email: str | None, offset: int = 0):
        self.bases = bases
        self.behaviour = behaviour
        self.school_email = school_email
        self.turn = offset  # which server the next request goes to
        self.stats = Stats()
        self.confirmations: list[Confirmation] = []
        self.school: requests.Session | None = None

    # -- one request

    def call(self, http: requests.Session, method: str, path: str, kind: str, data=None, send: bool = False):
        """One request to the next server in turn, timed; no answer and 503s handled as the behaviour says."""
        waited_since = None
        while True:
            base = self.bases[self.turn % len(self.bases)]
            self.turn += 1
            started = time.perf_counter()
            if send:
                SENDS_IN_FLIGHT.change(1)
            try:
                response = http.request(method, base + path, data=data, allow_redirects=False, timeout=(5, 120))
            except requests.RequestException:
                self.stats.connection_failures[(kind, "send" if send else "page")] += 1
                if send and self.behaviour.start_over_on_lost_send:
                    raise StartOver from None
                if not self.behaviour.retry_connection_errors:
                    raise
                waited_since = waited_since or time.monotonic()
                if time.monotonic() - waited_since > self.behaviour.patience:
                    raise GaveUp from None
                time.sleep(RETRY_PAUSE)
                continue
            finally:
                if send:
                    SENDS_IN_FLIGHT.change(-1)
            elapsed = time.perf_counter() - started
            status = response.status_code
            self.stats.statuses[(kind, status)] += 1
            if status >= 500:
                title = title_of(response.text)
                self.stats.server_errors.append((kind, path, status, title))
                if status == 503:
                    self.stats.unavailable[title] += 1
                if self.behaviour.retry_unavailable:  # as the page says: wait, and try again
                    waited_since = waited_since or time.monotonic()
                    if time.monotonic() - waited_since > self.behaviour.patience:
                        raise GaveUp
                    time.sleep(RETRY_PAUSE)
                    continue
                raise Unexpected(f"{method} {path}: {status} {title}")
            self.stats.latencies[kind].append(elapsed)
            if send:
                self.stats.latencies[kind + " send"].append(elapsed)
            return response

    def expect(self, response, status: int, location_prefix: str | None = None) -> str:
        if response.status_code != status:
            title = title_of(response.text) if response.status_code == 200 else ""
            raise Unexpected(f"{response.request.method} {response.request.path_url}: {response.status_code} {title}")
        if location_prefix is not None:
            location = response.headers.get("Location", "")
            if not location.startswith(location_prefix):
                raise Unexpected(f"{response.request.path_url} went to {location}, not {location_prefix}")
            return location
        return response.text

    # -- a report

    def report(self, number: int) -> Confirmation:
        attempt = 0
        while True:
            attempt += 1
            http = requests.Session()
            try:
                reference = self._report(http, number, attempt)
            except StartOver:
                continue
            finally:
                http.close()
            done = Confirmation("report", number, attempt, reference)
            self.confirmations.append(done)
            return done

    def _report(self, http: requests.Session, number: int, attempt: int) -> str:
        answers = report_answers(number, attempt)
        path = self.expect(self.call(http, "GET", "/report/start", "report"), 302, "/report/")
        for _ in range(len(answers) + 2):
            if path == "/report/check-answers":
                break
            slug = path.removeprefix("/report/")
            if slug not in answers:
                raise Unexpected(f"the report went to {path}")
            page = self.expect(self.call(http, "GET", path, "report"), 200)
            data = {"csrf_token": csrf_token(page), "action": "continue", **answers[slug]}
            path = self.expect(self.call(http, "POST", path, "report", data), 302, "/report/")
        return self.send_report(http)

    def send_report(self, http: requests.Session) -> str:
        """Check your answers, Send, and the confirmation's reference."""
        page = self.expect(self.call(http, "GET", "/report/check-answers", "report"), 200)
        data = {"csrf_token": csrf_token(page)}
        response = self.call(http, "POST", "/report/check-answers", "report", data, send=True)
        self.expect(response, 302, "/report/confirmation")
        page = self.expect(self.call(http, "GET", "/report/confirmation", "report"), 200)
        found = _REPORT_REFERENCE.search(page)
        if not found:
            raise Unexpected("the confirmation page has no reference")
        return found.group(1)

    # -- a notice

    def sign_in(self) -> None:
        http = requests.Session()

        def answer(response) -> Answer:
            return Answer(response.status_code, response.headers.get("Location", ""), response.text)

        sign_in_with(
            lambda path: answer(self.call(http, "GET", path, "sign-in")),
            lambda path, data: answer(self.call(http, "POST", path, "sign-in", data)),
            self.school_email,
            staff=False,
        )
        self.school = http

    def notice(self, number: int) -> Confirmation:
        if self.school is None:
            self.sign_in()
        attempt = 0
        while True:
            attempt += 1
            try:
                reference = self._notice(self.school, number, attempt)
            except StartOver:
                continue
            done = Confirmation("notice", number, attempt, reference)
            self.confirmations.append(done)
            return done

    def _notice(self, http: requests.Session, number: int, attempt: int) -> str:
        kind, answers = notice_answers(number, attempt)
        page = self.expect(self.call(http, "GET", "/schools/notices/new", "notice"), 200)
        data = {"csrf_token": csrf_token(page), "kind": kind}
        path = self.expect(self.call(http, "POST", "/schools/notices/new", "notice", data), 302, "/schools/notices/")
        page = self.expect(self.call(http, "GET", path, "notice"), 200)
        data = {"csrf_token": csrf_token(page), "action": "check", **answers}
        page = self.expect(self.call(http, "POST", path, "notice", data), 200)
        if "Check the notice before you send it" not in title_of(page):
            raise Unexpected(f"the notice was not accepted: {title_of(page)}")
        form = [*hidden_inputs(page), ("action", "send")]
        response = self.call(http, "POST", path, "notice", form, send=True)
        location = self.expect(response, 302, "/schools/notices/")
        page = self.expect(self.call(http, "GET", location, "notice"), 200)
        # The page's heading is the notice's reference; the "Notice sent" banner says it too, unless an error page
        # in between (a 503 while the database was down) already showed, and so used up, that message.
        reference = location.rsplit("/", 1)[-1]
        banner = _NOTICE_REFERENCE.search(page)
        if title_of(page) != f"Notice {reference}" or (banner and banner.group(1) != reference):
            raise Unexpected("the notice's page does not say its reference")
        return reference


def hidden_inputs(page: str) -> list[tuple[str, str]]:
    fields = []
    for tag in _HIDDEN_INPUT.findall(page):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if name:
            fields.append((html.unescape(name.group(1)), html.unescape(value.group(1)) if value else ""))
    return fields


# ---------------------------------------------------------------------------------------------------- the run


@dataclass
class Run:
    users: list[User]
    elapsed: float
    stats: Stats
    confirmations: list[Confirmation]
    failures: list[str]


class Progress:
    """Items finished so far, for a fault injected part-way."""

    def __init__(self):
        self.done = 0
        self.lock = threading.Lock()
        self.listeners: list[Callable[[int], None]] = []

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            done = self.done
        for listener in self.listeners:
            listener(done)


def run_load(
    bases: list[str],
    reports: int,
    notices: int,
    clients: int,
    school_emails: list[str],
    behaviour: Behaviour,
    progress: Progress | None = None,
    behaviour_for: Callable[[int], Behaviour] | None = None,
    stop_at: float | None = None,
) -> Run:
    """`clients` threads take reports and notices, interleaved, from one queue until it is empty (or, given
    `stop_at`, a time.time(), until then: items started by then are finished)."""
    items = interleave(reports, notices)
    cursor = iter(range(len(items)))
    lock = threading.Lock()
    users = [
        User(bases, behaviour_for(n) if behaviour_for else behaviour, school_emails[n % len(school_emails)], n)
        for n in range(clients)
    ]
    failures: list[str] = []

    def work(user: User) -> None:
        while True:
            if stop_at is not None and time.time() >= stop_at:
                return
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            kind, number = items[index]
            try:
                user.report(number) if kind == "report" else user.notice(number)
            except (Unexpected, GaveUp, requests.RequestException) as error:
                if isinstance(error, GaveUp):
                    user.stats.gave_up += 1
                with lock:
                    failures.append(f"{kind} {number}: {type(error).__name__} {error}")
            if progress:
                progress.tick()

    threads = [threading.Thread(target=work, args=(user,), name=f"user-{n}") for n, user in enumerate(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    stats = Stats()
    for user in users:
        stats.merge(user.stats)
    confirmations = [done for user in users for done in user.confirmations]
    return Run(users, elapsed, stats, confirmations, failures)


def interleave(reports: int, notices: int) -> list[tuple[str, int]]:
    """Reports and notices spread evenly through one queue, so both kinds run all the way through."""
    total = reports + notices
    items, r, n = [], 0, 0
    for position in range(total):
        if n >= notices or (r < reports and r * total <= position * reports):
            items.append(("report", r))
            r += 1
        else:
            items.append(("notice", n))
            n += 1
    return items


def baseline(bases: list[str], clients: int, per_client: int, path: str = "/healthz") -> Stats:
    """`clients` threads each GET `path` `per_client` times, alternating servers: the same clients, servers and
    concurrency as the load, doing the least the service can do with its database."""
    results: list[Stats] = []

    def work(offset: int) -> None:
        user = User(bases, Behaviour(), None, offset)
        with requests.Session() as http:
            for _ in range(per_client):
                try:
                    user.expect(user.call(http, "GET", path, "baseline"), 200)
                except (Unexpected, requests.RequestException) as error:
                    user.stats.unexpected.append(str(error))
        results.append(user.stats)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = Stats()
    for each in results:
        stats.merge(each)
    stats.latencies["elapsed"] = [time.perf_counter() - started]
    return stats


# ---------------------------------------------------------------------------------------------------- what is stored


@dataclass
class Stored:
    referrals: list[tuple[str, str | None, dict]]  # reference, submission key, answers
    notices: list[tuple[str, str | None, dict]]  # reference, submission key, details


def _json(value) -> dict:
    return json.loads(value) if isinstance(value, str) else (value or {})


def read_stored(database_url: str) -> Stored:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            referrals = [
                (reference, key, _json(answers))
                for reference, key, answers in connection.execute(
                    text("SELECT reference, submission_key, answers FROM referrals")
                )
            ]
            notices = [
                (reference, key, _json(details))
                for reference, key, details in connection.execute(
                    text("SELECT reference, submission_key, details FROM school_notices")
                )
            ]
    finally:
        database.dispose()
    return Stored(referrals, notices)


@dataclass
class Reconciled:
    kind: str
    shown: int  # confirmations the users were shown
    stored: int  # rows in the table
    lost: list[str]  # references shown but not stored
    repeated_references: int  # a reference on more than one row
    server_duplicates: int  # one submission (one attempt of one simulated report) stored more than once
    retry_duplicates: int  # a submission stored again because its user started over after a lost answer
    unmarked: int  # rows with no marker (not made by this run)


def reconcile(kind: str, confirmations: list[Confirmation], rows: list[tuple[str, str | None, dict]]) -> Reconciled:
    shown = [done for done in confirmations if done.kind == kind]
    references = Counter(reference for reference, _, _ in rows)
    marker = REPORT_MARKER if kind == "report" else NOTICE_MARKER
    field_name = "anything_else" if kind == "report" else "address"
    attempts: Counter = Counter()
    per_number: dict[int, set[int]] = defaultdict(set)
    unmarked = 0
    for _, _, content in rows:
        found = marker.search(str(content.get(field_name, "")))
        if not found:
            unmarked += 1
            continue
        number, attempt = int(found.group(1)), int(found.group(2))
        attempts[(number, attempt)] += 1
        per_number[number].add(attempt)
    return Reconciled(
        kind=kind,
        shown=len(shown),
        stored=len(rows),
        lost=[done.reference for done in shown if done.reference not in references],
        repeated_references=sum(n - 1 for n in references.values() if n > 1),
        server_duplicates=sum(n - 1 for n in attempts.values() if n > 1),
        retry_duplicates=sum(len(tried) - 1 for tried in per_number.values() if len(tried) > 1),
        unmarked=unmarked,
    )


# ---------------------------------------------------------------------------------------------------- printing


class Verdicts:
    def __init__(self):
        self.results: list[tuple[str, bool, str]] = []

    def check(self, name: str, passed: bool, detail: str) -> bool:
        self.results.append((name, passed, detail))
        return passed

    def print(self) -> bool:
        print("\nproofs:")
        for name, passed, detail in self.results:
            print(f"  {'PASS' if passed else 'FAIL'}  {name}: {detail}")
        failed = [name for name, passed, _ in self.results if not passed]
        print(f"\n{'ALL PASS' if not failed else 'FAILED: ' + ', '.join(failed)}")
        return not failed


def print_latency_table(rows: list[tuple[str, list[float]]], baseline_p50: float | None) -> None:
    print(f"  {'requests of':<22}{'count':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50 vs base':>13}")
    for label, values in rows:
        p50, p95, p99 = percentiles(values)
        ratio = f"{p50 / baseline_p50:>13.1f}" if baseline_p50 else f"{'':>13}"
        print(f"  {label:<22}{len(values):>9,}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{ratio}")


def print_reconciled(result: Reconciled) -> None:
    print(
        f"  {result.kind + 's':<8} shown {result.shown:,}, stored {result.stored:,}, lost {len(result.lost)}, "
        f"reference on two rows {result.repeated_references}, stored twice by the server {result.server_duplicates}, "
        f"stored again after a user started over {result.retry_duplicates}"
    )


# ---------------------------------------------------------------------------------------------------- integrity

# Each names something that must not exist after any crash: a row whose other half (written in the same
# transaction) is missing, or a row that lacks what the service always writes. Every count must be 0.
INTEGRITY_CHECKS = {
    "referrals without their 'create' audit event": """
        SELECT COUNT(*) FROM referrals r WHERE NOT EXISTS (SELECT 1 FROM audit_events a
            WHERE a.object_type = 'referral' AND a.action = 'create' AND a.object_id = r.id)""",
    "referrals whose draft is not marked sent with their reference and submission key": """
        SELECT COUNT(*) FROM referrals r WHERE NOT EXISTS (SELECT 1 FROM report_drafts d
            WHERE d.submitted_reference = r.reference AND d.submission_key = r.submission_key)""",
    "referrals missing the child's name, date of birth, answers, phrase hash or submission key": """
        SELECT COUNT(*) FROM referrals WHERE child_first_name IS NULL OR child_date_of_birth IS NULL
            OR answers IS NULL OR secret_phrase_hash IS NULL OR submission_key IS NULL""",
    "named referrals without the reporter's name and email, or anonymous ones with them": """
        SELECT COUNT(*) FROM referrals WHERE (anonymous = false AND (reporter_name IS NULL OR reporter_email IS NULL))
            OR (anonymous = true AND (reporter_name IS NOT NULL OR reporter_email IS NOT NULL))""",
    "urgent referrals without their alert email in the outbox": """
        SELECT COUNT(*) FROM referrals r WHERE r.urgent = true AND NOT EXISTS (SELECT 1 FROM outbox_messages m
            WHERE m.subject LIKE 'Urgent report ' || r.reference || ':%')""",
    "named referrals without the reporter's confirmation email in the outbox": """
        SELECT COUNT(*) FROM referrals r WHERE r.reporter_email IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM outbox_messages m
            WHERE m.subject LIKE '%: ' || r.reference AND m.to_address = r.reporter_email)""",
    "drafts marked sent with no referral (orphan receipts)": """
        SELECT COUNT(*) FROM report_drafts d WHERE d.submitted_reference IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.reference = d.submitted_reference)""",
    "audit events for a referral that does not exist": """
        SELECT COUNT(*) FROM audit_events a WHERE a.object_type = 'referral'
            AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.id = a.object_id)""",
    "notices without their 'create' audit event": """
        SELECT COUNT(*) FROM school_notices n WHERE NOT EXISTS (SELECT 1 FROM audit_events a
            WHERE a.object_type = 'school_notice' AND a.action = 'create' AND a.object_id = n.id)""",
    "notices without their acknowledgement email in the outbox": """
        SELECT COUNT(*) FROM school_notices n WHERE NOT EXISTS (SELECT 1 FROM outbox_messages m
            WHERE m.subject = 'Notice received: ' || n.reference)""",
    "notices missing the sender, the form's submission key, a leaver's ground, or an absence's routing": """
        SELECT COUNT(*) FROM school_notices WHERE submitted_by_id IS NULL OR submission_key IS NULL
            OR details IS NULL OR (kind = 'leaver' AND deletion_ground IS NULL)
            OR (kind = 'absence' AND (routed_to_cme = false OR status <> 'for_cme'))""",
    "audit events for a notice that does not exist": """
        SELECT COUNT(*) FROM audit_events a WHERE a.object_type = 'school_notice'
            AND NOT EXISTS (SELECT 1 FROM school_notices n WHERE n.id = a.object_id)""",
    "acknowledgement emails for a notice that does not exist": """
        SELECT COUNT(*) FROM outbox_messages m WHERE m.subject LIKE 'Notice received: %' AND NOT EXISTS (
            SELECT 1 FROM school_notices n WHERE m.subject = 'Notice received: ' || n.reference)""",
}


def integrity(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            return {name: connection.execute(text(sql)).scalar_one() for name, sql in INTEGRITY_CHECKS.items()}
    finally:
        database.dispose()
