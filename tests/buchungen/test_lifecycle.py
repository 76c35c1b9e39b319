"""The lifecycle: approve, decline, cancel, hand over, take back, and the sweeps — per role."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingTransition
from tests.buchungen.conftest import NOW, at
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval_room(room):
    room.requires_approval = True
    room.save()
    return room


@pytest.fixture
def request_b(book, member_b, approval_room):
    """A request of organisation B for A's room."""
    return book(member_b, approval_room, at(2, 18), at(2, 21), purpose="Sprachkurs")


def steps(booking) -> list[tuple[str, str]]:
    return list(booking.transitions.values_list("from_status", "to_status"))


def status_of(booking) -> str:
    booking.refresh_from_db()
    return booking.status


# --- Approve and decline ---------------------------------------------------------------------------------


def test_manager_of_the_owner_approves_a_request(request_b, manager_a):
    booking = services.booking_approve(actor=manager_a, booking=request_b, comment="Gern!")

    assert booking.status == "confirmed"
    assert status_of(request_b) == "confirmed"
    last = request_b.transitions.last()
    assert (last.from_status, last.to_status, last.actor, last.comment) == (
        "requested",
        "confirmed",
        manager_a,
        "Gern!",
    )


@pytest.mark.parametrize("persona", ["member_a", "member_b", "manager_b", "coordinator", "outsider"])
def test_nobody_else_approves(request, request_b, persona):
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=request.getfixturevalue(persona), booking=request_b)
    assert status_of(request_b) == "requested"
    assert steps(request_b) == [("", "requested")]


def test_the_manager_of_the_borrowing_organisation_cannot_approve_its_own_request(
    book, manager_b, approval_room
):
    own_request = book(manager_b, approval_room, at(2, 18), at(2, 21))
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=manager_b, booking=own_request)


def test_skill_holder_confirms_requests_for_their_skill(book, member_a, member_b, manager_a, org_a):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=member_a, requires_approval=True
    )
    first = book(member_b, skill, at(2, 10), at(2, 12))
    second = book(member_b, skill, at(3, 10), at(3, 12))

    assert services.booking_approve(actor=member_a, booking=first).status == "confirmed"
    # The owner's managers can step in for the holder.
    assert services.booking_decline(actor=manager_a, booking=second, comment="Urlaub").status == "declined"


def test_a_member_who_does_not_hold_the_skill_cannot_confirm_it(book, member_a, member_b, org_a):
    holder = MembershipFactory(organisation=org_a).user
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=holder, requires_approval=True
    )
    pending = book(member_b, skill, at(2, 10), at(2, 12))
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=member_a, booking=pending)


def test_approving_twice_is_an_illegal_step(request_b, manager_a):
    services.booking_approve(actor=manager_a, booking=request_b)
    with pytest.raises(ValidationError) as excinfo:
        services.booking_approve(actor=manager_a, booking=request_b)
    assert "Confirmed" in excinfo.value.messages[0]
    assert len(steps(request_b)) == 2


def test_decline_needs_a_reason(request_b, manager_a):
    with pytest.raises(ValidationError) as excinfo:
        services.booking_decline(actor=manager_a, booking=request_b, comment="  ")
    assert set(excinfo.value.message_dict) == {"comment"}
    assert status_of(request_b) == "requested"


def test_declining_frees_the_slot(book, request_b, manager_a, member_a):
    services.booking_decline(actor=manager_a, booking=request_b, comment="Renovierung")
    assert status_of(request_b) == "declined"
    assert request_b.transitions.last().comment == "Renovierung"
    assert book(member_a, request_b.resource, at(2, 18), at(2, 21))


def test_a_confirmed_booking_cannot_be_declined(book, member_b, room, manager_a):
    confirmed = book(member_b, room, at(2, 18), at(2, 21))
    with pytest.raises(ValidationError):
        services.booking_decline(actor=manager_a, booking=confirmed, comment="Doch nicht")


# --- Cancel ----------------------------------------------------------------------------------------------


@pytest.fixture
def colleague_b(org_b):
    return MembershipFactory(organisation=org_b).user


@pytest.mark.parametrize("persona", ["member_b", "colleague_b", "manager_b", "manager_a"])
def test_borrower_colleagues_and_owner_managers_may_cancel(request, book, member_b, room, persona):
    booking = book(member_b, room, at(2, 18), at(2, 21))

    services.booking_cancel(actor=request.getfixturevalue(persona), booking=booking, comment="Krank", now=NOW)

    assert status_of(booking) == "cancelled"
    assert steps(booking)[-1] == ("confirmed", "cancelled")


@pytest.mark.parametrize("persona", ["member_a", "coordinator", "outsider"])
def test_others_may_not_cancel(request, book, member_b, room, persona):
    booking = book(member_b, room, at(2, 18), at(2, 21))
    with pytest.raises(PermissionDenied):
        services.booking_cancel(actor=request.getfixturevalue(persona), booking=booking, now=NOW)
    assert status_of(booking) == "confirmed"


def test_a_request_can_be_withdrawn(request_b, member_b):
    services.booking_cancel(actor=member_b, booking=request_b, now=NOW)
    assert steps(request_b) == [("", "requested"), ("requested", "cancelled")]


def test_cancelling_frees_the_slot(book, member_a, member_b, room):
    booking = book(member_b, room, at(2, 18), at(2, 21))
    services.booking_cancel(actor=member_b, booking=booking, now=NOW)
    assert book(member_a, room, at(2, 18), at(2, 21))


def test_a_booking_that_has_ended_cannot_be_cancelled(book, member_b, room):
    booking = book(member_b, room, at(2, 18), at(2, 21))
    with pytest.raises(ValidationError):
        services.booking_cancel(actor=member_b, booking=booking, now=at(2, 21))
    assert status_of(booking) == "confirmed"


def test_cancelling_twice_is_an_illegal_step(book, member_b, room):
    booking = book(member_b, room, at(2, 18), at(2, 21))
    services.booking_cancel(actor=member_b, booking=booking, now=NOW)
    with pytest.raises(ValidationError):
        services.booking_cancel(actor=member_b, booking=booking, now=NOW)


def test_the_person_who_booked_may_cancel_after_leaving_the_organisation(book, member_b, room):
    booking = book(member_b, room, at(2, 18), at(2, 21))
    member_b.memberships.all().delete()
    services.booking_cancel(actor=member_b, booking=booking, now=NOW)
    assert status_of(booking) == "cancelled"


# --- Hand over and take back -------------------------------------------------------------------------------


def test_manager_hands_over_and_takes_back_equipment_with_condition_notes(book, member_b, manager_a, beamers):
    booking = book(member_b, beamers, at(2, 10), at(2, 18), quantity=2)

    services.booking_check_out(actor=manager_a, booking=booking, comment="Mit Tasche und Kabel", now=at(2, 9))
    services.booking_return(actor=manager_a, booking=booking, comment="Linse zerkratzt")

    assert status_of(booking) == "returned"
    assert steps(booking) == [("", "confirmed"), ("confirmed", "checked_out"), ("checked_out", "returned")]
    assert booking.transitions.last().comment == "Linse zerkratzt"


def test_returned_equipment_is_free_again(book, member_a, member_b, manager_a, beamers):
    booking = book(member_b, beamers, at(2, 10), at(2, 18), quantity=3)
    services.booking_check_out(actor=manager_a, booking=booking, now=at(2, 9))
    with pytest.raises(BookingConflict):
        book(member_a, beamers, at(2, 14), at(2, 16))
    services.booking_return(actor=manager_a, booking=booking)
    assert book(member_a, beamers, at(2, 14), at(2, 16))


@pytest.mark.parametrize("persona", ["member_a", "member_b", "manager_b", "coordinator"])
def test_only_the_owners_managers_hand_over(request, book, member_b, beamers, persona):
    booking = book(member_b, beamers, at(2, 10), at(2, 18))
    with pytest.raises(PermissionDenied):
        services.booking_check_out(actor=request.getfixturevalue(persona), booking=booking)


def test_a_skill_is_not_handed_over(book, member_a, member_b, manager_a, org_a):
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a)
    booking = book(member_b, skill, at(2, 10), at(2, 12))
    with pytest.raises(ValidationError):
        services.booking_check_out(actor=manager_a, booking=booking)


def test_what_was_not_handed_over_cannot_be_returned(book, member_b, manager_a, beamers):
    booking = book(member_b, beamers, at(2, 10), at(2, 18))
    with pytest.raises(ValidationError):
        services.booking_return(actor=manager_a, booking=booking)


def test_a_request_cannot_be_handed_over(request_b, manager_a):
    with pytest.raises(ValidationError):
        services.booking_check_out(actor=manager_a, booking=request_b)


def test_every_status_has_a_row_in_the_transition_table():
    assert set(services.TRANSITIONS) == {"", *Booking.Status.values}
    for targets in services.TRANSITIONS.values():
        assert targets <= set(Booking.Status.values)


# --- Sweeps -------------------------------------------------------------------------------------------------


def test_past_confirmed_bookings_are_completed_once(room):
    now = timezone.now()
    past = BookingFactory(resource=room, start=now - timedelta(hours=5), end=now - timedelta(hours=3))
    tidying = BookingFactory(resource=room, start=now - timedelta(hours=2), end=now - timedelta(hours=1))
    Booking.objects.filter(pk=tidying.pk).update(blocked_end=now + timedelta(minutes=30))
    future = BookingFactory(resource=room, start=now + timedelta(hours=1))
    handed_over = BookingFactory(
        resource=room, start=now - timedelta(hours=9), end=now - timedelta(hours=8), status="checked_out"
    )

    assert services.booking_complete_past(now=now) == 1
    assert services.booking_complete_past(now=now) == 0

    assert [status_of(b) for b in (past, tidying, future, handed_over)] == [
        "completed",
        "confirmed",  # its tidy-up buffer is still running
        "confirmed",
        "checked_out",  # waits to be returned
    ]
    step = past.transitions.get()
    assert (step.from_status, step.to_status, step.actor) == ("confirmed", "completed", None)


def test_unanswered_requests_expire_at_their_start_once(room):
    now = timezone.now()
    started = BookingFactory(resource=room, start=now - timedelta(minutes=1), status="requested")
    waiting = BookingFactory(resource=room, start=now + timedelta(days=1), status="requested")
    confirmed = BookingFactory(resource=room, start=now - timedelta(days=1), status="confirmed")

    assert services.booking_expire_unanswered(now=now) == 1
    assert services.booking_expire_unanswered(now=now) == 0

    assert [status_of(b) for b in (started, waiting, confirmed)] == ["expired", "requested", "confirmed"]
    assert BookingTransition.objects.filter(to_status="expired").count() == 1
