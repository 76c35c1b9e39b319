"""The load test, short: ``bench/load/run.py`` for 25 seconds against gunicorn + PostgreSQL + Redis + a
Celery worker, driven by Locust in its own process (docs/load-test.md).

Asserts what the load test is for: zero errors (every answer one a correct server gives; 409 conflicts
are expected answers), zero double bookings in the database afterwards, the database agreeing with the
answers, and that real mixed traffic happened — bookings that competed (conflicts), approvals,
declines and cancels. No timing is asserted; the figures are printed (pytest shows them with ``-s``
or when the test fails).
"""

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from buchungen.models import ACTIVE_STATUSES
from tests.factories import BookingFactory, ResourceFactory
from tests.integration.conftest import ROOT, postgres_database

RUN = ROOT / "bench" / "load" / "run.py"
DURATION = 25
USERS = 16


def _driver():
    spec = importlib.util.spec_from_file_location("load_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_double_booking_check_counts_the_same_statuses_as_the_engine():
    assert set(_driver().ACTIVE_STATUSES) == {str(status) for status in ACTIVE_STATUSES}


def test_server_side_errors_in_the_logs_are_counted():
    driver = _driver()
    gunicorn = "\n".join(
        [
            'access "GET /api/v1/resources/?kind=room HTTP/1.1" 200 0.021',
            'access "POST /api/v1/bookings/ HTTP/1.1" 409 0.030',
            'access "POST /api/v1/bookings/ HTTP/1.1" 500 0.120',
            "2026-11-26 10:46:05,083 WARNING django.request: Conflict: /api/v1/bookings/",
            "2026-11-26 10:46:06,000 ERROR django.request: Internal Server Error: /api/v1/bookings/",
            "Traceback (most recent call last):",
            "[2026-11-26 09:48:05 +0000] [2150] [CRITICAL] WORKER TIMEOUT (pid:2152)",
            "2026-11-26 10:46:07,000 WARNING buchungen.notifications: could not queue 2 notification(s)",
        ]
    )
    worker = "[2026-11-26 10:48:03,926: ERROR/ForkPoolWorker-1] Task buchungen.tasks.x raised unexpected"

    problems = driver.server_log_problems(gunicorn, worker)

    assert problems == {
        "server_5xx_in_access_log": 1,
        "server_error_log_lines": 2,
        "server_tracebacks": 1,
        "notifications_not_queued": 1,
        "worker_errors": 1,
        "access_log_requests": 3,
    }
    times = driver.server_times(gunicorn)
    assert times["book"] == {"requests": 2, "p50_ms": 30.0, "p95_ms": 120.0}
    assert times["search"]["requests"] == 1
    assert driver.server_log_problems('access "GET /healthz/ HTTP/1.1" 200 0.002', "ready.") == {
        "server_5xx_in_access_log": 0,
        "server_error_log_lines": 0,
        "server_tracebacks": 0,
        "notifications_not_queued": 0,
        "worker_errors": 0,
        "access_log_requests": 1,
    }


def test_the_verdict_fails_on_errors_double_bookings_disagreement_and_too_little_traffic():
    driver = _driver()
    clean = {
        "errors": 0,
        "server_side_errors": 0,
        "double_bookings": 0,
        "mismatches": {},
        "notifications": {"sent": 3},
        "requests": 500,
    }
    assert driver.verdict(clean, min_requests=100) == []
    for change, words in [
        ({"errors": 2}, "2 error(s) in the answers"),
        ({"server_side_errors": 1}, "logs"),
        ({"double_bookings": 1}, "1 double booking(s)"),
        ({"mismatches": {"bookings": {"database": 3, "answered": 2}}}, "disagree"),
        ({"notifications": {"sent": 2, "failed": 1}}, "notification(s) failed"),
        ({"requests": 99}, "only 99 requests"),
    ]:
        (failure,) = driver.verdict({**clean, **change}, min_requests=100)
        assert words in failure


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_double_booking_check_finds_overlaps_the_database_let_through():
    """The check reads the rows itself: a room booked twice (rows written past the services, one with
    the wrong ``exclusive`` flag, so the exclusion constraint does not see it) and equipment with more
    units in use than it has at one instant are found; back-to-back bookings are not."""
    room = ResourceFactory(kind="room")
    beamer = ResourceFactory(kind="equipment", quantity=2)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    hour = timedelta(hours=1)
    first = BookingFactory(resource=room, start=start)
    second = BookingFactory(resource=room, start=start + hour, exclusive=False)
    BookingFactory(resource=room, start=start + 2 * hour, status="cancelled")  # holds nothing
    BookingFactory(resource=room, start=start - 2 * hour)  # ends as the first starts
    # Units: 1 + 1 from start to start+2h, then 1 + 1 + 1 from start+1h30 (the excess), then 1.
    BookingFactory(resource=beamer, start=start)
    BookingFactory(resource=beamer, start=start + hour / 2, end=start + 2 * hour)
    excess = BookingFactory(resource=beamer, start=start + hour + hour / 2)
    BookingFactory(resource=beamer, start=start - 2 * hour, quantity=2)  # ends as the others start

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    checks = _driver().database_checks(url, {})

    assert checks["room_overlaps"] == [[first.pk, second.pk, room.slug]]
    assert checks["equipment_excess"] == [[excess.pk, beamer.slug, 2, 3]]
    assert checks["double_bookings"] == 2
    assert checks["mismatches"] == {}


@pytest.mark.postgres
@pytest.mark.celery_worker
def test_mixed_load_gives_no_errors_and_no_double_bookings(tmp_path, redis_database):
    work = tmp_path / "load"
    with postgres_database("ressourcen_load_test") as database_url:
        result = subprocess.run(
            [
                sys.executable,
                str(RUN),
                "--duration",
                str(DURATION),
                "--users",
                str(USERS),
                "--workers",
                "2",
                "--database-url",
                database_url,
                "--redis-url",
                redis_database.url,
                "--work-dir",
                str(work),
                "--min-requests",
                "200",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=DURATION + 400,
            check=False,
        )
    logs = "\n".join(
        f"──── {path.name} ────\n{path.read_text(errors='replace')[-6000:]}"
        for path in sorted((work / "logs").glob("*.log"))
    )
    print(result.stdout, result.stderr, sep="\n")
    assert result.returncode == 0, f"{result.stderr}\n{logs}"
    summary = json.loads((work / "summary.json").read_text())

    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["server_side_errors"] == 0, summary["server_logs"]
    assert summary["double_bookings"] == 0, (summary["room_overlaps"], summary["equipment_excess"])
    assert summary["mismatches"] == {}
    # Real, mixed traffic: hundreds of requests of every kind, bookings that competed for the same slots
    # and lost (409), and managers deciding on requests.
    assert summary["requests"] >= 200
    kinds = summary["by_kind"]
    for kind in ("search", "search free", "availability", "book", "pending", "approve"):
        assert kinds[kind]["ok"] > 0, kind
    assert summary["conflicts"] > 0
    assert summary["bookings_made"] > 0
    assert summary["approved"] > 0
    assert summary["cancelled"] > 0
    # The database holds exactly what the server answered.
    assert sum(summary["bookings_by_status"].values()) == summary["bookings_made"]
    # The worker delivered the bookings' notifications.
    assert summary["notifications"].get("sent", 0) > 0
    assert summary["notifications"].get("failed", 0) == 0
