"""The demo's bookings (buchungen.demo): made through the services, of every kind a newcomer should see,
never a double booking, robust on any day of the year, and loaded only once."""

from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from itertools import combinations, pairwise
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
    Notification,
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


def _load(now=None, history=False):
    """The demo's bookings; without the history (``test_demo_history.py`` below) unless asked: the story
    tests look at the few weeks ahead."""
    lines: list[str] = []
    accounts = demo_accounts_load(log=lines.append)
    resources = demo_resources_load(accounts=accounts, log=lines.append)
    result = demo_bookings_load(
        accounts=accounts, resources=resources, log=lines.append, now=now, history=history
    )
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


# --- The history (issue 6): six months back and a month ahead -------------------------------------------

HELD = (S.REQUESTED, S.CONFIRMED, S.CHECKED_OUT, S.COMPLETED, S.RETURNED, S.NO_SHOW)


def _assert_no_double_booking_ever():
    """Like ``_assert_no_double_booking``, but over everything that held its slot, past ones included."""
    held = Booking.objects.filter(status__in=HELD).select_related("resource").order_by("resource", "start")
    by_resource: dict[int, list[Booking]] = {}
    for booking in held:
        by_resource.setdefault(booking.resource_id, []).append(booking)
    for bookings in by_resource.values():
        resource = bookings[0].resource
        if resource.is_exclusive:
            for one, other in pairwise(bookings):
                assert one.blocked_end <= other.blocked_start, (one, other)
        else:
            pieces = [(b.blocked_start, b.blocked_end, b.quantity) for b in bookings]
            start, end = min(p[0] for p in pieces), max(p[1] for p in pieces)
            assert all(units <= resource.quantity for _s, _e, units in usage_profile(pieces, start, end))


def test_the_history_tells_a_story(django_assert_max_num_queries):
    from buchungen.demo import HISTORY_WEEKS, IDLE

    now = timezone.now()
    with django_assert_max_num_queries(4000):  # people and catalogue too; through the services ~15 a booking
        result, _lines = _load(history=True)
    past = Booking.objects.filter(start__lt=now)
    assert 450 <= past.count() <= 1200
    assert past.filter(start__lt=now - timedelta(weeks=HISTORY_WEEKS - 1)).exists()  # six months back
    ahead = Booking.objects.filter(start__gt=now + timedelta(days=8), start__lt=now + timedelta(days=28))
    assert ahead.count() >= 30  # the habits go on in the month ahead
    statuses = Counter(past.values_list("status", flat=True))
    assert statuses == result.history
    assert statuses[S.COMPLETED] >= 200 and statuses[S.RETURNED] >= 50
    for status in (S.CANCELLED, S.NO_SHOW, S.DECLINED, S.EXPIRED):
        assert 1 <= statuses[status] <= 0.1 * past.count(), status
    # Nothing over is left undecided or open; one running right now (started, not ended) may be
    # confirmed still: the nightly sweep completes it after its end (CI once ran during one, at 10:00).
    over = past.filter(blocked_end__lte=now)
    assert not over.filter(status__in=(S.REQUESTED, S.CONFIRMED)).exists()
    assert not past.filter(status=S.REQUESTED).exists()  # a request expires at its start
    assert not past.filter(status=S.CHECKED_OUT).exists()  # the history's loans all came back

    # Lending flows: the Hafenstraße lends most, the VHS borrows most, clubs borrow from the foundation.
    counted = past.filter(status__in=(S.COMPLETED, S.RETURNED, S.NO_SHOW)).exclude(organisation=None)
    across = counted.exclude(organisation=F("resource__organisation"))
    flows = Counter(across.values_list("resource__organisation__slug", "organisation__slug"))
    assert len(flows) >= 8
    lenders = Counter()
    borrowers = Counter()
    for (owner, borrower), count in flows.items():
        lenders[owner] += count
        borrowers[borrower] += count
    assert lenders.most_common(1)[0][0] == "hafenstrasse"
    assert borrowers.most_common(1)[0][0] == "vhs-meissen"
    for club in ("chor-elbklang", "fotoclub-albrechtsburg", "jugendinitiative-triebischtal"):
        assert flows[("buergerstiftung", club)] >= 5, club
    assert flows[("hafenstrasse", "vhs-meissen")] >= 10

    # Weekly patterns: evenings Tue–Thu are the busiest; the choir rehearses every Tuesday; summer dips.
    local = [(b.start.astimezone(BERLIN), b) for b in counted.select_related("resource")]
    evenings = Counter(
        m.weekday() for m, b in local if b.resource.kind == Resource.Kind.ROOM and m.hour >= 17
    )
    assert sum(evenings[day] for day in (1, 2, 3)) > 2 * sum(evenings[day] for day in (0, 4))
    choir = [m for m, b in local if b.purpose == "Chorprobe Elbklang"]
    assert len(choir) >= 18 and {(m.weekday(), m.hour, m.minute) for m in choir} == {(1, 18, 30)}
    months = Counter((m.year, m.month) for m, _b in local)
    full = [count for (year, month), count in months.items() if month not in (7, 8)]
    if (now.year, 8) in months or (now.year - 1, 8) in months:
        august = months.get((now.year, 8)) or months.get((now.year - 1, 8))
        assert august < min(full[1:-1] or full)  # the summer dip (months cut by the window left out)
    # Equipment lent for days, handed over and returned.
    lent = counted.filter(status=S.RETURNED)
    assert lent.filter(end__gte=F("start") + timedelta(days=2)).exists()
    assert not lent.filter(handed_over_to="").exists()
    # Some resources idle on purpose.
    assert not past.filter(resource__slug__in=IDLE).exists()
    assert Resource.objects.filter(slug__in=IDLE).count() == len(IDLE)
    _assert_no_double_booking_ever()


def test_the_history_has_its_steps_at_their_story_time():
    now = timezone.now()
    _load(history=True)
    past = Booking.objects.filter(start__lt=now).prefetch_related("transitions")
    waited = []
    for booking in past:
        steps = list(booking.transitions.all())
        assert steps[0].from_status == "" and steps[0].actor_id == booking.booked_by_id, booking
        assert [s.from_status for s in steps[1:]] == [s.to_status for s in steps[:-1]], booking
        assert steps[-1].to_status == booking.status
        assert [s.at for s in steps] == sorted(s.at for s in steps), booking
        assert booking.created == steps[0].at
        assert steps[0].at <= booking.start - timedelta(hours=booking.resource.lead_time_hours)
        assert all(step.at < now for step in steps), booking
        decided = [
            s for s in steps if s.from_status == S.REQUESTED and s.to_status in (S.CONFIRMED, S.DECLINED)
        ]
        if decided:
            waited.append(decided[0].at - steps[0].at)
            assert decided[0].actor is not None
    # Requests are decided after some hours, not at once and not after weeks.
    assert len(waited) >= 30
    assert all(timedelta(hours=1) < wait < timedelta(days=3) for wait in waited)


def test_the_history_sends_no_notifications(django_capture_on_commit_callbacks):
    """The story ahead notifies as before; the history adds neither rows nor queued e-mails."""
    with django_capture_on_commit_callbacks() as story_only:
        _load(history=False)
    story_rows = Notification.objects.count()
    assert story_rows and story_only
    for model in (Notification, WaitlistEntry, Booking, BookingRequest, BookingSeries):
        model.objects.all().delete()
    with django_capture_on_commit_callbacks() as with_history:
        _load(history=True)
    assert Notification.objects.count() == story_rows
    assert len(with_history) == len(story_only)
    assert not Notification.objects.filter(booking__start__lt=timezone.now()).exists()


def test_the_history_is_loaded_once_and_the_command_says_so():
    first, second = StringIO(), StringIO()
    call_command("demo_network", stdout=first)
    assert "History: " in first.getvalue() and "past bookings" in first.getvalue()
    assert Booking.objects.filter(start__lt=timezone.now()).count() >= 450
    before = _counts()
    call_command("demo_network", stdout=second)
    assert _counts() == before
    assert "History: " not in second.getvalue()
