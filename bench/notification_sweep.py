"""How long the per-minute sweep takes over 100,000 due reminders (a benchmark, not a test).

Creates a throw-away database (SQLite file in a temporary folder; or, when DATABASE_URL points to
PostgreSQL, Django's test database ``test_<name>`` next to it), fills it with bookings whose 24-hour
reminder is due, and times each step of ``buchungen.reminders.sweep``: writing the reminders, queuing
the e-mails (to an in-memory broker: the worker's sending is another benchmark), and a second sweep
that finds nothing to do. Prints the figures; drops the database at the end.

    .venv/bin/python bench/notification_sweep.py [--bookings 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ressourcen .venv/bin/python bench/notification_sweep.py
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

USERS = 1_000
RESOURCES = 50
CHUNK = 5_000


def _fill(bookings: int, now) -> None:
    from buchungen.models import Booking
    from konten.models import Membership, Organisation, User
    from ressourcen.models import Resource

    owner = Organisation.objects.create(name="Bench Eigentümer", slug="bench-owner")
    borrower = Organisation.objects.create(name="Bench Ausleiher", slug="bench-borrower")
    users = User.objects.bulk_create(
        User(email=f"bench{n}@example.org", name=f"Person {n}", language="de" if n % 2 else "en")
        for n in range(USERS)
    )
    Membership.objects.create(user=users[0], organisation=owner, role=Membership.Role.MANAGER)
    resources = Resource.objects.bulk_create(
        Resource(
            organisation=owner,
            kind=Resource.Kind.EQUIPMENT,
            name=f"Gerät {n}",
            slug=f"geraet-{n}",
            quantity=10_000,
            reminder_hours=24,
        )
        for n in range(RESOURCES)
    )
    # Starts spread over the next 23 hours: every 24-hour reminder is due now, none has started.
    step = timedelta(hours=23) / bookings
    created = now - timedelta(days=30)
    rows = []
    for n in range(bookings):
        start = now + timedelta(minutes=1) + step * n
        rows.append(
            Booking(
                resource=resources[n % RESOURCES],
                organisation=borrower,
                booked_by=users[n % USERS],
                start=start,
                end=start + timedelta(hours=2),
                blocked_start=start,
                blocked_end=start + timedelta(hours=2),
                quantity=1,
                status=Booking.Status.CONFIRMED,
                exclusive=False,
            )
        )
        if len(rows) == CHUNK:
            Booking.objects.bulk_create(rows)
            rows = []
    Booking.objects.bulk_create(rows)
    Booking.objects.update(created=created)


def _timed_sweep(now) -> list[tuple[str, float, int]]:
    from buchungen import reminders

    figures = []
    for name, step in reminders._steps():
        began = time.perf_counter()
        with transaction.atomic():
            result = step(now=now)
        figures.append((name, time.perf_counter() - began, result))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100_000)
    args = parser.parse_args()

    db = settings.DATABASES["default"]
    tmp = None
    if db["ENGINE"].endswith("sqlite3"):
        tmp = tempfile.TemporaryDirectory(prefix="bench-sweep-")
        db["TEST"]["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
    began = time.perf_counter()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"migrate: {time.perf_counter() - began:.1f} s")
    try:
        from buchungen.models import Notification

        now = timezone.now()
        began = time.perf_counter()
        _fill(args.bookings, now)
        seconds = time.perf_counter() - began
        print(f"setup: {args.bookings:,} confirmed bookings due for a reminder, written in {seconds:.1f} s")

        for label in ("first sweep", "second sweep (nothing due)"):
            figures = _timed_sweep(now)
            total = sum(seconds for _, seconds, _ in figures)
            print(f"{label}: {total:.2f} s")
            for name, seconds, result in figures:
                print(f"  {name:<18} {seconds:8.3f} s  {result}")
        written = Notification.objects.filter(kind="reminder").count()
        print(f"reminders in the table: {written:,} (one per booking: {written == args.bookings})")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
