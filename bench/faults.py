"""The service through two faults under load: its servers killed with SIGKILL, and its PostgreSQL stopped. Proves
nothing a user was told is lost, nothing is half-written, and the service comes back.

How to run:

    .venv/bin/python bench/faults.py                          # all three: kill-sqlite, kill-postgres, pg-stop
    .venv/bin/python bench/faults.py --only pg-stop           # one (repeat --only for more)
    .venv/bin/python bench/faults.py --reports 300 --notices 300 --clients 8     # a quick look

Needs: Redis on 127.0.0.1:6379 (rate limits; database `--redis-db`, emptied first); for kill-postgres,
PostgreSQL on 127.0.0.1:5432 with a role that may create databases (postgres, trust auth; or the server in
TEST_DATABASE_URL); for pg-stop, the PostgreSQL 15 binaries in /usr/lib/postgresql/15/bin (initdb, pg_ctl) and
port 5439 free: it makes a PRIVATE cluster in a temporary folder (as the postgres user when run as root, since
initdb refuses root), so the machine's shared cluster on 5432 is never stopped. Everything it starts it stops and
deletes. Rate limits are raised for the run (CME_REPORT_*_RATE_LIMIT, CME_SIGN_IN_RATE_LIMIT), as in load.py.

kill -9 (kill-sqlite, kill-postgres): the load of bench/load.py (smaller: `--reports`, `--notices`) against one
`cme serve` on a fresh database; when half the reports and notices are done, SIGKILL to the gunicorn master and
all its workers at once (the process group), `--outage` seconds down, then `cme serve` again on the same database.
Users retry as people do: a request that got no answer is sent again after a pause (reloading a page, pressing
Send again), except that one user in four, when Send got no answer, starts that report or notice again from the
start. Proves: every reference a user was shown is stored; nothing half-written (SQL checks on the schema: each
referral has its audit event, its draft marked sent with its reference, its alert and confirmation emails in the
outbox; each notice has its audit event, its acknowledgement email and its kind's required fields; no audit event,
receipt or email whose record is missing); no 5xx at all (only connection failures while it was down); every
report and notice completed; no submission stored twice by the server. Duplicates made by users who started over
after a lost answer (the first sending was stored, they sent again) are counted and shown, not failed: the service
cannot know that a new report is the same as one it already has.

PostgreSQL stop (pg-stop): the same load on the private cluster; first some users fill in a report up to Check
your answers (half of them also save it for later and note the resume code). When a third of the load is done,
`pg_ctl stop -m fast`; while it is down those users try to send and reload, a school user opens their notices,
and the load's users keep going, waiting and trying again after each 503 (or any 5xx), as the page tells them.
After `--outage` seconds PostgreSQL starts again. Proves: users got status 503 with the service's own page ("Sorry, the
service is unavailable", or the report's "Sorry, your report has not been sent yet"); no 500s; each draft
survived (the same browser finds its answers on Check your answers; a new browser resumes a saved one with its
code); the service recovers by itself (the same gunicorn master, no restart, /healthz 200 again); each held
report, sent again, gets a confirmation whose reference is stored; and the load's proofs as above.

Prints figures and PASS or FAIL for each proof; exits 1 if any fails.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.load_client import (  # noqa: E402
    RAISED_LIMITS,
    REDIS_URL,
    SENDS_IN_FLIGHT,
    UNAVAILABLE_PAGES,
    Behaviour,
    Progress,
    Server,
    User,
    Verdicts,
    admin_url,
    cme,
    flush_redis,
    free_port,
    integrity,
    port_in_use,
    postgres_database,
    print_reconciled,
    read_stored,
    reconcile,
    redis_available,
    report_answers,
    run_load,
    seed,
    server_log,
    service_env,
    settle_logs,
    title_of,
)
from bench.sign_in import csrf_token  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIVATE_PORT = 5439
SCENARIOS = ("kill-sqlite", "kill-postgres", "pg-stop")


def retrying(n: int) -> Behaviour:
    """Every user retries after no answer or a 503; one in four starts again after a Send that got no answer."""
    return Behaviour(retry_connection_errors=True, retry_unavailable=True, start_over_on_lost_send=n % 4 == 3)


def load_proofs(
    verdicts: Verdicts, run, database_url: str, requested: tuple[int, int], held: frozenset[str] = frozenset()
) -> None:
    """What every scenario proves of the load itself."""
    stored = read_stored(database_url)
    reports = reconcile("report", run.confirmations, [row for row in stored.referrals if row[0] not in held])
    notices = reconcile("notice", run.confirmations, stored.notices)
    print_reconciled(reports)
    print_reconciled(notices)
    seen = {done.reference for done in run.confirmations} | held
    unseen = sum(1 for reference, _, _ in stored.referrals + stored.notices if reference not in seen)
    print(f"  stored but never shown to a user (the answer was lost): {unseen}")
    verdicts.check(
        "every reference shown to a user is stored",
        not reports.lost and not notices.lost,
        f"{reports.shown:,} report and {notices.shown:,} notice references shown; "
        f"{len(reports.lost)} and {len(notices.lost)} of them not stored",
    )
    problems = integrity(database_url)
    verdicts.check(
        "nothing half-written",
        not any(problems.values()),
        "; ".join(f"{name}: {count}" for name, count in problems.items() if count)
        or f"0 rows in each of {len(problems)} checks (audit events, drafts marked sent, outbox emails, "
        "required fields, orphans)",
    )
    verdicts.check(
        "every report and notice completed",
        not run.failures and (reports.shown, notices.shown) == requested,
        f"{reports.shown:,}/{requested[0]:,} reports, {notices.shown:,}/{requested[1]:,} notices; "
        f"{len(run.failures)} failed" + (f" (first: {run.failures[:3]})" if run.failures else ""),
    )
    verdicts.check(
        "no submission stored twice by the server",
        not (reports.server_duplicates or notices.server_duplicates)
        and not (reports.repeated_references or notices.repeated_references),
        f"{reports.server_duplicates + notices.server_duplicates} sendings of one form stored twice, "
        f"{reports.repeated_references + notices.repeated_references} references on two rows; "
        f"stored again because a user started over after a lost answer (not the server's doing): "
        f"{reports.retry_duplicates} reports, {notices.retry_duplicates} notices",
    )


def print_run(run) -> None:
    stats = run.stats
    lost_answers = sum(stats.connection_failures.values())
    print(
        f"  {stats.requests:,} answered requests in {run.elapsed:,.1f} s ({stats.requests / run.elapsed:,.0f} req/s); "
        f"{len(run.confirmations):,} confirmations; requests with no answer (connection failures): {lost_answers} "
        f"({', '.join(f'{kind} {step}: {n}' for (kind, step), n in sorted(stats.connection_failures.items()))})"
    )
    statuses = sorted({status for _, status in stats.statuses})
    print(f"  statuses: {', '.join(f'{status}: {stats.count(lambda s, x=status: s == x):,}' for status in statuses)}")


# ---------------------------------------------------------------------------------------------------- kill -9


def kill_scenario(args, postgres: bool) -> bool:
    name = "kill -9 on " + ("PostgreSQL" if postgres else "SQLite")
    print(f"\n=== {name}: {args.reports:,} reports + {args.notices:,} notices, {args.clients} users ===")
    verdicts = Verdicts()
    redis_uri = f"{REDIS_URL}/{args.redis_db}"
    flush_redis(redis_uri)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cme-faults-")))
        if postgres:
            server_url = admin_url(os.environ.get("TEST_DATABASE_URL"))
            database_url = stack.enter_context(postgres_database(server_url, "cme_faults"))
        else:
            database_url = f"sqlite:///{tmp}/faults.sqlite"
        env = service_env(database_url, tmp, redis_uri)
        cme(env, "db", "upgrade")
        emails = seed(database_url, args.clients)
        server = Server(env, free_port(), args.workers, server_log("faults-kill-" + ("pg" if postgres else "sqlite")))
        stack.callback(server.stop)
        server.start()
        print(f"  `cme serve`: {len(server.worker_pids())} sync workers; rate limits in Redis db {args.redis_db}")

        total = args.reports + args.notices
        progress = Progress()
        halfway = threading.Event()
        progress.listeners.append(lambda done: done >= total // 2 and halfway.set())
        crash: dict = {}

        def crasher() -> None:
            if not halfway.wait(timeout=3600):
                return
            deadline = time.monotonic() + 30
            while SENDS_IN_FLIGHT.value < args.sends_in_flight and time.monotonic() < deadline:
                time.sleep(0.002)  # kill while some users' Send is on its way: their answer is lost
            crash["sends"] = SENDS_IN_FLIGHT.value
            crash["done"] = progress.done
            crash["killed"] = server.kill9()
            crash["gone"] = not server.group_alive()
            down = time.monotonic()
            time.sleep(args.outage)
            server.start()
            crash["down"] = time.monotonic() - down

        thread = threading.Thread(target=crasher, daemon=True)
        thread.start()
        run = run_load([server.base], args.reports, args.notices, args.clients, emails, retrying(0), progress, retrying)
        thread.join(timeout=120)

        print(
            f"  killed at {crash.get('done', 0):,} of {total:,} items done, {crash.get('sends', 0)} Sends waiting for "
            f"their answer: SIGKILL to the process group took "
            f"{crash.get('killed', 0)} processes (master + workers); down {crash.get('down', 0):.1f} s until "
            "`cme serve` answered again"
        )
        print_run(run)
        verdicts.check(
            "the servers were killed mid-run and came back",
            bool(crash) and crash["killed"] >= 2 and crash["gone"] and 0 < crash["done"] < total,
            f"{crash.get('killed', 0)} processes killed, none left: {crash.get('gone')}; restarted on the same database"
            if crash
            else "the kill never happened",
        )
        fives = run.stats.count(lambda status: status >= 500)
        verdicts.check(
            "no 5xx, only connection failures while down",
            fives == 0,
            f"{fives} responses with 5xx"
            + (f" (first: {run.stats.server_errors[:3]})" if fives else "")
            + f"; {sum(run.stats.connection_failures.values())} requests got no answer",
        )
        load_proofs(verdicts, run, database_url, (args.reports, args.notices))
    flush_redis(redis_uri)
    passed = verdicts.print()
    settle_logs([server], passed)
    return passed


# ---------------------------------------------------------------------------------------------------- PostgreSQL stop


def as_postgres(argv: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def private_cluster(port: int):
    """A PostgreSQL 15 cluster of its own in a temporary folder on `port`; yields (start, stop, server URL)."""
    folder = Path(tempfile.mkdtemp(prefix="cme-pg-"))
    data, log = folder / "data", folder / "postgres.log"
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"

    def pg_ctl(*argv: str) -> None:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), *argv]), check=True, capture_output=True, timeout=60
        )

    def start() -> None:
        pg_ctl("-l", str(log), "-o", options, "-w", "start")

    def stop() -> None:
        pg_ctl("-m", "fast", "-w", "stop")

    try:
        subprocess.run(
            as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        start()
        yield start, stop, f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


class Holder:
    """A member of the public with a report filled in up to Check your answers, not yet sent."""

    def __init__(self, base: str, number: int, save: bool):
        self.user = User([base], Behaviour(), None)
        self.number, self.save = number, save
        self.http = requests.Session()
        self.resume_code: str | None = None
        self.during: list[tuple[str, int, str]] = []  # what they were shown while the database was down
        self.found_answers = False
        self.reference: str | None = None
        self.error: str | None = None

    def fill_in(self) -> None:
        answers = report_answers(self.number, 1)
        user, http = self.user, self.http
        path = user.expect(user.call(http, "GET", "/report/start", "report"), 302, "/report/")
        while path != "/report/check-answers":
            page = user.expect(user.call(http, "GET", path, "report"), 200)
            data = {"csrf_token": csrf_token(page), "action": "continue", **answers[path.removeprefix("/report/")]}
            path = user.expect(user.call(http, "POST", path, "report", data), 302, "/report/")
        if self.save:
            page = user.expect(user.call(http, "GET", "/report/save", "report"), 200)
            saved = user.expect(
                user.call(http, "POST", "/report/save", "report", {"csrf_token": csrf_token(page)}), 200
            )
            from bench.load_client import _REPORT_REFERENCE

            self.resume_code = _REPORT_REFERENCE.search(saved).group(1)

    def while_down(self) -> None:
        """Send (the form's token is in the session cookie, so no page load first), then reload the page."""
        page_token = self._token
        for method, path, data in (
            ("POST", "/report/check-answers", {"csrf_token": page_token}),
            ("GET", "/report/check-answers", None),
        ):
            try:
                response = self.http.request(method, self.user.bases[0] + path, data=data, allow_redirects=False)
                self.during.append((f"{method} {path}", response.status_code, title_of(response.text)))
            except requests.RequestException as error:
                self.during.append((f"{method} {path}", 0, type(error).__name__))

    def remember_token(self) -> None:
        page = self.user.expect(self.user.call(self.http, "GET", "/report/check-answers", "report"), 200)
        self._token = csrf_token(page)

    def after(self) -> None:
        """Carry on: a saved report in a new browser with its resume code, the others in the same browser."""
        user = self.user
        marker = f"Load report {self.number} try 1"
        try:
            if self.resume_code:
                self.http = requests.Session()
                page = user.expect(user.call(self.http, "GET", "/report/resume", "report"), 200)
                data = {"csrf_token": csrf_token(page), "resume_code": self.resume_code}
                user.expect(
                    user.call(self.http, "POST", "/report/resume", "report", data), 302, "/report/check-answers"
                )
            page = user.expect(user.call(self.http, "GET", "/report/check-answers", "report"), 200)
            self.found_answers = marker in page
            self.reference = user.send_report(self.http)
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"


def pg_stop_scenario(args) -> bool:
    print(
        f"\n=== PostgreSQL stopped mid-run: {args.reports:,} reports + {args.notices:,} notices, {args.clients} users, "
        f"{args.holders} holding a report ==="
    )
    verdicts = Verdicts()
    if port_in_use(PRIVATE_PORT):
        print(f"port {PRIVATE_PORT} is in use: the private cluster needs it", file=sys.stderr)
        return False
    redis_uri = f"{REDIS_URL}/{args.redis_db}"
    flush_redis(redis_uri)
    with ExitStack() as stack:
        start_pg, stop_pg, server_url = stack.enter_context(private_cluster(PRIVATE_PORT))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cme-faults-")))
        database_url = stack.enter_context(postgres_database(server_url, "cme_faults"))
        env = service_env(database_url, tmp, redis_uri)
        cme(env, "db", "upgrade")
        emails = seed(database_url, args.clients + 1)
        server = Server(env, free_port(), args.workers, server_log("faults-pg-stop"))
        stack.callback(server.stop)
        server.start()
        master = server.pid
        print(f"  private cluster on port {PRIVATE_PORT}; `cme serve`: {len(server.worker_pids())} sync workers")

        holders = [Holder(server.base, 1_000_000 + n, save=n % 2 == 0) for n in range(args.holders)]
        for holder in holders:
            holder.fill_in()
            holder.remember_token()
        school = User([server.base], Behaviour(), emails[-1])
        school.sign_in()

        total = args.reports + args.notices
        progress = Progress()
        third = threading.Event()
        progress.listeners.append(lambda done: done >= total // 3 and third.set())
        outage: dict = {}

        def outage_maker() -> None:
            if not third.wait(timeout=3600):
                return
            outage["done"] = progress.done
            stop_pg()
            stopped = time.monotonic()
            time.sleep(0.5)  # let the load's users meet it too
            for holder in holders:
                holder.while_down()
            response = school.school.get(server.base + "/schools/", allow_redirects=False)
            outage["school"] = (response.status_code, title_of(response.text))
            outage["healthz"] = requests.get(server.base + "/healthz", timeout=30).status_code
            time.sleep(max(0.0, args.outage - (time.monotonic() - stopped)))
            start_pg()
            outage["down"] = time.monotonic() - stopped
            outage["recovered"] = server.wait_until_up(120)

        thread = threading.Thread(target=outage_maker, daemon=True)
        thread.start()
        run = run_load([server.base], args.reports, args.notices, args.clients, emails, retrying(0), progress, retrying)
        thread.join(timeout=300)
        for holder in holders:
            holder.after()
        same_master = server.pid == master and server.process.poll() is None and server.starts == 1

        print(
            f"  PostgreSQL stopped at {outage.get('done', 0):,} of {total:,} items done, "
            f"down {outage.get('down', 0):.1f} s; /healthz 200 again {outage.get('recovered', float('nan')):.1f} s "
            f"after it started; the same `cme serve`, never restarted: {same_master}"
        )
        print_run(run)
        print(f"  503 pages the load's users met: {dict(run.stats.unavailable)}")
        shown = [entry for holder in holders for entry in holder.during]
        print(f"  a held report while down: {shown[:2]}; a school user's notices: {outage.get('school')}")

        stats = run.stats
        five_hundreds = stats.count(lambda status: status >= 500 and status != 503)
        own_pages = all(title in UNAVAILABLE_PAGES for title in stats.unavailable)
        expected = {
            "POST /report/check-answers": (503, "Sorry, your report has not been sent yet"),
            "GET /report/check-answers": (503, "Sorry, the service is unavailable"),
        }
        holders_right = all(expected[what] == (status, title) for what, status, title in shown) and len(shown) == (
            2 * len(holders)
        )
        verdicts.check(
            "users get the service's 503 page",
            bool(outage)
            and holders_right
            and outage.get("school") == (503, "Sorry, the service is unavailable")
            and outage.get("healthz") == 503
            and own_pages,
            f"held reports: {sum(1 for _, status, _ in shown if status == 503)}/{len(shown)} sends and reloads got "
            f"503 with the service's page; school user: {outage.get('school')}; /healthz {outage.get('healthz')}; "
            f"the load's users: {sum(stats.unavailable.values())} x 503, every one the service's own page: {own_pages}",
        )
        verdicts.check(
            "no 500s",
            five_hundreds == 0,
            f"{five_hundreds} responses with 5xx other than 503"
            + (f" (first: {[e for e in stats.server_errors if e[2] != 503][:3]})" if five_hundreds else ""),
        )
        verdicts.check(
            "drafts survive the outage",
            all(holder.found_answers for holder in holders),
            f"{sum(holder.found_answers for holder in holders)}/{len(holders)} held reports found with their answers "
            f"afterwards ({sum(1 for h in holders if h.resume_code)} resumed with a resume code in a new browser, "
            f"the rest in the same browser)",
        )
        verdicts.check(
            "the service recovers by itself",
            same_master and "recovered" in outage,
            f"the same gunicorn master (pid {master}) throughout, never restarted; /healthz 200 "
            f"{outage.get('recovered', float('nan')):.1f} s after PostgreSQL started",
        )
        stored = {reference for reference, _, _ in read_stored(database_url).referrals}
        sent = [holder for holder in holders if holder.reference and holder.reference in stored]
        verdicts.check(
            "a report sent again after the outage is confirmed and stored",
            len(sent) == len(holders),
            f"{len(sent)}/{len(holders)} held reports confirmed with a stored reference"
            + "".join(f"; {holder.number}: {holder.error}" for holder in holders if holder.error),
        )
        held = frozenset(holder.reference for holder in holders if holder.reference)
        load_proofs(verdicts, run, database_url, (args.reports, args.notices), held)
    flush_redis(redis_uri)
    passed = verdicts.print()
    settle_logs([server], passed)
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run only this scenario (repeatable)")
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--holders", type=int, default=6, help="pg-stop: users holding a report through the outage")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds each fault lasts")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: cme's)")
    parser.add_argument("--sends-in-flight", type=int, default=3, help="kill -9 when this many Sends await answers")
    parser.add_argument("--redis-db", type=int, default=12, help="the Redis database the runs use and empty")
    args = parser.parse_args()
    if not redis_available(f"{REDIS_URL}/{args.redis_db}"):
        print("Redis is not answering on 127.0.0.1:6379", file=sys.stderr)
        return 2
    print("rate limits raised for the runs: " + ", ".join(f"{k}={v!r}" for k, v in RAISED_LIMITS.items()))
    results = {}
    for scenario in args.only or SCENARIOS:
        if scenario == "pg-stop":
            results[scenario] = pg_stop_scenario(args)
        else:
            results[scenario] = kill_scenario(args, postgres=scenario == "kill-postgres")
    print("\n" + "; ".join(f"{scenario}: {'PASS' if passed else 'FAIL'}" for scenario, passed in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
