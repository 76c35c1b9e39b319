"""Races on PostgreSQL: 16 clients with their own connections ask for the same slot at the same moment.

The reference system (PHP, no lock around check-then-insert) double-booked in 17–18 of 20 such rounds.
Here every round must have exactly one winner for a room, never more units out than the stock for
equipment — and the database's exclusion constraint alone must hold when the service lock is bypassed.

Each client is a thread with its own database connection (Django opens one per thread; each thread
closes it at the end). The threads and their connections live for all rounds: a ``threading.Barrier``
releases all 16 at once per round, so a round costs only the 16 service calls. Every race runs 200
rounds (the issue's "done when"); what makes that affordable is ``queued_notifications`` below.
"""

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from buchungen import notifications, services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, Notification
from tests.conftest import require_service
from tests.factories import MembershipFactory, ResourceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 16
ROUNDS = 200


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("races are tested on PostgreSQL: run with DATABASE_URL=postgres://…")
    database = settings.DATABASES["default"]
    require_service("PostgreSQL", database.get("HOST") or "127.0.0.1", int(database.get("PORT") or 5432))


@pytest.fixture
def queued_notifications(monkeypatch) -> list[str]:
    """The keys of the messages the winners queued — queued, not sent.

    The messages are written as in production: inside the booking's transaction, under the resource
    lock. Sending them is a worker's job after the commit; tests/settings.py runs Celery eagerly, so
    without this each winner would render and send its e-mails in its client thread (about 120 ms per
    winner, a fifth of a room round) — timing mail templates, not the race."""
    queued: list[str] = []
    monkeypatch.setattr(notifications, "queue", queued.extend)
    return queued


@pytest.fixture
def clients(postgres, org_a, queued_notifications):
    """16 members of organisation A, one per client."""
    return [MembershipFactory(organisation=org_a).user for _ in range(CLIENTS)]


def race(
    rounds: int,
    attempt: Callable[[int, int], str],
    *,
    setup: Callable[[], None] | None = None,
    clients: int = CLIENTS,
) -> list[Counter]:
    """Run ``attempt(round, client)`` for every client, all clients released together each round.
    ``setup`` runs once in each client thread first. Returns per round a Counter of the outcomes."""
    barrier = threading.Barrier(clients)
    outcomes: list[list[str]] = [[""] * clients for _ in range(rounds)]
    failures: list[BaseException] = []

    def client(index: int) -> None:
        try:
            if setup is not None:
                setup()
            for round_ in range(rounds):
                barrier.wait(timeout=60)
                outcomes[round_][index] = attempt(round_, index)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    # The 16 clients share one interpreter (in production they are separate worker processes). With
    # the default 5 ms GIL switch interval, the client holding the resource lock waits up to 5 ms for
    # the GIL after each of its queries while others run Python: the race would measure the GIL.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        sys.setswitchinterval(switch_interval)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert not failures, failures[0]
    return [Counter(outcome) for outcome in outcomes]


def first_slot():
    """Tomorrow 00:00 (UTC, whole hour): inside the default maximum advance for 200 hourly rounds."""
    return (timezone.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def hourly_booking(clients, room, organisation, base) -> Callable[[int, int], str]:
    """A race's attempt: client ``index`` books ``room`` for the round's hour (round n: ``base`` + n h)
    through the service; "booked" or "conflict"."""

    def attempt(round_: int, index: int) -> str:
        start = base + timedelta(hours=round_)
        try:
            services.booking_request(
                actor=clients[index],
                resource=room,
                start=start,
                end=start + timedelta(hours=1),
                organisation=organisation,
            )
        except BookingConflict:
            return "conflict"
        return "booked"

    return attempt


def test_sixteen_clients_race_for_one_room_slot_and_exactly_one_wins_each_round(
    clients, org_a, queued_notifications
):
    room = ResourceFactory(organisation=org_a)
    base = first_slot()
    attempt = hourly_booking(clients, room, org_a, base)

    started = time.monotonic()
    rounds = race(ROUNDS, attempt)
    elapsed = time.monotonic() - started

    assert all(outcome == Counter(booked=1, conflict=CLIENTS - 1) for outcome in rounds), [
        (number, outcome) for number, outcome in enumerate(rounds) if outcome["booked"] != 1
    ]
    assert Booking.objects.filter(resource=room).count() == ROUNDS
    assert _overlapping_pairs(room) == 0
    # The winners' messages were all handed to the queue after their commit; the refused wrote none.
    written = Notification.objects.filter(booking__resource=room)
    assert sorted(written.values_list("key", flat=True)) == sorted(queued_notifications)
    assert queued_notifications
    print(f"\nroom race: {ROUNDS} rounds × {CLIENTS} clients, {ROUNDS} bookings, 0 double, {elapsed:.1f} s")


def test_sixteen_clients_race_for_three_projectors_and_never_more_than_three_are_out(clients, org_a):
    beamers = ResourceFactory(organisation=org_a, kind="equipment", capacity=None, quantity=3)
    base = first_slot()

    def attempt(round_: int, index: int) -> str:
        # Every client wants one unit for an hour starting `index` minutes into the round's slot: the
        # intervals differ, but all of them share 00:15–01:00 of the slot — so exactly 3 can win.
        start = base + timedelta(hours=2 * round_, minutes=index)
        try:
            services.booking_request(
                actor=clients[index],
                resource=beamers,
                start=start,
                end=start + timedelta(hours=1),
                organisation=org_a,
            )
        except BookingConflict:
            return "conflict"
        return "booked"

    started = time.monotonic()
    rounds = race(ROUNDS, attempt)
    elapsed = time.monotonic() - started

    assert all(outcome == Counter(booked=3, conflict=CLIENTS - 3) for outcome in rounds)
    # Independent of the service: at no booking's start are more than 3 units out (the sum of units
    # can only rise at a start, so checking every start checks every instant).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT b.id, SUM(o.quantity)
            FROM buchungen_booking b
            JOIN buchungen_booking o
              ON o.resource_id = b.resource_id
             AND o.blocked_start <= b.blocked_start AND o.blocked_end > b.blocked_start
             AND o.status IN ('requested', 'confirmed', 'checked_out')
            WHERE b.resource_id = %s AND b.status IN ('requested', 'confirmed', 'checked_out')
            GROUP BY b.id
            HAVING SUM(o.quantity) > %s
            """,
            [beamers.pk, beamers.quantity],
        )
        assert cursor.fetchall() == []
    assert Booking.objects.filter(resource=beamers).count() == 3 * ROUNDS
    print(f"\nequipment race: {ROUNDS} rounds × {CLIENTS} clients, 3 per round, {elapsed:.1f} s")


def test_without_the_service_lock_the_exclusion_constraint_alone_refuses_overlaps(clients, org_a):
    """Plain ORM inserts, no lock, no check: the database must still let exactly one through."""
    room = ResourceFactory(organisation=org_a)
    base = first_slot()

    def attempt(round_: int, index: int) -> str:
        # Overlapping, not identical, intervals: each client's hour starts `index` minutes in.
        start = base + timedelta(hours=2 * round_, minutes=index)
        try:
            Booking.objects.create(
                resource=room,
                organisation=org_a,
                booked_by=clients[index],
                start=start,
                end=start + timedelta(hours=1),
                blocked_start=start,
                blocked_end=start + timedelta(hours=1),
                status="confirmed",
                exclusive=True,
            )
        except (IntegrityError, OperationalError) as exc:
            # 23P01: the constraint refused the row. 40P01: two inserts were each waiting for the other
            # to decide whether their ranges collide, and PostgreSQL broke the deadlock by aborting one
            # (documented behaviour of exclusion constraints under concurrent inserts). Either way the
            # row was refused; the service never gets here because the resource lock serialises it.
            assert exc.__cause__.sqlstate in {"23P01", "40P01"}, exc
            return "refused" if exc.__cause__.sqlstate == "23P01" else "deadlock"
        return "inserted"

    def detect_deadlocks_quickly() -> None:
        # PostgreSQL looks for deadlocks after ``deadlock_timeout`` (1 s by default): 16 clients make
        # some every few rounds. Where the test role may (a superuser, as in CI and here), look sooner;
        # elsewhere the test is only slower.
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET deadlock_timeout = '20ms'")
        except DatabaseError:
            pass

    started = time.monotonic()
    rounds = race(ROUNDS, attempt, setup=detect_deadlocks_quickly)
    elapsed = time.monotonic() - started

    assert all(outcome["inserted"] == 1 for outcome in rounds), rounds
    assert _overlapping_pairs(room) == 0
    deadlocks = sum(outcome["deadlock"] for outcome in rounds)
    print(
        f"\nconstraint race: {ROUNDS} rounds × {CLIENTS} bare inserts, 1 kept per round "
        f"({deadlocks} refusals as deadlocks), {elapsed:.1f} s"
    )


def _overlapping_pairs(resource) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FROM buchungen_booking a JOIN buchungen_booking b
              ON a.resource_id = b.resource_id AND a.id < b.id
             AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
            WHERE a.resource_id = %s
              AND a.status IN ('requested', 'confirmed', 'checked_out')
              AND b.status IN ('requested', 'confirmed', 'checked_out')
            """,
            [resource.pk],
        )
        return cursor.fetchone()[0]
