"""Reads for the owners' pages: the requests a person decides on, and what is due to be handed over.

The one place that scopes these lists (STYLE.md); ``buchungen.views.owner`` and the template tags call it.
The lists match the permissions of ``buchungen/rules.py`` exactly — a request is in the inbox when its
reader has ``buchungen.approve_booking`` on it (managers of the owning organisation, a skill's holder),
a row is on the handover screen when the reader has ``buchungen.handover_booking`` — so the pages need
no permission check per row and their query count stays constant.
"""

from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from buchungen.models import Booking, BookingStatus
from buchungen.services import CHECK_OUT_EARLIEST
from konten.models import Membership, Organisation, User
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

_RELATED = ("resource", "resource__organisation", "organisation", "booked_by")


def organisations_managed_by(user: User) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        pk__in=Membership.objects.managers().filter(user=user).values("organisation_id")
    ).order_by("name")


def decides_or_hands_over(user: User) -> bool:
    """Whether ``user`` manages an organisation or holds a skill (one query): the navigation then shows
    the inbox."""
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.managers()
        .filter(user=user)
        .values("pk")
        .union(Resource.objects.filter(kind=Resource.Kind.SKILL, holder=user).values("pk"))
        .exists()
    )


def bookings_to_decide(
    user: User, *, organisation_id: int | None = None, now: datetime | None = None
) -> QuerySet[Booking]:
    """Requests (status ``requested``) not yet started for resources of organisations ``user`` manages
    and for skills ``user`` holds — exactly those ``buchungen.approve_booking`` allows. The coordinator
    decides nothing, so being coordinator adds nothing here. ``organisation_id`` keeps those of one
    owning organisation. By start, with everything a row shows."""
    if not user.is_authenticated:
        return Booking.objects.none()
    now = now or timezone.now()
    managed = Membership.objects.managers().filter(user=user).values("organisation_id")
    queryset = Booking.objects.filter(
        Q(resource__organisation_id__in=managed)
        | Q(resource__kind=Resource.Kind.SKILL, resource__holder=user),
        status=BookingStatus.REQUESTED,
        start__gt=now,
    )
    if organisation_id is not None:
        queryset = queryset.filter(resource__organisation_id=organisation_id)
    return queryset.select_related(*_RELATED).order_by("start", "pk")


def _local_midnight(day, days_later: int) -> datetime:
    return datetime.combine(day + timedelta(days=days_later), time(0), tzinfo=local_zone())


def handovers_due(user: User, *, now: datetime | None = None) -> QuerySet[Booking]:
    """Confirmed bookings of rooms and equipment of organisations ``user`` manages that start today or
    tomorrow (Berlin days) or have started and not ended — not handed over yet. By start."""
    if not user.is_authenticated:
        return Booking.objects.none()
    now = now or timezone.now()
    until = _local_midnight(now.astimezone(local_zone()).date(), 2)
    return (
        Booking.objects.filter(
            resource__organisation_id__in=Membership.objects.managers()
            .filter(user=user)
            .values("organisation_id"),
            resource__kind__in=(Resource.Kind.ROOM, Resource.Kind.EQUIPMENT),
            status=BookingStatus.CONFIRMED,
            start__lt=until,
            end__gt=now,
        )
        .select_related(*_RELATED)
        .order_by("start", "pk")
    )


def bookings_handed_out(user: User) -> QuerySet[Booking]:
    """What organisations ``user`` manages have handed over and not taken back, by return due (the
    booking's end): the overdue ones come first."""
    if not user.is_authenticated:
        return Booking.objects.none()
    return (
        Booking.objects.filter(
            resource__organisation_id__in=Membership.objects.managers()
            .filter(user=user)
            .values("organisation_id"),
            status=BookingStatus.CHECKED_OUT,
        )
        .select_related(*_RELATED)
        .order_by("end", "pk")
    )


# --- What a booking allows now (the pages offer a step only when the service would accept it) ------------


def check_out_opens(booking: Booking) -> datetime:
    """From when ``booking`` may be handed over (``services.CHECK_OUT_EARLIEST`` before the start)."""
    return booking.start - CHECK_OUT_EARLIEST


def may_check_out_now(booking: Booking, now: datetime) -> bool:
    return (
        booking.status == BookingStatus.CONFIRMED
        and booking.resource.kind != Resource.Kind.SKILL
        and check_out_opens(booking) <= now < booking.end
    )


def may_mark_no_show_now(booking: Booking, now: datetime) -> bool:
    """Once the start has passed, confirmed or already completed by the sweep (``booking_no_show``)."""
    return booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED) and booking.start <= now
