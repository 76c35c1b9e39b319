"""Reads on bookings: who sees which booking, and what is taken and free when.

The catalogue knows when a resource is open (opening hours minus closures, ``ressourcen.selectors``);
the engine knows what is taken. Everything that needs both — availability with busy and free
intervals, the catalogue's "free between … and …" filter — lives here, and the catalogue's views and
API call it (DESIGN.md: the one place where the catalogue's read side uses the engine).

All intervals are half-open ``[start, end)``, aware and in UTC. "Taken" means the *blocked* interval of
an active booking: the booking widened by the set-up and tidy-up buffers it was made with.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import TypedDict

from django.db import connection
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from buchungen.models import Booking
from konten.expressions import AnyOf
from konten.models import Membership, User
from ressourcen.models import Closure, OpeningHours, Resource
from ressourcen.selectors import (
    MIDNIGHT,
    Interval,
    covers,
    local_zone,
    merge_intervals,
    opening_intervals,
    resource_bookable_intervals,
)

# (start, end, units) — a piece of time with a number of units taken or left.
Piece = tuple[datetime, datetime, int]


# --- Who sees which booking -----------------------------------------------------------------------------


def bookings_visible_to(user: User) -> QuerySet[Booking]:
    """The one place that scopes bookings by person.

    A person sees the bookings they made, those of every organisation they belong to, those of the
    resources of organisations they manage and those of skills they hold; the coordinator sees all.
    Anonymous visitors see none (public views show only "taken", through ``resource_availability``).
    Subqueries rather than joins: a person in several matching roles still gets each booking once,
    without DISTINCT, so lists stay cheap to count and paginate; each written as ``AnyOf`` so that
    PostgreSQL reads every branch of the OR from its index (docs/benchmarks.md).
    """
    if not user.is_authenticated:
        return Booking.objects.none()
    if user.is_coordinator:
        return Booking.objects.all()
    member_of = Membership.objects.filter(user=user).values("organisation_id")
    manager_of = Membership.objects.managers().filter(user=user).values("organisation_id")
    resources = Resource.objects.filter(Q(organisation_id__in=manager_of) | Q(holder=user)).values("pk")
    return Booking.objects.filter(
        Q(booked_by=user) | AnyOf("organisation_id", member_of) | AnyOf("resource_id", resources)
    )


def bookings_list(
    *,
    user: User,
    status: str = "",
    resource_id: int | None = None,
    organisation_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Booking]:
    """Bookings ``user`` may see, filtered, by start; with everything a list shows (fixed queries).

    ``organisation_id`` is the borrowing organisation; ``start``/``end`` keep bookings overlapping the
    window (either may be left out).
    """
    queryset = bookings_visible_to(user).select_related(
        "resource", "resource__organisation", "organisation", "booked_by"
    )
    if status:
        queryset = queryset.filter(status=status)
    if resource_id is not None:
        queryset = queryset.filter(resource_id=resource_id)
    if organisation_id is not None:
        queryset = queryset.filter(organisation_id=organisation_id)
    if start is not None:
        queryset = queryset.filter(end__gt=start)
    if end is not None:
        queryset = queryset.filter(start__lt=end)
    return queryset.order_by("start", "pk")


# --- Interval arithmetic with quantities ------------------------------------------------------------


def usage_profile(bookings: Iterable[Piece], start: datetime, end: datetime) -> list[Piece]:
    """The units in use within ``[start, end)`` as pieces of constant use (only where use > 0).

    A sweep over the bookings' start (+units) and end (−units) events, each clipped to the window.
    Events at the same instant are netted first, so a booking ending at 10:00 and one starting at 10:00
    never count together (half-open intervals). Adjacent pieces with the same use are joined.
    """
    delta: dict[datetime, int] = defaultdict(int)
    for booking_start, booking_end, units in bookings:
        booking_start, booking_end = max(booking_start, start), min(booking_end, end)
        if booking_start < booking_end:
            delta[booking_start] += units
            delta[booking_end] -= units
    pieces: list[Piece] = []
    level = 0
    for moment, following in pairwise(sorted(delta)):
        level += delta[moment]
        if level <= 0:
            continue
        if pieces and pieces[-1][1] == moment and pieces[-1][2] == level:
            pieces[-1] = (pieces[-1][0], following, level)
        else:
            pieces.append((moment, following, level))
    return pieces


def free_pieces(bookable: Sequence[Interval], busy: Sequence[Piece], capacity: int) -> list[Piece]:
    """``bookable`` split by the ``busy`` pieces into pieces with the units left (> 0 only)."""
    pieces: list[Piece] = []

    def emit(start: datetime, end: datetime, left: int) -> None:
        if start >= end or left <= 0:
            return
        if pieces and pieces[-1][1] == start and pieces[-1][2] == left:
            pieces[-1] = (pieces[-1][0], end, left)
        else:
            pieces.append((start, end, left))

    for open_start, open_end in bookable:
        cursor = open_start
        for busy_start, busy_end, used in busy:
            if busy_end <= open_start or busy_start >= open_end:
                continue
            emit(cursor, min(busy_start, open_end), capacity)
            emit(max(busy_start, open_start), min(busy_end, open_end), capacity - used)
            cursor = max(cursor, min(busy_end, open_end))
        emit(cursor, open_end, capacity)
    return pieces


def booking_conflicts(
    *,
    exclusive: bool,
    capacity: int,
    blocked_start: datetime,
    blocked_end: datetime,
    quantity: int,
    bookings: Iterable[Piece],
) -> list[Interval]:
    """What stands in the way of taking ``quantity`` units for ``[blocked_start, blocked_end)``.

    ``bookings`` are the blocked intervals and units of the resource's active bookings (others than
    the overlapping ones are ignored). Exclusive resources: every overlapping blocked interval is a
    conflict. Equipment: the pieces of time in which the units in use plus ``quantity`` exceed
    ``capacity`` — the peak of the sum over the overlap, not the plain sum of everything overlapping,
    so two bookings one after the other inside the window count once.
    """
    overlapping = [(s, e, q) for s, e, q in bookings if s < blocked_end and e > blocked_start]
    if exclusive:
        return merge_intervals((s, e) for s, e, _q in overlapping) if overlapping else []
    over = [
        (s, e)
        for s, e, used in usage_profile(overlapping, blocked_start, blocked_end)
        if used + quantity > capacity
    ]
    return merge_intervals(over)


# --- Availability ---------------------------------------------------------------------------------------


class Availability(TypedDict):
    bookable: list[Interval]
    busy: list[Piece]
    free: list[Piece]


def resource_availability(*, resource: Resource, start: datetime, end: datetime) -> Availability:
    """What of ``[start, end)`` is bookable, taken and free (three queries).

    - ``bookable``: opening hours minus closures (the catalogue's answer).
    - ``busy``: the blocked intervals of active bookings clipped to the window, as pieces with the
      units taken (1 for rooms and skills; for equipment the sum over each piece). Buffers may reach
      outside the opening hours, and so may ``busy``. Never who booked.
    - ``free``: ``bookable`` minus ``busy``, as pieces with the units left (> 0). A new booking needs
      its own buffers clear of busy time too: with buffers, it fits into a free piece only when the
      buffers fit next to it.
    """
    # In UTC: Python compares two datetimes of the same zone by their wall-clock reading (wrong in the
    # repeated autumn hour); all rows from the database are UTC already.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    bookable = resource_bookable_intervals(resource=resource, start=start, end=end)
    rows = active_blocking(Booking.objects.filter(resource=resource), start, end).values_list(
        "blocked_start", "blocked_end", "quantity"
    )
    busy = usage_profile(rows, start, end)
    return {"bookable": bookable, "busy": busy, "free": free_pieces(bookable, busy, resource.quantity)}


def resources_free_between(
    *, resources: Sequence[Resource], start: datetime, end: datetime
) -> list[Resource]:
    """Those of ``resources`` (already bookable for the whole window, as ``resource_search`` returns
    them) that are not taken: a booking of one unit for ``[start, end)`` with the resource's own
    buffers would not conflict. One query for all candidates, whatever their number.

    The query asks for blocked intervals overlapping the window widened by the largest buffers among
    the candidates; each resource is then checked with its own buffers in Python.
    """
    if not resources:
        return []
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    before = timedelta(minutes=max(resource.buffer_before_minutes for resource in resources))
    after = timedelta(minutes=max(resource.buffer_after_minutes for resource in resources))
    taken = _taken_near([resource.pk for resource in resources], start - before, end + after)
    return [
        resource
        for resource in resources
        if not booking_conflicts(
            exclusive=resource.is_exclusive,
            capacity=resource.quantity,
            blocked_start=start - timedelta(minutes=resource.buffer_before_minutes),
            blocked_end=end + timedelta(minutes=resource.buffer_after_minutes),
            quantity=1,
            bookings=taken.get(resource.pk, ()),
        )
    ]


def _longest_active_booking() -> Subquery:
    """The longest blocked interval of any active booking, as a subquery (PostgreSQL).

    Migration 0005's index makes it one index step. It bounds overlap searches from below: a blocked
    interval ending after ``t`` starts after ``t − longest``, so the btree on (resource, blocked_start)
    is read only around the window instead of back to each resource's first booking. PostgreSQL runs it
    once per query (an InitPlan) and uses the result as an index bound.
    """
    length = ExpressionWrapper(F("blocked_end") - F("blocked_start"), output_field=DurationField())
    return Subquery(
        Booking.objects.active().annotate(length=length).order_by("-length").values("length")[:1],
        output_field=DurationField(),
    )


def active_blocking(bookings: QuerySet[Booking], start: datetime, end: datetime) -> QuerySet[Booking]:
    """The active ones of ``bookings`` whose blocked interval overlaps ``[start, end)``; on PostgreSQL
    also bounded from below by the longest active booking, so that the (resource, blocked_start) index
    is read only around the window rather than back to the resource's first booking."""
    bookings = bookings.active().blocking(start, end)
    if connection.vendor == "postgresql":
        # SQLite stores instants as text: no interval arithmetic there, and no need at its sizes.
        lower = ExpressionWrapper(
            Value(start, output_field=DateTimeField()) - _longest_active_booking(),
            output_field=DateTimeField(),
        )
        bookings = bookings.filter(blocked_start__gt=lower)
    return bookings


def _taken_near(resource_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, list[Piece]]:
    """The blocked intervals and units of the active bookings of ``resource_ids`` overlapping
    ``[start, end)``, by resource; one query."""
    if not resource_ids:
        return {}
    rows = active_blocking(Booking.objects.filter(resource_id__in=resource_ids), start, end)
    taken: dict[int, list[Piece]] = defaultdict(list)
    for resource_id, blocked_start, blocked_end, quantity in rows.values_list(
        "resource_id", "blocked_start", "blocked_end", "quantity"
    ):
        taken[resource_id].append((blocked_start, blocked_end, quantity))
    return taken


def _single_day_hours(start: datetime, end: datetime) -> tuple[int, time, time] | None:
    """``(weekday, from, until)`` in Berlin wall-clock time when ``[start, end)`` lies within one local
    day whose clock does not change (``until`` 00:00 = midnight), else None. Only then is "one opening
    range contains the window" a plain comparison of times, which SQL can answer."""
    zone = local_zone()
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    midnight_end = local_end.time() == MIDNIGHT and local_end.date() == day + timedelta(days=1)
    if local_end.date() != day and not midnight_end:
        return None
    day_start = datetime.combine(day, MIDNIGHT, tzinfo=zone)
    day_end = datetime.combine(day + timedelta(days=1), MIDNIGHT, tzinfo=zone)
    if day_start.utcoffset() != day_end.utcoffset():
        return None  # the last Sunday of March or October: leave it to the exact arithmetic
    return day.weekday(), local_start.time(), local_end.time()


def free_resource_ids(*, resources: QuerySet[Resource], start: datetime, end: datetime) -> list[int]:
    """The ids of ``resources`` (in their order) that are bookable for the whole of ``[start, end)`` and
    not taken then — the same answer as ``ressourcen.selectors.resource_search`` with a free period
    followed by ``resources_free_between`` — without loading a model instance.

    One query settles the clear cases in SQL for every candidate, with ``EXISTS`` probes on the
    indexes: a closure overlapping the window (closed), an opening range containing the window
    (open), no opening range touching it that day (shut), an active booking overlapping the bare
    window (taken, for rooms and skills), none within the widest buffers around it (free). Only the
    rest — a window covered by two adjacent ranges, a day the clocks change, a booking within a
    buffer's reach, equipment partly in use — is decided in Python by the exact rules, with at most
    two more queries for just those resources (their opening hours, their bookings near the window).
    At most four queries, whatever the number of resources.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    widest = resources.order_by().aggregate(
        before=Max("buffer_before_minutes"), after=Max("buffer_after_minutes")
    )
    if widest["before"] is None:
        return []  # no candidates
    near_start = start - timedelta(minutes=widest["before"])
    near_end = end + timedelta(minutes=widest["after"])
    bookings = Booking.objects.filter(resource=OuterRef("pk"))
    own_hours = OpeningHours.objects.filter(resource=OuterRef("pk"))
    closures = Closure.objects.filter(start__lt=end, end__gt=start)
    day = _single_day_hours(start, end)
    probes = {
        "has_hours": Exists(own_hours),
        # Two probes rather than one with OR: each can then use its index.
        "closed": Exists(closures.filter(resource=OuterRef("pk"))),
        "closed_all": Exists(closures.filter(resource=None, organisation=OuterRef("organisation"))),
        "taken": Exists(active_blocking(bookings, start, end)),
        "near": Exists(active_blocking(bookings, near_start, near_end)),
    }
    if day is not None:
        weekday, opens, closes = day
        until_midnight = Q(end=MIDNIGHT)
        probes["contains"] = Exists(
            own_hours.filter(weekday=weekday, start__lte=opens).filter(
                until_midnight if closes == MIDNIGHT else Q(end__gte=closes) | until_midnight
            )
        )
        touching = own_hours.filter(weekday=weekday).filter(Q(end__gt=opens) | until_midnight)
        probes["touches"] = Exists(touching if closes == MIDNIGHT else touching.filter(start__lt=closes))
    fields = ["pk", "kind", "quantity", "buffer_before_minutes", "buffer_after_minutes", *probes]
    rows = [dict(zip(fields, row, strict=True)) for row in resources.annotate(**probes).values_list(*fields)]

    hours_unclear, bookings_unclear = [], []
    for row in rows:
        if row["closed"] or row["closed_all"] or (row["kind"] != Resource.Kind.EQUIPMENT and row["taken"]):
            row["open"] = row["free"] = False
            continue
        # None: something within a buffer's reach, or equipment partly in use.
        row["free"] = None if row["near"] else True
        if not row["has_hours"] or row.get("contains"):
            row["open"] = True
        elif day is not None and not row["touches"]:
            row["open"] = False
            continue
        else:
            row["open"] = None  # adjacent ranges, a window over several days, a day the clocks change
            hours_unclear.append(row["pk"])
        if row["free"] is None:
            bookings_unclear.append(row["pk"])

    if hours_unclear:
        hours: dict[int, list[tuple]] = defaultdict(list)
        for resource_id, *weekly in (
            OpeningHours.objects.filter(resource__in=hours_unclear)
            .order_by()
            .values_list("resource_id", "weekday", "start", "end")
        ):
            hours[resource_id].append(tuple(weekly))
        covered: dict[tuple, bool] = {}  # the same weekly hours give the same answer
        for row in rows:
            if row["open"] is None:
                # No closure overlaps the window (those were settled above): the hours alone decide.
                key = tuple(sorted(hours[row["pk"]]))
                if key not in covered:
                    weekly = [OpeningHours(weekday=w, start=o, end=c) for w, o, c in key]
                    covered[key] = covers(opening_intervals(weekly, start, end), start, end)
                row["open"] = covered[key]
    taken = _taken_near(bookings_unclear, near_start, near_end)
    return [
        row["pk"]
        for row in rows
        if row["open"]
        and (
            row["free"]
            or (
                row["free"] is None
                and not booking_conflicts(
                    exclusive=row["kind"] != Resource.Kind.EQUIPMENT,
                    capacity=row["quantity"],
                    blocked_start=start - timedelta(minutes=row["buffer_before_minutes"]),
                    blocked_end=end + timedelta(minutes=row["buffer_after_minutes"]),
                    quantity=1,
                    bookings=taken.get(row["pk"], ()),
                )
            )
        )
    ]
