"""The waitlist's services: joining, offering a freed slot (cancel, decline, expiry, return), accepting,
withdrawing and the lapse sweep.

The offer is made inside the transaction that frees the slot, and ``services._freed`` reads the real
clock there; so these tests place their times relative to the real clock (``slot``), not to ``NOW``.
"""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen import services, waitlist
from buchungen.errors import BookingConflict
from buchungen.models import Booking, WaitlistEntry
from konten.models import Membership
from tests.buchungen.conftest import BERLIN
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def slot(hour: int, minute: int = 0, *, days: int = 10) -> datetime:
    """A Berlin wall-clock time ``days`` after today (real clock)."""
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def status_of(entry: WaitlistEntry) -> str:
    entry.refresh_from_db()
    return entry.status


@pytest.fixture
def blocker(room, member_a, org_a):
    """A confirmed booking of A's room, 10:00–12:00 in ten days."""
    return services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(12), organisation=org_a, purpose="Probe"
    )


@pytest.fixture
def join():
    """``join(actor, resource, start, end, organisation=…)``: organisation defaults to the actor's first."""

    def _join(actor, resource, start, end, **kwargs):
        if "organisation" not in kwargs:
            membership = actor.memberships.select_related("organisation").first()
            kwargs["organisation"] = membership.organisation if membership else None
        return waitlist.waitlist_join(actor=actor, resource=resource, start=start, end=end, **kwargs)

    return _join


@pytest.fixture
def second_b(org_b):
    """Another member of organisation B."""
    return MembershipFactory(organisation=org_b, user__email="bea@example.org").user


# --- Joining ---------------------------------------------------------------------------------------------


def test_join_a_taken_slot(blocker, join, room, member_b, org_b):
    entry = join(member_b, room, slot(10), slot(12), purpose=" Chorprobe ", participants=12)

    assert (entry.status, entry.person, entry.organisation, entry.resource) == (
        "waiting",
        member_b,
        org_b,
        room,
    )
    assert (entry.start, entry.end, entry.quantity) == (slot(10), slot(12), 1)
    assert (entry.purpose, entry.participants) == ("Chorprobe", 12)
    assert entry.offered_at is None and entry.offer_expires is None


def test_join_a_partly_taken_slot(blocker, join, room, member_b):
    entry = join(member_b, room, slot(11), slot(13))
    assert entry.status == "waiting"


def test_join_a_free_slot_is_refused(blocker, join, room, member_b):
    with pytest.raises(ValidationError) as error:
        join(member_b, room, slot(12), slot(14))

    assert error.value.message_dict == {"start": ["This time is free — book it directly."]}
    assert WaitlistEntry.objects.count() == 0


def test_join_a_slot_taken_by_a_cancelled_booking_is_refused(blocker, join, room, member_a, member_b):
    services.booking_cancel(actor=member_a, booking=blocker)
    with pytest.raises(ValidationError):
        join(member_b, room, slot(10), slot(12))
    assert WaitlistEntry.objects.count() == 0


def test_join_must_pass_the_booking_rules(blocker, join, room, member_b):
    room.max_duration_minutes = 60
    room.save()
    with pytest.raises(ValidationError) as error:
        join(member_b, room, slot(10), slot(12))

    assert "end" in error.value.message_dict
    assert WaitlistEntry.objects.count() == 0


def test_join_with_the_end_before_the_start_is_refused(blocker, join, room, member_b):
    with pytest.raises(ValidationError):
        join(member_b, room, slot(12), slot(10))
    assert WaitlistEntry.objects.count() == 0


def test_join_twice_for_an_overlapping_time_is_refused(blocker, join, room, member_b):
    join(member_b, room, slot(10), slot(12))
    with pytest.raises(ValidationError) as error:
        join(member_b, room, slot(11), slot(12))

    assert error.value.message_dict == {"start": ["You are already on the waitlist for this time."]}
    assert WaitlistEntry.objects.count() == 1


def test_join_again_after_withdrawing_is_accepted(blocker, join, room, member_b):
    entry = join(member_b, room, slot(10), slot(12))
    waitlist.waitlist_withdraw(actor=member_b, entry=entry)

    again = join(member_b, room, slot(10), slot(12))
    assert again.pk != entry.pk and again.status == "waiting"


def test_two_people_may_wait_for_the_same_time(blocker, join, room, member_b, second_b):
    join(member_b, room, slot(10), slot(12))
    join(second_b, room, slot(10), slot(12))
    assert WaitlistEntry.objects.filter(status="waiting").count() == 2


def test_join_for_an_organisation_one_is_not_a_member_of_is_refused(blocker, join, room, member_b, org_a):
    with pytest.raises(PermissionDenied):
        join(member_b, room, slot(10), slot(12), organisation=org_a)
    assert WaitlistEntry.objects.count() == 0


def test_join_without_an_organisation_for_a_network_resource_is_refused(blocker, join, room, outsider):
    with pytest.raises(ValidationError) as error:
        join(outsider, room, slot(10), slot(12))
    assert "organisation" in error.value.message_dict
    assert WaitlistEntry.objects.count() == 0


def test_anonymous_cannot_join(blocker, room, org_b):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        waitlist.waitlist_join(
            actor=AnonymousUser(), resource=room, start=slot(10), end=slot(12), organisation=org_b
        )
    assert WaitlistEntry.objects.count() == 0


# --- Offering a freed slot ----------------------------------------------------------------------------


def test_cancel_offers_the_slot_to_the_first_entry_only(blocker, join, room, member_a, member_b, second_b):
    first = join(member_b, room, slot(10), slot(12))
    second = join(second_b, room, slot(10), slot(12))
    before = timezone.now()

    services.booking_cancel(actor=member_a, booking=blocker)

    first.refresh_from_db()
    assert first.status == "offered"
    assert before <= first.offered_at <= timezone.now()
    assert first.offer_expires == first.offered_at + timedelta(hours=24)
    assert status_of(second) == "waiting"


def test_only_overlapping_entries_are_considered(blocker, join, room, member_a, member_b, second_b, org_a):
    services.booking_request(actor=member_a, resource=room, start=slot(14), end=slot(16), organisation=org_a)
    other_room = ResourceFactory(organisation=org_a, name="Kleiner Saal", slug="kleiner-saal")
    services.booking_request(
        actor=member_a, resource=other_room, start=slot(10), end=slot(12), organisation=org_a
    )
    afternoon = join(member_b, room, slot(14), slot(16))
    elsewhere = join(member_b, other_room, slot(10), slot(12))
    morning = join(second_b, room, slot(10), slot(12))

    services.booking_cancel(actor=member_a, booking=blocker)

    assert status_of(morning) == "offered"
    assert status_of(afternoon) == "waiting"
    assert status_of(elsewhere) == "waiting"


def test_an_entry_that_still_does_not_fit_keeps_waiting(blocker, join, room, member_a, member_b, org_a):
    """The entry wants 10:00–14:00; only 10:00–12:00 frees up, 12:00–14:00 stays taken."""
    later = services.booking_request(
        actor=member_a, resource=room, start=slot(12), end=slot(14), organisation=org_a
    )
    entry = join(member_b, room, slot(10), slot(14))

    services.booking_cancel(actor=member_a, booking=blocker)
    assert status_of(entry) == "waiting"

    services.booking_cancel(actor=member_a, booking=later)
    assert status_of(entry) == "offered"


def test_an_entry_whose_person_left_the_organisation_is_skipped_and_lapses(
    blocker, join, room, member_a, member_b, second_b, org_b
):
    leaver = join(member_b, room, slot(10), slot(12))
    stayer = join(second_b, room, slot(10), slot(12))
    Membership.objects.filter(user=member_b, organisation=org_b).delete()

    services.booking_cancel(actor=member_a, booking=blocker)

    assert status_of(leaver) == "lapsed"
    assert status_of(stayer) == "offered"


def test_an_open_offer_holds_back_later_overlapping_entries(join, room, member_a, member_b, second_b, org_a):
    """Two bookings free the same morning one after the other: the second entry is not offered while
    the first one's offer is open (one open offer per overlapping slot)."""
    early = services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(11), organisation=org_a
    )
    late = services.booking_request(
        actor=member_a, resource=room, start=slot(11), end=slot(12), organisation=org_a
    )
    first = join(member_b, room, slot(10), slot(11))
    second = join(second_b, room, slot(10), slot(12))

    services.booking_cancel(actor=member_a, booking=early)
    assert status_of(first) == "offered"
    services.booking_cancel(actor=member_a, booking=late)
    assert status_of(second) == "waiting"


def test_non_overlapping_entries_in_a_freed_day_are_offered_together(
    join, room, member_a, member_b, second_b, org_a
):
    day = services.booking_request(
        actor=member_a, resource=room, start=slot(9), end=slot(17), organisation=org_a
    )
    morning = join(member_b, room, slot(9), slot(12))
    afternoon = join(second_b, room, slot(13), slot(16))

    services.booking_cancel(actor=member_a, booking=day)

    assert status_of(morning) == "offered"
    assert status_of(afternoon) == "offered"


def test_the_offer_ends_with_the_lead_time(blocker, join, room, member_a, member_b):
    room.lead_time_hours = 24 * 9 + 12  # the request must come in 9.5 days ahead: about half a day left
    room.save()
    entry = join(member_b, room, slot(10), slot(12))

    services.booking_cancel(actor=member_a, booking=blocker)

    entry.refresh_from_db()
    assert entry.status == "offered"
    assert entry.offer_expires == slot(10) - timedelta(hours=room.lead_time_hours)
    assert entry.offer_expires < entry.offered_at + timedelta(hours=24)


def test_equipment_offers_when_enough_units_are_free(beamers, join, member_a, member_b, org_a):
    two = services.booking_request(
        actor=member_a, resource=beamers, start=slot(10), end=slot(12), quantity=2, organisation=org_a
    )
    services.booking_request(
        actor=member_a, resource=beamers, start=slot(10), end=slot(12), organisation=org_a
    )
    entry = join(member_b, beamers, slot(10), slot(12), quantity=2)

    services.booking_cancel(actor=member_a, booking=two)

    assert status_of(entry) == "offered"


@pytest.fixture
def approval_room(room):
    room.requires_approval = True
    room.save()
    return room


def test_decline_offers_the_slot(approval_room, join, member_a, member_b, manager_a, org_a):
    request_a = services.booking_request(
        actor=member_a, resource=approval_room, start=slot(10), end=slot(12), organisation=org_a
    )
    entry = join(member_b, approval_room, slot(10), slot(12))

    services.booking_decline(actor=manager_a, booking=request_a, comment="Doppelt")

    assert status_of(entry) == "offered"


def test_the_expiry_sweep_offers_the_slot(approval_room, join, member_b):
    """A request nobody decided on expires at its start; the rest of its time is offered."""
    now = timezone.now().replace(second=0, microsecond=0)
    BookingFactory(
        resource=approval_room,
        status="requested",
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=4),
    )
    entry = join(member_b, approval_room, now + timedelta(hours=2), now + timedelta(hours=4))

    assert services.booking_expire_unanswered() == 1

    assert status_of(entry) == "offered"


def test_a_return_offers_the_rest_of_the_time(room, join, member_b, manager_a):
    now = timezone.now().replace(second=0, microsecond=0)
    handed_over = BookingFactory(
        resource=room, status="checked_out", start=now - timedelta(hours=1), end=now + timedelta(hours=4)
    )
    entry = join(member_b, room, now + timedelta(hours=2), now + timedelta(hours=4))

    services.booking_return(actor=manager_a, booking=handed_over)

    assert status_of(entry) == "offered"


# --- Accepting ----------------------------------------------------------------------------------------


@pytest.fixture
def offer(blocker, join, room, member_a, member_b):
    """member_b's entry, offered after member_a cancelled the blocking booking."""
    entry = join(member_b, room, slot(10), slot(12), purpose="Chorprobe", participants=12)
    services.booking_cancel(actor=member_a, booking=blocker)
    entry.refresh_from_db()
    assert entry.status == "offered"
    return entry


def test_accept_books_the_slot(offer, member_b, org_b, room):
    entry = waitlist.waitlist_accept(actor=member_b, entry=offer)

    assert entry.status == "booked"
    booking = entry.booking
    assert (booking.resource, booking.booked_by, booking.organisation) == (room, member_b, org_b)
    assert (booking.start, booking.end, booking.status) == (slot(10), slot(12), "confirmed")
    assert (booking.purpose, booking.participants) == ("Chorprobe", 12)
    assert status_of(offer) == "booked"


def test_accept_after_someone_booked_directly_conflicts_and_the_entry_waits_again(
    offer, join, room, member_a, org_a, second_b
):
    services.booking_request(actor=member_a, resource=room, start=slot(11), end=slot(13), organisation=org_a)
    later = join(second_b, room, slot(10), slot(12))
    bookings = Booking.objects.count()

    with pytest.raises(BookingConflict):
        waitlist.waitlist_accept(actor=offer.person, entry=offer)

    offer.refresh_from_db()
    assert (offer.status, offer.offered_at, offer.offer_expires, offer.booking) == (
        "waiting",
        None,
        None,
        None,
    )
    assert Booking.objects.count() == bookings
    assert status_of(later) == "waiting"


@pytest.mark.parametrize("persona", ["member_a", "second_b", "manager_b", "coordinator", "outsider"])
def test_nobody_else_accepts(request, offer, persona):
    with pytest.raises(PermissionDenied):
        waitlist.waitlist_accept(actor=request.getfixturevalue(persona), entry=offer)
    assert status_of(offer) == "offered"
    assert not Booking.objects.filter(status="confirmed").exists()


def test_a_waiting_entry_cannot_be_accepted(blocker, join, room, member_b):
    entry = join(member_b, room, slot(10), slot(12))
    with pytest.raises(ValidationError):
        waitlist.waitlist_accept(actor=member_b, entry=entry)
    assert status_of(entry) == "waiting"
    assert Booking.objects.count() == 1


def test_an_expired_offer_cannot_be_accepted(offer, member_b):
    with pytest.raises(ValidationError):
        waitlist.waitlist_accept(actor=member_b, entry=offer, now=offer.offer_expires)
    assert status_of(offer) == "offered"
    assert not Booking.objects.filter(booked_by=member_b).exists()


def test_accept_refused_by_a_rule_lapses_the_entry(offer, room):
    room.max_duration_minutes = 90
    room.save()

    with pytest.raises(ValidationError) as error:
        waitlist.waitlist_accept(actor=offer.person, entry=offer)

    assert "end" in error.value.message_dict
    assert status_of(offer) == "lapsed"
    assert not Booking.objects.filter(status="confirmed").exists()


def test_accept_after_leaving_the_organisation_lapses_the_entry_and_offers_the_next(
    blocker, join, room, member_a, member_b, second_b, org_b
):
    first = join(member_b, room, slot(10), slot(12))
    second = join(second_b, room, slot(10), slot(12))
    services.booking_cancel(actor=member_a, booking=blocker)
    Membership.objects.filter(user=member_b, organisation=org_b).delete()

    with pytest.raises(PermissionDenied):
        waitlist.waitlist_accept(actor=member_b, entry=first)

    assert status_of(first) == "lapsed"
    assert status_of(second) == "offered"
    assert not Booking.objects.filter(booked_by=member_b, status="confirmed").exists()


# --- Withdrawing ----------------------------------------------------------------------------------------


def test_withdraw_a_waiting_entry(blocker, join, room, member_b):
    entry = join(member_b, room, slot(10), slot(12))
    assert waitlist.waitlist_withdraw(actor=member_b, entry=entry).status == "withdrawn"
    assert status_of(entry) == "withdrawn"


def test_withdrawing_an_offer_offers_the_next_entry(blocker, join, room, member_a, member_b, second_b):
    first = join(member_b, room, slot(10), slot(12))
    second = join(second_b, room, slot(10), slot(12))
    services.booking_cancel(actor=member_a, booking=blocker)
    assert (status_of(first), status_of(second)) == ("offered", "waiting")

    waitlist.waitlist_withdraw(actor=member_b, entry=first)

    assert (status_of(first), status_of(second)) == ("withdrawn", "offered")


@pytest.mark.parametrize("persona", ["member_a", "second_b", "manager_b", "coordinator", "outsider"])
def test_nobody_else_withdraws(request, blocker, join, room, member_b, persona):
    entry = join(member_b, room, slot(10), slot(12))
    with pytest.raises(PermissionDenied):
        waitlist.waitlist_withdraw(actor=request.getfixturevalue(persona), entry=entry)
    assert status_of(entry) == "waiting"


def test_a_withdrawn_entry_cannot_be_withdrawn_again(blocker, join, room, member_b):
    entry = join(member_b, room, slot(10), slot(12))
    waitlist.waitlist_withdraw(actor=member_b, entry=entry)
    with pytest.raises(ValidationError):
        waitlist.waitlist_withdraw(actor=member_b, entry=entry)


# --- The lapse sweep ----------------------------------------------------------------------------------


def test_an_expired_offer_lapses_and_the_next_entry_is_offered(
    blocker, join, room, member_a, member_b, second_b
):
    first = join(member_b, room, slot(10), slot(12))
    second = join(second_b, room, slot(10), slot(12))
    services.booking_cancel(actor=member_a, booking=blocker)
    first.refresh_from_db()
    later = first.offer_expires + timedelta(minutes=1)

    assert waitlist.waitlist_lapse_offers(now=later) == 1

    second.refresh_from_db()
    assert status_of(first) == "lapsed"
    assert (second.status, second.offered_at) == ("offered", later)
    assert second.offer_expires == later + timedelta(hours=24)


def test_the_sweep_leaves_open_offers_alone(offer):
    assert waitlist.waitlist_lapse_offers(now=offer.offer_expires - timedelta(minutes=1)) == 0
    assert status_of(offer) == "offered"


def test_the_sweep_is_idempotent(blocker, join, room, member_a, member_b, second_b):
    first = join(member_b, room, slot(10), slot(12))
    second = join(second_b, room, slot(10), slot(12))
    services.booking_cancel(actor=member_a, booking=blocker)
    first.refresh_from_db()
    later = first.offer_expires + timedelta(minutes=1)

    assert waitlist.waitlist_lapse_offers(now=later) == 1
    second.refresh_from_db()
    snapshot = list(WaitlistEntry.objects.order_by("pk").values())
    assert waitlist.waitlist_lapse_offers(now=later) == 0
    assert list(WaitlistEntry.objects.order_by("pk").values()) == snapshot


def test_the_sweep_lapses_waiting_entries_whose_start_has_passed(blocker, join, room, member_b):
    entry = join(member_b, room, slot(10), slot(12))

    assert waitlist.waitlist_lapse_offers(now=slot(10) - timedelta(minutes=1)) == 0
    assert status_of(entry) == "waiting"
    assert waitlist.waitlist_lapse_offers(now=slot(10)) == 1
    assert status_of(entry) == "lapsed"


def test_the_sweep_with_nothing_to_do_returns_zero(db):
    assert waitlist.waitlist_lapse_offers() == 0
