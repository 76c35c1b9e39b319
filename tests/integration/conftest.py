"""Helpers for tests that run the real processes: Celery workers, gunicorn, an SMTP server.

Everything here talks to services on this machine only (PostgreSQL and Redis on 127.0.0.1, an SMTP
sink on a free loopback port) and is bounded in time: every wait has a deadline, every process is
stopped in a ``finally``, and a failing test prints the processes' logs.
"""

import contextlib
import email
import email.policy
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from config.child_env import child_env  # noqa: F401 (the integration tests import it from here)
from tests.conftest import require_service

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent  # celery and gunicorn of the same virtual environment
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict[str, str], timeout: float = 180) -> str:
    """Run ``manage.py`` in a child process; fail the test with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{output}")
    return output


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(0.2)


# --- Processes -------------------------------------------------------------------------------------


class Processes:
    """Child processes whose output goes to log files; all stopped by :meth:`stop_all`."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("wb")
        try:
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()  # the child holds its own copy of the descriptor
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def assert_alive(self, name: str) -> None:
        code = self.running[name].poll()
        if code is not None:
            pytest.fail(f"{name} exited with status {code}:\n{self.log(name)}", pytrace=False)

    def wait_for_log(self, name: str, text: str, *, timeout: float) -> None:
        def seen() -> bool:
            self.assert_alive(name)
            return text in self.log(name)

        wait_until(seen, timeout=timeout, what=f"{text!r} in the log of {name}")

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                # Their own session: SIGTERM reaches gunicorn's and celery's worker children too.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def print_logs(self) -> None:
        for name in self.running:
            print(f"\n──── log of {name} ────\n{self.log(name)}")


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    """Start child processes; they are stopped after the test, and their logs printed (pytest shows
    them only when the test failed)."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    manager = Processes(log_dir)
    try:
        yield manager
    finally:
        manager.stop_all()
        manager.print_logs()


# --- SMTP ------------------------------------------------------------------------------------------


class MailSink:
    """An SMTP server on a loopback port that keeps every message it receives."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=self.host, port=self.port)
        # aiosmtpd logs every SMTP command at INFO; a failing test's output is long enough without.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        with self._lock:
            found = list(self._messages)
        return [m for m in found if to is None or to in str(m["To"])]

    def wait_for(self, to: str, count: int, *, timeout: float) -> list[EmailMessage]:
        wait_until(
            lambda: len(self.messages(to)) >= count,
            timeout=timeout,
            what=f"{count} e-mail(s) to {to}",
        )
        return self.messages(to)

    def env(self) -> dict[str, str]:
        """Settings that make Django send real SMTP to this sink."""
        return {"EMAIL_HOST": self.host, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "false"}


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def smtp_sink() -> Iterator[MailSink]:
    sink = MailSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


# --- Redis ------------------------------------------------------------------------------------------

_CLAIM_KEY = "ressourcennetz-tests:claimed"


@dataclass
class RedisDatabase:
    url: str
    client: redis.Redis


@pytest.fixture
def redis_database() -> Iterator[RedisDatabase]:
    """An empty Redis database of its own (8–15), so parallel test runs never share a Celery queue.

    A worker of one run consuming another run's tasks would look for rows in the wrong database.
    """
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    token = secrets.token_hex(8)
    for number in range(8, 16):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
        if client.set(_CLAIM_KEY, token, nx=True, ex=900):
            break
        client.close()
    else:
        pytest.fail("no free Redis database among 8–15 (other test runs hold them all)")
    # Leftovers of a run that was killed before its clean-up (the claim itself had expired).
    for key in client.scan_iter():
        if key != _CLAIM_KEY.encode():
            client.delete(key)
    try:
        yield RedisDatabase(url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}", client=client)
    finally:
        client.flushdb()
        client.close()


def require_postgres() -> None:
    require_service("PostgreSQL", PG_HOST, PG_PORT)


# --- PostgreSQL databases of their own and Celery commands ------------------------------------------


@contextlib.contextmanager
def postgres_database(prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (a copy of ``template`` if given), dropped afterwards; yields its URL.

    For child processes that must not share pytest-django's test database (a worker, beat and a
    booking process all committing their own rows)."""
    import psycopg

    require_postgres()
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin_url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    try:
        yield f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def celery_command(*args: str) -> list[str]:
    """``celery -A config …`` of this virtual environment."""
    return [str(BIN / "celery"), "-A", "config", *args]
