"""The event messages: which notification rows each booking step writes, for whom, with what — inside the
step's transaction, once per event (a repeat writes nothing), nothing when the step is refused; series
and bundles without a flood; and the booking POST's query budget with the messages included.

Times are placed relative to the real clock (``slot``): the waitlist offer and the hand-over read it.
"""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen import bundles, notifications, series, services, waitlist
from buchungen.errors import BookingConflict
from buchungen.models import Booking, Notification
from konten.models import Membership
from tests.buchungen.conftest import BERLIN
from tests.factories import MembershipFactory, ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def slot(hour: int, minute: int = 0, *, days: int = 10) -> datetime:
    """A Berlin wall-clock time ``days`` after today (real clock)."""
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def rows(kind: str | None = None) -> list[tuple[str, str, dict]]:
    """(kind, recipient's e-mail, context) of every notification, oldest first."""
    found = Notification.objects.select_related("recipient").order_by("pk")
    if kind is not None:
        found = found.filter(kind=kind)
    return [(row.kind, row.recipient.email, row.context) for row in found]


def recipients(kind: str) -> set[str]:
    return {email for _kind, email, _context in rows(kind)}


@pytest.fixture
def approval_room(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen", requires_approval=True)


@pytest.fixture
def second_manager_a(org_a):
    return MembershipFactory(
        organisation=org_a, role=Membership.Role.MANAGER, user__email="alex@example.org"
    ).user


@pytest.fixture
def request_b(approval_room, member_b, org_b, manager_a, second_manager_a):
    """B's request for A's room (needs approval), 18:00–20:00 in ten days; A has two managers."""
    return services.booking_request(
        actor=member_b,
        resource=approval_room,
        start=slot(18),
        end=slot(20),
        organisation=org_b,
        purpose="Chor",
    )


# --- Placing -------------------------------------------------------------------------------------------


def test_a_direct_booking_confirms_to_the_borrower_only(room, member_b, org_b, manager_a):
    booking = services.booking_request(
        actor=member_b, resource=room, start=slot(18), end=slot(20), organisation=org_b
    )

    assert rows() == [("confirmed", "bernd@example.org", {"side": "borrower"})]
    assert Notification.objects.get().booking == booking
    assert Notification.objects.get().mandatory


def test_a_request_tells_the_borrower_and_every_decider(request_b, member_a):
    assert recipients("request_received") == {"bernd@example.org"}
    # Both managers of A decide; a plain member of A (member_a) does not hear of it.
    assert recipients("approval_needed") == {"anna@example.org", "alex@example.org"}
    assert not Notification.objects.filter(kind="confirmed").exists()
    by_kind = {row.kind: row for row in Notification.objects.all()}
    assert not by_kind["request_received"].mandatory and by_kind["approval_needed"].mandatory
    assert by_kind["approval_needed"].context == {"side": "owner"}


def test_an_inactive_manager_is_not_told(approval_room, member_b, org_b, manager_a, second_manager_a):
    second_manager_a.is_active = False
    second_manager_a.save()

    services.booking_request(
        actor=member_b, resource=approval_room, start=slot(18), end=slot(20), organisation=org_b
    )

    assert recipients("approval_needed") == {"anna@example.org"}


def test_a_skills_holder_decides_with_the_managers(member_a, member_b, manager_a, org_a, org_b):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=member_a, requires_approval=True
    )

    services.booking_request(actor=member_b, resource=skill, start=slot(18), end=slot(20), organisation=org_b)

    assert recipients("approval_needed") == {"anna@example.org", "moritz@example.org"}


def test_deciders_read_with_the_lock_equal_the_core_deciders(approval_room, manager_a, second_manager_a):
    locked = services.lock_resources([approval_room])[approval_room.pk]
    assert {person.pk for person in services.resource_deciders(locked)} == {
        person.pk for person in notifications.deciders(approval_room)
    }


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"start": slot(18), "end": slot(18)}, id="end-not-after-start"),
        pytest.param({"organisation": "other"}, id="not-a-member"),
        pytest.param({"start": slot(18, days=-1), "end": slot(20, days=-1)}, id="in-the-past"),
        pytest.param({"start": slot(19), "end": slot(21)}, id="conflict"),
    ],
)
def test_a_refused_request_writes_no_notification(request, request_b, member_a, org_a, org_b, change):
    Notification.objects.all().delete()
    kwargs = {
        "actor": member_a,
        "resource": request_b.resource,
        "start": slot(19),
        "end": slot(21),
        "organisation": org_a,
        **change,
    }
    if kwargs["organisation"] == "other":
        kwargs["organisation"] = org_b

    with pytest.raises((ValidationError, PermissionDenied, BookingConflict)):
        services.booking_request(**kwargs)

    assert Notification.objects.count() == 0


# --- Steps -----------------------------------------------------------------------------------------------


def test_approving_confirms_to_the_borrower_with_the_comment(request_b, manager_a):
    services.booking_approve(actor=manager_a, booking=request_b, comment=" Schlüssel beim Hausmeister ")

    assert rows("confirmed") == [
        (
            "confirmed",
            "bernd@example.org",
            {"side": "borrower", "comment": "Schlüssel beim Hausmeister", "approved": True},
        )
    ]


def test_declining_tells_the_borrower_the_reason(request_b, manager_a):
    services.booking_decline(actor=manager_a, booking=request_b, comment="Saal wird renoviert")

    assert rows("declined") == [
        ("declined", "bernd@example.org", {"side": "borrower", "comment": "Saal wird renoviert"})
    ]


def test_a_refused_step_writes_no_notification(request_b, manager_a, member_b):
    before = Notification.objects.count()

    with pytest.raises(ValidationError):
        services.booking_decline(actor=manager_a, booking=request_b, comment="  ")
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=member_b, booking=request_b)

    assert Notification.objects.count() == before


def test_the_borrower_cancelling_gets_a_receipt_and_the_owner_is_told(request_b, member_b):
    services.booking_cancel(actor=member_b, booking=request_b, comment="Krank")

    found = {email: context for _kind, email, context in rows("cancelled")}
    assert set(found) == {"bernd@example.org", "anna@example.org", "alex@example.org"}
    assert found["bernd@example.org"] == {
        "side": "borrower",
        "comment": "Krank",
        "actor": member_b.pk,
        "by": "borrower",
    }
    assert found["anna@example.org"]["side"] == "owner"


def test_a_manager_cancelling_is_not_told_but_the_colleague_and_borrower_are(request_b, manager_a):
    services.booking_cancel(actor=manager_a, booking=request_b)

    found = {email: context for _kind, email, context in rows("cancelled")}
    assert set(found) == {"bernd@example.org", "alex@example.org"}
    assert found["bernd@example.org"]["by"] == "owner"


def test_hand_over_and_return_send_receipts_to_the_borrower(beamers, member_b, org_b, manager_a):
    booking = services.booking_request(
        actor=member_b, resource=beamers, start=slot(18, days=0), end=slot(23, days=0), organisation=org_b
    )
    moment = slot(18, days=0) - timedelta(hours=2)

    services.booking_check_out(
        actor=manager_a, booking=booking, comment="Kabel dabei", handed_over_to="Bernd", now=moment
    )
    services.booking_return(actor=manager_a, booking=booking, comment="Gut", damage_report="Linse verkratzt")

    assert rows("checked_out") == [
        ("checked_out", "bernd@example.org", {"side": "borrower", "comment": "Kabel dabei"})
    ]
    assert rows("returned") == [("returned", "bernd@example.org", {"side": "borrower", "comment": "Gut"})]
    assert not Notification.objects.get(kind="returned").mandatory


def test_a_no_show_tells_nobody(room, member_b, org_b, manager_a):
    booking = services.booking_request(
        actor=member_b, resource=room, start=slot(18), end=slot(20), organisation=org_b
    )
    before = Notification.objects.count()

    services.booking_no_show(actor=manager_a, booking=booking, now=slot(19))

    assert Notification.objects.count() == before


def test_a_repeated_event_writes_nothing_new(request_b, manager_a):
    services.booking_approve(actor=manager_a, booking=request_b, comment="Gern")
    before = list(Notification.objects.values_list("key", flat=True).order_by("key"))

    services.booking_notify_step(Booking.objects.get(pk=request_b.pk), actor=manager_a, comment="Gern")
    services.booking_notify_placed([Booking.objects.get(pk=request_b.pk)])

    assert list(Notification.objects.values_list("key", flat=True).order_by("key")) == before
    assert Notification.objects.count() == len(before)


# --- Waitlist --------------------------------------------------------------------------------------------


def test_a_freed_slot_offers_it_to_the_waiting_person(room, member_a, member_b, org_a, org_b):
    blocker = services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(12), organisation=org_a
    )
    entry = waitlist.waitlist_join(
        actor=member_b, resource=room, start=slot(10), end=slot(12), organisation=org_b
    )

    services.booking_cancel(actor=member_a, booking=blocker)

    entry.refresh_from_db()
    offer = Notification.objects.get(kind="waitlist_offer")
    assert (offer.recipient, offer.waitlist_entry, offer.booking) == (member_b, entry, None)
    assert offer.mandatory
    assert offer.context == {"offer_expires": entry.offer_expires.isoformat()}
    assert offer.sequence == waitlist.offer_sequence(entry.offered_at)


# --- Series and bundles ----------------------------------------------------------------------------------


def test_a_series_sends_one_request_message_and_one_per_decider(
    approval_room, member_b, org_b, manager_a, second_manager_a
):
    made, occurrences = series.booking_series_create(
        actor=member_b,
        resource=approval_room,
        start=slot(18),
        end=slot(20),
        rrule="FREQ=WEEKLY;COUNT=4",
        organisation=org_b,
    )

    dates = [occurrence.booking.pk for occurrence in occurrences]
    assert rows("request_received") == [
        ("request_received", "bernd@example.org", {"series": made.pk, "side": "borrower", "bookings": dates})
    ]
    assert recipients("approval_needed") == {"anna@example.org", "alex@example.org"}
    assert Notification.objects.filter(kind="approval_needed").count() == 2
    assert Notification.objects.count() == 3


def test_a_direct_series_confirms_once(room, member_b, org_b):
    series.booking_series_create(
        actor=member_b,
        resource=room,
        start=slot(18),
        end=slot(20),
        rrule="FREQ=DAILY;COUNT=3",
        organisation=org_b,
    )

    assert [kind for kind, *_rest in rows()] == ["confirmed"]
    assert len(rows()[0][2]["bookings"]) == 3


def test_a_series_preview_writes_no_notification(room, member_b, org_b):
    series.booking_series_preview(
        actor=member_b,
        resource=room,
        start=slot(18),
        end=slot(20),
        rrule="FREQ=DAILY;COUNT=3",
        organisation=org_b,
    )

    assert Notification.objects.count() == 0


def test_cancelling_the_rest_of_a_series_sends_one_message_per_person(room, member_b, org_b, manager_a):
    made, _occurrences = series.booking_series_create(
        actor=member_b,
        resource=room,
        start=slot(18),
        end=slot(20),
        rrule="FREQ=DAILY;COUNT=3",
        organisation=org_b,
    )

    cancelled = series.booking_series_cancel_rest(actor=member_b, series=made, from_start=slot(0, days=11))

    assert len(cancelled) == 2
    assert sorted(email for _kind, email, _context in rows("cancelled")) == [
        "anna@example.org",
        "bernd@example.org",
    ]
    assert rows("cancelled")[0][2]["bookings"] == [booking.pk for booking in cancelled]


def test_a_bundle_sends_one_message_per_recipient(
    approval_room, beamers, member_b, org_b, manager_a, manager_b
):
    room_b = ResourceFactory(organisation=org_b, name="Raum 101", requires_approval=True)
    request = bundles.booking_request_bundle(
        actor=member_b,
        organisation=org_b,
        items=[
            {"resource": approval_room, "start": slot(18), "end": slot(20)},
            {"resource": beamers, "start": slot(18), "end": slot(20)},
            {"resource": room_b, "start": slot(18), "end": slot(20)},
        ],
    )

    parts = list(request.items.order_by("pk"))
    assert rows("request_received") == [
        (
            "request_received",
            "bernd@example.org",
            {"request": request.pk, "side": "borrower", "bookings": [part.pk for part in parts]},
        )
    ]
    # A's managers decide on the room only (the projectors need no approval), B's on their room.
    approvals = {email: context for _kind, email, context in rows("approval_needed")}
    assert approvals == {
        "anna@example.org": {"request": request.pk, "side": "owner"},
        "berta@example.org": {"request": request.pk, "side": "owner"},
    }
    assert Notification.objects.get(recipient=manager_b).booking == parts[2]
    assert Notification.objects.count() == 3


def test_cancelling_a_bundle_sends_one_message_per_recipient(
    approval_room, beamers, member_b, org_b, manager_a
):
    request = bundles.booking_request_bundle(
        actor=member_b,
        organisation=org_b,
        items=[
            {"resource": approval_room, "start": slot(18), "end": slot(20)},
            {"resource": beamers, "start": slot(18), "end": slot(20)},
        ],
    )

    bundles.booking_request_cancel(actor=member_b, request=request)

    found = {email: context for _kind, email, context in rows("cancelled")}
    assert set(found) == {"bernd@example.org", "anna@example.org"}
    assert len(found["bernd@example.org"]["bookings"]) == 2
    assert len(found["anna@example.org"]["bookings"]) == 2  # both parts are A's: one message


def test_a_refused_bundle_writes_no_notification(room, member_a, member_b, org_a, org_b):
    services.booking_request(actor=member_a, resource=room, start=slot(18), end=slot(20), organisation=org_a)
    Notification.objects.all().delete()

    with pytest.raises(BookingConflict):
        bundles.booking_request_bundle(
            actor=member_b, organisation=org_b, items=[{"resource": room, "start": slot(19), "end": slot(21)}]
        )

    assert Notification.objects.count() == 0


# --- Delivery once ---------------------------------------------------------------------------------------


def test_each_message_is_mailed_once_and_a_second_sweep_sends_nothing(
    request_b, manager_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.deliver_due()  # the request's messages (written outside this block)
        services.booking_approve(actor=manager_a, booking=request_b)
    sent = len(mail.outbox)
    assert sent == Notification.objects.count() == 4  # received, 2 × approval needed, confirmed

    with django_capture_on_commit_callbacks(execute=True):
        notifications.deliver_due(now=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        notifications.deliver_due(now=timezone.now() + timedelta(hours=2))
        services.booking_notify_step(Booking.objects.get(pk=request_b.pk), actor=manager_a)

    assert len(mail.outbox) == sent
    assert set(Notification.objects.values_list("email_state", flat=True)) == {"sent"}


# --- Query budget ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_booking_post_that_needs_approval_takes_at_most_twelve_queries(
    member_b, org_b, org_a, manager_a, django_assert_max_num_queries, monkeypatch
):
    """As tests/api/test_bookings.py measures a direct booking: token, resource, organisation, BEGIN,
    membership, opening hours with closures (one query), resource lock with the deciders, conflicts,
    booking, step, both messages (one INSERT), COMMIT. The e-mails are the worker's."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    queued: list[str] = []
    monkeypatch.setattr("buchungen.notifications.queue", queued.extend)
    room = ResourceFactory(organisation=org_a, requires_approval=True)
    MembershipFactory.create_batch(3, organisation=org_a, role=Membership.Role.MANAGER)
    UserFactory.create_batch(2)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member_b).key}")
    body = {
        "resource": room.pk,
        "organisation": org_b.pk,
        "start": slot(18).isoformat(),
        "end": slot(20).isoformat(),
    }

    with django_assert_max_num_queries(12):
        response = client.post("/api/v1/bookings/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "requested"
    assert len(queued) == 5  # the borrower's receipt, four managers
    assert Notification.objects.filter(kind="approval_needed").count() == 4
