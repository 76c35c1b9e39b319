"""The real stack for the HTTP figures: gunicorn in production mode on a loopback port, and a pool of
concurrent clients with their latencies.

The server runs ``config.wsgi`` with ``DJANGO_SETTINGS_MODULE=bench.settings`` (the application's settings
plus the bare-insert floor), ``APP_ENV=production`` with a throw-away ``SECRET_KEY``, the benchmark's
database and Redis database (``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/7``). Clients are threads
with one ``http.client`` connection each (gunicorn's sync workers close the connection after each
response; the client reconnects, as a browser behind a proxy would not — so connection set-up is part of
every figure, for the floor too).
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, database_url, latency_summary
from config.child_env import child_env

BIN = Path(sys.executable).parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(workers: int = 4) -> Iterator[int]:
    """Start gunicorn, wait until it answers ``/healthz/``, yield its port; stop it afterwards."""
    port = free_port()
    env = child_env(
        "bench.settings",
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        TRUST_X_FORWARDED_PROTO="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {Path(log.name).read_text()[-3000:]}")
            try:
                status, _ = request(port, "GET", "/healthz/")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer: {Path(log.name).read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors = Path(log.name).read_text()
        Path(log.name).unlink()
        if "Traceback" in errors:
            print(errors[-3000:], file=sys.stderr)


def request(
    port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None, connection=None
) -> tuple[int, bytes]:
    """One request (on ``connection`` when given, which reconnects by itself when the server closed it)."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"Host": "127.0.0.1", "Accept": "application/json", **(headers or {})}
    if payload is not None:
        all_headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        if response.will_close:
            connection.close()
        return response.status, data
    except (http.client.HTTPException, OSError):
        connection.close()
        raise
    finally:
        if own:
            connection.close()


# (method, path, body, headers) for client ``c``'s ``n``-th request
Plan = Callable[[int, int], tuple[str, str, dict | None, dict | None]]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    wall: float = 0.0
    bodies: list[bytes] = field(default_factory=list)

    def summary(self) -> dict:
        figures = latency_summary(self.latencies, self.wall)
        figures["statuses"] = dict(sorted(self.statuses.items()))
        return figures


def load(
    port: int, plan: Plan, *, clients: int = 8, per_client: int = 100, warmup: int = 3, ok=(200, 201)
) -> Run:
    """``clients`` threads, each sending ``warmup`` untimed then ``per_client`` timed requests of ``plan``
    one after the other; the run's wall time counts from the first timed request to the last answer."""
    run = Run()
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    failures: list[str] = []

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        statuses: Counter = Counter()
        try:
            for n in range(warmup):
                method, path, body, headers = plan(index, -1 - n)
                request(port, method, path, body, headers, connection)
            ready.wait()
            for n in range(per_client):
                method, path, body, headers = plan(index, n)
                began = time.perf_counter()
                status, data = request(port, method, path, body, headers, connection)
                mine.append(time.perf_counter() - began)
                statuses[status] += 1
                if status not in ok and len(failures) < 3:
                    failures.append(f"{method} {path} → {status} {data[:300]!r}")
        finally:
            connection.close()
            with lock:
                run.latencies.extend(mine)
                run.statuses.update(statuses)

    run.wall = _run_clients(client, clients, ready)
    if failures:
        print("unexpected answers:\n  " + "\n  ".join(failures), file=sys.stderr)
    return run


def load_sql(
    url: str, plan: Callable[[int, int], tuple[str, dict]], *, clients: int = 8, per_client: int = 100
):
    """The same shape as ``load`` for raw SQL: ``clients`` threads with a psycopg connection each."""
    import psycopg

    run = Run()
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        mine: list[float] = []
        with psycopg.connect(url, autocommit=True) as connection:
            for n in range(3):
                connection.execute(*plan(index, -1 - n)).fetchall()
            ready.wait()
            for n in range(per_client):
                began = time.perf_counter()
                connection.execute(*plan(index, n)).fetchall()
                mine.append(time.perf_counter() - began)
        with lock:
            run.latencies.extend(mine)

    run.wall = _run_clients(client, clients, ready)
    return run


def _run_clients(client: Callable[[int], None], clients: int, ready: threading.Barrier) -> float:
    """Start ``clients`` threads running ``client(index)``; once all are warmed up (``ready``), time them
    until the last one ends; return the wall time in seconds."""
    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began
