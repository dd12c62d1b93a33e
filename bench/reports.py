"""Complete public reports under `cme serve`, every page and its CSRF token included, beside a bare Flask route.

    .venv/bin/python bench/reports.py [--reports 256] [--clients 32] [--workers 2] [--bare-requests 6400]
        [--database-url URL] [--redis-url redis://127.0.0.1:6379/15]

Builds a throwaway SQLite database with the demo data (or upgrades and seeds, if empty, the --database-url one),
starts a test SMTP server in this process, `cme serve` with its rate limits kept in Redis (so it runs more than
one worker; the Redis database is flushed before and after) and raised so that one address can send everything,
and a bare Flask app with the same gunicorn settings, on loopback ports. Concurrent clients, each with its own
cookie and one connection, send a fixed number of reports each, from the start page to the confirmation page:
every question page is fetched, its token read and its answers posted, the answers are checked and sent, and the
confirmation page's reference is read. One report in ten says the child is at risk of harm, so the urgent path
and its alert emails run too. Prints completed reports per second, p50 and p99 latency per request (all requests
and by step), errors, stored referrals against confirmations, drafts and outbox messages left, emails delivered,
and the ratio of the journeys' requests per second to the bare route's. Everything it starts, it stops.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/reports.py, the repository root is not on the path

from bench.pages import BIN, drive, free_port, gunicorn, wait_until_up  # noqa: E402
from shared.clock import uk_today  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*\bvalue="([^"]+)"')
REFERENCE = re.compile(r"\bRF-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
URGENT_EVERY = 10  # one report in ten says the child is at risk of harm
MAIL_WAIT_SECONDS = 30

# Each question page in order, with minimal valid answers for an anonymous report from a member of the public.
PAGES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("child-name", (("child_first_name", "Bench"), ("child_last_name", "Child"))),
    ("child-date-of-birth", ()),  # the date's three parts are added per report
    ("child-sex", (("child_sex", "female"),)),
    (
        "child-address",
        (("address_line_1", "1 Bench Street"), ("address_town", "Northbridge"), ("address_postcode", "NB1 1AA")),
    ),
    ("moved", (("moved", "no"),)),
    ("last-school", ()),
    ("reasons", (("reasons", "stopped_attending"),)),
    ("family", ()),
    ("risk-groups", ()),
    ("risk-of-harm", ()),  # yes or no is added per report
    ("anything-else", ()),
    ("about-you", (("reporter_type", "public"),)),
    ("anonymity", (("named", "no"),)),
)
STEPS = (
    "GET /report/start",
    "GET question pages",
    "POST question pages",
    "GET /report/check-answers",
    "POST /report/check-answers",
    "GET /report/confirmation",
)
SUBMISSION = "POST /report/check-answers"


class Abandoned(Exception):
    """A step gave an unexpected answer: the report is left where it is and the client starts the next."""


class Client:
    """One reporter's browser: its own connection and session cookie, and what its requests took."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie: str | None = None
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()

    def send(self, step: str, path: str, status: int, location: str | None = None, form=None) -> str:
        """One request; the page it gave back, or Abandoned (counted as an error) if it was not as expected."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
            response = self.connection.getresponse()
            page = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.errors[step] += 1
            raise Abandoned from None
        self.latencies[step].append(time.perf_counter() - start)
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            if name.strip() == "cme_session":
                value = rest.split(";", 1)[0].strip().strip('"')
                self.cookie = f"cme_session={value}" if value else None
        if response.status != status or (
            location is not None and urlsplit(response.getheader("Location", "")).path != location
        ):
            self.errors[step] += 1
            raise Abandoned
        return page

    def token(self, step: str, page: str) -> str:
        match = TOKEN.search(page)
        if match is None:
            self.errors[step] += 1
            raise Abandoned
        return match.group(1)

    def report(self, urgent: bool) -> str | None:
        """One complete report; its reference, or None if it did not get as far as a confirmation page."""
        born = ("3", "4", str(uk_today().year - 10))  # of compulsory school age, so no age check page
        try:
            self.send("GET /report/start", "/report/start", 302, f"/report/{PAGES[0][0]}")
            for position, (slug, answers) in enumerate(PAGES):
                page = self.send("GET question pages", f"/report/{slug}", 200)
                token = self.token("GET question pages", page)
                if slug == "child-date-of-birth":
                    answers = (*answers, *(("date_of_birth", part) for part in born))
                if slug == "risk-of-harm":
                    answers = (("risk_of_harm", "yes" if urgent else "no"),)
                following = PAGES[position + 1][0] if position + 1 < len(PAGES) else "check-answers"
                form = (("csrf_token", token), *answers, ("action", "continue"))
                self.send("POST question pages", f"/report/{slug}", 302, f"/report/{following}", form)
            page = self.send("GET /report/check-answers", "/report/check-answers", 200)
            token = self.token("GET /report/check-answers", page)
            self.send(SUBMISSION, "/report/check-answers", 302, "/report/confirmation", (("csrf_token", token),))
            page = self.send("GET /report/confirmation", "/report/confirmation", 200)
        except Abandoned:
            return None
        match = REFERENCE.search(page)
        if match is None:
            self.errors["GET /report/confirmation"] += 1
            return None
        return match.group(0)


def run_reports(port: int, reports: int, clients: int, stop: threading.Event) -> dict:
    per_client = reports // clients

    def client(number: int):
        reporter = Client(port)
        confirmed = []
        for n in range(per_client):
            if stop.is_set():
                break
            urgent = (number * per_client + n) % URGENT_EVERY == 0
            reference = reporter.report(urgent)
            if reference:
                confirmed.append((reference, urgent))
        reporter.connection.close()
        return reporter, confirmed

    started = time.perf_counter()
    pool = ThreadPoolExecutor(clients)
    try:
        results = [future.result() for future in [pool.submit(client, n) for n in range(clients)]]
    except BaseException:
        stop.set()  # Ctrl-C or a failure: clients finish the report they are on, then stop
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    elapsed = time.perf_counter() - started
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    confirmed = []
    for reporter, references in results:
        for step, chunk in reporter.latencies.items():
            latencies[step].extend(chunk)
        errors.update(reporter.errors)
        confirmed.extend(references)
    return {
        "sent": per_client * clients,
        "elapsed": elapsed,
        "latencies": latencies,
        "errors": errors,
        "confirmed": confirmed,
    }


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    if len(latencies) < 2:
        value = latencies[0] * 1000 if latencies else float("nan")
        return value, value
    quantiles = statistics.quantiles(latencies, n=100)
    return quantiles[49] * 1000, quantiles[98] * 1000


class Mailbox:
    """The test SMTP server's handler: counts what arrives."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.count += 1
        return "250 Message accepted"


def start_smtp(stack: ExitStack) -> tuple[int, Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    stack.callback(controller.stop)
    return port, mailbox


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def start_server(stack: ExitStack, command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=output)
    stack.callback(stop_server, server)
    return server


def wait_for(port: int, path: str, log: Path | None) -> None:
    try:
        wait_until_up(port, path)
    except SystemExit:
        if log is not None and log.exists():
            print("".join(log.read_text(errors="replace").splitlines(keepends=True)[-20:]), file=sys.stderr)
        raise


def database_counts(url: str, since: datetime, mailbox: Mailbox) -> dict:
    """What the run left in the database, once the service has tried every email it queued."""
    from sqlalchemy import func, select

    from shared.db import make_engine
    from shared.domain.roles import Role
    from shared.models import OutboxMessage, Referral, ReportDraft, User

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            deadline = time.monotonic() + MAIL_WAIT_SECONDS
            untried = select(func.count()).where(OutboxMessage.created_at >= since, OutboxMessage.attempts == 0)
            while connection.execute(untried).scalar() and time.monotonic() < deadline:
                connection.rollback()
                time.sleep(0.2)
            references = set(connection.scalars(select(Referral.reference).where(Referral.received_at >= since)))
            drafts = select(func.count()).where(ReportDraft.created_at >= since)
            leads = select(func.count()).where(User.role == Role.LEAD, User.active.is_(True))
            return {
                "stored": references,
                "receipts": connection.execute(drafts.where(ReportDraft.submitted_reference.is_not(None))).scalar(),
                "unsent": connection.execute(drafts.where(ReportDraft.submitted_reference.is_(None))).scalar(),
                "outbox": connection.execute(select(func.count()).where(OutboxMessage.created_at >= since)).scalar(),
                "leads": connection.execute(leads).scalar(),
                "delivered": mailbox.count,
            }
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=256, help="reports sent in all (a whole number per client)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bare-requests", type=int, default=6400, help="requests to the bare Flask route")
    parser.add_argument("--database-url", help="use this database, not a throwaway SQLite one (seeded if empty)")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/15",
        help="rate limit storage for `cme serve`: this Redis database is flushed before and after",
    )
    args = parser.parse_args()
    if args.reports < args.clients:
        parser.error("--reports must be at least --clients")

    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        smtp_port, mailbox = start_smtp(stack)
        service_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "CME_ENV": "development",
            "CME_INSTANCE_PATH": tmp,
            "DATABASE_URL": url,
            "SECRET_KEY": "b" * 48,
            "RATELIMIT_STORAGE_URI": args.redis_url,
            "CME_REPORT_PAGE_RATE_LIMIT": "1000000 per minute",
            "CME_REPORT_SUBMIT_RATE_LIMIT": "1000000 per minute",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "MAIL_USE_TLS": "false",
            "MAIL_USERNAME": "",
            "CME_SERVICE_URL": f"http://127.0.0.1:{service_port}",
        }
        subprocess.run([str(BIN / "cme"), "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([str(BIN / "cme"), "demo", "seed", "--if-empty"], env=env, check=True, capture_output=True)
        flush_redis(args.redis_url)
        stack.callback(flush_redis, args.redis_url)
        log = Path(tmp) / "serve.log"
        serve = [str(BIN / "cme"), "serve", "--port", str(service_port), "--workers", str(args.workers)]
        start_server(stack, serve, env, log)
        stack.callback(stop_server, gunicorn("bench.bare_app:create_app()", bare_port, args.workers, env))
        wait_for(service_port, "/healthz", log)
        wait_for(bare_port, "/hello", None)

        bare = drive(bare_port, "/hello", args.bare_requests, args.clients, None)
        since = datetime.now(UTC)
        run = run_reports(service_port, args.reports, args.clients, threading.Event())
        counts = database_counts(url, since, mailbox)

    latencies, errors, confirmed = run["latencies"], run["errors"], run["confirmed"]
    references = {reference for reference, _ in confirmed}
    urgent = len({reference for reference, is_urgent in confirmed if is_urgent})
    every = [latency for chunk in latencies.values() for latency in chunk]
    requests, elapsed = len(every), run["elapsed"]
    rps = requests / elapsed
    p50, p99 = percentiles(every)
    sub50, sub99 = percentiles(latencies[SUBMISSION])
    stored = counts["stored"]
    expected_mail = urgent * counts["leads"]

    print(
        f"`cme serve` (gunicorn sync workers: {args.workers}, rate limits in Redis); clients: {args.clients}; "
        f"reports: {run['sent']} ({run['sent'] // args.clients} per client, 1 in {URGENT_EVERY} urgent)"
    )
    print(
        f"completed reports: {len(references)} in {elapsed:.1f} s = {len(references) / elapsed:.1f} reports/s "
        f"({requests} requests, {rps:.0f} req/s, {requests / max(run['sent'], 1):.0f} per report)"
    )
    print(f"latency per request, all steps: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"latency of the submission ({SUBMISSION}): p50 {sub50:.1f} ms, p99 {sub99:.1f} ms")
    print(
        f"errors (unexpected status or answer, or no connection): {sum(errors.values())}; "
        f"reports not completed: {run['sent'] - len(references)}"
    )
    print(f"{'step':<30}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for step in STEPS:
        step50, step99 = percentiles(latencies[step])
        print(f"{step:<30}{len(latencies[step]):>9}{errors[step]:>8}{step50:>9.1f}{step99:>9.1f}")
    verdict = "match" if stored == references and len(confirmed) == len(references) else "DO NOT MATCH"
    print(f"stored referrals {len(stored)} = confirmations {len(references)}: {verdict}")
    print(
        f"report drafts left: {counts['receipts'] + counts['unsent']} ({counts['receipts']} receipts, "
        f"{counts['unsent']} unsent)"
    )
    print(
        f"outbox messages queued: {counts['delivered'] + counts['outbox']} (expected {expected_mail}: urgent reports "
        f"{urgent} x leads {counts['leads']}); delivered to the test SMTP server {counts['delivered']}; "
        f"still waiting {counts['outbox']}"
    )
    print(
        f"bare Flask /hello (same gunicorn settings): {bare['requests']} requests, {bare['errors']} errors, "
        f"{bare['rps']:.0f} req/s, p50 {bare['p50']:.1f} ms, p99 {bare['p99']:.1f} ms"
    )
    print(f"ratio (journeys' req/s / bare req/s): {rps / bare['rps']:.3f}")


if __name__ == "__main__":
    main()
