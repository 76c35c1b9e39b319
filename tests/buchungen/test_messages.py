"""The e-mails of the event messages (buchungen/messages.py, templates/email/notification_*): recipients,
language (a German and an English recipient), subject, times in Berlin, links back, the calendar file,
the Message-ID, the mandatory/optional footer, preferences, and the centre's one-line summary.

Sent through the real path: the service writes the row, the commit queues it, Celery (eager in tests)
delivers it into the locmem outbox.
"""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import formats, timezone, translation
from icalendar import Calendar

from buchungen import messages, notifications, series, services, waitlist
from buchungen.models import Booking, Notification, NotificationKind, WaitlistEntry
from tests.buchungen.conftest import BERLIN
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

K = NotificationKind
WEEKDAYS_DE = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
MONTHS_DE = [
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
]  # fmt: skip


def slot(hour: int, minute: int = 0, *, days: int = 10) -> datetime:
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def german_day(moment: datetime) -> str:
    """``Dienstag, 8. Dezember 2026`` — the German long date of a Berlin time."""
    local = moment.astimezone(BERLIN)
    return f"{WEEKDAYS_DE[local.weekday()]}, {local.day}. {MONTHS_DE[local.month - 1]} {local.year}"


def mail_of(notification: Notification):
    """The one e-mail sent for ``notification`` (found by its Message-ID)."""
    found = [
        message
        for message in mail.outbox
        if message.extra_headers["Message-ID"] == messages.message_id(notification)
    ]
    assert len(found) == 1, [message.subject for message in mail.outbox]
    return found[0]


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """``run(service, **kwargs)``: call a service and let its messages go out (after the commit)."""

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


@pytest.fixture
def english_manager(manager_a):
    manager_a.language = "en"
    manager_a.save()
    return manager_a


@pytest.fixture
def approval_room(org_a):
    return ResourceFactory(
        organisation=org_a, name="Saal Hafen", slug="saal-hafen", requires_approval=True, building="Haus 2"
    )


@pytest.fixture
def request_b(run, approval_room, member_b, org_b, english_manager):
    """Bernd (German) requests A's room for B; Anna (English) decides."""
    return run(
        services.booking_request,
        actor=member_b,
        resource=approval_room,
        start=slot(18),
        end=slot(20),
        organisation=org_b,
        purpose="Chor & Probe",
    )


def row(kind: str, user) -> Notification:
    return Notification.objects.select_related("recipient").get(kind=kind, recipient=user)


# --- Request received and approval needed ----------------------------------------------------------------


def test_request_received_goes_to_the_borrower_in_german(request_b, member_b):
    notification = row(K.REQUEST_RECEIVED, member_b)
    message = mail_of(notification)

    assert message.to == ["bernd@example.org"]
    assert message.subject.startswith("[Ressourcennetz] ")
    assert "Saal Hafen" in message.subject and slot(18).strftime("%d.%m.%Y 18:00") in message.subject
    assert message.body.startswith("Guten Tag,")
    assert f"{german_day(slot(18))}, 18:00–20:00" in message.body  # Berlin time, German date
    assert "Für: Volkshochschule im Landkreis Meißen e.V." in message.body
    assert "Chor & Probe" in message.body  # the text part is not HTML-escaped
    assert f"http://testserver/buchungen/{request_b.pk}/" in message.body
    # Optional: how to switch it off (the profile), and the centre.
    assert "http://testserver/konto/profil/" in message.body
    assert "http://testserver/benachrichtigungen/" in message.body
    html = html_of(message)
    assert '<html lang="de">' in html and "Chor &amp; Probe" in html
    assert f'href="http://testserver/buchungen/{request_b.pk}/"' in html
    assert message.attachments == []
    assert message.extra_headers["Message-ID"] == (
        f"<notification-request_received-b{request_b.pk}-0-u{member_b.pk}@testserver>".replace("_", "-")
    )


def test_approval_needed_goes_to_the_deciders_in_english(request_b, english_manager):
    message = mail_of(row(K.APPROVAL_NEEDED, english_manager))

    assert message.to == ["anna@example.org"]
    assert message.subject == (f"[Ressourcennetz] Approval needed: Saal Hafen, {_short_en(slot(18))}")
    assert message.body.startswith("Hello,")
    assert "A request is waiting for your decision:" in message.body
    assert "Requested by: Bernd Mitglied" in message.body
    assert "Decide in your inbox: http://testserver/buchungen/anfragen/" in message.body
    assert "This message is mandatory" in message.body
    assert "http://testserver/konto/profil/" not in message.body  # nothing to switch off
    assert "You receive this because you look after Saal Hafen" in message.body
    assert '<html lang="en">' in html_of(message)


def _short_en(moment: datetime) -> str:
    with translation.override("en"):
        return formats.date_format(moment.astimezone(BERLIN), "SHORT_DATETIME_FORMAT")


# --- Confirmed, with the calendar file -------------------------------------------------------------------


def _calendar(message) -> Calendar:
    ((filename, content, mimetype),) = message.attachments
    assert filename == "buchung.ics"
    assert mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


@pytest.mark.parametrize("language", ["de", "en"])
def test_an_approval_confirms_with_comment_and_calendar_file(
    run, request_b, english_manager, member_b, language
):
    member_b.language = language
    member_b.save()

    run(
        services.booking_approve,
        actor=english_manager,
        booking=request_b,
        comment="Schlüssel beim Hausmeister",
    )

    message = mail_of(row(K.CONFIRMED, member_b))
    assert message.to == ["bernd@example.org"]
    assert "Schlüssel beim Hausmeister" in message.body
    if language == "en":
        assert message.subject == f"[Ressourcennetz] Booking confirmed: Saal Hafen, {_short_en(slot(18))}"
        assert "has approved your request" in message.body
    else:
        assert message.body.startswith("Guten Tag,") and german_day(slot(18)) in message.body
    calendar = _calendar(message)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{request_b.pk}@testserver"
    assert event.decoded("DTSTART") == slot(18) and event.decoded("DTEND") == slot(20)
    assert str(event["STATUS"]) == "CONFIRMED" and str(event["SUMMARY"]) == "Saal Hafen"
    assert int(event["SEQUENCE"]) == 1  # requested, then confirmed: as the personal feed counts
    assert "Haus 2" in str(event["LOCATION"])
    assert str(event["URL"]) == f"http://testserver/buchungen/{request_b.pk}/"


def test_a_direct_series_confirms_once_with_every_date_in_the_calendar(run, room, member_b, org_b):
    made, occurrences = run(
        series.booking_series_create,
        actor=member_b,
        resource=room,
        start=slot(18),
        end=slot(20),
        rrule="FREQ=WEEKLY;COUNT=3",
        organisation=org_b,
    )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    with translation.override("de"):
        summary = messages.notification_summary(Notification.objects.get())
    assert message.subject == f"[Ressourcennetz] {summary}"
    with translation.override("en"):
        assert messages.notification_summary(Notification.objects.get()).endswith("(and 2 more dates)")
    for occurrence in occurrences:
        assert f"{german_day(occurrence.start)}, 18:00–20:00" in message.body
    assert f"http://testserver/buchungen/serien/{made.pk}/" in message.body
    events = _calendar(message).walk("VEVENT")
    assert [str(event["UID"]) for event in events] == [
        f"booking-{occurrence.booking.pk}@testserver" for occurrence in occurrences
    ]


# --- Declined, cancelled ---------------------------------------------------------------------------------


def test_a_decline_tells_the_borrower_the_reason(run, request_b, english_manager, member_b):
    member_b.language = "en"
    member_b.save()

    run(services.booking_decline, actor=english_manager, booking=request_b, comment="Renovation")

    message = mail_of(row(K.DECLINED, member_b))
    assert message.subject == f"[Ressourcennetz] Request declined: Saal Hafen, {_short_en(slot(18))}"
    assert "has declined your request" in message.body and "Reason: Renovation" in message.body
    assert message.attachments == []


def test_a_cancellation_reaches_both_sides(run, request_b, member_b, english_manager):
    member_b.language = "en"
    member_b.save()

    run(services.booking_cancel, actor=member_b, booking=request_b, comment="Ill")

    receipt = mail_of(row(K.CANCELLED, member_b))
    assert "You have cancelled this booking. This message is your receipt:" in receipt.body
    assert "Comment: Ill" in receipt.body
    owner = mail_of(row(K.CANCELLED, english_manager))
    assert owner.to == ["anna@example.org"]
    assert "The borrower has cancelled this booking." in owner.body
    assert owner.subject == f"[Ressourcennetz] Booking cancelled: Saal Hafen, {_short_en(slot(18))}"


def test_a_cancellation_by_the_owner_says_so(run, request_b, member_b, english_manager):
    member_b.language = "en"
    member_b.save()

    run(services.booking_cancel, actor=english_manager, booking=request_b)

    message = mail_of(row(K.CANCELLED, member_b))
    assert "Soziokulturelles Zentrum Hafenstraße e.V. has cancelled your booking:" in message.body
    assert not Notification.objects.filter(kind=K.CANCELLED, recipient=english_manager).exists()


# --- Waitlist offer --------------------------------------------------------------------------------------


def test_a_waitlist_offer_names_the_deadline_and_links_the_waitlist(
    run, room, member_a, member_b, org_a, org_b
):
    blocker = services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(12), organisation=org_a
    )
    entry = waitlist.waitlist_join(
        actor=member_b, resource=room, start=slot(10), end=slot(12), organisation=org_b
    )

    run(services.booking_cancel, actor=member_a, booking=blocker)

    entry = WaitlistEntry.objects.get(pk=entry.pk)
    message = mail_of(row(K.WAITLIST_OFFER, member_b))
    deadline = entry.offer_expires.astimezone(BERLIN)
    assert f"{deadline:%H:%M}" in message.body
    assert f"{german_day(slot(10))}, 10:00–12:00" in message.body
    assert "http://testserver/buchungen/warteliste/" in message.body
    assert deadline.strftime("%d.%m.%Y") in message.subject


# --- Hand-over receipts ----------------------------------------------------------------------------------


def test_hand_over_and_return_receipts(run, beamers, member_b, org_b, english_manager):
    member_b.language = "en"
    member_b.save()
    booking = services.booking_request(
        actor=member_b,
        resource=beamers,
        start=slot(18, days=0),
        end=slot(23, days=0),
        organisation=org_b,
        quantity=2,
    )

    run(
        services.booking_check_out,
        actor=english_manager,
        booking=booking,
        comment="Cables included",
        handed_over_to="Bernd Mitglied",
        now=slot(16, days=0),
    )
    run(
        services.booking_return,
        actor=english_manager,
        booking=booking,
        comment="Fine",
        damage_report="Lens scratched",
    )

    out = mail_of(row(K.CHECKED_OUT, member_b))
    assert "Beamer has been handed over:" in out.body
    assert "Received by: Bernd Mitglied" in out.body and "Condition at hand-over: Cables included" in out.body
    assert "× 2" in out.body
    back = mail_of(row(K.RETURNED, member_b))
    assert "Damage or missing parts: Lens scratched" in back.body
    assert "Condition at return: Fine" in back.body
    # Optional kinds: the footer says how to switch them off.
    assert "http://testserver/konto/profil/" in back.body and "mandatory" not in back.body


# --- Preferences -----------------------------------------------------------------------------------------


def test_optional_messages_stay_in_the_centre_when_email_is_off(
    run, approval_room, member_b, org_b, manager_a
):
    member_b.notify_by_email = False
    member_b.save()
    booking = run(
        services.booking_request,
        actor=member_b,
        resource=approval_room,
        start=slot(18),
        end=slot(20),
        organisation=org_b,
    )

    received = row(K.REQUEST_RECEIVED, member_b)
    assert received.email_state == "skipped"  # in the centre, not mailed
    assert not [message for message in mail.outbox if message.to == ["bernd@example.org"]]

    run(services.booking_approve, actor=manager_a, booking=booking)

    confirmed = row(K.CONFIRMED, member_b)
    assert confirmed.email_state == "sent"  # mandatory: mailed anyway
    assert mail_of(confirmed).to == ["bernd@example.org"]


# --- The schedule's kinds rendered here too --------------------------------------------------------------


@pytest.mark.parametrize("side", ["borrower", "owner"])
def test_expired_renders_for_both_sides(run, request_b, member_b, english_manager, side):
    person = member_b if side == "borrower" else english_manager

    run(notifications.notify, kind=K.EXPIRED, recipients=[person], booking=request_b, context={"side": side})

    message = mail_of(row(K.EXPIRED, person))
    assert "Saal Hafen" in message.subject
    assert f"http://testserver/buchungen/{request_b.pk}/" in message.body


def test_a_reminder_carries_the_calendar_file(run, room, member_b, org_b):
    booking = services.booking_request(
        actor=member_b, resource=room, start=slot(18), end=slot(20), organisation=org_b
    )

    run(notifications.notify, kind=K.REMINDER, recipients=[member_b], booking=booking, sequence=0)

    (event,) = _calendar(mail_of(row(K.REMINDER, member_b))).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.pk}@testserver"


# --- Message-ID ------------------------------------------------------------------------------------------


def test_a_resent_message_keeps_its_message_id(run, request_b, member_b, coordinator):
    notification = row(K.REQUEST_RECEIVED, member_b)
    first = mail_of(notification).extra_headers["Message-ID"]

    run(notifications.resend, actor=coordinator, notification=notification)

    again = [message for message in mail.outbox if message.extra_headers["Message-ID"] == first]
    assert len(again) == 2
    assert first.startswith("<notification-") and first.endswith("@testserver>")


# --- Summary (notification centre) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (K.REQUEST_RECEIVED, "Request received: Saal Hafen, "),
        (K.APPROVAL_NEEDED, "Approval needed: Saal Hafen, "),
        (K.CONFIRMED, "Booking confirmed: Saal Hafen, "),
        (K.DECLINED, "Request declined: Saal Hafen, "),
        (K.CANCELLED, "Booking cancelled: Saal Hafen, "),
        (K.EXPIRED, "Request expired: Saal Hafen, "),
        (K.CHECKED_OUT, "Handed over: Saal Hafen, "),
        (K.RETURNED, "Returned: Saal Hafen, "),
        (K.REMINDER, "Reminder: Saal Hafen, "),
        (K.RETURN_DUE, "Please bring back: Saal Hafen, "),
        (K.OVERDUE, "Overdue: Saal Hafen, "),
    ],
)
def test_the_summary_is_one_line_per_kind(request_b, member_b, kind, expected):
    notification = Notification(kind=kind, recipient=member_b, booking=request_b, context={})

    with translation.override("en"):
        summary = messages.notification_summary(notification)

    assert summary == expected + _short_en(slot(18))


def test_the_summary_of_offers_digests_and_several_dates(request_b, member_b, approval_room):
    entry = WaitlistEntry(resource=approval_room, person=member_b, start=slot(18), end=slot(20))
    offer = Notification(
        kind=K.WAITLIST_OFFER,
        recipient=member_b,
        waitlist_entry=entry,
        context={"offer_expires": slot(9).isoformat()},
    )
    digest = Notification(kind=K.DIGEST, recipient=member_b, context={"count": 3})
    several = Notification(
        kind=K.CONFIRMED, recipient=member_b, booking=request_b, context={"series": 1, "bookings": [1, 2, 3]}
    )

    with translation.override("en"):
        assert messages.notification_summary(offer) == (
            f"Free for you until {_short_en(slot(9))}: Saal Hafen, {_short_en(slot(18))}"
        )
        assert (
            messages.notification_summary(digest) == "Daily digest: 3 requests are waiting for your decision"
        )
        assert messages.notification_summary(several).endswith("(and 2 more dates)")
    with translation.override("de"):
        assert slot(18).strftime("%d.%m.%Y 18:00") in messages.notification_summary(several)


def test_the_summary_asks_no_query_beyond_the_loaded_booking(request_b, member_b, django_assert_num_queries):
    notification = Notification.objects.select_related("booking__resource").get(
        kind=K.REQUEST_RECEIVED, recipient=member_b
    )

    with django_assert_num_queries(0):
        messages.notification_summary(notification)


def test_the_calendar_leaves_out_bookings_that_do_not_take_place(request_b):
    assert b"BEGIN:VEVENT" not in messages.booking_calendar([request_b])  # still a request
    Booking.objects.filter(pk=request_b.pk).update(status="confirmed")
    assert messages.booking_calendar([request_b]).count(b"BEGIN:VEVENT") == 1
