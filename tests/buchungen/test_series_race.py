"""Race on PostgreSQL: series and single bookings ask for the same date at the same moment.

Each round, half the clients book a series (two dates: the round's slot and the same time a day later,
all or nothing) and half a single booking of the round's slot; all are released together by a barrier
(see tests/buchungen/test_race.py). Never may a series and a single booking both win the slot: exactly
one booking holds it after every round, and the database shows no overlap.
"""

from collections import Counter
from datetime import timedelta

import pytest

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingSeries
from buchungen.series import booking_series_create
from tests.buchungen.test_race import _overlapping_pairs, first_slot, postgres, race  # noqa: F401
from tests.factories import MembershipFactory, ResourceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 16  # test_race.race releases 16 clients per round
ROUNDS = 40
SLOT = timedelta(minutes=30)


@pytest.fixture
def clients(postgres, org_a):  # noqa: F811
    return [MembershipFactory(organisation=org_a).user for _ in range(CLIENTS)]


def test_a_series_and_single_bookings_race_for_a_date_and_exactly_one_wins_each_round(clients, org_a):
    room = ResourceFactory(organisation=org_a)
    base = first_slot()

    def attempt(round_: int, index: int) -> str:
        # Round slots are 30 minutes apart: 40 rounds fill 20 hours, so the series' second dates (a day
        # later) never meet another round's slot.
        start = base + round_ * SLOT
        try:
            if index % 2:
                booking_series_create(
                    actor=clients[index],
                    resource=room,
                    start=start,
                    end=start + SLOT,
                    rrule="FREQ=DAILY;COUNT=2",
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
        start = base + number * SLOT
        assert Booking.objects.filter(resource=room, start=start).count() == 1
    winners = Counter(key for outcome in rounds for key in outcome if key != "conflict")
    # Every series that won holds both of its dates; refused ones left nothing behind.
    assert BookingSeries.objects.count() == winners["series"]
    assert Booking.objects.filter(resource=room).count() == ROUNDS + winners["series"]
    assert _overlapping_pairs(room) == 0
    print(f"\nseries race: {ROUNDS} rounds × {CLIENTS} clients, winners {dict(winners)}")
