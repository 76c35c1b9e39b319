"""The waitlist: joining it for a taken slot, offering a freed slot to the first eligible entry.

A person whose request conflicts with a booking joins the waitlist with the same data a booking would
have (resource, time, quantity, organisation, purpose, participants). When a booking stops holding its
slot (cancelled, declined, expired, returned) ``buchungen.services._freed`` calls
``waitlist_offer_freed`` inside the same transaction; the oldest waiting entry whose request now fits
and still passes every rule is *offered* the slot for a while (24 hours, at most until its lead time
runs out). Accepting the offer books through ``buchungen.services.booking_request`` — the same rules,
the same lock, the same guarantees as any booking.

An offer does **not** hold the slot: anyone may still book the time directly while the offer is open,
and accepting then fails with a ``BookingConflict`` (the entry goes back to waiting, keeping its place).
Holding the slot would need a second kind of "taken" next to bookings — in every conflict check, in the
availability, in the calendar and in PostgreSQL's exclusion constraint — and a slot freed late at
night would stay empty for a day if the person offered it never answers. The offer is a head start,
not a reservation; the person is told so on the waitlist page.

First come, first served: entries are looked at oldest first, and while one entry's offer is open no
other entry overlapping it is offered (one open offer per overlapping slot). Entries that do not
overlap an open offer — a second two-hour slot inside a freed day — may be offered at the same time.

Lock order everywhere: the resource row (``lock_resources``) before waitlist rows, as
``booking_request`` does, so two of these services never wait for each other crosswise.

This module must not import ``buchungen.services`` at module level: services imports it lazily (from
``_freed``) and the waitlist books through services; the imports below sit inside the functions.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buchungen import notifications
from buchungen.errors import BookingConflict
from buchungen.models import WaitlistEntry, WaitlistStatus
from konten.models import Organisation, User
from ressourcen.models import Resource

W = WaitlistStatus

# How long an offer stays open (at most: it also ends when the entry's lead time runs out).
OFFER_HOURS = 24
# Entries that still wait for the slot: one of these per person, resource and overlapping time.
OPEN_STATUSES = (W.WAITING, W.OFFERED)


def waitlist_join(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    quantity: int = 1,
    organisation: Organisation | None = None,
    purpose: str = "",
    participants: int | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put ``actor`` on the waitlist of ``resource`` for ``[start, end)``.

    The request must pass every rule a booking must pass (``request_check``: membership of
    ``organisation``, audience, duration, lead time, quantity …) and the slot must be taken right now,
    seen under the resource lock (else ``ValidationError`` on ``start``: book it directly). At most one
    waiting or offered entry per person, resource and overlapping time. One transaction; a refusal
    writes nothing.
    """
    from buchungen import services

    with transaction.atomic():
        start, end = services.request_check(
            actor=actor,
            resource=resource,
            start=start,
            end=end,
            quantity=quantity,
            organisation=organisation,
            purpose=purpose,
            participants=participants,
            now=now,
        )
        locked = services.lock_resources([resource])[resource.pk]
        if not services.request_conflicts(resource=locked, start=start, end=end, quantity=quantity):
            raise ValidationError({"start": _("This time is free — book it directly.")})
        duplicate = WaitlistEntry.objects.filter(
            person=actor, resource=locked, status__in=OPEN_STATUSES, start__lt=end, end__gt=start
        )
        if duplicate.exists():
            raise ValidationError({"start": _("You are already on the waitlist for this time.")})
        return WaitlistEntry.objects.create(
            resource=locked,
            person=actor,
            organisation=organisation,
            start=start,
            end=end,
            quantity=quantity,
            purpose=purpose.strip(),
            participants=participants,
        )


def waitlist_offer_freed(
    *, resource: Resource, start: datetime, end: datetime, now: datetime | None = None
) -> list[WaitlistEntry]:
    """Called inside the transaction that freed ``[start, end)`` of ``resource``: offer the time to the
    first eligible waiting entries (see the module's docstring). Returns the entries offered."""
    from buchungen import services

    now = now or timezone.now()
    locked = services.lock_resources([resource])[resource.pk]
    return _offer_next(resource=locked, start=start, end=end, now=now)


def _offer_next(*, resource: Resource, start: datetime, end: datetime, now: datetime) -> list[WaitlistEntry]:
    """Under the lock of ``resource``: offer waiting entries overlapping ``[start, end)``, oldest first.

    An entry is skipped while an open offer overlaps it; it lapses when its person can no longer book
    it (rules, membership, lead time); it stays waiting when its request does not fit (yet).
    """
    from buchungen import services

    candidates = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("person", "organisation")
        .filter(resource=resource, status=W.WAITING, start__lt=end, end__gt=start, start__gt=now)
        .order_by("created", "pk")
    )
    if not candidates:
        return []
    window_start = min(entry.start for entry in candidates)
    window_end = max(entry.end for entry in candidates)
    open_offers = list(
        WaitlistEntry.objects.filter(
            resource=resource,
            status=W.OFFERED,
            offer_expires__gt=now,
            start__lt=window_end,
            end__gt=window_start,
        ).values_list("start", "end")
    )
    offered: list[WaitlistEntry] = []
    for entry in candidates:
        if _overlaps_any(entry, open_offers):
            continue  # first come, first served: someone earlier has this time on offer
        if not _still_allowed(entry, resource=resource, now=now):
            _set_status(entry, W.LAPSED)
            continue
        if services.request_conflicts(
            resource=resource, start=entry.start, end=entry.end, quantity=entry.quantity
        ):
            continue  # still (partly) taken for this entry; it keeps waiting
        expires = min(
            now + timedelta(hours=OFFER_HOURS), entry.start - timedelta(hours=resource.lead_time_hours)
        )
        if expires <= now:
            _set_status(entry, W.LAPSED)  # can no longer be requested in time
            continue
        entry.status = W.OFFERED
        entry.offered_at = now
        entry.offer_expires = expires
        entry.save(update_fields=["status", "offered_at", "offer_expires"])
        open_offers.append((entry.start, entry.end))
        offered.append(entry)
        # The offer's message, in this transaction. An entry can be offered again later (after a
        # conflict sent it back to waiting): the minute of the offer tells the offers apart.
        notifications.notify(
            notifications.K.WAITLIST_OFFER,
            [entry.person],
            entry=entry,
            sequence=offer_sequence(now),
            context={"offer_expires": expires.isoformat()},
        )
    return offered


def offer_sequence(offered_at: datetime) -> int:
    """The notification sequence of an offer made at ``offered_at``: minutes since 1970 (fits the
    column until the year 6053; the same offer written twice gets the same key)."""
    return int(offered_at.timestamp() // 60)


def _overlaps_any(entry: WaitlistEntry, intervals: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(start < entry.end and end > entry.start for start, end in intervals)


def _still_allowed(entry: WaitlistEntry, *, resource: Resource, now: datetime) -> bool:
    """Would ``request_check`` let the entry's person request it now? (Membership may have ended.)"""
    from buchungen import services

    try:
        services.request_check(
            actor=entry.person,
            resource=resource,
            start=entry.start,
            end=entry.end,
            quantity=entry.quantity,
            organisation=entry.organisation,
            purpose=entry.purpose,
            participants=entry.participants,
            now=now,
        )
    except (PermissionDenied, ValidationError):
        return False
    return True


def _set_status(entry: WaitlistEntry, status: str) -> None:
    entry.status = status
    entry.save(update_fields=["status"])


def _lock_entry(entry: WaitlistEntry) -> tuple[Resource, WaitlistEntry]:
    """The entry's resource and then the entry itself, locked (resource first: the lock order)."""
    from buchungen import services

    locked = services.lock_resources([Resource(pk=entry.resource_id)])[entry.resource_id]
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=entry.pk)
    )
    entry.resource = locked
    return locked, entry


def waitlist_accept(*, actor: User, entry: WaitlistEntry, now: datetime | None = None) -> WaitlistEntry:
    """Book an offered slot: only the entry's person, only while the offer is open.

    Books through ``booking_request`` with the entry's data (all rules again, under the lock). On
    success the entry is ``booked`` and points to the booking. When someone booked the time directly
    meanwhile (``BookingConflict``) the entry goes back to waiting — the offer is gone, the place in
    line stays — and the conflict is raised. When a rule now refuses the request (``ValidationError``,
    or ``PermissionDenied`` because the membership ended) the entry lapses, the time is offered to the
    next entry, and the error is raised. The entry's change is kept in all three cases.
    """
    from buchungen import services

    now = now or timezone.now()
    if not actor.is_authenticated:
        raise PermissionDenied(_("Please log in to book."))
    failure: Exception | None = None
    with transaction.atomic():
        resource, entry = _lock_entry(entry)
        if entry.person_id != actor.pk:
            raise PermissionDenied(_("You are not allowed to do this."))
        if entry.status != W.OFFERED or entry.offer_expires is None or entry.offer_expires <= now:
            raise ValidationError(_("This offer is no longer open."))
        try:
            booking = services.booking_request(
                actor=actor,
                resource=resource,
                start=entry.start,
                end=entry.end,
                quantity=entry.quantity,
                organisation=entry.organisation,
                purpose=entry.purpose,
                participants=entry.participants,
                now=now,
            )
        except BookingConflict as conflict:
            entry.status = W.WAITING
            entry.offered_at = None
            entry.offer_expires = None
            entry.save(update_fields=["status", "offered_at", "offer_expires"])
            failure = conflict
        except (ValidationError, PermissionDenied) as refusal:
            _set_status(entry, W.LAPSED)
            _offer_next(resource=resource, start=entry.start, end=entry.end, now=now)
            failure = refusal
        else:
            entry.status = W.BOOKED
            entry.booking = booking
            entry.save(update_fields=["status", "booking"])
    if failure is not None:
        raise failure
    return entry


def waitlist_withdraw(*, actor: User, entry: WaitlistEntry, now: datetime | None = None) -> WaitlistEntry:
    """Leave the waitlist (only the entry's person; waiting or offered entries). Withdrawing an offer
    offers the time to the next entry in line."""
    now = now or timezone.now()
    if not actor.is_authenticated:
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        resource, entry = _lock_entry(entry)
        if entry.person_id != actor.pk:
            raise PermissionDenied(_("You are not allowed to do this."))
        if entry.status not in OPEN_STATUSES:
            raise ValidationError(_("This entry is no longer on the waitlist."))
        was_offered = entry.status == W.OFFERED
        _set_status(entry, W.WITHDRAWN)
        if was_offered:
            _offer_next(resource=resource, start=entry.start, end=entry.end, now=now)
    return entry


def waitlist_lapse_offers(*, now: datetime | None = None) -> int:
    """The sweep (Celery beat, issue 5): offers past ``offer_expires`` lapse and their time is offered
    to the next eligible entry; waiting entries whose start has passed lapse. Idempotent; returns how
    many entries lapsed. Entries a service holds locked right now are left to the next run."""
    from buchungen import services

    now = now or timezone.now()
    due = Q(status=W.OFFERED, offer_expires__lte=now) | Q(status=W.WAITING, start__lte=now)
    with transaction.atomic():
        resource_ids = set(WaitlistEntry.objects.filter(due).values_list("resource_id", flat=True))
        if not resource_ids:
            return 0
        locked = services.lock_resources(Resource(pk=pk) for pk in resource_ids)
        entries = list(
            WaitlistEntry.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(due, resource_id__in=resource_ids)
            .order_by("pk")
        )
        WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(status=W.LAPSED)
        for entry in entries:
            if entry.status == W.OFFERED:
                _offer_next(resource=locked[entry.resource_id], start=entry.start, end=entry.end, now=now)
    return len(entries)
