#!/usr/bin/env python
"""Benchmark (not a test) of notification delivery with the real parts; prints figures.

1. E-mail throughput: N pending notifications (default 2,000), queued by the e-mail sweep
   (``notifications.deliver_due``, batches of 100 keys per task) and sent by a real Celery worker
   (prefork, 2 processes by default) on Redis through SMTP to a local sink (aiosmtpd that discards) —
   messages per second from queueing until the last row is marked sent.
2. Sweep: how long beat's sweep (``reminders.sweep``) takes over 100,000 due reminders (writing the
   rows, then queueing them), and a second sweep over the same minute (nothing left to do).

It creates a PostgreSQL database of its own on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it and drops it at the end; it uses one Redis
database (REDIS_URL, default redis://127.0.0.1:6379/14) that must be empty, and flushes it at the end.

    .venv/bin/python bench/notification_delivery.py [--messages 2000] [--reminders 100000] [--concurrency 2]
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


# --- Inside a child process (real settings, the benchmark's database) ------------------------------------


def child(step: str, *args: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from buchungen import notifications, reminders
    from buchungen.models import Booking, Notification, NotificationKind
    from konten.models import Organisation, User
    from ressourcen.models import Resource

    def scene(count: int, prefix: str) -> tuple[Resource, list[User]]:
        owner = Organisation.objects.create(name=f"Bench {prefix}", slug=f"bench-{prefix}")
        stock = Resource.objects.create(
            organisation=owner,
            kind=Resource.Kind.EQUIPMENT,
            name=f"Bench {prefix}",
            slug=f"bench-{prefix}",
            quantity=10**6,
            reminder_hours=1,
        )
        people = User.objects.bulk_create(
            User(email=f"{prefix}-{n}@example.org", name=f"Person {n}", language="de" if n % 2 else "en")
            for n in range(count)
        )
        return stock, people

    def bookings(stock: Resource, people: list[User], count: int, start) -> list[Booking]:
        rows = [
            Booking(
                resource=stock,
                booked_by=people[n % len(people)],
                start=start,
                end=start + timedelta(hours=2),
                blocked_start=start,
                blocked_end=start + timedelta(hours=2),
                status="confirmed",
                exclusive=False,
            )
            for n in range(count)
        ]
        made = []
        for offset in range(0, len(rows), 5_000):
            made += Booking.objects.bulk_create(rows[offset : offset + 5_000])
        # Booked long ago (auto_now_add wrote "now"): a booking made after its reminder was due gets none.
        Booking.objects.filter(resource=stock).update(created=timezone.now() - timedelta(days=7))
        return made

    if step == "messages":  # N pending confirmations, one per booking, not queued yet
        count = int(args[0])
        stock, people = scene(min(count, 500), "mail")
        made = bookings(stock, people, count, timezone.now() + timedelta(days=3))
        Notification.objects.bulk_create(
            Notification(
                key=notifications.notification_key(NotificationKind.CONFIRMED, b.booked_by, booking=b),
                recipient=b.booked_by,
                kind=NotificationKind.CONFIRMED,
                booking=b,
                mandatory=True,
                email_due=timezone.now() + timedelta(days=1),  # not due until "queue" says so
            )
            for b in made
        )
    elif step == "queue":  # make every row due and queue them all, as the sweep does
        Notification.objects.update(email_due=timezone.now())
        with transaction.atomic():
            print("queued", notifications.deliver_due(), flush=True)
    elif step == "reminders":  # N confirmed bookings whose reminder is due now
        count = int(args[0])
        stock, people = scene(1_000, "rem")
        bookings(stock, people, count, timezone.now() + timedelta(minutes=50))
    elif step == "sweep":
        for run in ("first", "second"):
            started = time.perf_counter()
            result = reminders.sweep()
            seconds = time.perf_counter() - started
            print(f"SWEEP {run} {seconds:.2f} {result}", flush=True)
    else:
        raise SystemExit(f"unknown step {step}")


# --- The benchmark ------------------------------------------------------------------------------------------


def run_child(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, "child", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"step {args} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Sink:
    """An SMTP server on loopback that counts and discards."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.count = 0
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.count += 1
        return "250 OK"


def sent(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        error = conn.execute(
            "SELECT email_error FROM buchungen_notification WHERE email_error <> ''"
        ).fetchone()
        if error:  # a failed attempt: the figure would measure retries, not delivery
            sys.exit(f"a message failed: {error[0]}")
        return conn.execute(
            "SELECT count(*) FROM buchungen_notification WHERE email_state = 'sent'"
        ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2)
    options = parser.parse_args()

    import logging

    import psycopg
    import redis

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    admin_url = urlunsplit(server._replace(scheme="postgresql", path="/postgres"))
    name = f"ressourcen_bench_{secrets.token_hex(4)}"
    database_url = urlunsplit(server._replace(path=f"/{name}"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    broker = redis.Redis.from_url(redis_url)
    if broker.dbsize():
        sys.exit(f"{redis_url} is not empty; point REDIS_URL at an empty Redis database")

    sink = Sink()
    sink.controller.start()
    data = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMAIL_", "CELERY_", "DJANGO_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DATA_DIR=str(data),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink.port),
        EMAIL_USE_TLS="false",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    worker = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        print(f"database {name}, broker {redis_url}, SMTP sink 127.0.0.1:{sink.port}")

        # 1. Throughput
        run_child(env, "messages", str(options.messages))
        data.mkdir(parents=True, exist_ok=True)
        worker_log = data / "worker.log"
        with worker_log.open("w") as log:
            worker = subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--loglevel=info",
                    "--pool=prefork",
                    f"--concurrency={options.concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while "ready." not in worker_log.read_text():
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit(f"the worker did not start:\n{worker_log.read_text()}")
            time.sleep(0.2)
        started = time.perf_counter()
        run_child(env, "queue")
        deadline = time.monotonic() + 600
        while sent(database_url) < options.messages:
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit(
                    f"gave up: {sent(database_url)} of {options.messages} sent\n{worker_log.read_text()}"
                )
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        print(
            f"e-mail: {options.messages} messages in {seconds:.1f} s with {options.concurrency} worker"
            f" processes = {options.messages / seconds:.0f} messages/s (sink received {sink.count})"
        )
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        worker = None

        # 2. Sweep over many due reminders (no worker: the queued tasks stay in Redis, flushed below)
        started = time.perf_counter()
        run_child(env, "reminders", str(options.reminders))
        print(
            f"set-up: {options.reminders} bookings due for a reminder"
            f" in {time.perf_counter() - started:.1f} s"
        )
        for line in run_child(env, "sweep").splitlines():
            if line.startswith("SWEEP"):
                _, run, seconds, result = line.split(" ", 3)
                print(f"sweep ({run} run): {seconds} s  {result}")
        print(f"tasks queued in Redis by the sweep: {broker.llen('celery')} (batches of 100 keys)")
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGKILL)
        sink.controller.stop()
        broker.flushdb()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:])
    else:
        main()
