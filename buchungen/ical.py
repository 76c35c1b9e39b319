"""iCalendar (RFC 5545) building blocks for the booking feeds (buchungen/views/feeds.py).

Every time is written in UTC with the ``Z`` suffix: clients convert it to the viewer's zone themselves,
no VTIMEZONE block has to be kept in step with the rules of Europe/Berlin, and an instant read back
equals the stored one exactly — also across the nights of the clock changes. The feeds are published
calendars without METHOD, so DTSTAMP is the time the item last changed (RFC 5545, 3.8.7.2), not the
time of the request: an unchanged booking gives byte-identical output on every poll.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from icalendar import Calendar, Event, vDuration

PRODID = "-//Ressourcennetz Soziokultur Meissen//Buchungen//DE"
# How often a client should fetch the feed again (REFRESH-INTERVAL, RFC 7986, and Outlook's and
# Google's older X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=1)
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class FeedEvent:
    """One VEVENT: what the feed's selector decided to show, already in the reader's words."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    changed: datetime | None  # None: unknown (DTSTAMP is then the hour of the request, no LAST-MODIFIED)
    status: str = "CONFIRMED"  # CONFIRMED, TENTATIVE or CANCELLED
    sequence: int = 0
    location: str = ""
    description: str = ""
    url: str = ""


def feed_host(request: HttpRequest | None = None) -> str:
    """The host that makes UIDs globally unique: the configured site's, else the request's."""
    host = urlsplit(settings.SITE_URL).hostname if settings.SITE_URL else None
    if not host and request is not None:
        host = request.get_host().split(":")[0]
    return host or "localhost"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def calendar_build(
    *, name: str, events: Iterable[FeedEvent], now: datetime, description: str = ""
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        if item.changed is not None:
            event.add("dtstamp", _utc(item.changed))
            event.add("last-modified", _utc(item.changed))
        else:
            event.add("dtstamp", _utc(now).replace(minute=0, second=0))
        event.add("dtstart", _utc(item.start))
        event.add("dtend", _utc(item.end))
        event.add("summary", item.summary)
        event.add("status", item.status)
        event.add("sequence", item.sequence)
        event.add("transp", "TRANSPARENT" if item.status == "CANCELLED" else "OPAQUE")
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        calendar.add_component(event)
    return calendar


def calendar_response(calendar: Calendar, *, filename: str, public: bool) -> HttpResponse:
    """The calendar as a download that calendar apps and browsers accept (shown inline).

    Personal feeds are ``private`` (a shared cache must never keep someone's bookings); the public
    resource feeds may be cached by anyone for five minutes.
    """
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=300"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
