"""How long the coordinator's report takes for a year over 1,000,000 bookings (a benchmark, not a test).

Works on the database DATABASE_URL points to (default: the embedded SQLite of the settings), which must be
migrated. Fills it once with a network of 10 organisations, 200 resources (rooms with opening hours and
closures, equipment with units) and N bookings spread over 2026 (mixed statuses, a decision step for one
in ten), written with bulk inserts; a second run finds the rows (marked by the ``bench-reports-`` slugs)
and only times. Then times ``buchungen.reports.report()`` for the Berlin year 2026, network-wide and for
one organisation, and prints the seconds and the number of queries.

    createdb -h 127.0.0.1 -U postgres ressourcen_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ressourcen_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ressourcen_bench .venv/bin/python bench/reports.py

Options: ``--bookings 200000`` (default 1,000,000), ``--drop`` (delete the bench rows at the end).
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PREFIX = "bench-reports-"
BERLIN = ZoneInfo("Europe/Berlin")
YEAR_START = datetime(2026, 1, 1, tzinfo=BERLIN)
YEAR_END = datetime(2027, 1, 1, tzinfo=BERLIN)
ORGANISATIONS = 10
RESOURCES = 200
CHUNK = 10_000
STATUSES = (
    ["confirmed"] * 3 + ["completed"] * 8 + ["returned", "no_show", "cancelled", "declined", "requested"]
)


def _fill(bookings: int) -> None:
    from buchungen.models import Booking
    from konten.models import Organisation, User
    from ressourcen.models import Closure, OpeningHours, Resource

    rng = random.Random(6)
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Bench Verein {n}", slug=f"{PREFIX}{n}") for n in range(ORGANISATIONS)
    )
    person = User.objects.create(email=f"{PREFIX}person@example.org", name="Bench Person")
    resources = Resource.objects.bulk_create(
        Resource(
            organisation=organisations[n % ORGANISATIONS],
            kind="room" if n % 2 else "equipment",
            name=f"Bench {n}",
            slug=f"{PREFIX}{n}",
            quantity=1 if n % 2 else 5,
        )
        for n in range(RESOURCES)
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(resource=r, weekday=day, start="08:00", end="22:00")
        for r in resources
        if r.kind == "room"
        for day in range(6)
    )
    Closure.objects.bulk_create(
        Closure(
            organisation=o,
            start=datetime(2026, 12, 23, tzinfo=BERLIN),
            end=datetime(2027, 1, 2, tzinfo=BERLIN),
            reason="Winterpause",
        )
        for o in organisations
    )
    # Each resource gets consecutive slots over the year; a booking fills part of its slot, so rooms
    # (exclusive) never overlap and equipment stays within its units.
    per_resource = -(-bookings // RESOURCES)
    slot = (YEAR_END - YEAR_START) / per_resource
    written, rows = 0, []
    for n in range(bookings):
        resource = resources[n % RESOURCES]
        # In UTC: aware Berlin arithmetic is wall-clock and would land in the skipped spring hour.
        start = YEAR_START.astimezone(UTC) + slot * (n // RESOURCES)
        start = start.replace(second=0, microsecond=0)
        end = start + min(slot * 0.8, timedelta(hours=rng.choice((1, 2, 3, 4))))
        status = rng.choice(STATUSES)
        rows.append(
            Booking(
                resource=resource,
                organisation=organisations[rng.randrange(ORGANISATIONS)] if n % 7 else None,
                booked_by=person,
                start=start,
                end=end,
                blocked_start=start,
                blocked_end=end,
                quantity=1 if resource.kind == "room" else rng.randint(1, 5),
                participants=rng.randint(1, 40) if n % 3 == 0 else None,
                status=status,
                exclusive=resource.kind == "room",
            )
        )
        if len(rows) == CHUNK:
            written += _flush(rows, rng)
            rows = []
            print(f"  {written:,} bookings", end="\r", flush=True)
    written += _flush(rows, rng)
    print(f"  {written:,} bookings")


def _flush(rows, rng) -> int:
    from buchungen.models import Booking, BookingTransition

    with transaction.atomic():
        created = Booking.objects.bulk_create(rows)
        BookingTransition.objects.bulk_create(
            BookingTransition(
                booking=booking,
                from_status="requested",
                to_status="declined" if booking.status == "declined" else "confirmed",
                at=booking.start - timedelta(days=2, hours=rng.randint(0, 48)),
            )
            for booking in created
            if booking.pk % 10 == 0 and booking.status != "requested"
        )
    return len(created)


def _timed(label: str, **kwargs) -> None:
    from buchungen import reports

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = reports.report(start=YEAR_START, end=YEAR_END, **kwargs)
        seconds = time.perf_counter() - began
    print(
        f"{label}: {seconds:.2f} s, {len(queries.captured_queries)} queries, "
        f"{result['reach']['bookings']:,} counted bookings, "
        f"{len(result['utilisation_by_resource'])} resources"
    )
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
    for query in slowest:
        print(f"    {float(query['time']):7.3f} s  {query['sql'][:90]}…")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--drop", action="store_true", help="delete the bench rows at the end")
    args = parser.parse_args()

    from buchungen.models import Booking
    from konten.models import Organisation

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    existing = Booking.objects.filter(resource__slug__startswith=PREFIX).count()
    if existing:
        print(f"found {existing:,} bench bookings; not filling again")
    else:
        began = time.perf_counter()
        _fill(args.bookings)
        print(f"fill: {args.bookings:,} bookings in {time.perf_counter() - began:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    total = Booking.objects.count()
    print(f"bookings in the table: {total:,}")
    connection.force_debug_cursor = True
    _timed("report, whole network, 2026")
    _timed("report, whole network, 2026 (again)")
    _timed("report, one organisation, 2026", organisation=Organisation.objects.get(slug=f"{PREFIX}1"))
    if args.drop:
        from buchungen.models import BookingTransition
        from ressourcen.models import Resource

        BookingTransition.objects.filter(booking__resource__slug__startswith=PREFIX).delete()
        Booking.objects.filter(resource__slug__startswith=PREFIX).delete()
        Resource.objects.filter(slug__startswith=PREFIX).delete()
        Organisation.objects.filter(slug__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
