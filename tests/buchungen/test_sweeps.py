"""The per-minute sweep (buchungen/reminders.py ``sweep``): expiry of unanswered requests with a message to
both sides, completion of past bookings, waitlist lapses, e-mail delivery — each step on its own, once."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from buchungen import notifications, reminders, services, tasks
from buchungen.models import Booking, BookingTransition, Notification, WaitlistEntry
from tests.buchungen.conftest import at
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def sweep(now):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.sweep(now=now)

    return sweep


def request(resource, start, **kwargs):
    made = BookingFactory(resource=resource, start=start, status="requested", **kwargs)
    Booking.objects.filter(pk=made.pk).update(created=start - timedelta(days=7))
    return made


def status_of(booking):
    return Booking.objects.values_list("status", flat=True).get(pk=booking.pk)


def test_an_unanswered_request_expires_at_its_start_and_both_sides_are_told(
    run, room, org_b, member_b, manager_a, manager_b
):
    member_b.language = "en"
    member_b.save()
    manager_a.language = "en"
    manager_a.save()
    room.requires_approval = True
    room.save()
    made = request(room, at(3, 18), booked_by=member_b, organisation=org_b)
    # The day's digest goes out at seven (here by the sweep, as when beat's task was missed).
    run(at(3, 7))
    assert Notification.objects.filter(kind="digest", recipient=manager_a).count() == 1
    mail.outbox.clear()

    assert run(at(3, 17, 59))["expire_unanswered"] == 0
    assert run(at(3, 18))["expire_unanswered"] == 1
    assert status_of(made) == "expired"

    rows = {row.recipient: row for row in Notification.objects.filter(kind="expired")}
    assert set(rows) == {member_b, manager_a}  # the borrower and the owner's manager, not manager_b
    assert rows[member_b].context == {"side": "borrower"}
    assert rows[manager_a].context == {"side": "owner"}
    assert all(row.mandatory and row.booking == made for row in rows.values())

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"bernd@example.org", "anna@example.org"}
    for message in by_address.values():
        assert message.subject == "[Ressourcennetz] Request expired: Saal Hafen, 06/03/2026 6 p.m."
        assert "When: June 3, 2026, 6 p.m. to June 3, 2026, 8 p.m." in message.body
    assert "the booking does not take place" in by_address["bernd@example.org"].body
    assert "The borrower has been told." in by_address["anna@example.org"].body

    # A second run: nothing changes, nothing is written or sent.
    assert run(at(3, 18, 1))["expire_unanswered"] == 0
    assert Notification.objects.filter(kind="expired").count() == 2
    assert len(mail.outbox) == 2


def test_an_expired_skill_request_tells_its_holder(run, org_a, org_b, member_a, member_b, manager_a):
    skill = ResourceFactory(
        organisation=org_a,
        kind="skill",
        holder=member_a,
        name="Tontechnik",
        capacity=None,
        requires_approval=True,
    )
    request(skill, at(3, 10), booked_by=member_b, organisation=org_b)
    run(at(3, 10))
    recipients = set(Notification.objects.filter(kind="expired").values_list("recipient__email", flat=True))
    assert recipients == {"bernd@example.org", "anna@example.org", "moritz@example.org"}


def test_expiry_and_its_messages_are_one_transaction(run, room, member_b, manager_a, monkeypatch, caplog):
    """If writing the messages fails, the request stays requested (and is retried by the next sweep);
    the other steps still run."""
    made = request(room, at(3, 18), booked_by=member_b)
    confirmed = BookingFactory(resource=room, start=at(3, 8), booked_by=member_b)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(notifications, "notify_many", broken)
    with caplog.at_level(logging.ERROR, logger="buchungen.reminders"):
        results = run(at(3, 18))
    assert results["expire_unanswered"] is None
    assert results["complete_past"] == 1
    assert status_of(made) == "requested"
    assert status_of(confirmed) == "completed"
    assert not BookingTransition.objects.filter(to_status="expired").exists()
    assert "sweep step expire_unanswered failed" in caplog.text

    monkeypatch.undo()
    assert run(at(3, 18, 1))["expire_unanswered"] == 1
    assert Notification.objects.filter(kind="expired").count() == 2  # the borrower and the manager
    assert status_of(made) == "expired"


def test_a_manager_requesting_their_own_room_gets_one_expiry_message(run, room, org_a, manager_a):
    room.requires_approval = True
    room.save()
    request(room, at(3, 18), booked_by=manager_a, organisation=org_a)
    run(at(3, 18))
    (row,) = Notification.objects.filter(kind="expired")
    assert (row.recipient, row.context) == (manager_a, {"side": "borrower"})
    assert len(mail.outbox) == 1


def test_a_failing_step_does_not_stop_the_others(run, room, beamers, member_b, monkeypatch, caplog):
    past = BookingFactory(resource=room, start=at(2, 8), booked_by=member_b)
    soon = BookingFactory(resource=room, start=at(3, 18), booked_by=member_b)
    Booking.objects.filter(pk=soon.pk).update(created=at(1, 8))

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "booking_complete_past", broken)
    with caplog.at_level(logging.ERROR, logger="buchungen.reminders"):
        results = run(at(2, 18))
    assert results["complete_past"] is None
    assert results["reminders"] == 1
    assert results["deliver"] == 1
    assert status_of(past) == "confirmed"
    assert len(mail.outbox) == 1
    assert "sweep step complete_past failed" in caplog.text and "boom" in caplog.text


def test_a_second_sweep_writes_and_sends_nothing(run, room, beamers, org_b, member_b, manager_a):
    """Every kind of scheduled work at once; the same minute again finds nothing to do."""
    room.requires_approval = True
    room.save()
    request(room, at(3, 9), booked_by=member_b, organisation=org_b)  # expires
    BookingFactory(resource=room, start=at(3, 6), booked_by=member_b)  # completes (ended 8:00)
    soon = BookingFactory(resource=room, start=at(4, 8, 30), booked_by=member_b)  # reminder
    Booking.objects.filter(pk=soon.pk).update(created=at(1, 8))
    lent = BookingFactory(
        resource=beamers, start=at(1, 10), end=at(3, 10), booked_by=member_b, status="checked_out"
    )
    Booking.objects.filter(pk=lent.pk).update(created=at(1, 8))
    lent_too = BookingFactory(
        resource=beamers, start=at(1, 10), end=at(3, 12), booked_by=member_b, status="checked_out"
    )
    Booking.objects.filter(pk=lent_too.pk).update(created=at(1, 8))
    WaitlistEntry.objects.create(resource=room, person=member_b, start=at(3, 9), end=at(3, 10))

    first = run(at(3, 9, 30))
    assert first == {
        "complete_past": 1,
        "expire_unanswered": 1,
        "reminders": 1,
        "return_due": 1,
        "overdue": 0,
        "waitlist_lapse": 1,
        "digest": 0,  # the only request expired in this sweep
        "deliver": 2,  # reminder and return due; the expiry messages were queued at their commit
    }
    notifications_written = Notification.objects.count()
    steps = BookingTransition.objects.count()
    sent = len(mail.outbox)
    assert notifications_written == 4 and sent == 4

    again = run(at(3, 9, 30))
    assert again == dict.fromkeys(first, 0)
    assert (Notification.objects.count(), BookingTransition.objects.count(), len(mail.outbox)) == (
        notifications_written,
        steps,
        sent,
    )


def test_the_beat_tasks_run_the_sweep_and_the_digest(room, member_b):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=12)  # the real clock
    soon = BookingFactory(resource=room, booked_by=member_b, start=start)
    Booking.objects.filter(pk=soon.pk).update(created=start - timedelta(days=30))
    results = tasks.sweep.apply().get()
    assert results["reminders"] == 1
    assert tasks.digest.apply().get() == 0
