"""The service under load: public reports and school notices sent through the real pages by concurrent users,
with proof that nothing was lost, nothing stored twice and no request failed.

How to run:

    .venv/bin/python bench/load.py                       # SQLite: 10,000 reports + 10,000 notices, 32 users
    .venv/bin/python bench/load.py --postgres            # PostgreSQL: two servers sharing one database and Redis
    .venv/bin/python bench/load.py --reports 300 --notices 300 --clients 8    # a quick look

Needs: Redis on 127.0.0.1:6379 (rate limits shared by every worker and server; without it the SQLite run falls
back to limits in memory, which `cme serve` runs with one worker); for --postgres (or when TEST_DATABASE_URL is
set), PostgreSQL on 127.0.0.1:5432 with a role that may create databases (postgres, trust auth: or the server in
TEST_DATABASE_URL). Takes about half an hour per database at the default size on a 2-core machine; everything it
starts (servers, the scratch database, the Redis database it uses) it stops, drops or empties.

What it does: makes a fresh database (SQLite: a file in a temporary folder, WAL and a busy timeout as shared/db.py
sets; PostgreSQL: a database cme_load_<pid>, dropped afterwards), runs `cme db upgrade`, adds a school to the
register and one school user per simulated user (school users have no two-factor sign-in), and starts `cme serve`
(gunicorn, sync workers): one server for SQLite; two for PostgreSQL on different ports, sharing the database, one
SECRET_KEY and one Redis database (`--redis-db`, emptied first). The rate limits are raised for the run through
CME_REPORT_SUBMIT_RATE_LIMIT, CME_REPORT_PAGE_RATE_LIMIT, CME_REPORT_LOOKUP_RATE_LIMIT and CME_SIGN_IN_RATE_LIMIT,
since every simulated user comes from one address.

Then `--clients` threads, each with its own cookie jar, take reports and notices in turn from one queue: a report
is the whole public journey (start, every question page fetched for its form token and answered, Check your
answers, Send, the confirmation page's reference), each by a new browser; a notice is a signed-in school user
choosing the kind, filling in the form, checking it and sending it, and reading the reference on the notice's page.
With two servers every request goes to the other server from the one before, so a session and its draft move
between them on every page.

Before the load, at the same concurrency against the same servers, a baseline: GET /healthz (the least the
service does with its database). On PostgreSQL, a check that the two servers share one count of rate limits: with
CME_REPORT_LOOKUP_RATE_LIMIT set to `--shared-limit` per hour, 2 x limit + 3 attempts to resume a report, sent to
the servers in turn, must be refused exactly limit + 3 times (two counts of their own would refuse none).

Prints the requests, reports/s and notices/s, p50/p95/p99 latency of each kind's requests (and of its Send alone),
with ratios to the baseline, and the proofs: no 5xx; every report and notice completed; none lost (every
reference on a confirmation page is in referrals or school_notices); no duplicates (as many rows as confirmations,
no reference twice, no submission stored twice). Exits 1 if any proof fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.load_client import (  # noqa: E402
    RAISED_LIMITS,
    REDIS_URL,
    Behaviour,
    Server,
    Verdicts,
    admin_url,
    baseline,
    cme,
    flush_redis,
    percentiles,
    postgres_database,
    print_latency_table,
    print_reconciled,
    read_stored,
    reconcile,
    redis_available,
    run_load,
    seed,
    server_log,
    service_env,
    settle_logs,
)


def shared_limit_check(bases: list[str], limit: int) -> tuple[int, int, list[int]]:
    """Attempts to resume a saved report (a wrong code), to each server in turn: how many were refused (429), how
    many must be, and the statuses."""
    attempts = 2 * limit + 3
    statuses = []
    with requests.Session() as http:
        for n in range(attempts):
            response = http.post(bases[n % len(bases)] + "/report/resume", data={"resume_code": "ABCD-EFGH"})
            statuses.append(response.status_code)
    return statuses.count(429), attempts - limit, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, two servers (also if TEST_DATABASE_URL)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers per server (default: cme's)")
    parser.add_argument("--redis-db", type=int, default=11, help="the Redis database the run uses and empties")
    parser.add_argument("--baseline-requests", type=int, default=100, help="baseline GETs per client")
    parser.add_argument("--shared-limit", type=int, default=7)
    parser.add_argument(
        "--stop-at",
        metavar="HH:MM",
        help="UTC time to stop starting reports and notices (those under way finish): the figures and proofs then "
        "cover what was sent by then, and the output says so",
    )
    args = parser.parse_args()

    postgres = args.postgres or bool(os.environ.get("TEST_DATABASE_URL"))
    stop_at = utc_today_at(args.stop_at) if args.stop_at else None
    verdicts = Verdicts()
    redis_uri = f"{REDIS_URL}/{args.redis_db}"
    if postgres and not redis_available(redis_uri):
        print("Redis is not answering on 127.0.0.1:6379: two servers need it to share rate limits", file=sys.stderr)
        return 2
    storage = redis_uri if redis_available(redis_uri) else "memory://"
    if storage != "memory://":
        flush_redis(redis_uri)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cme-load-")))
        if postgres:
            server_url = admin_url(os.environ.get("TEST_DATABASE_URL"))
            database_url = stack.enter_context(postgres_database(server_url, "cme_load"))
            where = f"PostgreSQL database {database_url.rsplit('/', 1)[-1]} (dropped afterwards)"
        else:
            database_url = f"sqlite:///{tmp}/load.sqlite"
            where = "SQLite file in a temporary folder (WAL, busy timeout 10 s, as shared/db.py sets)"
        extra = {"CME_REPORT_LOOKUP_RATE_LIMIT": f"{args.shared_limit} per hour"} if postgres else {}
        env = service_env(database_url, tmp, storage, **extra)
        cme(env, "db", "upgrade")
        emails = seed(database_url, args.clients)
        servers = [
            Server(env, port, args.workers, server_log(f"load-server{n}")) for n, port in enumerate(free_ports(2))
        ]
        servers = servers[: 2 if postgres else 1]
        for server in servers:
            stack.callback(server.stop)
            server.start()
        bases = [server.base for server in servers]
        workers = [len(server.worker_pids()) for server in servers]

        print(f"database: {where}")
        print(
            f"servers: {len(servers)} x `cme serve` (gunicorn sync workers: {' + '.join(map(str, workers))}), "
            f"rate limits in {storage.split('://')[0]}"
            + (f" db {args.redis_db} (emptied first), shared by both servers" if postgres else "")
        )
        raised = ", ".join(f"{name}={value!r}" for name, value in RAISED_LIMITS.items() if name not in extra)
        print(f"rate limits raised for the run: {raised}")
        print(
            f"users: {args.clients} threads, each its own cookie jar; "
            f"{args.reports:,} reports, {args.notices:,} notices"
        )
        if postgres:
            print("each request goes to the other server from the one before (sessions and drafts move between them)")

        if postgres:
            refused, expected, statuses = shared_limit_check(bases, args.shared_limit)
            verdicts.check(
                "one rate limit count across both servers",
                refused == expected,
                f"CME_REPORT_LOOKUP_RATE_LIMIT={args.shared_limit} per hour; {len(statuses)} resume attempts to the "
                f"servers in turn, {refused} refused with 429 (expected exactly {expected})",
            )

        base = baseline(bases, args.clients, args.baseline_requests)
        base_elapsed = base.latencies.pop("elapsed")[0]
        base_rps = base.requests / base_elapsed
        base_p50 = percentiles(base.latencies["baseline"])[0]

        cpu_before = sum(server.cpu_seconds() for server in servers)
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        run = run_load(bases, args.reports, args.notices, args.clients, emails, Behaviour(), stop_at=stop_at)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = sum(server.cpu_seconds() for server in servers) - cpu_before
        client_cpu = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
        stored = read_stored(database_url)
        reports = reconcile("report", run.confirmations, stored.referrals)
        notices = reconcile("notice", run.confirmations, stored.notices)
        if storage != "memory://":
            stack.callback(flush_redis, redis_uri)  # nothing left behind in Redis

    stats = run.stats
    rps = stats.requests / run.elapsed
    print(f"\nbaseline GET /healthz: {base.requests:,} requests in {base_elapsed:.1f} s, {base_rps:,.0f} req/s")
    print(
        f"load: {stats.requests:,} requests in {run.elapsed:,.1f} s: {rps:,.0f} req/s "
        f"({rps / base_rps:.2f} x the baseline's req/s)"
    )
    print(f"  reports: {reports.shown:,} sent, {reports.shown / run.elapsed:,.1f} reports/s")
    print(f"  notices: {notices.shown:,} sent, {notices.shown / run.elapsed:,.1f} notices/s")
    print(
        f"  CPU: servers {server_cpu:,.0f} s ({server_cpu / max(stats.requests, 1) * 1000:.1f} ms a request), "
        f"simulated users {client_cpu:,.0f} s, over {run.elapsed:,.0f} s on {os.cpu_count()} cores"
    )
    print_latency_table(
        [
            ("baseline GET /healthz", base.latencies["baseline"]),
            ("report pages (all)", stats.latencies["report"]),
            ("report Send", stats.latencies["report send"]),
            ("notice pages (all)", stats.latencies["notice"]),
            ("notice Send", stats.latencies["notice send"]),
        ],
        base_p50,
    )
    print_reconciled(reports)
    print_reconciled(notices)

    fives = stats.count(lambda status: status >= 500)
    verdicts.check(
        "no server errors",
        fives == 0 and not base.count(lambda status: status >= 500),
        f"{fives} responses with 5xx out of {stats.requests:,}"
        + (f" (first: {stats.server_errors[:3]})" if stats.server_errors else ""),
    )
    stopped_early = reports.shown + notices.shown + len(run.failures) < args.reports + args.notices
    if stopped_early:
        print(
            f"\nSTOPPED EARLY at {args.stop_at} UTC (--stop-at): {reports.shown:,} of {args.reports:,} reports and "
            f"{notices.shown:,} of {args.notices:,} notices were sent; the proofs cover those"
        )
    verdicts.check(
        "every report and notice started completed",
        not run.failures and (stopped_early or (reports.shown, notices.shown) == (args.reports, args.notices)),
        f"{reports.shown:,}/{args.reports:,} reports and {notices.shown:,}/{args.notices:,} notices confirmed, "
        f"{len(run.failures)} failed" + (f" (first: {run.failures[:3]})" if run.failures else ""),
    )
    verdicts.check(
        "none lost",
        not reports.lost and not notices.lost,
        f"{len(reports.lost)} report and {len(notices.lost)} notice references shown to users but not stored",
    )
    verdicts.check(
        "no duplicates",
        reports.stored == reports.shown
        and notices.stored == notices.shown
        and not (reports.repeated_references or notices.repeated_references)
        and not (reports.server_duplicates or notices.server_duplicates),
        f"referrals: {reports.stored:,} rows for {reports.shown:,} confirmations, "
        f"school_notices: {notices.stored:,} rows for {notices.shown:,}; "
        f"references on two rows: {reports.repeated_references + notices.repeated_references}; "
        f"submissions stored twice: {reports.server_duplicates + notices.server_duplicates}",
    )
    passed = verdicts.print()
    settle_logs(servers, passed)
    return 0 if passed else 1


def utc_today_at(clock: str) -> float:
    hours, minutes = (int(part) for part in clock.split(":"))
    now = datetime.now(UTC)
    return now.replace(hour=hours, minute=minutes, second=0, microsecond=0).timestamp()


def free_ports(count: int) -> list[int]:
    from bench.load_client import free_port

    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


if __name__ == "__main__":
    sys.exit(main())
