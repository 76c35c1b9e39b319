"""The load test: gunicorn + PostgreSQL + Redis + a Celery worker on loopback, driven by Locust.

    make load-test                                   # 60 s, 24 users (docs/load-test.md)
    .venv/bin/python bench/load/run.py --duration 120 --users 32

Steps, each bounded in time; every process it starts is stopped at the end (also on Ctrl-C or failure):

1. (Re)creates the PostgreSQL database of ``--database-url`` (default ``ressourcen_load``; its name
   must contain ``load`` — it is dropped first) and empties the Redis database of ``--redis-url``
   (default DB 5); migrates, collects the static files, seeds the network (``bench/load/seed.py``).
2. Starts gunicorn (``APP_ENV=production``, a generated ``SECRET_KEY``, plain HTTP on 127.0.0.1) and a
   Celery worker (the bookings queue their notifications on Redis; the worker "sends" them to files).
3. Runs Locust headless as its own process for ``--duration`` seconds with ``--users`` simulated
   people (``bench/load/locustfile.py``: search, availability, competing bookings, approvals, cancels).
4. Waits (bounded) for the worker to deliver the notifications, then checks in SQL: no two active
   bookings overlap on a room (blocked intervals, i.e. with buffers); equipment never has more units
   in use than it has at any instant; what the database holds matches what the server answered (every
   201 is one booking, every 200 on cancel/approve/decline one step).
5. Prints a JSON summary (requests per kind, rps, p50/p95, errors, conflicts, bookings, double bookings)
   and writes it to ``WORK_DIR/summary.json``. Exit status 0 only with zero errors, zero double
   bookings, consistent counts and real traffic; 1 otherwise; 2 when the stack could not be set up.

The machine's load matters: the figures are only comparable between runs on the same, quiet machine.
"""

import argparse
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import psycopg
import redis

if __package__ in {None, ""}:  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from config.child_env import child_env

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # gunicorn, celery and locust of the same virtual environment
HERE = Path(__file__).resolve().parent

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ressourcen_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
# buchungen.models.ACTIVE_STATUSES (a test compares the two): bookings that hold their time.
ACTIVE_STATUSES = ("requested", "confirmed", "checked_out")
STARTUP_TIMEOUT = 60


class SetupError(Exception):
    """The stack could not be brought up (exit status 2)."""


def log(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


# --- Processes ---------------------------------------------------------------------------------------


class Processes:
    """Children in sessions of their own (Ctrl-C reaches only this driver, which stops them all)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        with (self.log_dir / f"{name}.log").open("wb") as output:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def stop(self, name: str, timeout: float = 20) -> None:
        process = self.running[name]
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SetupError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.3)


def run(args: list[str], env: dict[str, str], what: str, timeout: float = 300) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SetupError(f"{what} failed ({result.returncode}):\n{output}")
    return output


# --- Database and Redis ------------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "load" not in name or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SetupError(f"refusing to drop {name!r}: the load test's database name must contain 'load'")
    admin = libpq_url(parts._replace(path="/postgres").geturl())
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def empty_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


# --- Checks ------------------------------------------------------------------------------------------

ROOM_OVERLAPS = """
SELECT a.id, b.id, r.slug
FROM buchungen_booking a
JOIN buchungen_booking b ON b.resource_id = a.resource_id AND b.id > a.id
JOIN ressourcen_resource r ON r.id = a.resource_id
WHERE r.kind <> 'equipment'
  AND a.status = ANY(%(active)s) AND b.status = ANY(%(active)s)
  AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
"""
# The units in use peak at some booking's (blocked) start: summing at every start finds every excess.
EQUIPMENT_EXCESS = """
SELECT p.id, r.slug, r.quantity, SUM(q.quantity)
FROM buchungen_booking p
JOIN ressourcen_resource r ON r.id = p.resource_id
JOIN buchungen_booking q ON q.resource_id = p.resource_id AND q.status = ANY(%(active)s)
  AND q.blocked_start <= p.blocked_start AND q.blocked_end > p.blocked_start
WHERE r.kind = 'equipment' AND p.status = ANY(%(active)s)
GROUP BY p.id, r.slug, r.quantity
HAVING SUM(q.quantity) > r.quantity
"""


def database_checks(url: str, counts: dict[str, dict[str, int]]) -> dict:
    with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
        params = {"active": list(ACTIVE_STATUSES)}
        overlaps = conn.execute(ROOM_OVERLAPS, params).fetchall()
        excess = conn.execute(EQUIPMENT_EXCESS, params).fetchall()
        made = dict(
            conn.execute(
                "SELECT status, count(*) FROM buchungen_booking WHERE purpose = 'Lasttest' GROUP BY status"
            ).fetchall()
        )
        steps = dict(
            conn.execute(
                """SELECT t.from_status || '>' || t.to_status, count(*)
                   FROM buchungen_bookingtransition t JOIN buchungen_booking b ON b.id = t.booking_id
                   WHERE b.purpose = 'Lasttest' AND t.from_status <> '' GROUP BY 1"""
            ).fetchall()
        )
        notifications = dict(
            conn.execute(
                "SELECT email_state, count(*) FROM buchungen_notification GROUP BY email_state"
            ).fetchall()
        )
    answered = {name: counts.get(name, {}).get("ok", 0) for name in ("book", "cancel", "approve", "decline")}
    expected = {
        "bookings": (sum(made.values()), answered["book"]),
        "cancelled": (steps.get("confirmed>cancelled", 0), answered["cancel"]),
        "approved": (steps.get("requested>confirmed", 0), answered["approve"]),
        "declined": (steps.get("requested>declined", 0), answered["decline"]),
    }
    mismatches = {
        what: {"database": db, "answered": answer} for what, (db, answer) in expected.items() if db != answer
    }
    return {
        "double_bookings": len(overlaps) + len(excess),
        "room_overlaps": [list(row) for row in overlaps[:20]],
        "equipment_excess": [list(row) for row in excess[:20]],
        "bookings_by_status": made,
        "mismatches": mismatches,
        "notifications": notifications,
    }


def pending_notifications(url: str) -> int:
    with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
        return conn.execute(
            "SELECT count(*) FROM buchungen_notification WHERE email_state IN ('pending', 'sending')"
        ).fetchone()[0]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


# Request name (as in the locustfile) of a line of gunicorn's access log: method and path.
SERVER_KINDS = [
    ("search free", r"GET /api/v1/resources/\?.*free_from="),
    ("search", r"GET /api/v1/resources/\?"),
    ("availability", r"GET /api/v1/resources/\d+/availability/"),
    ("book", r"POST /api/v1/bookings/ "),
    ("my bookings", r"GET /api/v1/bookings/\?status=confirmed"),
    ("pending", r"GET /api/v1/bookings/\?status=requested"),
    ("booking detail", r"GET /api/v1/bookings/\d+/ "),
    ("cancel", r"POST /api/v1/bookings/\d+/cancel/"),
    ("approve", r"POST /api/v1/bookings/\d+/approve/"),
    ("decline", r"POST /api/v1/bookings/\d+/decline/"),
    ("catalogue page", r"GET /ressourcen/(\?| )"),
    ("resource page", r"GET /ressourcen/[\w-]+/ "),
]
# gunicorn's --access-logformat below: the request line, status, and the seconds the worker spent on it
# (from accepting the request to the answer: without the time it waited in the listen queue).
ACCESS_LOG_FORMAT = 'access "%(r)s" %(s)s %(L)s'
ACCESS_LINE = re.compile(r'^access "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<seconds>[\d.]+)$', re.M)


def server_times(gunicorn_log: str) -> dict[str, dict[str, float | int | None]]:
    """Per request name: how long gunicorn's workers worked on it (p50/p95 in ms)."""
    times: dict[str, list[float]] = {}
    for line in ACCESS_LINE.finditer(gunicorn_log):
        for name, pattern in SERVER_KINDS:
            if re.match(pattern, line["request"]):
                times.setdefault(name, []).append(float(line["seconds"]) * 1000)
                break
    every = [t for values in times.values() for t in values]
    rows = {"all": every, **dict(sorted(times.items()))}
    return {
        name: {"requests": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95)}
        for name, values in rows.items()
    }


def server_log_problems(gunicorn_log: str, worker_log: str) -> dict[str, int]:
    statuses = [line["status"] for line in ACCESS_LINE.finditer(gunicorn_log)]
    return {
        "server_5xx_in_access_log": sum(1 for status in statuses if status.startswith("5")),
        # Django's "… ERROR django.request: …" and gunicorn's own "[ERROR]"/"[CRITICAL]" lines.
        "server_error_log_lines": len(re.findall(r"[ \[](?:ERROR|CRITICAL)[\] ]", gunicorn_log)),
        "server_tracebacks": gunicorn_log.count("Traceback (most recent call last)"),
        "notifications_not_queued": gunicorn_log.count("could not queue"),
        "worker_errors": len(re.findall(r" (?:ERROR|CRITICAL)[/ ]", worker_log))
        + worker_log.count("Traceback (most recent call last)"),
        "access_log_requests": len(statuses),
    }


def summarise(results: dict, checks: dict, problems: dict, options: argparse.Namespace) -> dict:
    counts, times = results["counts"], results["times_ms"]
    kinds = {}
    for name in sorted(counts):
        row = counts[name]
        total = sum(value for key, value in row.items() if not key.startswith("status "))
        kinds[name] = {
            "requests": total,
            "ok": row.get("ok", 0),
            "conflicts": row.get("conflict", 0),
            "errors": row.get("error", 0),
            "p50_ms": percentile(times.get(name, []), 0.50),
            "p95_ms": percentile(times.get(name, []), 0.95),
            "statuses": {
                key.split()[1]: value for key, value in sorted(row.items()) if key.startswith("status ")
            },
        }
    every = [t for values in times.values() for t in values]
    total = sum(kind["requests"] for kind in kinds.values())
    seconds = max(results.get("last_request_at", 0) - results.get("first_request_at", 0), 1e-9)
    server_errors = (
        problems["server_5xx_in_access_log"]
        + problems["server_error_log_lines"]
        + problems["server_tracebacks"]
        + problems["notifications_not_queued"]
        + problems["worker_errors"]
    )
    book = kinds.get("book", {})
    return {
        "users": options.users,
        "duration_s": options.duration,
        "gunicorn_workers": options.workers,
        "requests": total,
        "seconds_with_traffic": round(seconds, 1),
        "rps": round(total / seconds, 1),
        "p50_ms": percentile(every, 0.50),
        "p95_ms": percentile(every, 0.95),
        "errors": results["errors"],
        "server_side_errors": server_errors,
        "conflicts": sum(kind["conflicts"] for kind in kinds.values()),
        "bookings_made": book.get("ok", 0),
        "bookings_by_status": checks["bookings_by_status"],
        "approved": kinds.get("approve", {}).get("ok", 0),
        "declined": kinds.get("decline", {}).get("ok", 0),
        "cancelled": kinds.get("cancel", {}).get("ok", 0),
        "double_bookings": checks["double_bookings"],
        "room_overlaps": checks["room_overlaps"],
        "equipment_excess": checks["equipment_excess"],
        "mismatches": checks["mismatches"],
        "notifications": checks["notifications"],
        "server_logs": problems,
        "by_kind": kinds,
        "error_samples": results["error_samples"],
    }


def verdict(summary: dict, min_requests: int) -> list[str]:
    failures = []
    if summary["errors"]:
        failures.append(f"{summary['errors']} error(s) in the answers")
    if summary["server_side_errors"]:
        failures.append(f"{summary['server_side_errors']} error(s) in the server's or worker's logs")
    if summary["double_bookings"]:
        failures.append(f"{summary['double_bookings']} double booking(s)")
    if summary["mismatches"]:
        failures.append(f"database and answers disagree: {summary['mismatches']}")
    if summary["notifications"].get("failed"):
        failures.append(f"{summary['notifications']['failed']} notification(s) failed")
    if summary["requests"] < min_requests:
        failures.append(f"only {summary['requests']} requests (at least {min_requests} expected)")
    return failures


# --- Main --------------------------------------------------------------------------------------------


def healthy(port: int) -> bool:
    try:
        with urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_test(options: argparse.Namespace) -> tuple[dict, list[str]]:
    work = Path(options.work_dir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    port = options.port or free_port()
    env = child_env(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=options.database_url,
        REDIS_URL=options.redis_url,
        CELERY_BROKER_URL=options.redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="false",
        # Plain HTTP straight to gunicorn: no proxy in front to trust.
        TRUST_X_FORWARDED_PROTO="false",
        DATA_DIR=str(work / "data"),
    )
    manage = [sys.executable, "manage.py"]
    load_before = round(os.getloadavg()[0], 2)

    log(f"database {urlsplit(options.database_url).path.lstrip('/')} (re)created, Redis {options.redis_url}")
    recreate_database(options.database_url)
    empty_redis(options.redis_url)
    # collectstatic (whitenoise compresses every file: the slowest step) runs beside migrate and seed.
    collect_log = (work / "logs" / "collectstatic.log").open("wb")
    collect = subprocess.Popen(
        [*manage, "collectstatic", "--no-input"],
        cwd=ROOT,
        env=env,
        stdout=collect_log,
        stderr=subprocess.STDOUT,
    )
    try:
        run([*manage, "migrate", "--no-input"], env, "migrate")
        fixture = work / "fixture.json"
        log(run([sys.executable, str(HERE / "seed.py"), str(fixture)], env, "seed").strip())
        if collect.wait(timeout=600) != 0:
            raise SetupError(f"collectstatic failed:\n{(work / 'logs' / 'collectstatic.log').read_text()}")
    finally:
        if collect.poll() is None:
            collect.kill()
            collect.wait()
        collect_log.close()

    processes = Processes(work / "logs")
    try:
        processes.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(options.workers),
                "--access-logfile",
                "-",
                "--access-logformat",
                ACCESS_LOG_FORMAT,
                "--no-control-socket",
                "--timeout",
                "60",
            ],
            env,
        )
        processes.start(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "--loglevel=info", "--concurrency=2"],
            env,
        )

        def web_up() -> bool:
            if not processes.alive("gunicorn"):
                raise SetupError(f"gunicorn exited:\n{processes.log('gunicorn')}")
            return healthy(port)

        def worker_ready() -> bool:
            if not processes.alive("worker"):
                raise SetupError(f"the worker exited:\n{processes.log('worker')}")
            return "ready." in processes.log("worker")

        wait_until(web_up, timeout=STARTUP_TIMEOUT, what="gunicorn to answer /healthz/")
        wait_until(worker_ready, timeout=STARTUP_TIMEOUT, what="the Celery worker")
        log(f"gunicorn ({options.workers} workers) on 127.0.0.1:{port} and the worker are up")

        results_path = work / "results.json"
        log(f"Locust: {options.users} users for {options.duration} s …")
        locust = processes.start(
            "locust",
            [
                str(BIN / "locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(options.users),
                "--spawn-rate",
                str(options.spawn_rate or options.users),
                "--run-time",
                f"{options.duration}s",
                # Users finish the task they are in: every request the server answered is counted.
                "--stop-timeout",
                "20",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(work / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            child_env(LOAD_FIXTURE=str(fixture), LOAD_RESULTS=str(results_path)),
        )
        try:
            locust.wait(timeout=options.duration + 90)
        except subprocess.TimeoutExpired as exc:
            raise SetupError("Locust did not stop in time") from exc
        if not results_path.exists():
            raise SetupError(f"Locust wrote no results ({locust.returncode}):\n{processes.log('locust')}")
        results = json.loads(results_path.read_text())

        log("waiting for the worker to deliver the notifications …")
        deadline = time.monotonic() + options.drain_timeout
        while pending_notifications(options.database_url) and time.monotonic() < deadline:
            time.sleep(1)
        checks = database_checks(options.database_url, results["counts"])
    finally:
        processes.stop_all()
    problems = server_log_problems(processes.log("gunicorn"), processes.log("worker"))
    summary = summarise(results, checks, problems, options)
    summary["server_time"] = server_times(processes.log("gunicorn"))
    # The machine's load (1-minute average) before and after: the figures mean little on a busy machine.
    summary["load_average"] = {"before": load_before, "after": round(os.getloadavg()[0], 2)}
    summary["locust_exit_status"] = locust.returncode
    (work / "summary.json").write_text(json.dumps(summary, indent=2))
    failures = verdict(summary, options.min_requests)
    if locust.returncode not in (0, None) and not failures:
        failures.append(f"Locust exited with status {locust.returncode}:\n{processes.log('locust')[-3000:]}")
    return summary, failures


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=24, help="simulated people (default 24)")
    parser.add_argument("--spawn-rate", type=float, default=None, help="users started per second")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="dropped and recreated!")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="emptied first")
    parser.add_argument("--work-dir", default=str(ROOT / "var" / "load"), help="logs, results, data")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--drain-timeout", type=int, default=60, help="seconds to wait for the e-mails")
    parser.add_argument("--min-requests", type=int, default=100, help="fewer requests fail the run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    # SIGINT explicitly too: a driver started in the background of a script inherits it ignored.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        summary, failures = load_test(options)
    except SetupError as exc:
        log(f"FAILED to set up: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted; every process it started is stopped")
        return 130
    print(json.dumps(summary, indent=2))
    if failures:
        log("FAILED: " + "; ".join(failures))
        return 1
    log(
        f"OK: {summary['requests']} requests ({summary['rps']}/s), {summary['conflicts']} conflicts, "
        f"{summary['bookings_made']} bookings, 0 errors, 0 double bookings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
