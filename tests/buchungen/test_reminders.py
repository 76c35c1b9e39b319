"""Scheduled messages (buchungen/reminders.py): reminders before the start, return-due and overdue notices
for equipment, the managers' daily digest — recipients, language, subject, content, and "once".

Every test runs the real sweep on a fixed clock and lets the e-mail part run (after-commit callbacks
executed, Celery eager, locmem mail backend)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from buchungen import notifications, reminders
from buchungen.models import Booking, BookingTransition, Notification
from konten.models import User
from tests.buchungen.conftest import BERLIN, at
from tests.factories import BookingFactory, ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """``run(now)``: one sweep on a fixed clock, with the e-mail delivery it queues; returns its counts."""

    def sweep(now):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.sweep(now=now)

    return sweep


def booking(resource, start, *, end=None, created=None, status="confirmed", moved_at=None, **kwargs):
    """A booking on the table, made at ``created`` (default: a week before the start); ``moved_at``
    records the step into ``status`` at that time."""
    made = BookingFactory(
        resource=resource, start=start, end=end or start + timedelta(hours=2), status=status, **kwargs
    )
    Booking.objects.filter(pk=made.pk).update(created=created or start - timedelta(days=7))
    if moved_at is not None:
        BookingTransition.objects.create(booking=made, from_status="requested", to_status=status, at=moved_at)
    made.refresh_from_db()
    return made


def rows(kind):
    return list(Notification.objects.filter(kind=kind).order_by("sequence", "recipient__email"))


def test_key_matches_the_core(member_b, room):
    made = booking(room, at(3, 18), booked_by=member_b)
    assert reminders._key("reminder", made.pk, 2, member_b.pk) == notifications.notification_key(
        "reminder", member_b, booking=made, sequence=2
    )
    assert reminders._key("digest", None, 20260601, member_b.pk) == notifications.notification_key(
        "digest", member_b, sequence=20260601
    )


# --- Reminders ----------------------------------------------------------------------------------------------


def test_reminder_goes_to_the_borrower_once_when_due(run, room, member_b, manager_a):
    member_b.language = "en"
    member_b.save()
    made = booking(room, at(3, 18), booked_by=member_b, purpose="Chorprobe")

    assert run(at(2, 17, 59))["reminders"] == 0
    assert run(at(2, 18))["reminders"] == 1

    (reminder,) = rows("reminder")
    assert (reminder.recipient, reminder.booking, reminder.mandatory) == (member_b, made, False)
    (message,) = mail.outbox
    assert message.to == ["bernd@example.org"]
    assert message.subject == "[Ressourcennetz] Reminder: Saal Hafen, 06/03/2026 6 p.m."
    assert "This is a reminder of your booking:" in message.body
    assert "June 3, 2026, 6 p.m. to June 3, 2026, 8 p.m." in message.body
    assert "Chorprobe" in message.body
    assert f"http://testserver/buchungen/{made.pk}/" in message.body
    html = message.alternatives[0][0]
    assert "Saal Hafen" in html and f'href="http://testserver/buchungen/{made.pk}/"' in html

    # The next minutes, and a sweep running twice: nothing written, nothing sent.
    assert run(at(2, 18))["reminders"] == 0
    assert run(at(3, 17))["reminders"] == 0
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_reminder_is_written_in_the_recipients_language(run, room, member_b):
    booking(room, at(3, 18), booked_by=member_b)  # member_b speaks German (the factory's default)
    run(at(2, 18))
    (message,) = mail.outbox
    # Dates in German formats (Django's own catalogue): "3. Juni 2026 18:00", "03.06.2026 18:00".
    assert "03.06.2026 18:00" in message.subject
    assert "Juni 2026" in message.body


def test_reminder_hours_come_from_the_resource(run, room, member_b):
    room.reminder_hours = 3
    room.save()
    booking(room, at(3, 18), booked_by=member_b)
    assert run(at(3, 14, 59))["reminders"] == 0
    assert run(at(3, 15))["reminders"] == 1


def test_no_reminder_when_the_resource_has_none(run, room, member_b):
    room.reminder_hours = 0
    room.save()
    booking(room, at(3, 18), booked_by=member_b)
    assert run(at(3, 17))["reminders"] == 0
    assert not Notification.objects.exists()


def test_no_reminder_for_a_booking_made_after_it_was_due(run, room, member_b):
    """Booked two hours ahead: the confirmation is the reminder; a second mail a minute later is noise."""
    booking(room, at(3, 18), booked_by=member_b, created=at(3, 16))
    assert run(at(3, 16, 1))["reminders"] == 0
    assert run(at(3, 17, 59))["reminders"] == 0


def test_no_reminder_for_a_request_approved_after_it_was_due(run, room, member_b):
    late = booking(room, at(3, 18), booked_by=member_b, moved_at=at(3, 9))
    early = booking(room, at(3, 20), booked_by=member_b, moved_at=at(1, 9))
    run(at(3, 10))
    assert [row.booking for row in rows("reminder")] == [early]
    assert late.notifications.count() == 0


def test_no_reminder_once_the_booking_started_or_when_not_confirmed(run, room, member_b):
    booking(room, at(2, 8), booked_by=member_b)  # started: the sweep was down during its reminder time
    booking(room, at(3, 18), booked_by=member_b, status="cancelled")
    booking(room, at(3, 20), booked_by=member_b, status="requested")
    assert run(at(2, 20))["reminders"] == 0


def test_reminder_respects_the_persons_preference_at_sending_time(run, room, member_b):
    member_b.notify_reminders = False
    member_b.save()
    booking(room, at(3, 18), booked_by=member_b)
    run(at(2, 18))
    (reminder,) = rows("reminder")
    assert reminder.email_state == "skipped"  # still in the notification centre
    assert mail.outbox == []


def test_reminder_for_an_erased_borrower_goes_to_the_borrowing_organisations_managers(
    run, room, org_b, manager_b, member_b
):
    booking(room, at(3, 18), booked_by=None, organisation=org_b)
    run(at(2, 18))
    assert [row.recipient for row in rows("reminder")] == [manager_b]
    assert [message.to for message in mail.outbox] == [["berta@example.org"]]


def test_reminders_are_found_in_a_constant_number_of_queries(beamers, django_assert_max_num_queries):
    people = UserFactory.create_batch(5)
    for minute in range(4):
        for person in people:
            booking(beamers, at(7, 18, minute * 10), booked_by=person)
    booking(beamers, at(8, 18), booked_by=people[0])  # not due yet
    with django_assert_max_num_queries(6):
        written = reminders.reminders_create(now=at(6, 18, 30))
    assert written == 20
    assert Notification.objects.count() == 20


# --- DST: wall-clock time -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due", "real_hours"),
    [
        # Autumn: clocks go back on Sunday 25 October 2026, 03:00 → 02:00. Sunday 09:00 (UTC+1) is
        # reminded on Saturday 09:00 (UTC+2): 25 real hours before.
        (datetime(2026, 10, 25, 9, tzinfo=BERLIN), datetime(2026, 10, 24, 9, tzinfo=BERLIN), 25),
        # Spring: clocks go forward on Sunday 29 March 2026, 02:00 → 03:00: 23 real hours before.
        (datetime(2026, 3, 29, 9, tzinfo=BERLIN), datetime(2026, 3, 28, 9, tzinfo=BERLIN), 23),
        # Monday 09:00 after the autumn change: both days in winter time, 24 hours.
        (datetime(2026, 10, 26, 9, tzinfo=BERLIN), datetime(2026, 10, 25, 9, tzinfo=BERLIN), 24),
    ],
)
def test_a_24_hour_reminder_is_due_at_the_same_wall_clock_time_the_day_before(
    run, room, member_b, start, due, real_hours
):
    assert reminders.reminder_due(start, 24) == due.astimezone(UTC)
    assert start - reminders.reminder_due(start, 24) == timedelta(hours=real_hours)
    booking(room, start, booked_by=member_b)

    assert run(due - timedelta(minutes=1))["reminders"] == 0
    assert run(due)["reminders"] == 1
    assert run(due + timedelta(hours=1))["reminders"] == 0
    assert len(mail.outbox) == 1
    assert "09:00" in mail.outbox[0].subject  # the wall-clock time of the booking, in German


# --- Equipment: return due and overdue ----------------------------------------------------------------------


@pytest.fixture
def lent(beamers, member_b):
    """Two projectors handed over to member_b from Monday 10:00 until Wednesday 12:00."""
    member_b.language = "en"
    member_b.save()
    return booking(
        beamers,
        at(1, 10),
        end=at(3, 12),
        booked_by=member_b,
        quantity=2,
        status="checked_out",
        moved_at=at(1, 10),
    )


def test_return_due_goes_to_the_borrower_two_hours_before_the_end(run, lent, member_b):
    assert run(at(3, 9, 59))["return_due"] == 0
    assert run(at(3, 10))["return_due"] == 1
    assert run(at(3, 11))["return_due"] == 0

    (row,) = rows("return_due")
    assert (row.recipient, row.booking, row.mandatory) == (member_b, lent, True)
    (message,) = mail.outbox
    assert message.to == ["bernd@example.org"]
    assert message.subject == "[Ressourcennetz] Please bring back: Beamer, by 06/03/2026 noon"
    assert "The equipment you borrowed (2 × Beamer) is due back at June 3, 2026, noon." in message.body


def test_no_return_due_when_handed_over_after_it_was_due_or_not_equipment(run, beamers, room, member_b):
    booking(
        beamers, at(3, 9), end=at(3, 12), booked_by=member_b, status="checked_out", moved_at=at(3, 10, 30)
    )
    booking(room, at(3, 9), end=at(3, 12), booked_by=member_b, status="checked_out", moved_at=at(3, 9))
    assert run(at(3, 11))["return_due"] == 0


def test_overdue_repeats_daily_and_stops_at_the_cap(run, lent, member_b, manager_a):
    manager_a.language = "en"
    manager_a.save()
    assert run(at(3, 12, 59))["overdue"] == 0
    assert run(at(3, 13))["overdue"] == 1
    assert run(at(4, 12, 59))["overdue"] == 0
    assert run(at(4, 13))["overdue"] == 1
    assert run(at(5, 13))["overdue"] == 2  # the last one: the borrower and the owner's manager
    for day in (5, 6, 9, 20):
        assert run(at(day, 14))["overdue"] == 0

    assert [(row.sequence, row.recipient, row.context) for row in rows("overdue")] == [
        (1, member_b, {"final": False, "side": "borrower"}),
        (2, member_b, {"final": False, "side": "borrower"}),
        (3, manager_a, {"final": True, "side": "owner"}),
        (3, member_b, {"final": True, "side": "borrower"}),
    ]
    overdue = [message for message in mail.outbox if "Overdue" in message.subject]
    assert sorted(message.to[0] for message in overdue) == [
        "anna@example.org",
        "bernd@example.org",
        "bernd@example.org",
        "bernd@example.org",
    ]
    assert all(
        message.subject == "[Ressourcennetz] Overdue: Beamer, due back 06/03/2026 noon" for message in overdue
    )
    first = overdue[0].body
    assert "was due back at June 3, 2026, noon and has not been returned yet" in first
    assert "last reminder" not in first
    borrower_last = next(m for m in overdue[2:] if m.to == ["bernd@example.org"])
    assert "This is the last reminder; the owner has been told as well." in borrower_last.body
    owner_last = next(m for m in overdue if m.to == ["anna@example.org"])
    assert "The borrower has been reminded three times." in owner_last.body
    assert "bernd@example.org" in owner_last.body


def test_overdue_after_a_pause_sends_only_the_latest_notice(run, lent, manager_a):
    assert run(at(5, 14))["overdue"] == 2
    assert [row.sequence for row in rows("overdue")] == [3, 3]


def test_overdue_stops_when_returned(run, lent):
    run(at(3, 13))
    Booking.objects.filter(pk=lent.pk).update(status="returned")
    assert run(at(4, 13))["overdue"] == 0
    assert run(at(5, 13))["overdue"] == 0
    assert [row.sequence for row in rows("overdue")] == [1]


def test_overdue_days_follow_the_wall_clock(run, beamers, member_b):
    """Due back Saturday 24 October 2026 12:00 (summer time): the second notice comes on Sunday 13:00
    winter time — 25 real hours after the first."""
    booking(
        beamers,
        datetime(2026, 10, 23, 10, tzinfo=BERLIN),
        end=datetime(2026, 10, 24, 12, tzinfo=BERLIN),
        booked_by=member_b,
        status="checked_out",
        moved_at=datetime(2026, 10, 23, 10, tzinfo=BERLIN),
    )
    assert run(datetime(2026, 10, 24, 13, tzinfo=BERLIN))["overdue"] == 1
    assert run(datetime(2026, 10, 25, 12, 59, tzinfo=BERLIN))["overdue"] == 0
    assert run(datetime(2026, 10, 25, 13, tzinfo=BERLIN))["overdue"] == 1


# --- Daily digest -------------------------------------------------------------------------------------------


@pytest.fixture
def waiting(room, member_a, member_b, org_a, org_b):
    """Two requests for organisation A's room and one for a skill held by member_a."""
    room.requires_approval = True
    room.save()
    skill = ResourceFactory(
        organisation=org_a, kind="skill", holder=member_a, name="Tontechnik", capacity=None
    )
    return [
        booking(
            room, at(3, 18), booked_by=member_b, organisation=org_b, status="requested", purpose="Chor & Co"
        ),
        booking(room, at(4, 18), booked_by=member_b, organisation=org_b, status="requested"),
        booking(skill, at(5, 10), booked_by=member_b, organisation=org_b, status="requested"),
    ]


def test_digest_lists_the_waiting_requests_once_per_day(
    waiting, manager_a, member_a, manager_b, django_capture_on_commit_callbacks
):
    manager_a.language = "en"
    manager_a.save()
    morning = at(2, 7)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.digest_send(now=morning) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.digest_send(now=morning + timedelta(hours=5)) == 0

    digests = {row.recipient: row for row in rows("digest")}
    assert set(digests) == {manager_a, member_a}  # not manager_b: nothing waits for them
    assert digests[manager_a].sequence == 20260602
    assert digests[manager_a].context["count"] == 3  # manages the organisation: the skill's too
    assert digests[member_a].context["count"] == 1  # holds the skill
    assert [item["booking"] for item in digests[manager_a].context["requests"]] == [b.pk for b in waiting]

    assert len(mail.outbox) == 2
    to_anna = next(message for message in mail.outbox if message.to == ["anna@example.org"])
    assert to_anna.subject == "[Ressourcennetz] 3 requests are waiting for your decision"
    assert (
        "- 06/03/2026 6 p.m.–06/03/2026 8 p.m.: Saal Hafen, Volkshochschule im Landkreis Meißen e.V. "
        "(Chor & Co)" in to_anna.body
    )
    assert "http://testserver/buchungen/anfragen/" in to_anna.body
    html = to_anna.alternatives[0][0]
    assert '<th scope="col"' in html and "(Chor &amp; Co)" in html

    to_moritz = next(message for message in mail.outbox if message.to == ["moritz@example.org"])
    assert "- 05.06.2026 10:00–05.06.2026 12:00: Tontechnik" in to_moritz.body  # German, his language

    # The next day: a new digest.
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.digest_send(now=at(3, 7)) == 2
    assert len(mail.outbox) == 4


def test_digest_respects_the_preference_and_skips_past_requests(
    waiting, manager_a, member_a, django_capture_on_commit_callbacks
):
    User.objects.filter(pk__in=[manager_a.pk, member_a.pk]).update(notify_digest=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.digest_send(now=at(4, 7)) == 2
    assert mail.outbox == []
    assert {row.email_state for row in rows("digest")} == {"skipped"}
    # Only what still waits: the room's request of day 3 has started.
    counts = sorted(row.context["count"] for row in rows("digest"))
    assert counts == [1, 2]


def test_no_digest_without_waiting_requests(room, manager_a):
    assert reminders.digest_send(now=at(2, 7)) == 0
    assert not Notification.objects.exists()
