"""The demo's bookings (buchungen.demo): made through the services, of every kind a newcomer should see,
never a double booking, robust on any day of the year, and loaded only once."""

from datetime import datetime, timedelta
from io import StringIO
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from buchungen.demo import demo_bookings_load
from buchungen.models import (
    Booking,
    BookingRequest,
    BookingSeries,
    BookingStatus,
    BookingTransition,
    WaitlistEntry,
    WaitlistStatus,
)
from buchungen.selectors import usage_profile
from buchungen.selectors_owner import bookings_handed_out, bookings_to_decide
from konten.demo import demo_accounts_load
from konten.models import User
from ressourcen.demo import demo_resources_load
from ressourcen.models import Resource

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
S = BookingStatus


def _load(now=None):
    lines: list[str] = []
    accounts = demo_accounts_load(log=lines.append)
    resources = demo_resources_load(accounts=accounts, log=lines.append)
    result = demo_bookings_load(accounts=accounts, resources=resources, log=lines.append, now=now)
    return result, lines


def _person(name: str) -> User:
    return User.objects.get(email=f"{name}@example.org")


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Booking, BookingTransition, BookingSeries, BookingRequest, WaitlistEntry)
    }


@pytest.fixture
def demo():
    result, lines = _load()
    return result, lines


def test_the_demo_has_bookings_of_every_kind(demo):
    result, _lines = demo
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert statuses >= {S.CONFIRMED, S.REQUESTED, S.DECLINED, S.CANCELLED, S.CHECKED_OUT}
    assert 15 <= Booking.objects.count() <= 35
    assert result.refused == 0
    assert result.bookings == Booking.objects.count()
    # Lending across the network: most bookings borrow from another organisation.
    across = Booking.objects.exclude(organisation=None).exclude(organisation=F("resource__organisation"))
    assert across.count() >= 10


def test_every_booking_went_through_the_services(demo):
    """Each booking has its steps from creation on, and the last step is its status."""
    for booking in Booking.objects.prefetch_related("transitions"):
        steps = list(booking.transitions.all())
        assert steps, booking
        assert steps[0].from_status == ""
        assert steps[0].actor_id == booking.booked_by_id
        assert [step.from_status for step in steps[1:]] == [step.to_status for step in steps[:-1]]
        assert steps[-1].to_status == booking.status


def test_a_declined_request_carries_its_reason(demo):
    declined = Booking.objects.get(status=S.DECLINED)
    step = declined.transitions.get(to_status=S.DECLINED)
    assert step.comment
    assert step.actor == _person("martin.schulze")


def test_a_cancelled_booking_and_a_handed_over_one(demo):
    cancelled = Booking.objects.get(status=S.CANCELLED)
    assert cancelled.transitions.get(to_status=S.CANCELLED).actor == cancelled.booked_by
    handed = Booking.objects.get(status=S.CHECKED_OUT)
    assert handed.resource.kind == Resource.Kind.EQUIPMENT
    assert handed.handed_over_to
    assert list(bookings_handed_out(_person("ursula.becker"))) == [handed]


def test_a_weekly_choir_series(demo):
    series = BookingSeries.objects.get()
    assert "Chorprobe" in series.purpose
    assert series.rrule == "FREQ=WEEKLY;COUNT=8"
    dates = list(series.bookings.order_by("start"))
    assert 6 <= len(dates) <= 8
    local = [booking.start.astimezone(BERLIN) for booking in dates]
    assert {moment.weekday() for moment in local} == {1}
    assert {(moment.hour, moment.minute) for moment in local} == {(18, 30)}  # wall-clock, across DST


def test_a_bundle_from_three_organisations_with_a_skill(demo):
    request = BookingRequest.objects.get()
    parts = list(request.items.select_related("resource"))
    assert len(parts) == 3
    assert len({part.resource.organisation_id for part in parts}) == 3
    assert {part.resource.kind for part in parts} == set(Resource.Kind.values)
    assert len({(part.start, part.end) for part in parts}) == 1
    skill = next(part for part in parts if part.resource.kind == Resource.Kind.SKILL)
    assert skill.status == S.CONFIRMED  # the interpreter agreed
    assert any(part.status == S.REQUESTED for part in parts)  # the café is still to be decided


def test_a_waitlist_entry_on_a_taken_slot(demo):
    entry = WaitlistEntry.objects.get()
    assert entry.status == WaitlistStatus.WAITING
    taken = Booking.objects.active().filter(resource=entry.resource).blocking(entry.start, entry.end)
    assert taken.exists()
    assert entry.organisation_id != taken.get().organisation_id


def test_managers_find_requests_in_their_inbox(demo):
    for name in ("martin.schulze", "sabine.krause", "ursula.becker"):
        assert bookings_to_decide(_person(name)).exists(), name
    # A skill's holder decides too; the interpreter already did.
    assert (
        not bookings_to_decide(_person("ines.vogel")).filter(resource__slug="vhs-gebaerdensprache").exists()
    )


def test_lena_has_bookings_of_her_own(demo):
    lena = _person("lena.hoffmann")
    mine = Booking.objects.filter(booked_by=lena)
    assert mine.count() >= 3
    assert mine.filter(organisation=None).exists()  # the cargo bike, as a private person
    assert {S.CONFIRMED, S.REQUESTED} <= set(mine.values_list("status", flat=True))


def test_the_pages_show_the_demo(client, demo):
    lena = _person("lena.hoffmann")
    client.force_login(lena)
    page = client.get(reverse("buchungen:my_bookings"))
    assert page.status_code == 200
    assert "Seminarraum 2" in page.content.decode()  # her Sprachcafé
    assert "Lastenrad" in page.content.decode()
    client.force_login(_person("martin.schulze"))
    inbox = client.get(reverse("buchungen:inbox"))
    assert inbox.status_code == 200
    assert "Café Hafenstraße" in inbox.content.decode()


def _assert_no_double_booking():
    for resource in Resource.objects.filter(bookings__isnull=False).distinct():
        active = list(Booking.objects.active().filter(resource=resource))
        if not active:
            continue
        if resource.is_exclusive:
            for one, other in combinations(active, 2):
                assert one.blocked_end <= other.blocked_start or other.blocked_end <= one.blocked_start, (
                    one,
                    other,
                )
        else:
            pieces = [(b.blocked_start, b.blocked_end, b.quantity) for b in active]
            start = min(b.blocked_start for b in active)
            end = max(b.blocked_end for b in active)
            assert all(units <= resource.quantity for _s, _e, units in usage_profile(pieces, start, end))


def test_never_a_double_booking(demo):
    _assert_no_double_booking()


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 18, 22, 45, tzinfo=BERLIN),  # before the VHS's holidays
        datetime(2027, 3, 24, 7, 0, tzinfo=BERLIN),  # the week of the spring clock change
        datetime(2027, 10, 29, 23, 30, tzinfo=BERLIN),  # the autumn clock change
        datetime(2027, 7, 4, 12, 0, tzinfo=BERLIN),  # a Sunday in summer
    ],
    ids=["december", "spring", "autumn", "summer"],
)
def test_works_on_any_day(now):
    """Whatever the day, the rules are kept (the services check them) and the demo still tells its
    story; nothing raises."""
    result, _lines = _load(now=now)
    assert result.bookings >= 15
    assert result.series == 1 and result.bundles == 1 and result.waitlist == 1
    assert result.statuses[S.CHECKED_OUT] == 1
    for booking in Booking.objects.all():
        resource = booking.resource
        assert booking.start >= now + timedelta(hours=resource.lead_time_hours)
        assert booking.start <= now + timedelta(days=resource.max_advance_days)
    assert bookings_to_decide(_person("martin.schulze"), now=now).exists()
    assert bookings_to_decide(_person("sabine.krause"), now=now).exists()
    _assert_no_double_booking()


def test_loading_twice_adds_nothing(demo):
    before = _counts()
    result, lines = _load()
    assert result.skipped
    assert _counts() == before
    assert any("already have bookings" in line for line in lines)


def test_the_command_loads_the_bookings_once_and_says_so():
    first, second = StringIO(), StringIO()
    call_command("demo_network", stdout=first)
    assert Booking.objects.count() >= 15
    assert "Bookings: " in first.getvalue() and "series" in first.getvalue()
    before = _counts()
    call_command("demo_network", stdout=second)
    assert _counts() == before
    assert "none added" in second.getvalue()


def test_the_bookings_are_relative_to_today(demo):
    now = timezone.now()
    assert Booking.objects.filter(start__lt=now - timedelta(hours=1)).count() == 0
    assert Booking.objects.filter(start__gt=now + timedelta(days=70)).count() == 0
