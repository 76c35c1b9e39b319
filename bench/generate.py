"""The benchmark's network: 50 organisations, 2,000 resources, 1,000,000 bookings over a year (PostgreSQL).

Written with COPY (psycopg's ``cursor.copy()``) straight into the application's tables, with the values
the services would write: organisations with a manager and members, rooms and skills with opening hours
(Mon–Sat or Mon–Fri 08:00–22:00), equipment with units and no opening hours, features, a winter closure
per organisation, and bookings over 365 days — nine months back, three ahead of the day of generation.

Bookings fill slots of a day (08–11, 11–14, 14–17, 17–20, 20–22 Berlin time); each resource gets its
share of randomly chosen (day, slot) pairs, so no two bookings of a resource overlap (the exclusion
constraint of migration 0002 would refuse it) and equipment never exceeds its units. ``blocked_start`` /
``blocked_end`` are the booking widened by the resource's buffers and stay inside the slot. Past
bookings are mostly completed (equipment: returned), some cancelled, declined, expired or no-shows;
future ones confirmed, some requested or cancelled. One booking in ten has a decision step
(requested → confirmed/declined) for the report's decision times.

The table ``bench_dataset`` records what was generated; ``generate()`` does nothing when it finds a
dataset, and ``--force`` deletes the benchmark's rows and writes them again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ressourcen_bench .venv/bin/python bench/generate.py
    … bench/generate.py --bookings 100000   # a smaller network for development
"""

import argparse
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import django_setup, note, progress

BERLIN = ZoneInfo("Europe/Berlin")
PREFIX = "bench-"
ORGANISATIONS = 50
RESOURCES = 2_000
BOOKINGS = 1_000_000
PEOPLE_PER_ORGANISATION = 10  # one manager, nine members
DAYS = 365
DAYS_BACK = 273
# Local (hour, hour) slots of a day; a booking lies inside one slot, buffers included.
SLOTS = ((8, 11), (11, 14), (14, 17), (17, 20), (20, 22))
NAMES = {"room": "Raum", "equipment": "Gerät", "skill": "Können"}
CHUNK = 50_000

MARKER_DDL = """
CREATE TABLE IF NOT EXISTS bench_dataset (
    id integer PRIMARY KEY CHECK (id = 1),
    created timestamptz NOT NULL DEFAULT now(),
    parameters jsonb NOT NULL
)
"""


# --- The record of what was generated ------------------------------------------------------------------


def dataset(cursor) -> dict | None:
    """The parameters of the generated network, or None when there is none."""
    cursor.execute(MARKER_DDL)
    cursor.execute("SELECT parameters FROM bench_dataset WHERE id = 1")
    row = cursor.fetchone()
    if row is None:
        return None
    parameters = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    parameters["year_start"] = datetime.fromisoformat(parameters["year_start"])
    parameters["year_end"] = datetime.fromisoformat(parameters["year_end"])
    parameters["generated_at"] = datetime.fromisoformat(parameters["generated_at"])
    return parameters


# --- Writing rows with COPY ------------------------------------------------------------------------------


class Table:
    """COPY into a model's table: every concrete column, the model's defaults for those not given."""

    def __init__(self, model, now: datetime) -> None:
        from django.db import models

        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.defaults: dict[str, object] = {}
        for field in self.fields:
            if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
                value = now
            else:
                # The model's default; without one "" for text columns, else None (Django's rule).
                value = field.get_default()
            self.defaults[field.attname] = value
        self.next_id = 1

    def start(self, cursor) -> None:
        table = self.model._meta.db_table
        cursor.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"')  # noqa: S608 (a model's table)
        self.next_id = cursor.fetchone()[0]

    def copy(self, cursor, rows, *, label: str, total: int) -> list[int]:
        """Write ``rows`` (dicts by attname, without ``id``); return the ids given, in order."""
        from psycopg import sql

        self.start(cursor)
        table = self.model._meta.db_table
        columns = [field.column for field in self.fields]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        attnames = [field.attname for field in self.fields]
        ids: list[int] = []
        began = time.perf_counter()
        with cursor.copy(statement) as copy:
            for done, values in enumerate(rows, start=1):
                row = {**self.defaults, **values, "id": self.next_id}
                ids.append(self.next_id)
                self.next_id += 1
                copy.write_row([row[name] for name in attnames])
                if done % CHUNK == 0:
                    progress(label, done, total, began)
        progress(label, len(ids), len(ids), began)
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), {})").format(
                sql.Literal(table), sql.Literal(max(self.next_id - 1, 1))
            )
        )
        return ids


# --- The network -----------------------------------------------------------------------------------------


def _slot_instants(first_day: date) -> list[list[tuple[datetime, datetime]]]:
    """For each day of the year, each slot's start and end in UTC."""
    days = []
    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        days.append(
            [
                (
                    datetime(day.year, day.month, day.day, begin, tzinfo=BERLIN).astimezone(UTC),
                    datetime(day.year, day.month, day.day, finish, tzinfo=BERLIN).astimezone(UTC),
                )
                for begin, finish in SLOTS
            ]
        )
    return days


def _winter_closure(first_day: date) -> tuple[datetime, datetime]:
    """23 December – 2 January (inclusive) of the winter inside the year."""
    year = first_day.year if first_day.month < 12 or first_day.day < 23 else first_day.year + 1
    return (
        datetime(year, 12, 23, tzinfo=BERLIN).astimezone(UTC),
        datetime(year + 1, 1, 3, tzinfo=BERLIN).astimezone(UTC),
    )


def _past_status(rng: random.Random, kind: str) -> str:
    roll = rng.random()
    if roll < 0.06:
        return "cancelled"
    if roll < 0.09:
        return "declined"
    if roll < 0.10:
        return "expired"
    if roll < 0.13:
        return "no_show"
    return "returned" if kind == "equipment" else "completed"


def _future_status(rng: random.Random, requires_approval: bool) -> str:
    roll = rng.random()
    if roll < 0.07:
        return "cancelled"
    if requires_approval and roll < 0.25:
        return "requested"
    return "confirmed"


def generate(
    *, bookings: int = BOOKINGS, resources: int = RESOURCES, seed: int = 7, force: bool = False
) -> dict:
    """Write the network unless ``bench_dataset`` says it is there; return its parameters."""
    from django.db import connection, transaction

    with connection.cursor() as django_cursor:
        existing = dataset(django_cursor)
    if existing and not force:
        note(
            f"Found the generated network ({existing['bookings']:,} bookings, "
            f"generated {existing['generated_at']:%Y-%m-%d %H:%M}); not generating again."
        )
        return existing
    if existing:
        drop()
    began = time.perf_counter()
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            parameters = _write(cursor, bookings=bookings, resources=resources, seed=seed)
            parameters["seconds_to_write"] = round(time.perf_counter() - began, 1)
            cursor.execute(
                "INSERT INTO bench_dataset (id, parameters) VALUES (1, %s)", [json.dumps(parameters)]
            )
    note("ANALYZE …")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    parameters["seconds"] = round(time.perf_counter() - began, 1)
    note(f"Generated {bookings:,} bookings in {parameters['seconds']:.0f} s.")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bench_dataset SET parameters = %s WHERE id = 1", [json.dumps(parameters, default=str)]
        )
        return dataset(cursor)


def _write(cursor, *, bookings: int, resources: int, seed: int) -> dict:
    from buchungen.models import Booking, BookingTransition
    from konten.models import Membership, Organisation, User
    from ressourcen.models import Closure, Feature, OpeningHours, Resource

    rng = random.Random(seed)
    now = datetime.now(UTC)
    first_day = now.astimezone(BERLIN).date() - timedelta(days=DAYS_BACK)
    year_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=BERLIN)
    last_day = first_day + timedelta(days=DAYS)
    year_end = datetime(last_day.year, last_day.month, last_day.day, tzinfo=BERLIN)

    organisations = Table(Organisation, now).copy(
        cursor,
        (
            {
                "name": f"Bench Verein {n:02d}",
                "slug": f"{PREFIX}verein-{n:02d}",
                "contact_email": f"kontakt{n}@bench.example.org",
                "address": f"Hafenstraße {n + 1}, 01662 Meißen",
            }
            for n in range(ORGANISATIONS)
        ),
        label="organisations",
        total=ORGANISATIONS,
    )
    people = ORGANISATIONS * PEOPLE_PER_ORGANISATION
    users = Table(User, now).copy(
        cursor,
        (
            {
                "email": f"{PREFIX}person{n}@bench.example.org",
                "name": f"Person {n}",
                "password": "!",  # no password: the benchmark signs in with API tokens
                "language": "de" if n % 3 else "en",
                "is_coordinator": n == people,
            }
            for n in range(people + 1)  # the last one is the coordinator
        ),
        label="people",
        total=people + 1,
    )
    coordinator, users = users[-1], users[:-1]
    members_of = {
        org: users[i * PEOPLE_PER_ORGANISATION : (i + 1) * PEOPLE_PER_ORGANISATION]
        for i, org in enumerate(organisations)
    }
    Table(Membership, now).copy(
        cursor,
        (
            {"user_id": person, "organisation_id": org, "role": "manager" if n == 0 else "member"}
            for org, persons in members_of.items()
            for n, person in enumerate(persons)
        ),
        label="memberships",
        total=people,
    )

    # Resources: per organisation half rooms, a third equipment, the rest skills.
    specs = []
    for n in range(resources):
        org_index = n % ORGANISATIONS
        org = organisations[org_index]
        position = n // ORGANISATIONS
        kind = ("room", "room", "room", "equipment", "equipment", "skill")[position % 6]
        buffered = kind == "room" and n % 4 == 0
        specs.append(
            {
                "organisation_id": org,
                "kind": kind,
                "name": f"{NAMES[kind]} {n:04d}",
                "slug": f"{PREFIX}{kind}-{n:04d}",
                "description": "Ein Benchmark-Datensatz.",
                "building": f"Haus {org_index % 7}",
                "capacity": 10 + n % 90 if kind == "room" else None,
                "quantity": 1 + n % 5 if kind == "equipment" else 1,
                "condition": "good" if kind == "equipment" else "",
                "holder_id": members_of[org][1 + n % 9] if kind == "skill" else None,
                "audience": "public" if n % 10 == 0 else "network",
                "requires_approval": n % 3 == 0,
                "buffer_before_minutes": 15 if buffered else 0,
                "buffer_after_minutes": 15 if buffered else 0,
            }
        )
    resource_ids = Table(Resource, now).copy(cursor, iter(specs), label="resources", total=resources)
    for spec, pk in zip(specs, resource_ids, strict=True):
        spec["id"] = pk
        # Every fifth room or skill is closed on Saturdays; equipment has no opening hours.
        spec["weekdays"] = () if spec["kind"] == "equipment" else range(5 if pk % 5 == 0 else 6)

    hours = [
        {"resource_id": spec["id"], "weekday": day, "start": "08:00", "end": "22:00"}
        for spec in specs
        for day in spec["weekdays"]
    ]
    Table(OpeningHours, now).copy(cursor, iter(hours), label="opening hours", total=len(hours))
    features = list(Feature.objects.values_list("pk", flat=True))
    through = Resource.features.through
    links = [
        {"resource_id": spec["id"], "feature_id": feature}
        for spec in specs
        for feature in rng.sample(features, k=min(len(features), spec["id"] % 5))
    ]
    Table(through, now).copy(cursor, iter(links), label="resource features", total=len(links))
    winter = _winter_closure(first_day)
    Table(Closure, now).copy(
        cursor,
        (
            {"organisation_id": org, "start": winter[0], "end": winter[1], "reason": "Winterpause"}
            for org in organisations
        ),
        label="closures",
        total=ORGANISATIONS,
    )

    # Bookings: each resource its share of (day, slot) pairs, skipping closed days.
    slot_times = _slot_instants(first_day)
    open_days = {
        weekdays: [
            d
            for d in range(DAYS)
            if (weekdays == () or (first_day + timedelta(days=d)).weekday() in weekdays)
            and not (winter[0] <= slot_times[d][0][0] < winter[1])
        ]
        for weekdays in {tuple(spec["weekdays"]) for spec in specs}
    }
    share, extra = divmod(bookings, resources)
    decisions: list[dict] = []

    def rows():
        for index, spec in enumerate(specs):
            days = open_days[tuple(spec["weekdays"])]
            pairs = len(days) * len(SLOTS)
            count = min(share + (1 if index < extra else 0), pairs)
            before = timedelta(minutes=spec["buffer_before_minutes"])
            after = timedelta(minutes=spec["buffer_after_minutes"])
            borrowers = organisations
            for pair in sorted(rng.sample(range(pairs), count)):
                slot_start, slot_end = slot_times[days[pair // len(SLOTS)]][pair % len(SLOTS)]
                room = slot_end - slot_start - before - after
                length = timedelta(minutes=30 * rng.randint(1, int(room.total_seconds() // 1800)))
                start = (
                    slot_start
                    + before
                    + timedelta(minutes=30 * rng.randint(0, int((room - length).total_seconds() // 1800)))
                )
                end = start + length
                if end <= now:
                    status = _past_status(rng, spec["kind"])
                elif start > now:
                    status = _future_status(rng, spec["requires_approval"])
                else:
                    status = "checked_out" if spec["kind"] == "equipment" else "confirmed"
                borrower = borrowers[rng.randrange(ORGANISATIONS)]
                people_of = members_of[borrower]
                created = min(start - timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 600)), now)
                yield {
                    "resource_id": spec["id"],
                    "organisation_id": borrower,
                    "booked_by_id": people_of[rng.randrange(PEOPLE_PER_ORGANISATION)],
                    "start": start,
                    "end": end,
                    "blocked_start": start - before,
                    "blocked_end": end + after,
                    "quantity": rng.randint(1, spec["quantity"]) if spec["kind"] == "equipment" else 1,
                    "participants": rng.randint(3, spec["capacity"]) if spec["capacity"] else None,
                    "purpose": "Gruppentreffen" if rng.random() < 0.5 else "",
                    "status": status,
                    "exclusive": spec["kind"] != "equipment",
                    "created": created,
                    "updated": created,
                }

    booking_table = Table(Booking, now)
    transitions_at: list[tuple[datetime, str]] = []

    def remembered():
        for row in rows():
            transitions_at.append((row["created"], row["status"]))
            yield row

    booking_ids = booking_table.copy(cursor, remembered(), label="bookings", total=bookings)
    for pk, (created, status) in zip(booking_ids, transitions_at, strict=True):
        if pk % 10 == 0 and status not in {"requested", "expired"}:
            decisions.append(
                {
                    "booking_id": pk,
                    "from_status": "requested",
                    "to_status": "declined" if status == "declined" else "confirmed",
                    "at": created + timedelta(hours=rng.randint(1, 72)),
                    "comment": "",
                }
            )
    Table(BookingTransition, now).copy(cursor, iter(decisions), label="decision steps", total=len(decisions))
    return {
        "organisations": len(organisations),
        "people": people + 1,
        "coordinator_id": coordinator,
        "resources": len(resource_ids),
        "bookings": len(booking_ids),
        "year_start": year_start.isoformat(),
        "year_end": year_end.isoformat(),
        "generated_at": now.isoformat(),
        "seed": seed,
    }


def drop() -> None:
    """Delete the benchmark's rows (everything named ``bench-…``) and its record."""
    from django.db import connection

    note("Deleting the generated network …")
    with connection.cursor() as cursor:
        cursor.execute(MARKER_DDL)
        statements = [
            "DELETE FROM buchungen_bookingtransition WHERE booking_id IN"
            " (SELECT b.id FROM buchungen_booking b"
            " JOIN ressourcen_resource r ON r.id = b.resource_id WHERE r.slug LIKE 'bench-%')",
            "DELETE FROM buchungen_notification WHERE booking_id IN (SELECT b.id FROM buchungen_booking b"
            " JOIN ressourcen_resource r ON r.id = b.resource_id WHERE r.slug LIKE 'bench-%')",
            "DELETE FROM buchungen_booking WHERE resource_id IN"
            " (SELECT id FROM ressourcen_resource WHERE slug LIKE 'bench-%')",
            "DELETE FROM ressourcen_resource_features WHERE resource_id IN"
            " (SELECT id FROM ressourcen_resource WHERE slug LIKE 'bench-%')",
            "DELETE FROM ressourcen_openinghours WHERE resource_id IN"
            " (SELECT id FROM ressourcen_resource WHERE slug LIKE 'bench-%')",
            "DELETE FROM ressourcen_closure WHERE organisation_id IN"
            " (SELECT id FROM konten_organisation WHERE slug LIKE 'bench-%')",
            "DELETE FROM ressourcen_resource WHERE slug LIKE 'bench-%'",
            "DELETE FROM konten_membership WHERE organisation_id IN"
            " (SELECT id FROM konten_organisation WHERE slug LIKE 'bench-%')",
            "DELETE FROM authtoken_token WHERE user_id IN"
            " (SELECT id FROM konten_user WHERE email LIKE 'bench-%')",
            "DELETE FROM buchungen_notification WHERE recipient_id IN"
            " (SELECT id FROM konten_user WHERE email LIKE 'bench-%')",
            "DELETE FROM konten_user WHERE email LIKE 'bench-%'",
            "DELETE FROM konten_organisation WHERE slug LIKE 'bench-%'",
            "DELETE FROM bench_dataset",
        ]
        for statement in statements:
            cursor.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=BOOKINGS)
    parser.add_argument("--resources", type=int, default=RESOURCES)
    parser.add_argument(
        "--force", action="store_true", help="delete the generated network and write it again"
    )
    args = parser.parse_args()
    from bench.common import ensure_database

    if ensure_database():
        note("Created the database.")
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    print(
        json.dumps(generate(bookings=args.bookings, resources=args.resources, force=args.force), default=str)
    )


if __name__ == "__main__":
    main()
