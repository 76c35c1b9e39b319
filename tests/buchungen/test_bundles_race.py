"""Bundles racing on PostgreSQL: two bundles naming the same two resources in opposite order, released
at the same moment, round after round. Resources are locked in primary-key order whatever the order of
the items, so there is never a deadlock — and exactly one bundle wins each round, the other gets a
conflict and leaves nothing behind.

Threads with their own database connections, as in test_race.py.
"""

import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from buchungen import bundles
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingRequest
from tests.conftest import require_service
from tests.factories import MembershipFactory, ResourceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 4  # two of each order
ROUNDS = 60


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("races are tested on PostgreSQL: run with DATABASE_URL=postgres://…")
    database = settings.DATABASES["default"]
    require_service("PostgreSQL", database.get("HOST") or "127.0.0.1", int(database.get("PORT") or 5432))


def test_bundles_naming_two_resources_in_opposite_order_never_deadlock_and_one_wins(postgres, org_a):
    clients = [MembershipFactory(organisation=org_a).user for _ in range(CLIENTS)]
    room = ResourceFactory(organisation=org_a)
    projector = ResourceFactory(organisation=org_a, kind="equipment", capacity=None, quantity=1)
    base = (timezone.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[list[str]] = [[""] * CLIENTS for _ in range(ROUNDS)]
    failures: list[BaseException] = []

    def client(index: int) -> None:
        try:
            # Find deadlocks quickly, should there be any (the default waits a second before looking).
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET deadlock_timeout = '20ms'")
            except DatabaseError:
                pass
            order = [room, projector] if index % 2 == 0 else [projector, room]
            for round_ in range(ROUNDS):
                start = base + timedelta(hours=round_)
                items = [{"resource": r, "start": start, "end": start + timedelta(hours=1)} for r in order]
                barrier.wait(timeout=60)
                try:
                    bundles.booking_request_bundle(actor=clients[index], items=items, organisation=org_a)
                except BookingConflict:
                    outcomes[round_][index] = "conflict"
                else:
                    outcomes[round_][index] = "booked"
        except BaseException as exc:  # a deadlock (40P01) would land here and fail the test
            failures.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
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
    rounds = [Counter(outcome) for outcome in outcomes]
    assert all(outcome == Counter(booked=1, conflict=CLIENTS - 1) for outcome in rounds), rounds
    assert BookingRequest.objects.count() == ROUNDS
    assert Booking.objects.filter(resource=room).count() == ROUNDS
    assert Booking.objects.filter(resource=projector).count() == ROUNDS
    # Every request has both parts: no half-written bundle.
    assert all(request.items.count() == 2 for request in BookingRequest.objects.all())
