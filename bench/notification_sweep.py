"""How long the per-minute sweep takes over 100,000 due reminders (a benchmark, not a test).

Creates a throw-away database (SQLite file in a temporary folder; or, when DATABASE_URL points to
PostgreSQL, Django's test database ``test_<name>`` next to it), fills it with bookings whose 24-hour
reminder is due, and times each step of ``buchungen.reminders.sweep``: writing the reminders, queuing
the e-mails (to an in-memory broker: the worker's sending is another benchmark), and a second sweep
that finds nothing to do. Prints the figures (``--json``: one JSON document, as part d of
``bench/run.py``); drops the database at the end. On PostgreSQL the throw-away database is named
``<name>_sweep`` (not ``test_<name>``, which pytest-django may be reusing).

    .venv/bin/python bench/notification_sweep.py [--bookings 100000] [--json]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ressourcen .venv/bin/python bench/notification_sweep.py
"""

import argparse
import json
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


def _floor(count: int) -> float:
    """Seconds for writing ``count`` notification rows with one INSERT … SELECT, rolled back."""
    from buchungen.models import Notification

    table = Notification._meta.db_table
    with transaction.atomic():
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key, recipient_id, kind, booking_id, sequence, mandatory, context, "  # noqa: S608
                "created, email_state, email_attempts, email_due, email_error) "
                "SELECT 'floor:' || b.id, b.booked_by_id, 'floor', b.id, 0, false, '{}', b.created, "
                "'pending', 0, b.created, '' FROM buchungen_booking b"
            )
        seconds = time.perf_counter() - began
        transaction.set_rollback(True)
    return round(seconds, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    say = (lambda *a, **k: print(*a, file=sys.stderr, **k)) if args.json else print

    db = settings.DATABASES["default"]
    tmp = None
    if db["ENGINE"].endswith("sqlite3"):
        tmp = tempfile.TemporaryDirectory(prefix="bench-sweep-")
        db["TEST"]["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
    else:
        db["TEST"]["NAME"] = f"{db['NAME']}_sweep"
    began = time.perf_counter()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    say(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    say(f"migrate: {time.perf_counter() - began:.1f} s")
    document: dict = {"due_reminders": args.bookings}
    try:
        from buchungen.models import Notification

        now = timezone.now()
        began = time.perf_counter()
        _fill(args.bookings, now)
        seconds = time.perf_counter() - began
        say(f"setup: {args.bookings:,} confirmed bookings due for a reminder, written in {seconds:.1f} s")
        document["setup_seconds"] = round(seconds, 1)

        for key, label in (("first_sweep", "first sweep"), ("second_sweep", "second sweep (nothing due)")):
            figures = _timed_sweep(now)
            total = sum(seconds for _, seconds, _ in figures)
            say(f"{label}: {total:.2f} s")
            for name, seconds, result in figures:
                say(f"  {name:<18} {seconds:8.3f} s  {result}")
            document[key] = {
                "seconds": round(total, 3),
                "steps": {
                    name: {"seconds": round(seconds, 3), "result": result}
                    for name, seconds, result in figures
                },
            }
        written = Notification.objects.filter(kind="reminder").count()
        say(f"reminders in the table: {written:,} (one per booking: {written == args.bookings})")
        document["reminders_written"] = written
        document["one_per_booking"] = written == args.bookings
        # The floor: the same number of rows written by one INSERT … SELECT (no rules, no keys).
        document["floor_insert_select_seconds"] = _floor(args.bookings)
        document["sweep_over_floor"] = round(
            document["first_sweep"]["seconds"] / document["floor_insert_select_seconds"], 1
        )
        if args.json:
            print(json.dumps(document, default=str))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
