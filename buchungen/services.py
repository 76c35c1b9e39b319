"""Writes on bookings. Pages, API, admin actions and (later) Celery tasks call these; none writes on its own.

Each service is one transaction, checks the permission itself and raises ``PermissionDenied``, a
``ValidationError`` keyed by field (or without a field for an illegal status change) or a
``BookingConflict`` — writing nothing then.

Never a double booking (DESIGN.md invariants 1–3): ``booking_request`` locks the resource row before it
reads what is taken, so requests for one resource run one after the other. On SQLite the transaction
is ``BEGIN IMMEDIATE`` (settings), which serialises all writers anyway. On PostgreSQL an exclusion
constraint (migration 0002) is the last guard for rooms and skills, should a write ever bypass the lock.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Aggregate,
    CharField,
    DateTimeField,
    IntegerField,
    OuterRef,
    Subquery,
    TimeField,
    Value,
)
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buchungen import notifications
from buchungen.errors import BookingConflict
from buchungen.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingRequest,
    BookingSeries,
    BookingStatus,
    BookingTransition,
)
from buchungen.selectors import active_blocking, booking_conflicts
from konten.models import Membership, Organisation, User
from konten.services import require_perm
from ressourcen.models import Closure, OpeningHours, Resource
from ressourcen.selectors import bookable_intervals, closures_for, covers, local_zone
from ressourcen.text import duration_text

S = BookingStatus

# Every status change a booking may make, in one place. "" is a booking being created.
TRANSITIONS: dict[str, frozenset[str]] = {
    "": frozenset({S.REQUESTED, S.CONFIRMED}),
    S.REQUESTED: frozenset({S.CONFIRMED, S.DECLINED, S.EXPIRED, S.CANCELLED}),
    # NO_SHOW: booking_no_show, once the start has passed (the handover screen offers it).
    S.CONFIRMED: frozenset({S.CANCELLED, S.CHECKED_OUT, S.COMPLETED, S.NO_SHOW}),
    S.CHECKED_OUT: frozenset({S.RETURNED}),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
    # The sweep completes every confirmed booking within a minute of its end, assuming it took place: a
    # manager who learns the next morning that nobody came corrects that to a no-show.
    S.COMPLETED: frozenset({S.NO_SHOW}),
    S.NO_SHOW: frozenset(),
}

# Hours that count against a quota: what is held or was used. Declined, expired and cancelled bookings
# give their hours back; completed ones (and no-shows, which kept others out) do not — otherwise the
# sweep that completes past bookings would refill the quota in the middle of the month.
QUOTA_STATUSES = (*ACTIVE_STATUSES, S.RETURNED, S.COMPLETED, S.NO_SHOW)

# SQLSTATE of an exclusion constraint violation (PostgreSQL).
EXCLUSION_VIOLATION = "23P01"
MAX_PURPOSE_LENGTH = Booking._meta.get_field("purpose").max_length


def _check_aware(*moments: datetime) -> None:
    if any(moment.tzinfo is None for moment in moments):
        raise ValueError("booking times must be timezone-aware")


# --- Requesting ------------------------------------------------------------------------------------


def _check_audience(resource: Resource, organisation: Organisation | None) -> None:
    """Who may book (the resource's policy), before looking at the person."""
    if resource.audience == Resource.Audience.ORGANISATION:
        if organisation is None or organisation.pk != resource.organisation_id:
            raise ValidationError(
                {
                    "organisation": _("Only %(organisation)s may book this, for itself.")
                    % {"organisation": resource.organisation.name}
                }
            )
    elif resource.audience == Resource.Audience.NETWORK and organisation is None:
        raise ValidationError({"organisation": _("Choose the organisation you book for.")})


def _policy_errors(
    *,
    resource: Resource,
    start: datetime,
    end: datetime,
    quantity: int,
    purpose: str,
    participants: int | None,
    now: datetime,
) -> dict[str, str]:
    """The booking policy's checks that need no query, all at once (a form shows every problem)."""
    errors: dict[str, str] = {}
    duration = end - start  # instants: the night of a clock change is 1 h shorter or longer
    if duration < timedelta(minutes=resource.min_duration_minutes):
        errors["end"] = _("A booking lasts at least %(duration)s.") % {
            "duration": duration_text(resource.min_duration_minutes)
        }
    elif duration > timedelta(minutes=resource.max_duration_minutes):
        errors["end"] = _("A booking lasts at most %(duration)s.") % {
            "duration": duration_text(resource.max_duration_minutes)
        }
    if start < now + timedelta(hours=resource.lead_time_hours):
        if resource.lead_time_hours:
            errors["start"] = _("Requests must come in at least %(duration)s before the start.") % {
                "duration": duration_text(resource.lead_time_hours * 60)
            }
        else:
            errors["start"] = _("The start has already passed.")
    elif start > now + timedelta(days=resource.max_advance_days):
        errors["start"] = ngettext(
            "It can be booked up to %(count)d day ahead.",
            "It can be booked up to %(count)d days ahead.",
            resource.max_advance_days,
        ) % {"count": resource.max_advance_days}
    if quantity < 1:
        errors["quantity"] = _("Book at least one unit.")
    elif resource.is_exclusive and quantity != 1:
        errors["quantity"] = _("Rooms and skills are booked whole (quantity 1).")
    elif quantity > resource.quantity:
        errors["quantity"] = ngettext(
            "There is only %(count)d unit.", "There are only %(count)d units.", resource.quantity
        ) % {"count": resource.quantity}
    if len(purpose) > MAX_PURPOSE_LENGTH:
        errors["purpose"] = _("Describe the purpose in at most %(count)d characters.") % {
            "count": MAX_PURPOSE_LENGTH
        }
    if participants is not None and participants < 0:
        errors["participants"] = _("The number of participants cannot be negative.")
    return errors


def _month_start(moment: datetime) -> datetime:
    """Local midnight of the first of ``moment``'s Berlin month, as a UTC instant."""
    local = moment.astimezone(local_zone())
    return datetime(local.year, local.month, 1, tzinfo=local_zone()).astimezone(UTC)


def _next_month(month_start: datetime) -> datetime:
    local = month_start.astimezone(local_zone())
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=local_zone()).astimezone(UTC)


def _hours(duration: timedelta) -> float | int:
    hours = round(duration.total_seconds() / 3600, 1)
    return int(hours) if hours.is_integer() else hours


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> timedelta:
    return max(timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def _check_quota(
    *, resource: Resource, organisation: Organisation | None, start: datetime, end: datetime
) -> None:
    """Hours per organisation and calendar month (Berlin), counted in true hours per month touched.

    Runs under the resource lock: two requests of one organisation cannot both take the last hours.
    A person booking without an organisation has no quota.
    """
    if resource.quota_hours_per_month is None or organisation is None:
        return
    months: list[tuple[datetime, datetime]] = []
    month = _month_start(start)
    while month < end:
        following = _next_month(month)
        months.append((month, following))
        month = following
    taken = list(
        Booking.objects.filter(
            resource=resource,
            organisation=organisation,
            status__in=QUOTA_STATUSES,
            start__lt=months[-1][1],
            end__gt=months[0][0],
        ).values_list("start", "end")
    )
    limit = timedelta(hours=resource.quota_hours_per_month)
    for month in months:
        used = sum((_overlap(interval, month) for interval in taken), timedelta(0))
        if used + _overlap((start, end), month) > limit:
            left = max(timedelta(0), limit - used)
            quota = ngettext(
                "%(organisation)s may book this for at most %(count)d hour per month.",
                "%(organisation)s may book this for at most %(count)d hours per month.",
                resource.quota_hours_per_month,
            ) % {"organisation": organisation.name, "count": resource.quota_hours_per_month}
            rest = _("Hours left in %(month)s: %(left)s.") % {
                "month": formats.date_format(month[0].astimezone(local_zone()), "F Y"),
                "left": formats.number_format(_hours(left)),
            }
            raise ValidationError({"organisation": f"{quota} {rest}"})


def _taken(resource: Resource, start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    return list(
        active_blocking(Booking.objects.filter(resource=resource), start, end).values_list(
            "blocked_start", "blocked_end", "quantity"
        )
    )


class _Overlap(Exception):
    """The exclusion constraint refused a booking (PostgreSQL); carries the refused booking."""

    def __init__(self, booking: Booking) -> None:
        self.booking = booking
        super().__init__("exclusion constraint")


def _insert(booking: Booking) -> None:
    """Write the booking; on PostgreSQL signal the exclusion constraint's refusal as ``_Overlap``.

    No savepoint: the error leaves the transaction unusable, so nothing more is asked inside it — the
    signal makes ``exclusion_guard`` roll the transaction back and read the conflicts afterwards.
    """
    try:
        booking.save()
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise _Overlap(booking) from exc
        raise


def booking_request(
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
) -> Booking:
    """Book ``quantity`` units of ``resource`` for ``[start, end)`` (aware datetimes) on behalf of
    ``organisation`` (or of ``actor`` alone where the policy is public).

    Checks, in this order, before taking any lock (``request_check``):
      end after start → who may book (audience: own organisation only / network / public) → ``actor``
      is a member of ``organisation`` (else ``PermissionDenied``) → resource active → duration within
      min/max, start not before now + lead time and not beyond the maximum advance, quantity (1 for
      rooms and skills, at most the stock), purpose length (all reported together) → the interval
      lies within the bookable time (opening hours minus closures; buffers may reach outside).
    Then locks the resource row and checks, under the lock (``request_place``):
      the organisation's monthly quota (Berlin calendar months, true hours) → conflicts with active
      bookings whose blocked interval overlaps this one's (interval widened by the resource's
      buffers): rooms and skills any overlap; equipment the peak of units in use plus ``quantity``
      against the stock. A conflict raises ``BookingConflict`` with the taken periods (never who).
    Writes the booking — ``confirmed`` at once, or ``requested`` when the resource requires approval —
    and its first ``BookingTransition``. Rule violations raise ``ValidationError`` keyed by field and
    write nothing. ``now`` defaults to the current time (tests pass a fixed clock).

    One transaction (``transaction.atomic``, opened inside ``exclusion_guard`` so that a refusal by
    PostgreSQL's exclusion constraint — the last guard — can be answered with a ``BookingConflict``
    naming the taken time, read after the failed transaction has been rolled back).
    """
    with exclusion_guard(), transaction.atomic():
        start, end = request_check(
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
        locked = lock_resources([resource])[resource.pk]
        return request_place(
            actor=actor,
            resource=locked,
            start=start,
            end=end,
            quantity=quantity,
            organisation=organisation,
            purpose=purpose,
            participants=participants,
        )


@contextmanager
def exclusion_guard() -> Iterator[None]:
    """Turn a refusal by PostgreSQL's exclusion constraint into a ``BookingConflict``.

    Wrap it *around* the ``transaction.atomic()`` block: the refusal leaves the transaction unusable, so
    the taken time is read after it has been rolled back. The service lock makes the refusal
    unreachable for writes that come through ``request_place``; the constraint guards against those
    that do not (a future service forgetting the lock, a manual repair).
    """
    try:
        yield
    except _Overlap as overlap:
        refused = overlap.booking
        conflicts = booking_conflicts(
            exclusive=True,
            capacity=1,
            blocked_start=refused.blocked_start,
            blocked_end=refused.blocked_end,
            quantity=1,
            bookings=_taken(refused.resource, refused.blocked_start, refused.blocked_end),
        )
        raise BookingConflict(
            conflicts or [(refused.blocked_start, refused.blocked_end)]
        ) from overlap.__cause__


def request_check(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    quantity: int,
    organisation: Organisation | None,
    purpose: str,
    participants: int | None,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """Every rule of a request that needs no lock (see ``booking_request``); returns ``start`` and
    ``end`` in UTC. Raises ``PermissionDenied`` or a ``ValidationError`` keyed by field; writes nothing.
    Series and bundles call it once per date or item, then ``lock_resources`` and ``request_place``."""
    _check_aware(start, end)
    # To UTC first: Python subtracts and compares two datetimes of the *same* zone by their wall-clock
    # reading, so Berlin 01:00–04:00 on the night of the spring change would count as 3 hours, not 2.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    now = (now or timezone.now()).astimezone(UTC)
    if not actor.is_authenticated:
        raise PermissionDenied(_("Please log in to book."))
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    _check_audience(resource, organisation)
    if organisation is not None:
        require_perm(actor, "buchungen.book_for_organisation", organisation)
    if not resource.is_active:
        raise ValidationError({"resource": _("This resource cannot be booked at the moment.")})
    errors = _policy_errors(
        resource=resource,
        start=start,
        end=end,
        quantity=quantity,
        purpose=purpose,
        participants=participants,
        now=now,
    )
    if errors:
        raise ValidationError(errors)
    # After the duration check: the window is at most the maximum duration (≤ 62 days) long.
    if not covers(_bookable_intervals(resource, start, end), start, end):
        raise ValidationError(
            {"start": _("The resource is closed during part of this time (opening hours or a closure).")}
        )
    return start, end


def _bookable_intervals(
    resource: Resource, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """``ressourcen.selectors.resource_bookable_intervals`` in one query instead of two: the resource's
    opening hours and the closures overlapping ``[start, end)`` read together (UNION ALL, padded to the
    same columns), then the same pure ``bookable_intervals``. Every booking path runs this once per
    date or item, so the saved query matters (the booking POST's query budget)."""
    hours = (
        OpeningHours.objects.filter(resource=resource)
        .annotate(
            row=Value(0, output_field=IntegerField()),
            closed_from=Value(None, output_field=DateTimeField()),
            closed_until=Value(None, output_field=DateTimeField()),
        )
        .values_list("row", "weekday", "start", "end", "closed_from", "closed_until")
        .order_by()
    )
    closures = (
        closures_for(resource=resource, start=start, end=end)
        .annotate(
            row=Value(1, output_field=IntegerField()),
            no_weekday=Value(None, output_field=IntegerField()),
            opens=Value(None, output_field=TimeField()),
            closes=Value(None, output_field=TimeField()),
        )
        .values_list("row", "no_weekday", "opens", "closes", "start", "end")
        .order_by()
    )
    opening_hours, closed = [], []
    for row, weekday, opens, closes, closed_from, closed_until in hours.union(closures, all=True):
        if row == 0:
            opening_hours.append(OpeningHours(weekday=weekday, start=opens, end=closes))
        else:
            closed.append(Closure(start=closed_from, end=closed_until))
    return bookable_intervals(opening_hours=opening_hours, closures=closed, start=start, end=end)


class _IdList(Aggregate):
    """Comma-separated ids (SQLite ``GROUP_CONCAT``, PostgreSQL ``STRING_AGG``)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(distinct)s%(expressions)s)"
    allow_distinct = True
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(%(distinct)s(%(expressions)s)::text, ',')",
            **extra_context,
        )


def lock_resources(resources: Iterable[Resource]) -> dict[int, Resource]:
    """Lock the resources' rows (inside a transaction), in primary-key order so that two bundles naming
    the same resources cannot deadlock. From here on no other request for these resources can read or
    write their bookings until the transaction ends, so what is seen taken is what is taken.
    ``of=self``: only the resource rows are locked, not their organisations (loaded for the answer).

    The same query brings who decides on requests for each resource (``decider_ids``: its
    organisation's active managers; ``holder_active`` for a skill's holder) — read for the
    notifications without a query of their own (``resource_deciders``). They need no lock: they are
    the addressees of a message, not a rule."""
    pks = sorted({resource.pk for resource in resources})
    managers = (
        Membership.objects.managers()
        .filter(organisation_id=OuterRef("organisation_id"), user__is_active=True)
        .order_by()
        .values("organisation_id")
        .annotate(ids=_IdList("user_id", distinct=True))
        .values("ids")
    )
    holder = User.objects.filter(pk=OuterRef("holder_id")).values("is_active")[:1]
    return {
        locked.pk: locked
        for locked in Resource.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .annotate(decider_ids=Subquery(managers), holder_active=Subquery(holder))
        .filter(pk__in=pks)
        .order_by("pk")
    }


def resource_deciders(resource: Resource) -> list[User]:
    """``notifications.deciders`` for a resource from ``lock_resources`` (no query): stand-ins with the
    id only — all ``notify`` needs. Any other resource: ``notifications.deciders`` (one query)."""
    if not hasattr(resource, "decider_ids"):
        return notifications.deciders(resource)
    ids = [int(pk) for pk in (resource.decider_ids or "").split(",") if pk]
    if resource.kind == Resource.Kind.SKILL and resource.holder_id and resource.holder_active:
        ids.append(resource.holder_id)
    return [User(pk=pk, is_active=True) for pk in dict.fromkeys(ids)]


def request_conflicts(
    *, resource: Resource, start: datetime, end: datetime, quantity: int
) -> list[tuple[datetime, datetime]]:
    """What is taken of ``resource`` (locked) during ``[start, end)`` widened by its buffers, as
    intervals without names; empty when ``quantity`` units fit."""
    blocked_start = start - timedelta(minutes=resource.buffer_before_minutes)
    blocked_end = end + timedelta(minutes=resource.buffer_after_minutes)
    return booking_conflicts(
        exclusive=resource.is_exclusive,
        capacity=resource.quantity,
        blocked_start=blocked_start,
        blocked_end=blocked_end,
        quantity=quantity,
        bookings=_taken(resource, blocked_start, blocked_end),
    )


def request_place(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    quantity: int,
    organisation: Organisation | None,
    purpose: str,
    participants: int | None,
    request: BookingRequest | None = None,
    series: BookingSeries | None = None,
) -> Booking:
    """Under the lock of ``resource`` (from ``lock_resources``) and after ``request_check``: the quota,
    the conflicts (``BookingConflict``), then the write of the booking and its first step."""
    _check_quota(resource=resource, organisation=organisation, start=start, end=end)
    conflicts = request_conflicts(resource=resource, start=start, end=end, quantity=quantity)
    if conflicts:
        raise BookingConflict(conflicts)
    booking = Booking(
        resource=resource,
        organisation=organisation,
        booked_by=actor,
        start=start,
        end=end,
        blocked_start=start - timedelta(minutes=resource.buffer_before_minutes),
        blocked_end=end + timedelta(minutes=resource.buffer_after_minutes),
        quantity=quantity,
        purpose=purpose.strip(),
        participants=participants,
        status=S.REQUESTED if resource.requires_approval else S.CONFIRMED,
        exclusive=resource.is_exclusive,
        request=request,
        series=series,
    )
    _insert(booking)
    BookingTransition.objects.create(booking=booking, from_status="", to_status=booking.status, actor=actor)
    if request is None and series is None:  # series and bundles tell about all their bookings at once
        booking_notify_placed([booking])
    return booking


def _about(bookings: list[Booking], extra: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A message's context: ``extra`` and ``more``; with several bookings their ids (``bookings``)."""
    found = {**extra, **more}
    if len(bookings) > 1:
        found["bookings"] = [booking.pk for booking in bookings]
    return found


def _owner_calls(
    kind: str,
    bookings: list[Booking],
    extra: dict[str, Any],
    *,
    exclude: int | None = None,
    deciders_of: dict[int, list[User]] | None = None,
) -> list[tuple[str, list[User], dict[str, Any]]]:
    """``notify_many`` calls telling each decider once about the bookings of ``bookings`` they decide
    on (a bundle's parts of one owner: one message), on the first of them; ``exclude``: a person
    not to tell (who did it)."""
    theirs: dict[int, tuple[User, list[Booking]]] = {}
    deciders_of = dict(deciders_of or {})
    for booking in bookings:
        if booking.resource_id not in deciders_of:
            deciders_of[booking.resource_id] = resource_deciders(booking.resource)
        for person in deciders_of[booking.resource_id]:
            if person.pk != exclude:
                theirs.setdefault(person.pk, (person, []))[1].append(booking)
    groups: dict[tuple[int, ...], list[User]] = {}
    for person, items in theirs.values():
        groups.setdefault(tuple(item.pk for item in items), []).append(person)
    by_pk = {booking.pk: booking for booking in bookings}
    calls = []
    for pks, people in groups.items():
        items = [by_pk[pk] for pk in pks]
        calls.append((kind, people, {"booking": items[0], "context": _about(items, extra, side="owner")}))
    return calls


def booking_notify_placed(bookings: list[Booking], *, context: dict[str, Any] | None = None) -> list[str]:
    """Queue the messages about new bookings — one booking, the dates of a series or the parts of a
    bundle — inside the transaction that wrote them, without flooding anyone (one INSERT):

    - the borrower (``notifications.borrowers``) one message about all of them, on the first booking:
      ``request_received`` when any waits for a decision, else ``confirmed`` (with the calendar file);
    - each decider one ``approval_needed`` about the requests they decide on, on the first of them.

    ``context`` (e.g. ``{"series": pk}``) is added to every message; with more than one booking the
    messages list them (``bookings``: their ids)."""
    if not bookings:
        return []
    extra = dict(context or {})
    first = bookings[0]
    waiting = [booking for booking in bookings if booking.status == S.REQUESTED]
    kind = notifications.K.REQUEST_RECEIVED if waiting else notifications.K.CONFIRMED
    calls: list[tuple[str, Iterable[User | None], dict[str, Any]]] = [
        (
            kind,
            notifications.borrowers(first),
            {"booking": first, "context": _about(bookings, extra, side="borrower")},
        )
    ]
    calls += _owner_calls(notifications.K.APPROVAL_NEEDED, waiting, extra)
    return notifications.notify_many(calls)


def booking_notify_step(booking: Booking, *, actor: User | None, comment: str = "") -> list[str]:
    """Queue the message about the step ``booking`` has just taken (``_move``), in its transaction:
    approved → ``confirmed``, declined (with the reason), handed over and returned (receipts) to the
    borrower; cancelled to both sides (``booking_notify_cancelled``). Other steps tell nobody."""
    K = notifications.K
    note: dict[str, Any] = {"comment": comment.strip()} if comment.strip() else {}
    if booking.status == S.CONFIRMED:
        note["approved"] = True  # (a booking confirmed at once is told by booking_notify_placed)
    kinds = {
        S.CONFIRMED: K.CONFIRMED,
        S.DECLINED: K.DECLINED,
        S.CHECKED_OUT: K.CHECKED_OUT,
        S.RETURNED: K.RETURNED,
    }
    if booking.status == S.CANCELLED:
        return booking_notify_cancelled([booking], actor=actor, comment=comment)
    if booking.status not in kinds:
        return []
    return notifications.notify(
        kinds[booking.status],
        notifications.borrowers(booking),
        booking=booking,
        context={"side": "borrower", **note},
    )


def booking_notify_cancelled(
    bookings: list[Booking], *, actor: User | None, comment: str = "", context: dict[str, Any] | None = None
) -> list[str]:
    """Queue the cancellation of ``bookings`` (one, or what was cancelled of a series or bundle at once)
    to both sides: the borrower one message (a receipt when they cancelled themselves — people keep
    it as proof of a timely cancellation), each decider one about their bookings — except the decider
    who cancelled (they did it on their page; their colleagues are told)."""
    if not bookings:
        return []
    first = bookings[0]
    extra = dict(context or {})
    if comment.strip():
        extra["comment"] = comment.strip()
    deciders_of = {first.resource_id: resource_deciders(first.resource)}
    if actor is not None:
        extra["actor"] = actor.pk
        owners = {person.pk for person in deciders_of[first.resource_id]}
        extra["by"] = "owner" if actor.pk in owners and actor.pk != first.booked_by_id else "borrower"
    calls: list[tuple[str, Iterable[User | None], dict[str, Any]]] = [
        (
            notifications.K.CANCELLED,
            notifications.borrowers(first),
            {"booking": first, "context": _about(bookings, extra, side="borrower")},
        )
    ]
    calls += _owner_calls(
        notifications.K.CANCELLED,
        bookings,
        extra,
        exclude=actor.pk if actor is not None else None,
        deciders_of=deciders_of,
    )
    return notifications.notify_many(calls)


# --- Lifecycle -------------------------------------------------------------------------------------------


def _lock_booking(booking: Booking) -> Booking:
    """The booking's row, locked: two managers deciding at once run one after the other, and the second
    sees the first one's status. ``of=self``: the joined rows stay unlocked (and nullable joins are
    not allowed in FOR UPDATE on PostgreSQL)."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("resource", "resource__organisation", "organisation")
        .get(pk=booking.pk)
    )


def _move(
    booking: Booking,
    *,
    to_status: str,
    actor: User | None,
    comment: str = "",
    fields: tuple[str, ...] = (),
    notify: bool = True,
) -> Booking:
    """Change the status along ``TRANSITIONS`` and record the step; anything else is a ValidationError.
    ``fields``: further fields the caller set on ``booking``, saved in the same UPDATE. ``notify``:
    queue the step's message (``booking_notify_step``); series and bundles tell about several at once."""
    if to_status not in TRANSITIONS[booking.status]:
        raise ValidationError(
            _("This booking is “%(current)s” and cannot become “%(new)s”.")
            % {"current": booking.get_status_display(), "new": BookingStatus(to_status).label}
        )
    from_status = booking.status
    booking.status = to_status
    booking.save(update_fields=["status", "updated", *fields])
    BookingTransition.objects.create(
        booking=booking, from_status=from_status, to_status=to_status, actor=actor, comment=comment.strip()
    )
    if from_status in ACTIVE_STATUSES and to_status not in ACTIVE_STATUSES:
        _freed(booking)
    if notify:
        booking_notify_step(booking, actor=actor, comment=comment)
    return booking


def _freed(booking: Booking) -> None:
    """A booking stopped holding its slot (cancelled, declined, expired, returned): offer the freed time
    to the waitlist, in the same transaction. A return frees only what is left of the booking."""
    # Imported here: the waitlist books through this module (accepting an offer is a booking request).
    from buchungen.waitlist import waitlist_offer_freed

    start = max(booking.blocked_start, timezone.now())
    if start < booking.blocked_end:
        waitlist_offer_freed(resource=booking.resource, start=start, end=booking.blocked_end)


@transaction.atomic
def booking_approve(*, actor: User, booking: Booking, comment: str = "") -> Booking:
    """Confirm a request. Managers of the owning organisation and, for a skill, its holder (the
    coordinator only looks). Locks the booking row; a booking that is not ``requested`` is a
    ValidationError. No conflict check: a request already holds its slot."""
    booking = _lock_booking(booking)
    require_perm(actor, "buchungen.approve_booking", booking)
    return _move(booking, to_status=S.CONFIRMED, actor=actor, comment=comment)


@transaction.atomic
def booking_decline(*, actor: User, booking: Booking, comment: str) -> Booking:
    """Decline a request with a reason the borrower reads (required: ValidationError on ``comment``).
    Same people as ``booking_approve``; locks the booking row."""
    booking = _lock_booking(booking)
    require_perm(actor, "buchungen.approve_booking", booking)
    if not comment.strip():
        raise ValidationError({"comment": _("Please give a reason; the borrower reads it.")})
    return _move(booking, to_status=S.DECLINED, actor=actor, comment=comment)


@transaction.atomic
def booking_cancel(
    *, actor: User, booking: Booking, comment: str = "", now: datetime | None = None, notify: bool = True
) -> Booking:
    """Cancel a request or a confirmed booking before it ends: the person who booked, any member of
    the borrowing organisation, the owner's managers and (for a skill) its holder. Locks the booking
    row; frees the slot at once (cancelled bookings are not active). Both sides are told
    (``booking_notify_cancelled``) unless ``notify=False`` (a series or bundle tells about all its
    cancelled bookings at once)."""
    booking = _lock_booking(booking)
    require_perm(actor, "buchungen.cancel_booking", booking)
    if booking.end <= (now or timezone.now()) and booking.status in (S.REQUESTED, S.CONFIRMED):
        raise ValidationError(_("This booking has already ended and cannot be cancelled."))
    return _move(booking, to_status=S.CANCELLED, actor=actor, comment=comment, notify=notify)


# How long before the start a room's key or the equipment may be handed over: the evening before an
# early event, or Friday for a Saturday morning. Earlier hand-overs would take the thing out of the
# owner's hands while other bookings may still need it.
CHECK_OUT_EARLIEST = timedelta(days=1)
HANDED_OVER_TO_MAX_LENGTH = Booking._meta.get_field("handed_over_to").max_length
NOTE_MAX_LENGTH = 2000


def _check_note_lengths(**notes: str) -> None:
    """Free-text notes of the lifecycle steps, all at once, keyed by field."""
    limits = {"handed_over_to": HANDED_OVER_TO_MAX_LENGTH}
    errors = {
        name: _("Please write at most %(count)d characters.") % {"count": limits.get(name, NOTE_MAX_LENGTH)}
        for name, value in notes.items()
        if len(value) > limits.get(name, NOTE_MAX_LENGTH)
    }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def booking_check_out(
    *,
    actor: User,
    booking: Booking,
    comment: str = "",
    handed_over_to: str = "",
    now: datetime | None = None,
) -> Booking:
    """Hand over a room's key or the equipment (managers of the owning organisation): ``confirmed`` →
    ``checked_out``. ``comment`` notes the condition at hand-over (it is the step's comment);
    ``handed_over_to`` names the person who received it (stored on the booking).

    Locks the booking row. Skills are not handed over. Allowed from ``CHECK_OUT_EARLIEST`` (one day)
    before the start until the end; outside that a ValidationError without a field, too long notes a
    ValidationError on ``comment`` / ``handed_over_to``. ``now`` defaults to the current time."""
    booking = _lock_booking(booking)
    require_perm(actor, "buchungen.handover_booking", booking)
    if booking.resource.kind == Resource.Kind.SKILL:
        raise ValidationError(_("A skill is not handed over."))
    handed_over_to = handed_over_to.strip()
    _check_note_lengths(comment=comment, handed_over_to=handed_over_to)
    if booking.status == S.CONFIRMED:
        now = now or timezone.now()
        if now < booking.start - CHECK_OUT_EARLIEST:
            raise ValidationError(
                _("It can be handed over from one day before the start, from %(moment)s.")
                % {
                    "moment": formats.date_format(
                        (booking.start - CHECK_OUT_EARLIEST).astimezone(local_zone()), "DATETIME_FORMAT"
                    )
                }
            )
        if now >= booking.end:
            raise ValidationError(_("This booking has already ended; it can no longer be handed over."))
    booking.handed_over_to = handed_over_to
    return _move(booking, to_status=S.CHECKED_OUT, actor=actor, comment=comment, fields=("handed_over_to",))


@transaction.atomic
def booking_return(*, actor: User, booking: Booking, comment: str = "", damage_report: str = "") -> Booking:
    """Take back what was handed over (managers of the owning organisation): ``checked_out`` →
    ``returned``, at any time (late returns are the point). ``comment`` records the condition (the
    step's comment), ``damage_report`` damage or missing parts (stored on the booking). Locks the
    booking row; the units are free again from now on (the rest of the blocked time goes to the
    waitlist)."""
    booking = _lock_booking(booking)
    require_perm(actor, "buchungen.handover_booking", booking)
    damage_report = damage_report.strip()
    _check_note_lengths(comment=comment, damage_report=damage_report)
    booking.damage_report = damage_report
    return _move(booking, to_status=S.RETURNED, actor=actor, comment=comment, fields=("damage_report",))


@transaction.atomic
def booking_no_show(
    *, actor: User, booking: Booking, comment: str = "", now: datetime | None = None
) -> Booking:
    """Record that nobody came (managers of the owning organisation): ``confirmed`` → ``no_show`` once
    the start has passed — not only after the end: at 18:15 the manager sees that nobody came to the
    18:00 booking and wants the rest of the evening back. Before the start, a ValidationError without
    a field. After the end the sweep has usually made it ``completed`` already (it assumes the booking
    took place): ``completed`` → ``no_show`` corrects that. Any kind of resource.

    Locks the booking row; what is left of the blocked time (from now on) is freed and offered to the
    waitlist (``_freed``). The hours still count against the borrower's quota (``QUOTA_STATUSES``):
    the slot kept others out."""
    booking = _lock_booking(booking)
    require_perm(actor, "buchungen.mark_no_show", booking)
    _check_note_lengths(comment=comment)
    if booking.status == S.CONFIRMED and (now or timezone.now()) < booking.start:
        raise ValidationError(_("A no-show can be recorded only once the booking has started."))
    return _move(booking, to_status=S.NO_SHOW, actor=actor, comment=comment)


# --- Sweeps (Celery beat calls these; next issue) ---------------------------------------------------------


def _sweep(queryset: Any, *, from_status: str, to_status: str) -> list[Booking]:
    """Move every booking of ``queryset`` from ``from_status`` to ``to_status`` in bulk, with a step each;
    returns the bookings moved (with their resources), for the caller's messages.

    Rows a lifecycle service holds locked right now are skipped (``skip_locked``) and taken by the next
    sweep; the conditional UPDATE (status still ``from_status``) makes a repeated or parallel sweep
    change nothing twice. The steps have no actor and no comment: the system made them (a stored
    comment would be frozen in the language of the worker).
    """
    ids = list(
        queryset.filter(status=from_status)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    now = timezone.now()
    Booking.objects.filter(pk__in=ids, status=from_status).update(status=to_status, updated=now)
    BookingTransition.objects.bulk_create(
        BookingTransition(booking_id=pk, from_status=from_status, to_status=to_status, at=now) for pk in ids
    )
    moved = list(Booking.objects.filter(pk__in=ids).select_related("resource", "booked_by").order_by("pk"))
    if from_status in ACTIVE_STATUSES and to_status not in ACTIVE_STATUSES:
        for booking in moved:
            _freed(booking)
    return moved


@transaction.atomic
def booking_complete_past(*, now: datetime | None = None) -> int:
    """Mark confirmed bookings whose blocked time (booking plus tidy-up buffer) has ended as completed.
    Idempotent; returns how many changed. Handed-over bookings stay until they are returned."""
    now = now or timezone.now()
    return len(
        _sweep(Booking.objects.filter(blocked_end__lte=now), from_status=S.CONFIRMED, to_status=S.COMPLETED)
    )


@transaction.atomic
def booking_expire_unanswered(*, now: datetime | None = None) -> int:
    """Let requests nobody decided on before their start expire (their slot is free again), and tell
    both sides in the same transaction: the borrower (``borrowers``) and the deciders (``deciders``:
    the owner's managers, for a skill its holder) — "expired" is mandatory. Idempotent (the messages
    too: one row per booking and person); returns how many changed."""
    now = now or timezone.now()
    expired = _sweep(Booking.objects.filter(start__lte=now), from_status=S.REQUESTED, to_status=S.EXPIRED)
    for booking in expired:  # one INSERT per booking; a person on both sides gets the borrower's row
        notifications.notify_many(
            [
                (
                    notifications.K.EXPIRED,
                    notifications.borrowers(booking),
                    {"booking": booking, "context": {"side": "borrower"}},
                ),
                (
                    notifications.K.EXPIRED,
                    notifications.deciders(booking.resource),
                    {"booking": booking, "context": {"side": "owner"}},
                ),
            ]
        )
    return len(expired)
