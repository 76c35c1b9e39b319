"""Hand over, take back and no-show through the services: the time window, the stored notes, per role."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen import services, waitlist
from buchungen.models import Booking, BookingTransition, Notification
from buchungen.selectors_owner import may_mark_no_show_now
from tests.buchungen.conftest import at
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db

PERSONAS_WHO_MAY_NOT = ["member_a", "member_b", "manager_b", "coordinator", "outsider", "skill_holder"]


@pytest.fixture
def skill_holder(org_a):
    return MembershipFactory(organisation=org_a, user__name="Sina Skill").user


@pytest.fixture
def skill(org_a, skill_holder):
    return ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=skill_holder)


@pytest.fixture
def lent(book, member_b, beamers):
    """Two projectors for organisation B on 2 June, 10:00–18:00."""
    return book(member_b, beamers, at(2, 10), at(2, 18), quantity=2)


def snapshot(booking) -> tuple:
    booking.refresh_from_db()
    return (booking.status, booking.handed_over_to, booking.damage_report, booking.transitions.count())


# --- Check-out -------------------------------------------------------------------------------------------


def test_check_out_stores_who_received_it_and_the_condition(lent, manager_a):
    booking = services.booking_check_out(
        actor=manager_a,
        booking=lent,
        comment="Mit Tasche und Kabel",
        handed_over_to="  Bernd Mitglied ",
        now=at(2, 9, 30),
    )

    assert booking.status == "checked_out"
    lent.refresh_from_db()
    assert (lent.status, lent.handed_over_to) == ("checked_out", "Bernd Mitglied")
    step = lent.transitions.last()
    assert (step.from_status, step.to_status, step.actor, step.comment) == (
        "confirmed",
        "checked_out",
        manager_a,
        "Mit Tasche und Kabel",
    )


@pytest.mark.parametrize("now", [at(1, 10), at(2, 9), at(2, 17, 59)])
def test_check_out_is_open_from_one_day_before_the_start_until_the_end(lent, manager_a, now):
    services.booking_check_out(actor=manager_a, booking=lent, now=now)
    assert snapshot(lent)[0] == "checked_out"


@pytest.mark.parametrize(
    ("now", "words"), [(at(1, 9, 59), "from one day before"), (at(2, 18), "already ended")]
)
def test_check_out_is_refused_too_early_and_after_the_end(lent, manager_a, now, words):
    before = snapshot(lent)
    with pytest.raises(ValidationError) as excinfo:
        services.booking_check_out(actor=manager_a, booking=lent, handed_over_to="Bernd", now=now)
    assert words in excinfo.value.messages[0]
    assert not hasattr(excinfo.value, "error_dict")
    assert snapshot(lent) == before


@pytest.mark.parametrize("persona", PERSONAS_WHO_MAY_NOT)
def test_only_the_owners_managers_check_out(request, lent, persona):
    before = snapshot(lent)
    with pytest.raises(PermissionDenied):
        services.booking_check_out(
            actor=request.getfixturevalue(persona), booking=lent, handed_over_to="x", now=at(2, 9)
        )
    assert snapshot(lent) == before


def test_too_long_notes_are_errors_on_their_fields(lent, manager_a):
    before = snapshot(lent)
    with pytest.raises(ValidationError) as excinfo:
        services.booking_check_out(
            actor=manager_a, booking=lent, handed_over_to="x" * 201, comment="y" * 2001, now=at(2, 9)
        )
    assert set(excinfo.value.message_dict) == {"handed_over_to", "comment"}
    assert snapshot(lent) == before


def test_a_skill_is_not_checked_out_even_in_the_window(book, member_b, manager_a, skill):
    booking = book(member_b, skill, at(2, 10), at(2, 12))
    with pytest.raises(ValidationError):
        services.booking_check_out(actor=manager_a, booking=booking, now=at(2, 10))
    assert snapshot(booking)[0] == "confirmed"


def test_checking_out_twice_is_an_illegal_step(lent, manager_a):
    services.booking_check_out(actor=manager_a, booking=lent, handed_over_to="Bernd", now=at(2, 9))
    with pytest.raises(ValidationError):
        services.booking_check_out(actor=manager_a, booking=lent, handed_over_to="Berta", now=at(2, 10))
    assert snapshot(lent)[:2] == ("checked_out", "Bernd")


# --- Return ----------------------------------------------------------------------------------------------


def test_return_stores_the_damage_report_and_the_condition(lent, manager_a):
    services.booking_check_out(actor=manager_a, booking=lent, handed_over_to="Bernd", now=at(2, 9))
    services.booking_return(
        actor=manager_a, booking=lent, comment="Sauber", damage_report=" Linse zerkratzt\n"
    )

    assert snapshot(lent) == ("returned", "Bernd", "Linse zerkratzt", 3)
    assert lent.transitions.last().comment == "Sauber"


def test_a_late_return_is_still_a_return(book, member_b, manager_a, beamers):
    # Booked for June 2026 and returned now, months later: returns have no deadline.
    booking = book(member_b, beamers, at(2, 10), at(2, 18))
    services.booking_check_out(actor=manager_a, booking=booking, now=at(2, 10))
    services.booking_return(actor=manager_a, booking=booking)
    assert snapshot(booking)[0] == "returned"


@pytest.mark.parametrize("persona", PERSONAS_WHO_MAY_NOT)
def test_only_the_owners_managers_take_back(request, lent, manager_a, persona):
    services.booking_check_out(actor=manager_a, booking=lent, now=at(2, 9))
    before = snapshot(lent)
    with pytest.raises(PermissionDenied):
        services.booking_return(actor=request.getfixturevalue(persona), booking=lent, damage_report="x")
    assert snapshot(lent) == before


def test_a_too_long_damage_report_is_refused_on_its_field(lent, manager_a):
    services.booking_check_out(actor=manager_a, booking=lent, now=at(2, 9))
    before = snapshot(lent)
    with pytest.raises(ValidationError) as excinfo:
        services.booking_return(actor=manager_a, booking=lent, damage_report="x" * 2001)
    assert set(excinfo.value.message_dict) == {"damage_report"}
    assert snapshot(lent) == before


def test_what_was_not_handed_over_cannot_be_returned_and_nothing_is_stored(lent, manager_a):
    with pytest.raises(ValidationError):
        services.booking_return(actor=manager_a, booking=lent, damage_report="kaputt")
    assert snapshot(lent) == ("confirmed", "", "", 1)


# --- No-show ---------------------------------------------------------------------------------------------


def test_manager_records_a_no_show_after_the_start(lent, manager_a):
    booking = services.booking_no_show(actor=manager_a, booking=lent, comment="Niemand da", now=at(2, 10, 30))

    assert booking.status == "no_show"
    step = lent.transitions.last()
    assert (step.from_status, step.to_status, step.actor, step.comment) == (
        "confirmed",
        "no_show",
        manager_a,
        "Niemand da",
    )


def test_a_no_show_after_the_end_is_recorded_too(lent, manager_a):
    """The sweep has not completed it yet (it is still confirmed)."""
    services.booking_no_show(actor=manager_a, booking=lent, now=at(2, 18, 30))
    assert snapshot(lent) == ("no_show", "", "", 2)


def test_a_booking_the_sweep_completed_can_be_corrected_to_a_no_show(lent, manager_a):
    """The sweep completes a booking within a minute of its end, assuming it took place; the manager
    learns the next morning that nobody came."""
    assert services.booking_complete_past(now=at(2, 18, 1)) == 1
    assert snapshot(lent)[0] == "completed"

    services.booking_no_show(actor=manager_a, booking=lent, comment="Niemand kam", now=at(3, 9))

    step = lent.transitions.last()
    assert (step.from_status, step.to_status, step.comment) == ("completed", "no_show", "Niemand kam")
    assert snapshot(lent) == ("no_show", "", "", 3)


def test_the_offer_of_a_no_show_page_follows_the_service(lent, manager_a):
    """The pages offer "Record no-show" exactly when the service accepts it."""
    assert not may_mark_no_show_now(lent, at(2, 9, 59))
    assert may_mark_no_show_now(lent, at(2, 10))
    services.booking_complete_past(now=at(2, 18, 1))
    lent.refresh_from_db()
    assert may_mark_no_show_now(lent, at(3, 9))
    services.booking_no_show(actor=manager_a, booking=lent, now=at(3, 9))
    lent.refresh_from_db()
    assert not may_mark_no_show_now(lent, at(3, 9))


def test_a_no_show_frees_the_rest_of_the_booking_and_offers_it_to_the_waitlist(
    room, member_a, member_b, manager_a, org_a, org_b
):
    """Real clock (``_freed`` offers what is left from the real now): the booking started an hour ago and
    runs five more hours; someone waits for two hours of it, starting in two hours."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    booking = BookingFactory(
        resource=room,
        organisation=org_b,
        booked_by=member_b,
        start=hour - timedelta(hours=1),
        end=hour + timedelta(hours=6),
    )
    entry = waitlist.waitlist_join(
        actor=member_a,
        resource=room,
        start=hour + timedelta(hours=2),
        end=hour + timedelta(hours=4),
        organisation=org_a,
    )
    assert entry.status == "waiting"

    services.booking_no_show(actor=manager_a, booking=booking)

    entry.refresh_from_db()
    assert entry.status == "offered"
    assert Notification.objects.filter(
        recipient=member_a, kind="waitlist_offer", waitlist_entry=entry
    ).exists()
    # The person on the waitlist takes the offer: the time is really free.
    waitlist.waitlist_accept(actor=member_a, entry=entry)
    assert Booking.objects.get(resource=room, booked_by=member_a).status == "confirmed"


def test_a_refused_no_show_offers_nothing_to_the_waitlist(room, member_a, member_b, manager_a, org_a, org_b):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    booking = BookingFactory(
        resource=room,
        organisation=org_b,
        booked_by=member_b,
        start=hour + timedelta(hours=2),
        end=hour + timedelta(hours=6),
    )
    entry = waitlist.waitlist_join(
        actor=member_a,
        resource=room,
        start=hour + timedelta(hours=3),
        end=hour + timedelta(hours=4),
        organisation=org_a,
    )

    with pytest.raises(ValidationError):
        services.booking_no_show(actor=manager_a, booking=booking)

    entry.refresh_from_db()
    assert (entry.status, Booking.objects.get(pk=booking.pk).status) == ("waiting", "confirmed")


def test_no_show_is_possible_for_a_skill_too(book, member_b, manager_a, skill):
    booking = book(member_b, skill, at(2, 10), at(2, 12))
    services.booking_no_show(actor=manager_a, booking=booking, now=at(2, 11))
    assert snapshot(booking)[0] == "no_show"


def test_no_show_before_the_start_is_refused(lent, manager_a):
    with pytest.raises(ValidationError) as excinfo:
        services.booking_no_show(actor=manager_a, booking=lent, now=at(2, 9, 59))
    assert "started" in excinfo.value.messages[0]
    assert snapshot(lent) == ("confirmed", "", "", 1)


@pytest.mark.parametrize("persona", PERSONAS_WHO_MAY_NOT)
def test_only_the_owners_managers_record_a_no_show(request, lent, persona):
    with pytest.raises(PermissionDenied):
        services.booking_no_show(actor=request.getfixturevalue(persona), booking=lent, now=at(2, 11))
    assert snapshot(lent) == ("confirmed", "", "", 1)


def test_the_skill_holder_may_not_record_a_no_show_for_their_skill(book, member_b, skill, skill_holder):
    booking = book(member_b, skill, at(2, 10), at(2, 12))
    with pytest.raises(PermissionDenied):
        services.booking_no_show(actor=skill_holder, booking=booking, now=at(2, 11))


@pytest.mark.parametrize("step", ["requested", "checked_out", "cancelled"])
def test_only_confirmed_bookings_become_no_shows(book, member_b, manager_a, room, step):
    if step == "requested":
        room.requires_approval = True
        room.save()
    booking = book(member_b, room, at(2, 10), at(2, 12))
    if step == "checked_out":
        services.booking_check_out(actor=manager_a, booking=booking, now=at(2, 10))
    if step == "cancelled":
        services.booking_cancel(actor=member_b, booking=booking, now=at(1, 10))
    count = BookingTransition.objects.count()
    with pytest.raises(ValidationError):
        services.booking_no_show(actor=manager_a, booking=booking, now=at(2, 11))
    assert Booking.objects.get(pk=booking.pk).status == step
    assert BookingTransition.objects.count() == count


def test_a_no_show_keeps_counting_against_the_quota_but_frees_the_slot(
    book, member_a, member_b, manager_a, room
):
    booking = book(member_b, room, at(2, 10), at(2, 14))
    services.booking_no_show(actor=manager_a, booking=booking, now=at(2, 10, 30))
    assert "no_show" in services.QUOTA_STATUSES
    # The slot is no longer held: another booking for the same time goes through.
    assert book(member_a, room, at(2, 12), at(2, 14))
