"""e. The coordinator's year report over the generated network (a benchmark, not a test).

Times ``buchungen.reports.report()`` for the generated year (365 days, 1,000,000 bookings at full scale),
network-wide (twice: cold and warm caches) and for one organisation, with the number of queries, next to
its floor: the report's heaviest figure — booked hours per resource over the year — as one hand-written
SQL aggregate through psycopg.

    .venv/bin/python bench/reports.py          # generates the network first when it is missing
"""

import sys
import time
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import django_setup, dump, psycopg_url

FLOOR_SQL = """
SELECT resource_id, sum(extract(epoch FROM least("end", %(end)s) - greatest(start, %(start)s)) * quantity)
FROM buchungen_booking
WHERE status IN ('confirmed', 'checked_out', 'returned', 'completed', 'no_show')
  AND start < %(end)s AND "end" > %(start)s
GROUP BY resource_id
"""


def _timed(start, end, **kwargs) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from buchungen import reports

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = reports.report(start=start, end=end, **kwargs)
        seconds = time.perf_counter() - began
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
    return {
        "seconds": round(seconds, 3),
        "queries": len(queries.captured_queries),
        "counted_bookings": result["reach"]["bookings"],
        "resources": len(result["utilisation_by_resource"]),
        "slowest_queries_s": [round(float(query["time"]), 3) for query in slowest],
    }


def measure(start, end) -> dict:
    import psycopg

    from konten.models import Organisation

    organisation = Organisation.objects.filter(slug__startswith="bench-").order_by("pk").first()
    figures = {
        "period": f"{start:%Y-%m-%d} – {end:%Y-%m-%d}",
        "network": _timed(start, end),
        "network_again": _timed(start, end),
        "one_organisation": _timed(start, end, organisation=organisation),
    }
    with psycopg.connect(psycopg_url()) as connection:
        timings = []
        for _ in range(2):
            began = time.perf_counter()
            connection.execute(FLOOR_SQL, {"start": start, "end": end}).fetchall()
            timings.append(time.perf_counter() - began)
    figures["floor_sql_hours_per_resource_s"] = round(min(timings), 3)
    figures["report_over_floor"] = round(figures["network_again"]["seconds"] / min(timings), 1)
    return figures


def main() -> None:
    from bench.common import ensure_database

    ensure_database()
    django_setup()
    from django.core.management import call_command

    from bench.generate import generate

    call_command("migrate", verbosity=0, interactive=False)
    data = generate()
    print(dump(measure(data["year_start"], data["year_end"])))


if __name__ == "__main__":
    main()
