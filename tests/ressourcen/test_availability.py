"""Bookable intervals: weekly opening hours in Berlin wall-clock time minus closures, across DST."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from ressourcen.models import Closure
from ressourcen.selectors import merge_intervals, resource_bookable_intervals, subtract_intervals
from tests.factories import OpeningHoursFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_no_opening_hours_means_bookable_all_the_time():
    room = ResourceFactory()
    start, end = berlin(2026, 3, 2, 0, 0), berlin(2026, 3, 9, 0, 0)
    assert resource_bookable_intervals(resource=room, start=start, end=end) == [(start, end)]


def test_weekly_hours_are_local_time_in_winter_and_summer():
    room = ResourceFactory()
    OpeningHoursFactory(resource=room, weekday=1, start=time(18), end=time(21))  # Tuesday
    winter = resource_bookable_intervals(resource=room, start=berlin(2026, 1, 12), end=berlin(2026, 1, 19))
    summer = resource_bookable_intervals(resource=room, start=berlin(2026, 7, 6), end=berlin(2026, 7, 13))
    assert winter == [(utc(2026, 1, 13, 17), utc(2026, 1, 13, 20))]
    assert summer == [(utc(2026, 7, 7, 16), utc(2026, 7, 7, 19))]


@pytest.mark.parametrize(
    ("day", "expected_utc_start"),
    [
        ((2026, 3, 29), utc(2026, 3, 29, 7)),  # Sunday of the spring change: 09:00 CEST
        ((2026, 10, 25), utc(2026, 10, 25, 8)),  # Sunday of the autumn change: 09:00 CET
    ],
)
def test_the_day_of_the_clock_change_keeps_wall_clock_hours(day, expected_utc_start):
    room = ResourceFactory()
    OpeningHoursFactory(resource=room, weekday=6, start=time(9), end=time(12))
    intervals = resource_bookable_intervals(resource=room, start=berlin(*day), end=berlin(*day, 23))
    assert intervals == [(expected_utc_start, expected_utc_start.replace(hour=expected_utc_start.hour + 3))]
    local = [(s.astimezone(BERLIN).time(), e.astimezone(BERLIN).time()) for s, e in intervals]
    assert local == [(time(9), time(12))]


def test_a_night_range_across_the_autumn_change_lasts_one_hour_longer():
    room = ResourceFactory()
    OpeningHoursFactory(resource=room, weekday=5, start=time(20), end=time(0))  # Saturday until midnight
    OpeningHoursFactory(resource=room, weekday=6, start=time(0), end=time(6))  # Sunday early
    (interval,) = resource_bookable_intervals(
        resource=room, start=berlin(2026, 10, 24, 12), end=berlin(2026, 10, 25, 12)
    )
    assert interval == (utc(2026, 10, 24, 18), utc(2026, 10, 25, 5))
    assert (interval[1] - interval[0]).total_seconds() == 11 * 3600  # 20:00–06:00 with 25 h day


def test_closures_of_resource_and_organisation_are_cut_out():
    room = ResourceFactory()
    other = ResourceFactory(organisation=room.organisation)
    OpeningHoursFactory(resource=room, weekday=0, start=time(8), end=time(20))
    Closure.objects.create(
        organisation=room.organisation,
        resource=room,
        start=berlin(2026, 5, 4, 10),
        end=berlin(2026, 5, 4, 12),
        reason="Reparatur",
    )
    Closure.objects.create(
        organisation=room.organisation, start=berlin(2026, 5, 4, 18), end=berlin(2026, 5, 5, 9), reason="Fest"
    )
    Closure.objects.create(
        organisation=room.organisation,
        resource=other,
        start=berlin(2026, 5, 4, 8),
        end=berlin(2026, 5, 4, 20),
        reason="nur der andere Raum",
    )
    intervals = resource_bookable_intervals(resource=room, start=berlin(2026, 5, 4), end=berlin(2026, 5, 5))
    assert intervals == [
        (berlin(2026, 5, 4, 8).astimezone(UTC), berlin(2026, 5, 4, 10).astimezone(UTC)),
        (berlin(2026, 5, 4, 12).astimezone(UTC), berlin(2026, 5, 4, 18).astimezone(UTC)),
    ]


def test_window_end_before_start_is_refused():
    from django.core.exceptions import ValidationError

    room = ResourceFactory()
    with pytest.raises(ValidationError):
        resource_bookable_intervals(resource=room, start=berlin(2026, 5, 5), end=berlin(2026, 5, 4))


def test_interval_arithmetic():
    a, b, c, d = (utc(2026, 1, 1, h) for h in (8, 10, 12, 14))
    assert merge_intervals([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert subtract_intervals([(a, d)], [(b, c)]) == [(a, b), (c, d)]
    assert subtract_intervals([(a, b)], [(a, d)]) == []


def test_search_refuses_a_free_period_longer_than_62_days():
    from django.core.exceptions import ValidationError

    from ressourcen.selectors import ResourceFilter, resource_filter_validate

    with pytest.raises(ValidationError) as error:
        resource_filter_validate(ResourceFilter(free_from=berlin(2026, 1, 1), free_until=berlin(2026, 3, 5)))
    assert "free_until" in error.value.message_dict
    resource_filter_validate(ResourceFilter(free_from=berlin(2026, 1, 1), free_until=berlin(2026, 3, 4)))
