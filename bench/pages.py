"""Throughput and latency of the foundation's pages under gunicorn, beside a bare Flask route.

    .venv/bin/python bench/pages.py [--requests 1500] [--clients 32] [--workers 2]

Builds a throwaway SQLite database with the demo data, starts `cme serve` and a bare Flask app with the same
gunicorn settings on loopback ports, sends a fixed number of requests per page from concurrent clients (each
client keeps one connection open), and prints requests per second, p50 and p99 latency, errors, and the ratio
of each page's throughput to the bare route's. Everything it starts, it stops.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/pages.py, the repository root is not on the path

from bench.sign_in import PASSWORD, Answer, Unexpected, enrol, sign_in  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, path: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def gunicorn(app: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "python"),
            "-m",
            "gunicorn",
            "--no-control-socket",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def session_cookie(response: http.client.HTTPResponse, before: str = "") -> str:
    """The session cookie a response sets (it may set others too), or the one sent before."""
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("cme_session="):
            return value.split(";")[0]
    return before


def sign_in_cookie(port: int, email: str) -> str:
    """The session cookie of a staff user signed in, over one connection that keeps the cookie as a browser does."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    cookie = ""

    def send(method: str, path: str, data: dict | None = None) -> Answer:
        nonlocal cookie
        headers = {"Cookie": cookie} if cookie else {}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=urlencode(data) if data is not None else None, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        cookie = session_cookie(response, cookie)
        return Answer(response.status, response.getheader("Location") or "", body)

    try:
        sign_in(lambda path: send("GET", path), lambda path, data: send("POST", path, data), email)
    except Unexpected as refused:
        raise SystemExit(str(refused)) from None
    return cookie


def enrol_in_two_factor(database_url: str, email: str) -> None:
    """As if the bench officer had set up their authenticator app."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from shared.clock import utcnow
    from shared.db import make_engine
    from shared.models import User

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            enrol(session.scalar(select(User).where(User.email == email)), utcnow())
            session.commit()
    finally:
        engine.dispose()


def drive(port: int, path: str, requests: int, clients: int, cookie: str | None) -> dict:
    per_client = requests // clients

    def client(_):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies, errors = [], 0
        for _ in range(per_client):
            start = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - start)
            errors += response.status != 200
        connection.close()
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for chunk, _ in results for latency in chunk)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": sum(e for _, e in results),
        "rps": len(latencies) / elapsed,
        "p50": quantiles[49] * 1000,
        "p99": quantiles[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CME_ENV": "development",
            "CME_INSTANCE_PATH": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "b" * 48,
        }
        subprocess.run([str(BIN / "cme"), "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([str(BIN / "cme"), "demo", "seed"], env=env, check=True, capture_output=True)
        subprocess.run(
            [
                str(BIN / "cme"),
                "users",
                "create",
                "bench@northbridge.example",
                "--role",
                "officer",
                "--name",
                "Bench Officer",
                "--password-stdin",
            ],
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        enrol_in_two_factor(env["DATABASE_URL"], "bench@northbridge.example")
        service_port, bare_port = free_port(), free_port()
        servers = [
            gunicorn("wsgi:create_app()", service_port, args.workers, env),
            gunicorn("bench.bare_app:create_app()", bare_port, args.workers, env),
        ]
        try:
            wait_until_up(service_port, "/healthz")
            wait_until_up(bare_port, "/hello")
            cookie = sign_in_cookie(service_port, "bench@northbridge.example")
            rows = [("bare Flask /hello", drive(bare_port, "/hello", args.requests, args.clients, None))]
            for label, path, with_cookie in [
                ("GET /healthz", "/healthz", False),
                ("GET / (start page)", "/", False),
                ("GET /sign-in", "/sign-in", False),
                ("GET /staff/ (signed in)", "/staff/", True),
            ]:
                rows.append(
                    (label, drive(service_port, path, args.requests, args.clients, cookie if with_cookie else None))
                )
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)

    baseline = rows[0][1]["rps"]
    sent = args.requests // args.clients * args.clients  # a whole number per client
    print(f"gunicorn sync workers: {args.workers}; clients: {args.clients}; requests per page: {sent}")
    print(f"{'page':<26}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}")
    for label, r in rows:
        print(
            f"{label:<26}{r['requests']:>9}{r['errors']:>8}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
            f"{r['rps'] / baseline:>9.3f}"
        )


if __name__ == "__main__":
    main()
