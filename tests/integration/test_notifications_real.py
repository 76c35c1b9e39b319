"""Notifications with the real parts: PostgreSQL, Redis as the broker, a Celery worker (prefork, two
processes) and Celery beat (django-celery-beat's DatabaseScheduler) as processes of their own, and an
SMTP server on loopback (aiosmtpd, in this process). Each message arrives exactly once:

A  bookings whose reminder falls due within the next minute get one reminder each, written by beat's
   sweep (buchungen/reminders.py) and sent by the worker;
B  ``kill -9`` of the worker (its whole process group) in the middle of a batch, a new worker: every
   message arrives, none twice;
C  the mail server is down at first: the booking is saved, the messages wait (error, backoff) and go
   out once it is up;
D  the broker is down at booking time: the booking is saved, ``notify`` logs and returns, the sweep
   sends the message once the worker and beat run.

The child processes share a PostgreSQL database of their own (a copy of one migrated per module), not
pytest-django's test database: every process commits for real. Each test has its own Redis database.
The delivery knobs are shortened through the environment (config/settings.py, NOTIFICATION_*), so a
run takes well under two minutes; every wait polls with a deadline.

What "exactly once" rests on (buchungen/notifications.py): one row per message under a unique key,
claimed by a conditional UPDATE before sending, claims of a dead worker handed back after the claim
timeout. The kill in B lands while both worker processes wait for the mail server's answer — the
only window no outbox can close is the instant between the server's "250 accepted" and the UPDATE
that marks the row sent, and a test that hit it by chance would be flaky, not informative.
"""

import asyncio
import contextlib
import json
import os
import re
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest

from tests.integration.conftest import (
    MailSink,
    Processes,
    celery_command,
    child_env,
    free_port,
    manage,
    postgres_database,
    wait_until,
)

STARTUP_TIMEOUT = 60  # a worker or beat loading Django on a busy CI machine
DELIVERY_TIMEOUT = 60  # all messages of a scenario delivered
# Shortened for the test (production: 300 s, 60 s, 120 s, a sweep every 60 s).
KNOBS = {
    "NOTIFICATION_CLAIM_TIMEOUT": "4",
    "NOTIFICATION_BACKOFF_BASE": "1",
    "NOTIFICATION_QUEUE_LEASE": "6",
    "NOTIFICATION_SWEEP_SECONDS": "1",  # beat's schedule (settings.CELERY_BEAT_SCHEDULE)
}
SWEEP_TASK = "buchungen.tasks.sweep"


# --- The stack ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Iterator[str]:
    """A migrated database the tests copy (CREATE DATABASE … TEMPLATE): migrating once per module."""
    with postgres_database("ressourcen_notify_template") as url:
        env = child_env(DATABASE_URL=url, DATA_DIR=str(tmp_path_factory.mktemp("template")))
        manage("migrate", "--no-input", env=env)
        yield url.rsplit("/", 1)[1]


@dataclass
class Stack:
    database_url: str
    env: dict[str, str]
    processes: Processes
    sink: "GatedMailSink | None"
    workers: list[str] = field(default_factory=list)

    # processes

    def start_worker(self) -> str:
        name = f"worker-{len(self.workers) + 1}"
        args = celery_command(
            "worker",
            "--loglevel=info",
            "--pool=prefork",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={name}@%h",
        )
        self.processes.start(name, args, self.env)
        self.workers.append(name)
        self.processes.wait_for_log(name, "ready.", timeout=STARTUP_TIMEOUT)
        return name

    def start_beat(self) -> None:
        args = celery_command("beat", "--loglevel=info", "--pidfile=", "--max-interval=1")
        self.processes.start("beat", args, self.env)
        self.processes.wait_for_log("beat", "beat: Starting", timeout=STARTUP_TIMEOUT)

    def kill_worker(self, name: str) -> None:
        """``kill -9`` of the worker's whole process group: the main process and its pool children."""
        process = self.processes.running[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def sweeps(self) -> int:
        """How many e-mail sweeps the workers have run so far."""
        pattern = rf"Task {re.escape(SWEEP_TASK)}\[[0-9a-f-]+\] succeeded"
        return sum(len(re.findall(pattern, self.processes.log(name))) for name in self.workers)

    def wait_for_sweeps(self, count: int) -> None:
        """Let ``count`` more sweeps run: whatever they would send twice, they would have sent by then."""
        target = self.sweeps() + count

        def swept() -> bool:
            self.processes.assert_alive(self.workers[-1])
            return self.sweeps() >= target

        wait_until(swept, timeout=30, what=f"{count} more sweeps")

    # the database the processes share

    def scene(self, call: str, *, env: dict[str, str] | None = None) -> object:
        """Run ``call`` of tests/integration/notification_scenes.py in a child process; its result."""
        code = f"from tests.integration.notification_scenes import *; {call}"
        output = manage("shell", "--no-imports", "-c", code, env=env or self.env)
        self.last_output = output
        (line,) = [line for line in output.splitlines() if line.startswith("SCENE:")]
        return json.loads(line.removeprefix("SCENE:"))

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()

    def rows(self, prefix: str) -> list[tuple]:
        """(key, recipient e-mail, kind, booking, state, attempts, error) of the scene's notifications."""
        return self.query(
            "SELECT n.key, u.email, n.kind, n.booking_id, n.email_state, n.email_attempts, n.email_error "
            "FROM buchungen_notification n JOIN konten_user u ON u.id = n.recipient_id "
            "WHERE u.email LIKE %s ORDER BY n.id",
            f"{prefix}-%",
        )

    def all_sent(self, prefix: str, count: int) -> bool:
        rows = self.rows(prefix)
        return len(rows) >= count and all(row[4] == "sent" for row in rows)

    # the mail server

    def received(self, prefix: str) -> Counter:
        """E-mails received per recipient of the scene."""
        return Counter(str(message["To"]) for message in self.sink.messages(f"{prefix}-"))

    def assert_each_once(self, prefix: str, count: int) -> None:
        """Every notification of the scene sent, exactly one e-mail for each, all Message-IDs distinct."""
        rows = self.rows(prefix)
        assert len(rows) == count
        assert Counter(row[4] for row in rows) == {"sent": count}
        per_recipient = Counter(row[1] for row in rows)
        assert self.received(prefix) == per_recipient, "one e-mail per notification, none twice"
        ids = [message["Message-ID"] for message in self.sink.messages(f"{prefix}-")]
        assert len(set(ids)) == len(ids) == count


class GatedMailSink(MailSink):
    """The loopback SMTP server that, once told, stops answering after a number of messages: the
    senders wait in the middle of their SMTP conversation until :meth:`release` — then those held
    messages are refused (451), never accepted. ``delay`` slows every message down a little."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_after: int | None = None
        self.held = 0
        self._released = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            hold = self.hold_after is not None and len(self._messages) >= self.hold_after
            if hold:
                self.held += 1
        if not hold:
            return await super().handle_DATA(server, session, envelope)
        while not self._released.is_set():
            await asyncio.sleep(0.02)
        return "451 4.3.0 Try again later"

    def release(self) -> None:
        """Refuse the held messages; accept every message from now on."""
        with self._lock:
            self.hold_after = None
        self._released.set()


@pytest.fixture
def stack(migrated_template, redis_database, tmp_path, processes) -> Iterator[Stack]:
    """A database copied from the template, a Redis database, a mail server (not started), and the
    environment of the child processes; the test starts worker and beat."""
    sink = GatedMailSink()
    with postgres_database("ressourcen_notify", template=migrated_template) as url:
        env = child_env(
            DATABASE_URL=url,
            REDIS_URL=redis_database.url,
            DATA_DIR=str(tmp_path / "data"),
            SITE_URL="https://ressourcen.example.org",
            **sink.env(),
            **KNOBS,
        )
        running = Stack(database_url=url, env=env, processes=processes, sink=sink)
        try:
            yield running
        finally:
            processes.stop_all()  # before the database is dropped under them
            with contextlib.suppress(Exception):
                sink.stop()


# --- A: reminders due within the next minute ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_bookings_due_within_the_minute_get_one_reminder_each(stack):
    stack.sink.start()
    stack.start_worker()
    stack.start_beat()
    count, due_in = 30, 20
    bookings = stack.scene(f"bookings_due_for_a_reminder('a', {count}, due_in={due_in})")
    assert len(bookings) == count
    assert stack.rows("a") == [], "not due yet"

    wait_until(
        lambda: stack.all_sent("a", count), timeout=due_in + DELIVERY_TIMEOUT, what=f"{count} reminders sent"
    )
    stack.wait_for_sweeps(3)
    stack.assert_each_once("a", count)
    rows = stack.rows("a")
    assert {row[2] for row in rows} == {"reminder"}
    assert {row[1]: row[3] for row in rows} == bookings, "each booker reminded of their own booking"
    early = stack.query(
        "SELECT count(*) FROM buchungen_notification n JOIN buchungen_booking b ON b.id = n.booking_id "
        "WHERE n.kind = 'reminder' AND n.created < b.start - interval '1 hour'"
    )
    assert early == [(0,)], "no reminder before its time (1 hour before the start)"


# --- B: the worker killed in the middle of a batch ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(stack):
    count, hold_after = 200, 60
    stack.sink.hold_after = hold_after
    stack.sink.start()
    first = stack.start_worker()
    stack.start_beat()
    stack.scene(f"notified_bookings('b', {count})")

    # Both pool processes stuck in the middle of an SMTP conversation: kill the whole worker now.
    wait_until(lambda: stack.sink.held >= 2, timeout=DELIVERY_TIMEOUT, what="both worker processes sending")
    stack.kill_worker(first)
    stack.sink.release()
    delivered = sum(stack.received("b").values())
    assert hold_after <= delivered < count
    states = Counter(row[4] for row in stack.rows("b"))
    assert states["sent"] == delivered
    assert states["sending"] >= 1, "the kill left claimed, unsent messages behind"

    stack.start_worker()
    wait_until(lambda: stack.all_sent("b", count), timeout=DELIVERY_TIMEOUT, what=f"all {count} sent")
    stack.wait_for_sweeps(3)
    stack.assert_each_once("b", count)


# --- C: the mail server is down at first -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_mail_server_down_at_first_the_booking_stands_and_the_message_follows(stack):
    stack.start_worker()
    stack.start_beat()
    booking = stack.scene("booking_through_the_service('c')")
    assert booking["status"] == "confirmed"

    def failed_once() -> list[tuple] | None:
        rows = stack.rows("c")
        return rows if rows and all(row[5] >= 1 and row[6] for row in rows) else None

    rows = wait_until(failed_once, timeout=DELIVERY_TIMEOUT, what="a failed attempt recorded")
    assert {row[4] for row in rows} <= {"pending", "sending"}
    assert any("refused" in row[6].lower() for row in rows), rows
    due = stack.query(
        "SELECT bool_and(email_due > email_claimed_at) FROM buchungen_notification WHERE booking_id = %s",
        booking["booking"],
    )
    assert due == [(True,)], "the retry waits (backoff in the database)"
    assert stack.query("SELECT status FROM buchungen_booking WHERE id = %s", booking["booking"]) == [
        ("confirmed",)
    ]
    assert stack.sink.messages() == []

    stack.sink.start()
    count = len(rows)
    wait_until(lambda: stack.all_sent("c", count), timeout=DELIVERY_TIMEOUT, what="the message sent")
    stack.wait_for_sweeps(3)
    stack.assert_each_once("c", count)


# --- D: the broker is down at booking time ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_broker_down_at_booking_time_the_sweep_sends_it_later(stack):
    stack.sink.start()
    closed = free_port()  # nothing listens there
    no_broker = {**stack.env, "CELERY_BROKER_URL": f"redis://127.0.0.1:{closed}/0"}
    booking = stack.scene("booking_through_the_service('d')", env=no_broker)
    assert booking["status"] == "confirmed"
    assert "could not queue" in stack.last_output
    rows = stack.rows("d")
    assert rows and {row[4] for row in rows} == {"pending"}

    stack.start_worker()  # the broker is back: the processes that use it start
    stack.start_beat()
    count = len(rows)
    wait_until(lambda: stack.all_sent("d", count), timeout=DELIVERY_TIMEOUT, what="the message sent")
    stack.wait_for_sweeps(3)
    stack.assert_each_once("d", count)


# --- The embedded default: SQLite, kombu's SQLAlchemy broker, mail to files in var/mail/ ------------------


@pytest.mark.celery_worker
def test_the_embedded_default_writes_the_message_to_a_file(tmp_path, processes):
    """What `make run` starts (Procfile): worker and beat on the embedded broker, no mail server — the
    message lands as a file in DATA_DIR/mail/ (README: "Where mails go"), once."""
    data = tmp_path / "data"
    env = child_env(DATA_DIR=str(data), NOTIFICATION_SWEEP_SECONDS="1")  # otherwise the development defaults
    manage("migrate", "--no-input", env=env)
    stack = Stack(database_url="", env=env, processes=processes, sink=None)  # no SMTP: files
    # The worker first: kombu's SQLAlchemy transport creates its queue row without guarding against a
    # second process doing the same at that moment (see test_celery_worker.py).
    stack.start_worker()
    stack.start_beat()
    booking = stack.scene("booking_through_the_service('e')")
    assert booking["status"] == "confirmed"

    def mails() -> list[str]:
        texts = [path.read_text() for path in (data / "mail").glob("*.log")]
        return [text for text in texts if f"To: {booking['email']}" in text]

    wait_until(mails, timeout=DELIVERY_TIMEOUT, what="the message as a file in DATA_DIR/mail/")
    stack.wait_for_sweeps(3)
    (mail,) = mails()
    assert mail.count("Message-ID:") == 1
    assert (data / "celery-broker.sqlite3").exists()
