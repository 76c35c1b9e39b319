"""The benchmark: one command, one JSON document of figures, each beside its floor from the same run.

    make bench                                   # = .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --bookings 100000 --requests 50   # smaller and quicker

1. Creates and migrates the PostgreSQL database of ``DATABASE_URL`` (default
   ``postgres://postgres@127.0.0.1:5432/ressourcen_bench``) when needed, and generates the network once
   (``bench/generate.py``: 50 organisations, 2,000 resources, 1,000,000 bookings over a year; a second
   run finds it and only measures; ``--regenerate`` writes it again, e.g. with another ``--bookings``).
2. Starts gunicorn in production mode on a loopback port (``bench/stack.py``) and measures with 8
   concurrent clients signed in with API tokens:
   a. the availability search "which rooms are free in this 3-hour window"
      (``GET /api/v1/resources/?kind=room&free_from=…&free_until=…``) against the raw SQL query giving the
      same answer (psycopg, 8 connections; the answers are compared first);
   b. booking POSTs (``POST /api/v1/bookings/``) against a bare insert through the same stack (REST
      framework, token, serializer; bench/urls.py) and, for scale, a bare ORM insert behind the same gunicorn
      (``bench/urls.py``);
   c. read endpoints: resource list, booking list, one resource's availability for a week, and the free
      search over all resources for a week (the nearest thing to the reference's "availability of all
      2,000 resources for a week").
3. Counts the queries of each endpoint for a small and a large answer (constant counts);
   d. times the reminder sweep over 100,000 due reminders (``bench/notification_sweep.py``, a database
      of its own);
   e. times the coordinator's year report over the generated year (``bench/reports.py``).

Prints the JSON document on stdout (progress goes to stderr) and writes it to ``var/bench/latest.json``.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, database_url, django_setup, dump, ensure_database, note, psycopg_url

BERLIN = ZoneInfo("Europe/Berlin")
ACTIVE = ("requested", "confirmed", "checked_out")

# The PHP booking system of DESIGN.md ("What we must beat"), measured on this machine kind.
REFERENCE = {
    "system": "PHP booking system (MariaDB, 16 php-fpm workers), 2,000 resources, 100,000 reservations",
    "booking_post_8_clients_per_second": 100,
    "booking_post_8_clients_p95_ms": 105,
    "availability_all_resources_week_p50_ms": 403,
    "availability_all_resources_week_p95_ms": 459,
}
TARGETS = {
    "availability_api_p95_ms_max": 50,
    "availability_api_over_sql_p95_max": 3.0,
    "booking_post_over_bare_insert_min": 0.60,
    "booking_post_per_second_min": 3 * REFERENCE["booking_post_8_clients_per_second"],
    "booking_post_p95_ms_max": round(REFERENCE["booking_post_8_clients_p95_ms"] / 3, 1),
    "availability_week_all_p50_ms_max": round(REFERENCE["availability_all_resources_week_p50_ms"] / 10, 1),
}

# The floor: the best plain SQL for the same answer, written by hand. Constant bounds let PostgreSQL probe
# the (resource, blocked_start) index per room: below by the window start minus the widest buffer and the
# longest active booking (one step on the index of migration 0005), above by the window end plus the widest
# buffer; each room's own buffers are then compared on the few rows found.
FREE_ROOMS_SQL = """
WITH longest AS (
  SELECT blocked_end - blocked_start AS length FROM buchungen_booking
  WHERE status IN ('requested', 'confirmed', 'checked_out')
  ORDER BY blocked_end - blocked_start DESC LIMIT 1
), widest AS (
  SELECT make_interval(mins => max(buffer_before_minutes)) AS before,
         make_interval(mins => max(buffer_after_minutes)) AS after
  FROM ressourcen_resource WHERE is_active AND kind = 'room'
)
SELECT r.id FROM ressourcen_resource r
WHERE r.is_active AND r.kind = 'room'
  AND (
    NOT EXISTS (SELECT 1 FROM ressourcen_openinghours h WHERE h.resource_id = r.id)
    OR EXISTS (
      SELECT 1 FROM ressourcen_openinghours h
      WHERE h.resource_id = r.id AND h.weekday = %(weekday)s AND h.start <= %(opens)s
        AND (h."end" >= %(closes)s OR h."end" = '00:00')
    )
  )
  AND NOT EXISTS (
    SELECT 1 FROM ressourcen_closure c
    WHERE (c.resource_id = r.id OR (c.resource_id IS NULL AND c.organisation_id = r.organisation_id))
      AND c.start < %(end)s AND c."end" > %(start)s
  )
  AND NOT EXISTS (
    SELECT 1 FROM buchungen_booking b
    WHERE b.resource_id = r.id AND b.status IN ('requested', 'confirmed', 'checked_out')
      AND b.blocked_start < %(end)s + (SELECT after FROM widest)
      AND b.blocked_start > %(start)s - (SELECT before FROM widest) - (SELECT length FROM longest)
      AND b.blocked_start < %(end)s + make_interval(mins => r.buffer_after_minutes)
      AND b.blocked_end > %(start)s - make_interval(mins => r.buffer_before_minutes)
  )
ORDER BY r.name, r.id
"""


# --- Set-up ----------------------------------------------------------------------------------------------


def prepare(args) -> dict:
    if ensure_database():
        note(f"Created the database {database_url()}.")
    os.environ["APP_ENV"] = "development"  # the measuring side; the server runs in production mode
    os.environ.pop("DEBUG", None)
    django_setup()
    from django.core.management import call_command

    note("Migrating …")
    call_command("migrate", verbosity=0, interactive=False)
    from bench.generate import generate

    return generate(bookings=args.bookings, force=args.regenerate)


def tokens(user_ids: list[int]) -> dict[int, str]:
    from rest_framework.authtoken.models import Token

    return {pk: Token.objects.get_or_create(user_id=pk)[0].key for pk in user_ids}


def members(count: int) -> list[tuple[int, int]]:
    """(person, organisation) of ``count`` members (not managers) of different organisations."""
    from konten.models import Membership

    rows = (
        Membership.objects.filter(organisation__slug__startswith="bench-", role="member")
        .order_by("organisation_id", "user_id")
        .values_list("user_id", "organisation_id")
    )
    seen: dict[int, int] = {}
    for person, organisation in rows:
        seen.setdefault(organisation, person)
    return [(person, organisation) for organisation, person in seen.items()][:count]


def windows(data: dict, count: int = 60) -> list[tuple[datetime, datetime]]:
    """3-hour windows on weekdays of the two months after the day of generation, 08:00–19:00 starts."""
    rng = random.Random(3)
    first = data["generated_at"].astimezone(BERLIN).date() + timedelta(days=1)
    found = []
    while len(found) < count:
        day = first + timedelta(days=rng.randrange(60))
        if day.weekday() >= 5:
            continue
        half_hours = rng.randrange(23)  # 08:00 … 19:00: the window ends by 22:00, when rooms close
        start = datetime(
            day.year, day.month, day.day, 8 + half_hours // 2, 30 * (half_hours % 2), tzinfo=BERLIN
        )
        found.append((start, start + timedelta(hours=3)))
    return found


def local(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


def sql_parameters(window: tuple[datetime, datetime]) -> dict:
    start, end = window
    return {
        "start": start.astimezone(UTC),
        "end": end.astimezone(UTC),
        "weekday": start.weekday(),
        "opens": start.time(),
        "closes": end.time(),
    }


# --- a. Availability search ------------------------------------------------------------------------------


def search_path(window, page_size: int | None = None) -> str:
    path = f"/api/v1/resources/?kind=room&free_from={local(window[0])}&free_until={local(window[1])}"
    return path + (f"&page_size={page_size}" if page_size else "")


def availability_search(port: int, data: dict, auth: list[dict], args) -> dict:
    import psycopg

    from bench.stack import load, load_sql, request

    chosen = windows(data)
    # The same answer: every page of the API against the SQL's ids, for a few windows.
    compared = []
    with psycopg.connect(psycopg_url()) as connection:
        for window in chosen[:5]:
            expected = [row[0] for row in connection.execute(FREE_ROOMS_SQL, sql_parameters(window))]
            found, path = [], search_path(window, 200)
            while path:
                status, body = request(port, "GET", path, headers=auth[0])
                if status != 200:
                    raise SystemExit(f"{path} → {status} {body[:300]!r}")
                page = json.loads(body)
                found += [item["id"] for item in page["results"]]
                path = page["next"].split("127.0.0.1", 1)[1] if page["next"] else None
            if found != expected:
                raise SystemExit(f"API and SQL disagree for {window}: {len(found)} vs {len(expected)} rooms")
            compared.append(len(found))
    note(f"a. API and SQL agree on {len(compared)} windows ({min(compared)}–{max(compared)} free rooms)")

    def api_plan(client: int, n: int):
        return "GET", search_path(chosen[(client * 7 + n) % len(chosen)]), None, auth[client]

    def sql_plan(client: int, n: int):
        return FREE_ROOMS_SQL, sql_parameters(chosen[(client * 7 + n) % len(chosen)])

    figures = {}
    for clients in (1, args.clients):
        per_client = max(args.requests // clients, 10) if clients > 1 else max(args.requests // 4, 10)
        api = load(port, api_plan, clients=clients, per_client=per_client).summary()
        sql = load_sql(psycopg_url(), sql_plan, clients=clients, per_client=per_client).summary()
        figures[f"{clients}_clients"] = {
            "api": api,
            "raw_sql": sql,
            "api_over_sql_p50": round(api["p50_ms"] / sql["p50_ms"], 2),
            "api_over_sql_p95": round(api["p95_ms"] / sql["p95_ms"], 2),
        }
    figures["free_rooms_per_window"] = f"{min(compared)}–{max(compared)} (first page of 50 in the API)"
    return figures


# --- b. Booking POST -------------------------------------------------------------------------------------


def _post_rooms(count: int, exclude: set[int]) -> list[int]:
    from ressourcen.models import Resource

    return list(
        Resource.objects.filter(
            slug__startswith="bench-room-",
            requires_approval=False,
            audience="network",
            is_active=True,
            buffer_before_minutes=0,  # one-hour slots back to back
            buffer_after_minutes=0,
        )
        .exclude(organisation_id__in=exclude)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )


def _slot(n: int, first_day) -> tuple[datetime, datetime]:
    """The ``n``-th one-hour slot on weekdays from ``first_day`` on, 08:00–22:00 Berlin time."""
    day, hour = divmod(n, 14)
    weeks, weekday = divmod(day, 5)
    date = first_day + timedelta(weeks=weeks, days=weekday)
    start = datetime(date.year, date.month, date.day, 8 + hour, tzinfo=BERLIN)
    return start, start + timedelta(hours=1)


def cleanup_posts() -> int:
    from buchungen.models import Booking

    deleted, _ = Booking.objects.filter(purpose__startswith="bench:").delete()
    return deleted


def booking_posts(port: int, people: list[tuple[int, int]], auth: list[dict], args) -> dict:
    from bench.stack import load

    cleanup_posts()
    clients = args.clients
    rooms = _post_rooms(3 * clients, {organisation for _, organisation in people})
    api_rooms, stack_rooms, bare_rooms = rooms[:clients], rooms[clients : 2 * clients], rooms[2 * clients :]
    today = datetime.now(BERLIN).date()
    # The Monday 14 weeks after this week's: after the generated year's last day (92 days ahead), within
    # the policy's maximum advance (365 days).
    first_day = today - timedelta(days=today.weekday()) + timedelta(weeks=14)
    per_client = max(args.requests // clients, 10)

    def api_plan(client: int, n: int):
        start, end = _slot(n + 3, first_day)
        _person, organisation = people[client]
        body = {
            "resource": api_rooms[client],
            "start": local(start),
            "end": local(end),
            "organisation": organisation,
            "purpose": "bench:post",
        }
        return "POST", "/api/v1/bookings/", body, auth[client]

    def stack_plan(client: int, n: int):
        method, _path, body, headers = api_plan(client, n)
        return method, "/bench/api-insert/", {**body, "resource": stack_rooms[client]}, headers

    def bare_plan(client: int, n: int):
        start, end = _slot(n + 3, first_day)
        person, organisation = people[client]
        body = {
            "resource": bare_rooms[client],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "organisation": organisation,
            "person": person,
            "purpose": "bench:bare",
        }
        return "POST", "/bench/bare-insert/", body, None

    try:
        api = load(port, api_plan, clients=clients, per_client=per_client).summary()
        stack = load(port, stack_plan, clients=clients, per_client=per_client).summary()
        bare = load(port, bare_plan, clients=clients, per_client=per_client).summary()
    finally:
        cleanup_posts()
    return {
        "api": api,
        # The floor of the target: the same stack (REST framework, token, serializer, insert, JSON answer)
        # without the engine's work (bench/urls.py).
        "bare_insert": stack,
        "api_over_bare_per_second": round(api["per_second"] / stack["per_second"], 2),
        # For scale: a plain Django view writing the row, without REST framework or authentication.
        "bare_orm_insert": bare,
        "api_over_bare_orm_per_second": round(api["per_second"] / bare["per_second"], 2),
        "reference_php": {
            "per_second": REFERENCE["booking_post_8_clients_per_second"],
            "p95_ms": REFERENCE["booking_post_8_clients_p95_ms"],
        },
        "api_over_reference_per_second": round(api["per_second"] / 100, 2),
    }


# --- c. Read endpoints -----------------------------------------------------------------------------------


def read_endpoints(port: int, data: dict, auth: list[dict], args) -> dict:
    from bench.stack import load
    from ressourcen.models import Resource

    resources = list(Resource.objects.filter(slug__startswith="bench-").values_list("pk", flat=True))
    monday = data["generated_at"].astimezone(BERLIN).date() + timedelta(days=7)
    monday -= timedelta(days=monday.weekday())
    week = (datetime(monday.year, monday.month, monday.day, tzinfo=BERLIN),)
    week += (week[0] + timedelta(days=7),)
    rng = random.Random(5)
    picks = [rng.choice(resources) for _ in range(500)]
    per_client = max(args.requests // args.clients, 10)
    plans = {
        "resource_list": lambda c, n: ("GET", f"/api/v1/resources/?page={1 + (c + n) % 20}", None, auth[c]),
        "booking_list": lambda c, n: ("GET", f"/api/v1/bookings/?page={1 + (c + n) % 5}", None, auth[c]),
        "availability_week": lambda c, n: (
            "GET",
            f"/api/v1/resources/{picks[(c * 31 + n) % len(picks)]}/availability/"
            f"?start={local(week[0])}&end={local(week[1])}",
            None,
            auth[c],
        ),
        "free_search_all_resources_week": lambda c, n: (
            "GET",
            f"/api/v1/resources/?free_from={local(week[0])}&free_until={local(week[1])}",
            None,
            auth[c],
        ),
    }
    figures = {}
    for name, plan in plans.items():
        figures[name] = load(port, plan, clients=args.clients, per_client=per_client).summary()
        note(f"c. {name}: {figures[name]['per_second']}/s, p95 {figures[name]['p95_ms']} ms")
    figures["reference_php_availability_all_resources_week"] = {
        "p50_ms": REFERENCE["availability_all_resources_week_p50_ms"],
        "p95_ms": REFERENCE["availability_all_resources_week_p95_ms"],
    }
    return figures


# --- Query counts ----------------------------------------------------------------------------------------


def query_counts(data: dict, people: list[tuple[int, int]], keys: dict[int, str]) -> dict:
    """Queries per request for a small and a large answer of each endpoint (in-process test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ressourcen.models import Resource

    person = people[0][0]
    client = Client(HTTP_AUTHORIZATION=f"Token {keys[person]}")
    window = windows(data, 1)[0]
    room = Resource.objects.filter(slug__startswith="bench-room-").order_by("pk").first()
    day = window[0].replace(hour=0, minute=0)
    availability = f"/api/v1/resources/{room.pk}/availability/"
    cases = {
        "resource_list": ("/api/v1/resources/?page_size=5", "/api/v1/resources/?page_size=200"),
        "booking_list": ("/api/v1/bookings/?page_size=5", "/api/v1/bookings/?page_size=200"),
        "free_search": (
            search_path(window, 5) + "&capacity_min=95",
            search_path(window, 200),
        ),
        "availability": (
            f"{availability}?start={local(day)}&end={local(day + timedelta(days=1))}",
            f"{availability}?start={local(day)}&end={local(day + timedelta(days=62))}",
        ),
    }
    counts = {}
    for name, (small, large) in cases.items():
        row = {}
        for label, path in (("small", small), ("large", large)):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} → {response.status_code} {response.content[:300]!r}")
            body = response.json()
            size = len(body["results"]) if "results" in body else len(body.get("busy", []))
            row[label] = {"queries": len(queries.captured_queries), "items": size}
        row["constant"] = row["small"]["queries"] == row["large"]["queries"]
        counts[name] = row
    return counts


# --- d. and e. in their own scripts ---------------------------------------------------------------------


def sweep(args) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "notification_sweep.py"), "--json"]
    command += ["--bookings", str(args.reminders)]
    env = {**os.environ, "DATABASE_URL": database_url(), "APP_ENV": "development"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if result.returncode:
        return {"error": result.stderr[-2000:]}
    return json.loads(result.stdout)


def year_report(data: dict) -> dict:
    from bench.reports import measure

    return measure(data["year_start"], data["year_end"])


# --- The whole run ---------------------------------------------------------------------------------------


def machine() -> dict:
    load1, load5, _ = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "load_average_1_min": round(load1, 2),
        "load_average_5_min": round(load5, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000, help="bookings to generate (first run)")
    parser.add_argument("--regenerate", action="store_true", help="write the network again")
    parser.add_argument("--requests", type=int, default=800, help="timed requests per figure (all clients)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--reminders", type=int, default=100_000, help="due reminders for the sweep (d)")
    parser.add_argument(
        "--only", default="abcde", help="the parts to run, e.g. --only ab (query counts run with c)"
    )
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "latest.json"))
    args = parser.parse_args()

    began = time.perf_counter()
    data = prepare(args)
    from bench.stack import gunicorn

    people = members(args.clients)
    keys = tokens([person for person, _ in people])
    auth = [{"Authorization": f"Token {keys[person]}"} for person, _ in people]
    document: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine_before": machine(),
        "dataset": {key: value for key, value in data.items() if key != "coordinator_id"},
        "settings": {
            "clients": args.clients,
            "gunicorn_workers": args.workers,
            "requests_per_figure": args.requests,
            "server": "gunicorn sync workers, APP_ENV=production, PostgreSQL and Redis on loopback",
        },
        "targets": TARGETS,
        "reference_php": REFERENCE,
    }
    if set(args.only) & set("abc"):
        with gunicorn(args.workers) as port:
            if "a" in args.only:
                note("a. availability search …")
                document["a_availability_search"] = availability_search(port, data, auth, args)
            if "b" in args.only:
                note("b. booking POST …")
                document["b_booking_post"] = booking_posts(port, people, auth, args)
            if "c" in args.only:
                note("c. read endpoints …")
                document["c_read_endpoints"] = read_endpoints(port, data, auth, args)
        if "c" in args.only:
            document["query_counts"] = query_counts(data, people, keys)
    if "d" in args.only:
        note("d. reminder sweep …")
        document["d_reminder_sweep"] = sweep(args)
    if "e" in args.only:
        note("e. year report …")
        document["e_year_report"] = year_report(data)
    document["verdict"] = verdict(document)
    document["machine_after"] = machine()
    document["seconds"] = round(time.perf_counter() - began, 1)
    text = dump(document)
    print(text)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n")
    note(f"Written to {output}.")


def verdict(document: dict) -> dict:
    """Each target: the figure, the bound and whether it is met."""
    checks = {}
    search = document.get("a_availability_search", {}).get("8_clients")
    if search:
        checks["availability_api_p95_ms"] = (
            search["api"]["p95_ms"],
            "≤",
            TARGETS["availability_api_p95_ms_max"],
        )
        checks["availability_api_over_sql_p95"] = (
            search["api_over_sql_p95"],
            "≤",
            TARGETS["availability_api_over_sql_p95_max"],
        )
    post = document.get("b_booking_post")
    if post:
        checks["booking_post_over_bare_insert"] = (
            post["api_over_bare_per_second"],
            "≥",
            TARGETS["booking_post_over_bare_insert_min"],
        )
        checks["booking_post_per_second"] = (
            post["api"]["per_second"],
            "≥",
            TARGETS["booking_post_per_second_min"],
        )
        checks["booking_post_p95_ms"] = (post["api"]["p95_ms"], "≤", TARGETS["booking_post_p95_ms_max"])
    reads = document.get("c_read_endpoints")
    if reads:
        checks["availability_week_all_resources_p50_ms"] = (
            reads["free_search_all_resources_week"]["p50_ms"],
            "≤",
            TARGETS["availability_week_all_p50_ms_max"],
        )
    counts = document.get("query_counts")
    if counts:
        checks["constant_query_counts"] = (all(row["constant"] for row in counts.values()), "=", True)
    return {
        name: {"figure": figure, "target": f"{sign} {bound}", "met": _met(figure, sign, bound)}
        for name, (figure, sign, bound) in checks.items()
    }


def _met(figure, sign: str, bound) -> bool:
    if sign == "≤":
        return figure <= bound
    if sign == "≥":
        return figure >= bound
    return figure == bound


if __name__ == "__main__":
    main()
