"""Rendering notifications: the e-mail (subject, text and HTML parts, a calendar file) and the one line
the notification centre shows — in the recipient's language, times in Berlin.

Templates: ``templates/email/notification_<kind>_subject.txt``, ``.txt`` and ``.html`` (konten.mail).
The subject of the event messages is ``summary`` — the same line the notification centre shows — so
the two never disagree. Every template gets (``mail_context``): the notification, its recipient, the
booking (or waitlist entry), the resource and its organisation, ``bookings`` (all of a series' dates or
a bundle's parts the message is about, each with ``when``), the side (``borrower``/``owner``), the
comment of the step, the absolute links back and the lines saying why the message came and whether it
can be switched off.

Mail headers: a ``Message-ID`` derived from the notification's unique key. A message sent again after
a worker died between the mail server's "accepted" and our bookkeeping — or re-sent by the
coordinator — carries the same id, so mail clients recognise it as the same message.

Calendar file (``booking_calendar``): confirmations and reminders carry ``buchung.ics`` — the booked
dates as events with the personal feed's UIDs (``booking-<id>@<host>``), ``METHOD:PUBLISH``: a
calendar that imports the file and subscribes to the feed keeps one entry per booking.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buchungen.feeds import booking_event, booking_page_url
from buchungen.ical import calendar_build, feed_host
from buchungen.models import Booking, BookingStatus, Notification, NotificationKind, WaitlistEntry
from konten.mail import mail_send
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

K = NotificationKind
S = BookingStatus

# Kinds whose e-mail carries the calendar file: the booking takes place.
CALENDAR_KINDS = frozenset({K.CONFIRMED, K.REMINDER})
CALENDAR_STATUSES = (S.CONFIRMED, S.CHECKED_OUT)
CALENDAR_FILENAME = "buchung.ics"
CALENDAR_MIMETYPE = "text/calendar; charset=utf-8; method=PUBLISH"


# --- Times ------------------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, local_zone())


def when_text(start: datetime, end: datetime) -> str:
    """``Tuesday, 2 June 2026, 18:00–20:00`` (Berlin time, active language); across midnight both
    dates."""
    start, end = _local(start), _local(end)
    day = f"{formats.date_format(start, 'l')}, {formats.date_format(start, 'DATE_FORMAT')}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {formats.date_format(end, 'DATE_FORMAT')}, {end:%H:%M}"


def short_when(moment: datetime) -> str:
    """``02.06.2026 18:00`` / ``06/02/2026 6 p.m.`` — the active language's short date and time."""
    return formats.date_format(_local(moment), "SHORT_DATETIME_FORMAT")


# --- The one line (centre, subject) ------------------------------------------------------------------


def _subject_of(notification: Notification) -> Booking | WaitlistEntry | None:
    return notification.booking or notification.waitlist_entry


def _what(notification: Notification) -> str:
    """``Saal Hafen, 02.06.2026 18:00`` — and how many more dates or parts the message is about."""
    subject = _subject_of(notification)
    if subject is None:
        return ""
    what = _("%(resource)s, %(when)s") % {
        "resource": subject.resource.name,
        "when": short_when(subject.start),
    }
    more = len(notification.context.get("bookings", [])) - 1
    if more > 0 and notification.context.get("series"):
        what += " " + ngettext("(and %(count)d more date)", "(and %(count)d more dates)", more) % {
            "count": more
        }
    elif more > 0:
        what += " " + ngettext("(and %(count)d more item)", "(and %(count)d more items)", more) % {
            "count": more
        }
    return what


def _summary_formats() -> dict[str, str]:
    return {
        K.REQUEST_RECEIVED: _("Request received: %(what)s"),
        K.APPROVAL_NEEDED: _("Approval needed: %(what)s"),
        K.CONFIRMED: _("Booking confirmed: %(what)s"),
        K.DECLINED: _("Request declined: %(what)s"),
        K.CANCELLED: _("Booking cancelled: %(what)s"),
        K.EXPIRED: _("Request expired: %(what)s"),
        K.CHECKED_OUT: _("Handed over: %(what)s"),
        K.RETURNED: _("Returned: %(what)s"),
        K.REMINDER: _("Reminder: %(what)s"),
        K.RETURN_DUE: _("Please bring back: %(what)s"),
        K.OVERDUE: _("Overdue: %(what)s"),
    }


def _offer_expires(notification: Notification) -> datetime | None:
    text = notification.context.get("offer_expires")
    if text:
        return parse_datetime(text)
    entry = notification.waitlist_entry
    return entry.offer_expires if entry is not None else None


def notification_summary(notification: Notification) -> str:
    """One short line about ``notification`` in the active language (the centre's list, the e-mail's
    subject). No query beyond the booking's (or entry's) resource."""
    kind = notification.kind
    if kind == K.DIGEST:
        count = int(notification.context.get("count", 0))
        return ngettext(
            "Daily digest: %(count)d request is waiting for your decision",
            "Daily digest: %(count)d requests are waiting for your decision",
            count,
        ) % {"count": count}
    what = _what(notification)
    if kind == K.WAITLIST_OFFER:
        expires = _offer_expires(notification)
        if expires is not None:
            return _("Free for you until %(deadline)s: %(what)s") % {
                "deadline": short_when(expires),
                "what": what,
            }
        return _("Free for you: %(what)s") % {"what": what}
    template = _summary_formats().get(kind)
    if template is None or not what:
        return str(notification.get_kind_display())
    return template % {"what": what}


# --- The e-mail -------------------------------------------------------------------------------------------


def message_id(notification: Notification) -> str:
    """``<notification-confirmed-b12-0-u3@host>``: the same for every attempt of one notification."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", notification.key).strip("-")
    return f"<notification-{slug}@{feed_host()}>"


@dataclass(frozen=True)
class Item:
    """One booking a message is about, as the templates list it."""

    booking: Booking
    when: str
    url: str


def _bookings_of(notification: Notification) -> list[Booking]:
    """The bookings the message is about: a series' dates or a bundle's parts (``context.bookings``),
    else its own booking. One query for several."""
    booking = notification.booking
    if booking is None:
        return []
    pks = notification.context.get("bookings") or []
    if len(pks) <= 1:
        return [booking]
    return list(
        Booking.objects.filter(pk__in=pks)
        .select_related("resource", "resource__organisation", "organisation")
        .order_by("start", "pk")
    )


def _url(name: str, *args: Any) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def _why(notification: Notification, resource: Resource | None, side: str) -> str:
    """Why this person gets this message."""
    kind = notification.kind
    if kind == K.WAITLIST_OFFER:
        return _("You receive this because you are on the waitlist for this time.")
    if kind == K.DIGEST or side == "owner":
        if resource is None:
            return _("You receive this because you decide on booking requests.")
        return _("You receive this because you look after %(resource)s (%(organisation)s).") % {
            "resource": resource.name,
            "organisation": resource.organisation.name,
        }
    booking = notification.booking
    if booking is not None and booking.booked_by_id != notification.recipient_id and booking.organisation:
        return _("You receive this because you manage %(organisation)s, for which this booking was made.") % {
            "organisation": booking.organisation.name
        }
    return _("You receive this because you made this booking.")


def _switch(notification: Notification) -> str:
    """Mandatory, or which setting sends it (and where to switch it off)."""
    if notification.mandatory:
        return _(
            "This message is mandatory: it is sent whatever your e-mail settings say, because the "
            "booking cannot do without it."
        )
    if notification.kind == K.REMINDER:
        return _("You receive reminders by e-mail because they are switched on in your profile.")
    if notification.kind == K.DIGEST:
        return _("You receive the daily digest because it is switched on in your profile.")
    return _("You receive this by e-mail because e-mail notifications are switched on in your profile.")


def mail_context(notification: Notification) -> dict[str, Any]:
    """Everything the templates use (call it in the recipient's language and Berlin time)."""
    booking = notification.booking
    entry = notification.waitlist_entry
    subject = booking or entry
    resource = subject.resource if subject is not None else None
    context = notification.context or {}
    side = context.get("side", "borrower")
    items = [
        Item(
            booking=item,
            when=when_text(item.start, item.end),
            url=booking_page_url(item.pk, settings.SITE_URL),
        )
        for item in _bookings_of(notification)
    ]
    values: dict[str, Any] = {
        "notification": notification,
        "recipient": notification.recipient,
        "booking": booking,
        "entry": entry,
        "resource": resource,
        "owner": resource.organisation if resource is not None else None,
        "borrowing_organisation": subject.organisation if subject is not None else None,
        "purpose": subject.purpose if subject is not None else "",
        "items": items,
        "count": len(items),
        "series": context.get("series"),
        "bundle": context.get("request"),
        "side": side,
        "comment": context.get("comment", ""),
        "by": context.get("by", ""),
        "by_you": context.get("actor") is not None and context.get("actor") == notification.recipient_id,
        "summary": notification_summary(notification),
        "why": _why(notification, resource, side),
        "switch": _switch(notification),
        "mandatory": notification.mandatory,
        "centre_url": _url("buchungen:notifications"),
        "profile_url": _url("konten:profile"),
        "inbox_url": _url("buchungen:inbox"),
        "waitlist_url": _url("buchungen:waitlist"),
        "booking_url": booking_page_url(booking.pk, settings.SITE_URL) if booking is not None else "",
        "series_url": _url("buchungen:series_detail", context["series"]) if context.get("series") else "",
        "bundle_url": _url("buchungen:bundle_detail", context["request"]) if context.get("request") else "",
    }
    if entry is not None:
        values["when"] = when_text(entry.start, entry.end)
        expires = _offer_expires(notification)
        values["offer_expires"] = (
            f"{formats.date_format(_local(expires), 'DATE_FORMAT')}, {_local(expires):%H:%M}"
            if expires
            else ""
        )
    return values


def booking_calendar(bookings: list[Booking], *, now: datetime | None = None) -> bytes:
    """A calendar (``METHOD:PUBLISH``) with one event per booking that takes place, with the UIDs and
    sequence numbers of the personal feed, in the active language. One query."""
    host, site_url = feed_host(), settings.SITE_URL
    rows = (
        Booking.objects.filter(pk__in=[booking.pk for booking in bookings], status__in=CALENDAR_STATUSES)
        .select_related("resource", "resource__organisation", "organisation")
        .annotate(steps=Count("transitions"))
        .order_by("start", "pk")
    )
    events = [booking_event(booking, host=host, site_url=site_url) for booking in rows]
    calendar = calendar_build(
        name=_("Ressourcennetz Soziokultur Meißen"), events=events, now=now or timezone.now()
    )
    # A one-off file, not a subscription: no refresh hints.
    for name in ("REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        calendar.pop(name, None)
    calendar.add("method", "PUBLISH")
    return calendar.to_ical()


def notification_send(notification: Notification) -> None:
    """Render and send ``notification`` to its recipient in their language, times in Berlin, with a
    stable Message-ID and — for confirmations and reminders — the calendar file. Raises on failure
    (the caller records it and tries again later)."""
    language = notification.recipient.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(local_zone()):
        context = mail_context(notification)
        attachments = []
        if notification.kind in CALENDAR_KINDS and context["items"]:
            ics = booking_calendar([item.booking for item in context["items"]])
            if b"BEGIN:VEVENT" in ics:
                attachments.append((CALENDAR_FILENAME, ics, CALENDAR_MIMETYPE))
        mail_send(
            template=f"notification_{notification.kind}",
            to=[notification.recipient.email],
            context=context,
            language=language,
            attachments=attachments,
            headers={"Message-ID": message_id(notification)},
        )
