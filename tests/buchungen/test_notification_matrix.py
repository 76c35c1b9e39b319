"""Every kind of message, each in German and in English: who gets it, its subject, what it says, its
parts — and that running the sweep or the delivery again sends nothing more (issue 5, "Done when").

One row per message (``CASES``); a kind of ``NotificationKind`` without a row fails
``test_every_kind_has_a_row``. Each row makes its event through the real path — the booking services,
the per-minute sweep, the digest task — with the after-commit callbacks executed (Celery is eager in
tests, the mail backend is locmem), so the mails in the outbox are the ones a worker would send. Then:

* the recipients are exactly the expected addresses (one mail per notification row);
* the subject is the exact line in the recipient's language (everyone in the scene speaks it);
* the text part names the resource, the time on Berlin's wall clock (the times are chosen so that UTC
  would read differently) and the link back; the HTML part says the same, in ``<html lang="…">``;
* a calendar file (``buchung.ics``) is attached to confirmations and reminders only;
* the same sweep (or the delivery) once more writes no row and sends no mail.

The expected subjects are written out here, not taken from the code's own formatting helpers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from buchungen import messages, notifications, reminders, services, waitlist
from buchungen.models import Booking, Notification, NotificationKind, WaitlistEntry
from konten.models import User
from tests.buchungen.conftest import BERLIN
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

K = NotificationKind
SITE = "http://testserver"
PREFIX = "[Ressourcennetz] "
LANGUAGES = ("de", "en")

WEEKDAYS = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS_DE = [
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
]  # fmt: skip
# English dates use the Associated Press month abbreviations (Django's "N").
MONTHS_EN_AP = [
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
]  # fmt: skip


# --- Expected wording of times (written out, Berlin wall clock) -------------------------------------------


def berlin(moment: datetime) -> datetime:
    return moment.astimezone(BERLIN)


def clock_en(moment: datetime) -> str:
    """Django's English "P": ``6 p.m.``, ``6:30 p.m.``, ``noon``, ``midnight``."""
    local = berlin(moment)
    if (local.hour, local.minute) == (12, 0):
        return "noon"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    hour = local.hour % 12 or 12
    text = str(hour) if local.minute == 0 else f"{hour}:{local.minute:02d}"
    return f"{text} {'a.m.' if local.hour < 12 else 'p.m.'}"


def long_date(moment: datetime, language: str) -> str:
    local = berlin(moment)
    if language == "de":
        return f"{local.day}. {MONTHS_DE[local.month - 1]} {local.year}"
    return f"{MONTHS_EN_AP[local.month - 1]} {local.day}, {local.year}"


def short(moment: datetime, language: str) -> str:
    """The short date and time: ``03.12.2026 18:00`` / ``12/03/2026 6 p.m.``."""
    local = berlin(moment)
    if language == "de":
        return f"{local:%d.%m.%Y %H:%M}"
    return f"{local:%m/%d/%Y} {clock_en(local)}"


def when(start: datetime, end: datetime, language: str) -> str:
    """The event messages' line: ``Donnerstag, 3. Dezember 2026, 18:00–20:00``."""
    local_start, local_end = berlin(start), berlin(end)
    weekday = WEEKDAYS[language][local_start.weekday()]
    return f"{weekday}, {long_date(start, language)}, {local_start:%H:%M}–{local_end:%H:%M}"


def date_time(moment: datetime, language: str) -> str:
    """The scheduled messages' long date and time: ``3. Dezember 2026 18:00`` / ``Dec. 3, 2026, 6 p.m.``."""
    if language == "de":
        return f"{long_date(moment, language)} {berlin(moment):%H:%M}"
    return f"{long_date(moment, language)}, {clock_en(moment)}"


def what(resource: str, start: datetime, language: str) -> str:
    return f"{resource}, {short(start, language)}"


# --- The scene ---------------------------------------------------------------------------------------------


def slot(hour: int, *, days: int = 10) -> datetime:
    """A Berlin wall-clock time ``days`` after today (the services read the real clock)."""
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@dataclass
class World:
    """Organisation A (Anna manages it, Moritz is a member and holds its sound-engineering skill) lends;
    Bernd books for organisation B."""

    anna: User
    moritz: User
    bernd: User
    org_a: object
    org_b: object
    approval_room: object  # "Saal Hafen", needs approval
    open_room: object  # "Galerie", confirmed at once
    beamers: object  # equipment
    skill: object  # "Tontechnik", held by Moritz, needs approval
    run: Callable

    def request(self, resource, start, end, **kwargs):
        kwargs.setdefault("organisation", self.org_b)
        return self.run(
            services.booking_request, actor=self.bernd, resource=resource, start=start, end=end, **kwargs
        )

    def sweep(self, now: datetime) -> dict:
        return self.run(reminders.sweep, now=now)

    def deliver_due(self, now: datetime) -> int:
        return self.run(notifications.deliver_due, now=now)


@pytest.fixture
def world(org_a, org_b, manager_a, member_a, member_b, django_capture_on_commit_callbacks):
    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return World(
        anna=manager_a,
        moritz=member_a,
        bernd=member_b,
        org_a=org_a,
        org_b=org_b,
        approval_room=ResourceFactory(
            organisation=org_a, name="Saal Hafen", slug="saal-hafen", requires_approval=True
        ),
        open_room=ResourceFactory(organisation=org_a, name="Galerie", slug="galerie"),
        beamers=ResourceFactory(
            organisation=org_a, kind="equipment", name="Beamer", slug="beamer", capacity=None, quantity=3
        ),
        skill=ResourceFactory(
            organisation=org_a,
            kind="skill",
            name="Tontechnik",
            slug="tontechnik",
            capacity=None,
            holder=member_a,
            requires_approval=True,
        ),
        run=run,
    )


@dataclass
class Expect:
    """What one recipient's e-mail must say. ``subject(language)`` without the site's prefix;
    ``times(language)``: strings that must appear in both parts (Berlin wall clock)."""

    subject: Callable[[str], str]
    link: str
    resource: str
    times: Callable[[str], list[str]]
    calendar: Booking | None = None  # the booking the attached .ics must hold; None: no attachment


@dataclass
class Scene:
    rows: list[Notification]  # the notifications under test (one e-mail each)
    expected: dict[str, Expect]  # by recipient address
    again: Callable[[], None]  # the same sweep / delivery once more
    extra: dict = field(default_factory=dict)


def rows_of(kind: str, **filters) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind, **filters).select_related("recipient"))


def booking_url(booking) -> str:
    return f"{SITE}/buchungen/{booking.pk}/"


INBOX = f"{SITE}/buchungen/anfragen/"
WAITLIST = f"{SITE}/buchungen/warteliste/"
HANDOVERS = f"{SITE}/buchungen/uebergaben/"


def again_at_real_now(w: World) -> Callable[[], None]:
    """For the event messages: the per-minute sweep now, then the delivery after the queue lease."""

    def again():
        now = timezone.now()
        w.sweep(now)
        w.deliver_due(now + timedelta(hours=3))

    return again


def again_sweep(w: World, now: datetime) -> Callable[[], None]:
    """For the scheduled messages: the same sweep at the same minute, the next minute, and the delivery
    after the queue lease."""

    def again():
        w.sweep(now)
        w.sweep(now + timedelta(minutes=1))
        w.deliver_due(now + timedelta(hours=3))

    return again


# --- The rows: one function per message ---------------------------------------------------------------------


def request_in_approval_room(w: World) -> Booking:
    return w.request(w.approval_room, slot(18), slot(20), purpose="Chorprobe")


def times_when(booking) -> Callable[[str], list[str]]:
    return lambda language: [when(booking.start, booking.end, language)]


def event_expect(booking, subject_de: str, subject_en: str, link: str, calendar: bool = False) -> Expect:
    """An event message about ``booking``: the subject is "<label>: <resource>, <short start>"."""
    return Expect(
        subject=lambda language: (
            (subject_de if language == "de" else subject_en)
            + ": "
            + what(booking.resource.name, booking.start, language)
        ),
        link=link,
        resource=booking.resource.name,
        times=times_when(booking),
        calendar=booking if calendar else None,
    )


def case_request_received(w: World) -> Scene:
    booking = request_in_approval_room(w)
    return Scene(
        rows=rows_of(K.REQUEST_RECEIVED),
        expected={
            "bernd@example.org": event_expect(
                booking, "Anfrage eingegangen", "Request received", booking_url(booking)
            )
        },
        again=again_at_real_now(w),
    )


def case_approval_needed_managers(w: World) -> Scene:
    booking = request_in_approval_room(w)
    return Scene(
        rows=rows_of(K.APPROVAL_NEEDED),
        expected={
            "anna@example.org": event_expect(booking, "Entscheidung erbeten", "Approval needed", INBOX)
        },
        again=again_at_real_now(w),
    )


def case_approval_needed_skill_holder(w: World) -> Scene:
    booking = w.request(w.skill, slot(10), slot(12))
    expect = event_expect(booking, "Entscheidung erbeten", "Approval needed", INBOX)
    return Scene(
        rows=rows_of(K.APPROVAL_NEEDED),
        # The skill's holder decides, and so do the managers of its organisation.
        expected={"moritz@example.org": expect, "anna@example.org": expect},
        again=again_at_real_now(w),
    )


def case_confirmed_at_once(w: World) -> Scene:
    booking = w.request(w.open_room, slot(18), slot(20))
    return Scene(
        rows=rows_of(K.CONFIRMED),
        expected={
            "bernd@example.org": event_expect(
                booking, "Buchung bestätigt", "Booking confirmed", booking_url(booking), calendar=True
            )
        },
        again=again_at_real_now(w),
    )


def case_confirmed_on_approval(w: World) -> Scene:
    booking = request_in_approval_room(w)
    w.run(services.booking_approve, actor=w.anna, booking=booking, comment="Schlüssel beim Hausmeister")
    return Scene(
        rows=rows_of(K.CONFIRMED),
        expected={
            "bernd@example.org": event_expect(
                booking, "Buchung bestätigt", "Booking confirmed", booking_url(booking), calendar=True
            )
        },
        again=again_at_real_now(w),
    )


def case_declined(w: World) -> Scene:
    booking = request_in_approval_room(w)
    w.run(services.booking_decline, actor=w.anna, booking=booking, comment="Renovierung")
    return Scene(
        rows=rows_of(K.DECLINED),
        expected={
            "bernd@example.org": event_expect(
                booking, "Anfrage abgelehnt", "Request declined", booking_url(booking)
            )
        },
        again=again_at_real_now(w),
    )


def case_cancelled_by_the_borrower(w: World) -> Scene:
    booking = w.request(w.open_room, slot(18), slot(20))
    w.run(services.booking_cancel, actor=w.bernd, booking=booking, comment="Krank")
    expect = event_expect(booking, "Buchung storniert", "Booking cancelled", booking_url(booking))
    return Scene(
        rows=rows_of(K.CANCELLED),
        # The borrower's own receipt, and the owner's manager.
        expected={"bernd@example.org": expect, "anna@example.org": expect},
        again=again_at_real_now(w),
    )


def case_cancelled_by_the_owner(w: World) -> Scene:
    booking = request_in_approval_room(w)
    w.run(services.booking_cancel, actor=w.anna, booking=booking)
    return Scene(
        rows=rows_of(K.CANCELLED),
        # Anna cancelled herself: only the borrower hears of it.
        expected={
            "bernd@example.org": event_expect(
                booking, "Buchung storniert", "Booking cancelled", booking_url(booking)
            )
        },
        again=again_at_real_now(w),
    )


def case_expired(w: World) -> Scene:
    booking = request_in_approval_room(w)
    moment = booking.start
    counts = w.sweep(moment)
    assert counts["expire_unanswered"] == 1
    expect = Expect(
        subject=lambda language: (
            ("Anfrage abgelaufen: " if language == "de" else "Request expired: ")
            + what("Saal Hafen", booking.start, language)
        ),
        link=booking_url(booking),
        resource="Saal Hafen",
        times=lambda language: [date_time(booking.start, language), date_time(booking.end, language)],
    )
    return Scene(
        rows=rows_of(K.EXPIRED),
        expected={"bernd@example.org": expect, "anna@example.org": expect},
        again=again_sweep(w, moment),
    )


def case_waitlist_offer(w: World) -> Scene:
    blocker = w.run(
        services.booking_request,
        actor=w.moritz,
        resource=w.open_room,
        start=slot(10),
        end=slot(12),
        organisation=w.org_a,
    )
    entry = w.run(
        waitlist.waitlist_join,
        actor=w.bernd,
        resource=w.open_room,
        start=slot(10),
        end=slot(12),
        organisation=w.org_b,
    )
    w.run(services.booking_cancel, actor=w.moritz, booking=blocker)
    entry = WaitlistEntry.objects.get(pk=entry.pk)
    assert entry.status == "offered"
    deadline = entry.offer_expires

    def subject(language):
        label = "Für Sie frei bis" if language == "de" else "Free for you until"
        return f"{label} {short(deadline, language)}: {what('Galerie', entry.start, language)}"

    def deadline_text(language):  # the offer's deadline in the text: long date, 24-hour clock
        return f"{long_date(deadline, language)}, {berlin(deadline):%H:%M}"

    return Scene(
        rows=rows_of(K.WAITLIST_OFFER),
        expected={
            "bernd@example.org": Expect(
                subject=subject,
                link=WAITLIST,
                resource="Galerie",
                times=lambda language: [when(entry.start, entry.end, language), deadline_text(language)],
            )
        },
        again=again_at_real_now(w),
    )


def lend_beamers(w: World, *, start: datetime, end: datetime, handed_over: datetime) -> Booking:
    booking = w.request(w.beamers, start, end, quantity=2)
    w.run(
        services.booking_check_out,
        actor=w.anna,
        booking=booking,
        comment="Kabel dabei",
        handed_over_to="Bernd Mitglied",
        now=handed_over,
    )
    return Booking.objects.get(pk=booking.pk)


def case_checked_out(w: World) -> Scene:
    booking = lend_beamers(w, start=slot(18), end=slot(20), handed_over=slot(16))
    return Scene(
        rows=rows_of(K.CHECKED_OUT),
        expected={
            "bernd@example.org": event_expect(booking, "Übergeben", "Handed over", booking_url(booking))
        },
        again=again_at_real_now(w),
    )


def case_returned(w: World) -> Scene:
    booking = lend_beamers(w, start=slot(18), end=slot(20), handed_over=slot(16))
    w.run(services.booking_return, actor=w.anna, booking=booking, comment="Alles gut")
    return Scene(
        rows=rows_of(K.RETURNED),
        expected={
            "bernd@example.org": event_expect(booking, "Zurückgegeben", "Returned", booking_url(booking))
        },
        again=again_at_real_now(w),
    )


def case_reminder(w: World) -> Scene:
    booking = w.request(w.open_room, slot(18), slot(20))
    moment = slot(18, days=9)  # 24 hours before, on the wall clock
    assert w.sweep(moment - timedelta(minutes=1))["reminders"] == 0
    assert w.sweep(moment)["reminders"] == 1
    return Scene(
        rows=rows_of(K.REMINDER),
        expected={
            "bernd@example.org": Expect(
                subject=lambda language: (
                    ("Erinnerung: " if language == "de" else "Reminder: ")
                    + what("Galerie", booking.start, language)
                ),
                link=booking_url(booking),
                resource="Galerie",
                times=lambda language: [date_time(booking.start, language), date_time(booking.end, language)],
                calendar=booking,
            )
        },
        again=again_sweep(w, moment),
    )


def _lent_until_noon(w: World) -> Booking:
    """Two projectors from 09:00 to 12:00 in ten days, handed over at 08:00."""
    return lend_beamers(w, start=slot(9), end=slot(12), handed_over=slot(8))


def case_return_due(w: World) -> Scene:
    booking = _lent_until_noon(w)
    moment = slot(10)  # two hours before the end
    assert w.sweep(moment)["return_due"] == 1

    def subject(language):
        if language == "de":
            return f"Bitte zurückgeben: Beamer, bis {short(booking.end, language)}"
        return f"Please bring back: Beamer, by {short(booking.end, language)}"

    return Scene(
        rows=rows_of(K.RETURN_DUE),
        expected={
            "bernd@example.org": Expect(
                subject=subject,
                link=booking_url(booking),
                resource="Beamer",
                times=lambda language: [date_time(booking.end, language)],
            )
        },
        again=again_sweep(w, moment),
    )


def _overdue_subject(booking) -> Callable[[str], str]:
    def subject(language):
        if language == "de":
            return f"Überfällig: Beamer, Rückgabe bis {short(booking.end, language)}"
        return f"Overdue: Beamer, due back {short(booking.end, language)}"

    return subject


def case_overdue_first_notice(w: World) -> Scene:
    booking = _lent_until_noon(w)
    moment = slot(13)  # an hour after the end
    assert w.sweep(moment)["overdue"] == 1
    return Scene(
        rows=rows_of(K.OVERDUE),
        expected={
            "bernd@example.org": Expect(
                subject=_overdue_subject(booking),
                link=booking_url(booking),
                resource="Beamer",
                times=lambda language: [date_time(booking.end, language)],
            )
        },
        again=again_sweep(w, moment),
    )


def case_overdue_last_notice(w: World) -> Scene:
    booking = _lent_until_noon(w)
    for days in (10, 11):
        w.sweep(slot(13, days=days))
    moment = slot(13, days=12)
    assert w.sweep(moment)["overdue"] == 2
    borrower = Expect(
        subject=_overdue_subject(booking),
        link=booking_url(booking),
        resource="Beamer",
        times=lambda language: [date_time(booking.end, language)],
    )
    # The owner's manager gets the last one, with the way to the hand-overs page.
    owner = Expect(
        subject=_overdue_subject(booking),
        link=HANDOVERS,
        resource="Beamer",
        times=lambda language: [date_time(booking.end, language)],
    )
    return Scene(
        rows=rows_of(K.OVERDUE, sequence=reminders.OVERDUE_CAP),
        expected={"bernd@example.org": borrower, "anna@example.org": owner},
        again=again_sweep(w, moment),
    )


def case_digest(w: World) -> Scene:
    room_request = request_in_approval_room(w)
    skill_request = w.request(w.skill, slot(10, days=11), slot(12, days=11))
    now = timezone.now()
    assert w.run(reminders.digest_send, now=now) == 2

    subjects = {
        ("de", 1): "1 Anfrage wartet auf Ihre Entscheidung",
        ("de", 2): "2 Anfragen warten auf Ihre Entscheidung",
        ("en", 1): "1 request is waiting for your decision",
        ("en", 2): "2 requests are waiting for your decision",
    }

    def subject(count):
        return lambda language: subjects[language, count]

    def listed(*bookings):
        return lambda language: [
            f"{short(booking.start, language)}–{short(booking.end, language)}" for booking in bookings
        ]

    def again():
        w.run(reminders.digest_send, now=now + timedelta(minutes=5))
        w.sweep(now + timedelta(minutes=5))  # the sweep's catch-up finds today's digest written
        w.deliver_due(now + timedelta(hours=3))

    return Scene(
        rows=rows_of(K.DIGEST),
        expected={
            # Anna manages the organisation: both requests; Moritz holds the skill: its request.
            "anna@example.org": Expect(
                subject=subject(2),
                link=INBOX,
                resource="Saal Hafen",
                times=listed(room_request, skill_request),
            ),
            "moritz@example.org": Expect(
                subject=subject(1), link=INBOX, resource="Tontechnik", times=listed(skill_request)
            ),
        },
        again=again,
    )


CASES: list[tuple[str, Callable[[World], Scene]]] = [
    (K.REQUEST_RECEIVED, case_request_received),
    (K.APPROVAL_NEEDED, case_approval_needed_managers),
    (K.APPROVAL_NEEDED, case_approval_needed_skill_holder),
    (K.CONFIRMED, case_confirmed_at_once),
    (K.CONFIRMED, case_confirmed_on_approval),
    (K.DECLINED, case_declined),
    (K.CANCELLED, case_cancelled_by_the_borrower),
    (K.CANCELLED, case_cancelled_by_the_owner),
    (K.EXPIRED, case_expired),
    (K.WAITLIST_OFFER, case_waitlist_offer),
    (K.CHECKED_OUT, case_checked_out),
    (K.RETURNED, case_returned),
    (K.REMINDER, case_reminder),
    (K.RETURN_DUE, case_return_due),
    (K.OVERDUE, case_overdue_first_notice),
    (K.OVERDUE, case_overdue_last_notice),
    (K.DIGEST, case_digest),
]
# Kinds whose e-mail carries the calendar file.
CALENDAR_KINDS = {K.CONFIRMED, K.REMINDER}


def test_every_kind_has_a_row():
    assert {kind for kind, _case in CASES} == set(NotificationKind.values)


def _html(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def _check_calendar(message, booking: Booking) -> None:
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype.split(";")[0]) == ("buchung.ics", "text/calendar")
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.pk}@testserver"
    assert event.decoded("DTSTART") == booking.start and event.decoded("DTEND") == booking.end


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("kind", "case"), CASES, ids=[case.__name__.removeprefix("case_") for _k, case in CASES]
)
def test_message(world, kind, case, language):
    User.objects.update(language=language)

    scene = case(world)

    assert scene.rows, f"no {kind} notification written"
    assert {row.kind for row in scene.rows} == {kind}
    by_id = {messages.message_id(row): row for row in scene.rows}
    sent = [message for message in mail.outbox if message.extra_headers["Message-ID"] in by_id]
    # Exactly the expected people, one e-mail each, to the address of the row's recipient.
    assert sorted(message.to[0] for message in sent) == sorted(scene.expected)
    assert len(sent) == len(scene.rows)
    for message in sent:
        row = by_id[message.extra_headers["Message-ID"]]
        assert message.to == [row.recipient.email]
        assert Notification.objects.get(pk=row.pk).email_state == "sent"
        expect = scene.expected[message.to[0]]

        assert message.subject == PREFIX + expect.subject(language)
        text, html = message.body, _html(message)
        assert f'<html lang="{language}">' in html
        for part in (text, unescape(html)):
            assert expect.resource in part
            for time_text in expect.times(language):
                assert time_text in part, (time_text, part)
            assert expect.link in part
        assert f'href="{expect.link}"' in html
        greetings = {"de": ("Guten Tag,", "Guten Morgen,"), "en": ("Hello,", "Good morning,")}[language]
        assert text.startswith(greetings[1] if kind == K.DIGEST else greetings[0])
        if expect.calendar is not None:
            assert kind in CALENDAR_KINDS
            _check_calendar(message, expect.calendar)
        else:
            assert message.attachments == []

    # Once: the same sweep (or delivery) again writes nothing and sends nothing.
    outbox, written = len(mail.outbox), Notification.objects.count()
    scene.again()
    assert (len(mail.outbox), Notification.objects.count()) == (outbox, written)
