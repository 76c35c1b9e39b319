"""Calendar feeds: a person's secret feed of their bookings and the public "taken" feed of a resource.

Services (writes): ``feed_issue`` and ``feed_revoke``. Selectors (reads): ``feed_user_by_token``,
``personal_feed_events`` and ``resource_feed_events``; buchungen/views/feeds.py renders their events with
buchungen/ical.py.

The personal feed is read by calendar apps, which cannot log in: the secret token in its address is the
credential. Only the token's SHA-256 is stored (like invitations), so the full address can be shown
exactly once, right after it was issued. Issuing again replaces the feed: the old address stops working.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buchungen.ical import FeedEvent
from buchungen.models import Booking, BookingStatus, BookingTransition, CalendarFeed
from buchungen.selectors import active_blocking
from konten.models import Membership, User
from konten.services import require_perm
from ressourcen.models import Resource
from ressourcen.selectors import closures_for

S = BookingStatus

# The personal feed: from 60 days back to 18 months ahead; cancelled bookings stay (as CANCELLED) for 60
# days after the cancellation, long enough for every client that polls at all to remove them.
PERSONAL_PAST = timedelta(days=60)
PERSONAL_AHEAD = timedelta(days=548)
CANCELLED_KEPT = timedelta(days=60)
# The public feed of a resource: a week back, a year ahead.
RESOURCE_PAST = timedelta(days=7)
RESOURCE_AHEAD = timedelta(days=365)
# A calendar app polls every few minutes to hours; recording each poll would be a write per request.
LAST_USED_EVERY = timedelta(hours=1)
# token_urlsafe(32) is 43 characters; anything much longer is not ours and is not even hashed.
MAX_TOKEN_LENGTH = 100

ICAL_STATUS = {S.REQUESTED: "TENTATIVE", S.CANCELLED: "CANCELLED"}
# Statuses the summary does not repeat: the booking simply takes place (or took place).
PLAIN_STATUSES = {S.CONFIRMED, S.COMPLETED}


def feed_token_hash(token: str) -> str:
    """Only this is stored: a leaked database does not leak working feed addresses."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Services -------------------------------------------------------------------------------------------


def _check_may_have_feed(actor: User) -> None:
    # The rules backend does not look at is_active; a deactivated account has no feed.
    if not actor.is_active:
        raise PermissionDenied(_("You are not allowed to do this."))
    require_perm(actor, "buchungen.list_bookings")


@transaction.atomic
def feed_issue(*, actor: User) -> str:
    """Create ``actor``'s calendar feed, replacing (and so revoking) an existing one; return the token.

    The token is returned once and never stored — only its hash. The person's row is locked first, so
    two clicks at the same moment end with one feed (the second replaces the first) instead of a
    unique-constraint error. Raises ``PermissionDenied`` for anonymous or deactivated accounts.
    """
    _check_may_have_feed(actor)
    User.objects.select_for_update().filter(pk=actor.pk).exists()
    CalendarFeed.objects.filter(user=actor).delete()
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=actor, token_hash=feed_token_hash(token))
    return token


@transaction.atomic
def feed_revoke(*, actor: User) -> bool:
    """Delete ``actor``'s calendar feed: its address answers 404 from now on. Returns whether there was
    one. Raises ``PermissionDenied`` for anonymous or deactivated accounts."""
    _check_may_have_feed(actor)
    deleted, _rows = CalendarFeed.objects.filter(user=actor).delete()
    return bool(deleted)


# --- Selectors ------------------------------------------------------------------------------------------


def feed_for(user: User) -> CalendarFeed | None:
    """The person's feed (for the settings page), or None."""
    return CalendarFeed.objects.filter(user=user).first()


def feed_user_by_token(token: str, *, now: datetime | None = None) -> User | None:
    """The active person whose feed has this token, or None (unknown, revoked, deactivated account).

    Records the use in ``last_used``, at most once per ``LAST_USED_EVERY``: a calendar polling every
    five minutes must not cost a write each time. The lookup is by hash through a unique index; the
    token has 256 random bits, so there is nothing to learn from the lookup's timing.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=feed_token_hash(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    now = now or timezone.now()
    if feed.last_used is None or now - feed.last_used >= LAST_USED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used=now)
    return feed.user


def personal_feed_bookings(*, user: User, now: datetime):
    """The bookings of ``user``'s feed, with everything an event shows (one query).

    Those they booked, those of every organisation they belong to, those of the resources of the
    organisations they manage (what they hand over) and of the skills they offer — the roles of
    ``bookings_visible_to`` except the coordinator's view of everything: a feed is one's own calendar.
    Declined and expired requests are left out; cancelled ones stay for ``CANCELLED_KEPT``.
    """
    member_of = Membership.objects.filter(user=user).values("organisation_id")
    manager_of = Membership.objects.managers().filter(user=user).values("organisation_id")
    steps = (
        BookingTransition.objects.filter(booking=OuterRef("pk"))
        .order_by()
        .values("booking")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Booking.objects.filter(
            Q(booked_by=user)
            | Q(organisation_id__in=member_of)
            | Q(resource__organisation_id__in=manager_of)
            | Q(resource__holder=user)
        )
        .filter(end__gt=now - PERSONAL_PAST, start__lt=now + PERSONAL_AHEAD)
        .exclude(status__in=[S.DECLINED, S.EXPIRED])
        .exclude(status=S.CANCELLED, updated__lt=now - CANCELLED_KEPT)
        .select_related("resource", "resource__organisation", "organisation")
        .annotate(steps=Coalesce(Subquery(steps, output_field=IntegerField()), Value(0)))
        .order_by("start", "pk")
    )


def booking_page_url(pk: int, site_url: str) -> str:
    """The absolute address of a booking's page (buchungen/views/borrower.py)."""
    return f"{site_url}{reverse('buchungen:booking_detail', kwargs={'pk': pk})}"


def _location(resource: Resource) -> str:
    parts = [resource.building, resource.floor, resource.address or resource.organisation.address]
    text = ", ".join(" ".join(part.split()) for part in parts if part and part.strip())
    return text or resource.organisation.name


def personal_feed_events(*, user: User, now: datetime, host: str, site_url: str) -> list[FeedEvent]:
    """One event per booking of ``personal_feed_bookings``, in the active language.

    The description names the purpose and the two organisations (borrowing and owning) — never who
    booked: the person's name and address stay out of a file that is copied into other services.
    """
    return [
        booking_event(booking, host=host, site_url=site_url)
        for booking in personal_feed_bookings(user=user, now=now)
    ]


def booking_event(booking: Booking, *, host: str, site_url: str) -> FeedEvent:
    """A booking as a calendar event: the same UID, sequence and text in the personal feed and in the
    ``.ics`` attached to e-mails, so a calendar that has both keeps one entry. ``booking`` needs
    ``resource__organisation``, ``organisation`` and the annotation ``steps`` (its number of steps)."""
    resource = booking.resource
    summary = resource.name
    if booking.status not in PLAIN_STATUSES:
        summary = f"{summary} ({booking.get_status_display()})"
    url = booking_page_url(booking.pk, site_url)
    lines = []
    if booking.purpose:
        lines.append(_("Purpose: %(purpose)s") % {"purpose": booking.purpose})
    if booking.organisation is not None:
        lines.append(_("For: %(organisation)s") % {"organisation": booking.organisation.name})
    lines.append(_("Offered by: %(organisation)s") % {"organisation": resource.organisation.name})
    if booking.quantity > 1:
        lines.append(_("Quantity: %(count)d") % {"count": booking.quantity})
    lines.append(_("Status: %(status)s") % {"status": booking.get_status_display()})
    lines.append(_("Details: %(url)s") % {"url": url})
    return FeedEvent(
        uid=f"booking-{booking.pk}@{host}",
        start=booking.start,
        end=booking.end,
        summary=summary,
        changed=booking.updated,
        status=ICAL_STATUS.get(booking.status, "CONFIRMED"),
        # The first step is the creation; every later one changes what the event says.
        sequence=max(booking.steps - 1, 0),
        location=_location(resource),
        description="\n".join(lines),
        url=url,
    )


def opaque_uid(kind: str, pk: int, host: str) -> str:
    """A stable UID that does not reveal the row's id (keyed with the SECRET_KEY)."""
    digest = salted_hmac(f"buchungen.feeds.{kind}", str(pk), algorithm="sha256").hexdigest()[:24]
    return f"{kind}-{digest}@{host}"


def resource_feed_events(*, resource: Resource, now: datetime, host: str) -> list[FeedEvent]:
    """The public feed of a resource: when it is taken and when it is closed, never by whom (two queries).

    Taken means the blocked interval of an active booking (set-up and tidy-up included), as the
    catalogue's week view shows it. No purpose, organisation, person or booking id; the UID is opaque.
    Closures keep their reason: the catalogue page shows it to everyone as well.
    """
    start, end = now - RESOURCE_PAST, now + RESOURCE_AHEAD
    rows = (
        active_blocking(Booking.objects.filter(resource=resource), start, end)
        .order_by("blocked_start", "pk")
        .values_list("pk", "blocked_start", "blocked_end", "quantity", "updated")
    )
    events = []
    for pk, blocked_start, blocked_end, quantity, updated in rows:
        if resource.is_exclusive:
            summary = _("Booked")
        else:
            summary = ngettext(
                "Booked (%(count)d of %(total)d unit)",
                "Booked (%(count)d of %(total)d units)",
                resource.quantity,
            ) % {"count": quantity, "total": resource.quantity}
        events.append(
            FeedEvent(
                uid=opaque_uid("busy", pk, host),
                start=blocked_start,
                end=blocked_end,
                summary=summary,
                changed=updated,
            )
        )
    closures = closures_for(resource=resource, start=start, end=end).order_by("start", "pk")
    for closure in closures.values_list("pk", "start", "end", "reason"):
        pk, closure_start, closure_end, reason = closure
        events.append(
            FeedEvent(
                uid=opaque_uid("closure", pk, host),
                start=closure_start,
                end=closure_end,
                summary=_("Closed"),
                changed=None,  # closures keep no change time
                description=reason,
            )
        )
    return events
