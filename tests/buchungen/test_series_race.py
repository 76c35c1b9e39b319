"""Race on PostgreSQL: series and single bookings ask for the same date at the same moment.

Each round, half of the 16 clients book a series (two dates: the round's slot and the same time a week
later, all or nothing) and half a single booking of the round's slot; all are released together by a
barrier, 200 rounds (see tests/buchungen/test_race.py: threads and connections live for all rounds).
Never may a series and a single booking both win the slot: exactly one booking holds it after every
round, and the database shows no overlap.
"""

from collections import Counter
from datetime import timedelta

import pytest

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingSeries
from buchungen.series import booking_series_create
from tests.buchungen.test_race import (  # noqa: F401
    CLIENTS,
    ROUNDS,
    _overlapping_pairs,
    first_slot,
    postgres,
    queued_notifications,
    race,
)
from tests.factories import MembershipFactory, ResourceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SLOT = timedelta(minutes=30)
# The series' second date, a week after the first: 200 rounds of 30 minutes fill 100 hours, so no second
# date ever meets another round's slot (nor another second date).
SERIES_RULE = "FREQ=WEEKLY;COUNT=2"


@pytest.fixture
def clients(postgres, org_a, queued_notifications):  # noqa: F811
    return [MembershipFactory(organisation=org_a).user for _ in range(CLIENTS)]


def test_series_and_single_bookings_race_for_a_date_and_exactly_one_wins_each_round(clients, org_a):
    room = ResourceFactory(organisation=org_a)
    base = first_slot()
    assert timedelta(weeks=1) > ROUNDS * SLOT  # the second dates stay clear of every round

    def attempt(round_: int, index: int) -> str:
        start = base + round_ * SLOT
        try:
            if index % 2:
                booking_series_create(
                    actor=clients[index],
                    resource=room,
                    start=start,
                    end=start + SLOT,
                    rrule=SERIES_RULE,
                    organisation=org_a,
                )
                return "series"
            services.booking_request(
                actor=clients[index], resource=room, start=start, end=start + SLOT, organisation=org_a
            )
            return "single"
        except BookingConflict:
            return "conflict"

    rounds = race(ROUNDS, attempt)

    for number, outcome in enumerate(rounds):
        assert outcome["series"] + outcome["single"] == 1, (number, outcome)
        assert outcome["conflict"] == CLIENTS - 1, (number, outcome)
    held = Counter(Booking.objects.filter(resource=room, start__lt=base + ROUNDS * SLOT).values_list("start"))
    assert sorted(held) == [(base + number * SLOT,) for number in range(ROUNDS)]
    assert set(held.values()) == {1}
    winners = Counter(key for outcome in rounds for key in outcome if key != "conflict")
    # Both kinds won some rounds (8 clients each), else the race tested one kind against itself.
    assert winners["series"] and winners["single"], winners
    # Every series that won holds both of its dates; refused ones left nothing behind.
    assert BookingSeries.objects.count() == winners["series"]
    assert all(series.bookings.count() == 2 for series in BookingSeries.objects.prefetch_related("bookings"))
    assert Booking.objects.filter(resource=room).count() == ROUNDS + winners["series"]
    assert _overlapping_pairs(room) == 0
    print(f"\nseries race: {ROUNDS} rounds × {CLIENTS} clients, winners {dict(winners)}")
