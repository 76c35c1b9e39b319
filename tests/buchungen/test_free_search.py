"""The API's fast free search (``free_resource_ids``) gives the same answer as the exact way: the
catalogue's ``resource_search`` (opening hours minus closures, computed resource by resource) followed
by ``resources_free_between`` — on a random world made to hit every shortcut and every way around
one: adjacent opening ranges, ranges until midnight, closures of a resource and of a whole
organisation, buffers, equipment partly in use, windows across midnight and over the clock changes."""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from buchungen.selectors import free_resource_ids, resources_free_between
from ressourcen.models import Closure, OpeningHours
from ressourcen.selectors import ResourceFilter, resource_queryset, resource_search
from tests.factories import BookingFactory, OrganisationFactory, ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
# Two weeks around the autumn clock change (Sunday 2026-10-25).
FIRST_DAY = datetime(2026, 10, 19, tzinfo=BERLIN)
DAYS = 14

HOURS = {
    "always open": [],
    "weekdays 9–22": [(day, time(9), time(22)) for day in range(5)],
    "split 8–12, 12–18": [
        (day, hour) for day in range(7) for hour in ((time(8), time(12)), (time(12), time(18)))
    ],
    "evenings until midnight": [(day, time(18), time(0)) for day in range(7)],
    "weekends": [(5, time(10), time(16)), (6, time(10), time(16))],
    "night and day": [(day, time(0), time(6)) for day in range(7)]
    + [(day, time(6), time(0)) for day in range(7)],
}


def _hours_rows(pattern):
    for row in pattern:
        if len(row) == 2:  # (day, (start, end))
            day, (opens, closes) = row
        else:
            day, opens, closes = row
        yield day, opens, closes


@pytest.fixture
def world():
    draw = random.Random(11)
    organisations = [OrganisationFactory(), OrganisationFactory()]
    Closure.objects.create(
        organisation=organisations[1],
        start=datetime(2026, 10, 22, 12, tzinfo=BERLIN),
        end=datetime(2026, 10, 23, 9, tzinfo=BERLIN),
        reason="Betriebsausflug",
    )
    booker = UserFactory()
    for n in range(36):
        equipment = n % 3 == 2
        resource = ResourceFactory(
            organisation=organisations[n % 2],
            kind="equipment" if equipment else "room",
            quantity=draw.choice([1, 2, 3]) if equipment else 1,
            buffer_before_minutes=draw.choice([0, 0, 15, 60]),
            buffer_after_minutes=draw.choice([0, 30, 90]),
        )
        pattern = list(HOURS)[n % len(HOURS)]
        OpeningHours.objects.bulk_create(
            OpeningHours(resource=resource, weekday=day, start=opens, end=closes)
            for day, opens, closes in _hours_rows(HOURS[pattern])
        )
        if n % 7 == 3:
            Closure.objects.create(
                organisation=resource.organisation,
                resource=resource,
                start=datetime(2026, 10, 20, 14, tzinfo=BERLIN),
                end=datetime(2026, 10, 21, 11, tzinfo=BERLIN),
                reason="Malerarbeiten",
            )
        # Bookings one after another (exclusive ones never overlap, as the constraint demands);
        # equipment also gets bookings on top of each other.
        moment = FIRST_DAY + timedelta(hours=draw.randrange(12))
        while moment < FIRST_DAY + timedelta(days=DAYS):
            length = timedelta(minutes=draw.choice([60, 90, 180, 600]))
            status = draw.choice(["confirmed", "confirmed", "requested", "checked_out", "cancelled"])
            BookingFactory(
                resource=resource, booked_by=booker, start=moment, end=moment + length, status=status
            )
            if equipment and draw.random() < 0.5:
                BookingFactory(
                    resource=resource, booked_by=booker, start=moment + length / 2, end=moment + length * 2
                )
            gap = timedelta(minutes=resource.buffer_before_minutes + resource.buffer_after_minutes)
            moment += (
                length * (2 if equipment else 1) + gap + timedelta(minutes=draw.choice([0, 30, 300, 1440]))
            )
    return booker


def _windows():
    draw = random.Random(5)
    for n in range(70):
        start = FIRST_DAY + timedelta(
            days=draw.randrange(DAYS), hours=draw.randrange(24), minutes=draw.choice([0, 30])
        )
        if n % 6 == 0:
            start = datetime(2026, 10, 25, draw.choice([0, 1, 2, 3, 10]), tzinfo=BERLIN)
        length = timedelta(minutes=draw.choice([30, 60, 180, 240, 600, 1440, 2000]))
        yield start.astimezone(UTC), (start + length).astimezone(UTC)


def test_the_fast_free_search_agrees_with_the_exact_one(world, django_assert_max_num_queries):
    answers = set()
    for start, end in _windows():
        for kind in ("", "room", "equipment"):
            criteria = ResourceFilter(kind=kind, free_from=start, free_until=end)
            exact = [
                resource.pk
                for resource in resources_free_between(
                    resources=resource_search(user=world, criteria=criteria), start=start, end=end
                )
            ]
            with django_assert_max_num_queries(4):
                fast = free_resource_ids(resources=resource_queryset(criteria), start=start, end=end)
            assert fast == exact, (start.astimezone(BERLIN), end.astimezone(BERLIN), kind)
            answers.add(len(fast))
    assert len(answers) > 10  # the windows found very different answers, not "all" or "none" each time


def test_a_window_in_a_closure_of_the_organisation_finds_none_of_its_resources(world):
    start, end = datetime(2026, 10, 22, 14, tzinfo=BERLIN), datetime(2026, 10, 22, 15, tzinfo=BERLIN)
    closed = resource_queryset(ResourceFilter()).filter(organisation__closures__resource=None)
    found = free_resource_ids(resources=resource_queryset(ResourceFilter()), start=start, end=end)
    assert found
    assert not set(found) & set(closed.values_list("pk", flat=True))
