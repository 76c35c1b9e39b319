"""The coordinator's figures: utilisation, lending flows, idle resources, busiest times and more.

Every figure over bookings is one SQL aggregate (Django ORM ``aggregate``/``annotate``); nothing loops over
bookings in Python. ``report()`` runs a constant number of queries, whatever the number of bookings.

Rules shared by all figures (see docs/reports.md):

* A booking *counts* when it held its slot: statuses in ``COUNTED_STATUSES``; requests, declined, expired
  and cancelled bookings never count.
* A booking belongs to a period ``[start, end)`` when it overlaps it; its hours are true hours (instants
  subtracted, so a night across a clock change is 1 h shorter or longer) clipped to the period, times the
  quantity (equipment in unit-hours).
* ``organisation``: ``None`` is the whole network; an Organisation limits utilisation, idle resources,
  busiest times, decision times, rates, reach, trend and own use to the resources it owns, and lending
  flows to rows where it is owner or borrower.
* Lending flows are **between** organisations (owner ≠ borrower). An organisation's use of its own
  resources and bookings by private persons are reported apart (``own_and_private_use``).
* Bookable hours are opening hours minus closures (the catalogue's ``bookable_intervals``), computed per
  RESOURCE in Python from three queries (resources, opening hours, closures); a resource without opening
  hours is bookable around the clock, as in the catalogue. Equipment: hours × units.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth

from buchungen.models import Booking, BookingStatus, BookingTransition
from konten.models import Organisation
from ressourcen.models import Closure, Resource
from ressourcen.selectors import bookable_intervals, local_zone

S = BookingStatus
COUNTED_STATUSES = (S.CONFIRMED, S.CHECKED_OUT, S.RETURNED, S.COMPLETED, S.NO_SHOW)
GROUPS = ("resource", "organisation", "kind")
KINDS = tuple(Resource.Kind.values)
HOUR = 3600
WEEK = 7 * 24 * HOUR
# A Monday at 00:00 (1970-01-05) in seconds since the Unix epoch: wall-clock seconds minus this, modulo a
# week, give the position in the Monday-based week.
MONDAY = 4 * 24 * HOUR


# --- Database helpers (PostgreSQL and SQLite) --------------------------------------------------------------


class Epoch(models.Func):
    """Seconds since 1970-01-01 UTC of a datetime expression, as a number, on both backends."""

    arity = 1
    output_field = models.FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() reads Django's stored text ("YYYY-MM-DD HH:MM:SS[.ffffff]", UTC) with its fraction.
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra
        )


class FloorDiv(models.Func):
    """``floor(x / n)`` for a positive divisor, as a whole number on both backends."""

    arity = 2
    output_field = models.FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="FLOOR((%(expressions)s))", arg_joiner=") / (", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        # The operands here are positive, so truncation is the floor; CAST keeps it independent of the
        # optional math functions of the SQLite build.
        return self.as_sql(
            compiler,
            connection,
            template="CAST((%(expressions)s) AS INTEGER)",
            arg_joiner=") / (",
            **extra,
        )


def seconds_between(start, end) -> models.Expression:
    """True seconds of ``[start, end)`` (two datetime expressions), on both backends."""
    return models.ExpressionWrapper(Epoch(end) - Epoch(start), output_field=models.FloatField())


def _when(value: datetime) -> Value:
    return Value(value, output_field=models.DateTimeField())


def _num(value: float) -> Value:
    return Value(float(value), output_field=models.FloatField())


def _clipped(start: datetime, end: datetime) -> tuple[models.Expression, models.Expression]:
    return Greatest(F("start"), _when(start)), Least(F("end"), _when(end))


def _unit_seconds(start: datetime, end: datetime) -> models.Expression:
    """Per booking: its true seconds within ``[start, end)`` times its quantity."""
    clipped_start, clipped_end = _clipped(start, end)
    return models.ExpressionWrapper(
        seconds_between(clipped_start, clipped_end) * F("quantity"), output_field=models.FloatField()
    )


def _check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("report periods must be timezone-aware")
    if end <= start:
        raise ValueError("a report period must end after it starts")


def _hours(seconds) -> float:
    return round(float(seconds or 0) / HOUR, 4)


def _ratio(part: float | int, whole: float | int) -> float | None:
    return round(part / whole, 4) if whole else None


def counted_bookings(*, start: datetime, end: datetime, organisation: Organisation | None = None):
    """Bookings that held their slot and overlap ``[start, end)``, of resources ``organisation`` owns."""
    _check_period(start, end)
    queryset = Booking.objects.filter(status__in=COUNTED_STATUSES, start__lt=end, end__gt=start)
    if organisation is not None:
        queryset = queryset.filter(resource__organisation=organisation)
    return queryset.order_by()


# --- Bookable hours (per resource) ------------------------------------------------------------------------


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")


def _resources(
    *, start: datetime, end: datetime, organisation: Organisation | None, kind: str | None = None
) -> list[Resource]:
    """Active resources in scope (of ``kind`` when given), and inactive ones that were booked in the
    period, with their bookable seconds (``bookable_seconds``, unit-seconds for equipment). Three
    queries."""
    counted = counted_bookings(start=start, end=end).filter(resource=OuterRef("pk"))
    queryset = (
        Resource.objects.filter(Q(is_active=True) | Exists(counted))
        .select_related("organisation")
        .prefetch_related("opening_hours")
        .order_by("name", "pk")
    )
    if organisation is not None:
        queryset = queryset.filter(organisation=organisation)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    resources = list(queryset)
    closures_by_org: dict[int, list[Closure]] = defaultdict(list)
    closures_by_resource: dict[int, list[Closure]] = defaultdict(list)
    closures = Closure.objects.filter(
        organisation_id__in={r.organisation_id for r in resources}, start__lt=end, end__gt=start
    )
    for closure in closures:
        if closure.resource_id is None:
            closures_by_org[closure.organisation_id].append(closure)
        else:
            closures_by_resource[closure.resource_id].append(closure)
    for resource in resources:
        intervals = bookable_intervals(
            opening_hours=list(resource.opening_hours.all()),
            closures=closures_by_org[resource.organisation_id] + closures_by_resource[resource.pk],
            start=start,
            end=end,
        )
        # In UTC: Python subtracts two datetimes of the same zone as wall-clock times (no DST hour).
        seconds = sum((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() for a, b in intervals)
        resource.bookable_seconds = seconds * resource.quantity
    return resources


def _booked_seconds_by_resource(*, start, end, organisation, kind: str | None = None) -> dict[int, float]:
    queryset = counted_bookings(start=start, end=end, organisation=organisation)
    if kind is not None:
        queryset = queryset.filter(resource__kind=kind)
    rows = queryset.values("resource_id").annotate(seconds=Sum(_unit_seconds(start, end)))
    return {row["resource_id"]: float(row["seconds"] or 0) for row in rows}


def _utilisation_rows(resources, booked: dict[int, float], group_by: str) -> list[dict]:
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    totals: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if group_by == "resource":
            key, name = resource.slug, resource.name
        elif group_by == "organisation":
            key, name = resource.organisation.slug, resource.organisation.name
        else:
            key, name = resource.kind, str(Resource.Kind(resource.kind).label)
        row = totals.setdefault(key, {"key": key, "name": name, "booked": 0.0, "bookable": 0.0})
        row["booked"] += booked.get(resource.pk, 0.0)
        row["bookable"] += resource.bookable_seconds
    rows = [
        {
            "key": row["key"],
            "name": row["name"],
            "booked_hours": _hours(row["booked"]),
            "bookable_hours": _hours(row["bookable"]),
            "occupancy": _ratio(row["booked"], row["bookable"]),
        }
        for row in totals.values()
    ]
    return sorted(rows, key=lambda row: (row["name"].casefold(), row["key"]))


def utilisation(
    *,
    start: datetime,
    end: datetime,
    group_by: str = "resource",
    organisation: Organisation | None = None,
    kind: str | None = None,
) -> list[dict]:
    """Booked and bookable hours and their ratio per resource, organisation or kind, sorted by name;
    ``kind`` (``room``, ``equipment``, ``skill``) keeps only resources of that kind."""
    _check_period(start, end)
    _check_kind(kind)
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    scope = {"start": start, "end": end, "organisation": organisation, "kind": kind}
    return _utilisation_rows(_resources(**scope), _booked_seconds_by_resource(**scope), group_by)


def _idle_rows(resources, booked: dict[int, float]) -> list[dict]:
    return [
        {
            "key": resource.slug,
            "name": resource.name,
            "organisation_name": resource.organisation.name,
            "kind": resource.kind,
            "bookable_hours": _hours(resource.bookable_seconds),
        }
        for resource in resources
        if resource.is_active and resource.pk not in booked
    ]


def idle_resources(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> list[dict]:
    """Active resources without a counted booking in the period."""
    _check_period(start, end)
    resources = _resources(start=start, end=end, organisation=organisation)
    booked = _booked_seconds_by_resource(start=start, end=end, organisation=organisation)
    return _idle_rows(resources, booked)


# --- Lending flows -----------------------------------------------------------------------------------------


def _flow_groups(*, start: datetime, end: datetime, organisation: Organisation | None) -> list[dict]:
    """Counted bookings and (unit-)hours per owner organisation × borrowing organisation (``None`` for
    private persons), own use included: one grouped query, split by ``lending_flows`` and
    ``own_and_private_use``. With ``organisation``: rows where it is owner or borrower."""
    queryset = counted_bookings(start=start, end=end)
    if organisation is not None:
        queryset = queryset.filter(Q(resource__organisation=organisation) | Q(organisation=organisation))
    return list(
        queryset.values(
            owner_id=F("resource__organisation_id"),
            owner=F("resource__organisation__slug"),
            owner_name=F("resource__organisation__name"),
            borrower_id=F("organisation_id"),
            borrower=Coalesce(F("organisation__slug"), Value("")),
            borrower_name=Coalesce(F("organisation__name"), Value("")),
        )
        .annotate(bookings=Count("pk"), seconds=Sum(_unit_seconds(start, end)))
        .order_by("owner_name", "borrower_name")
    )


def _flows_from(groups: list[dict]) -> list[dict]:
    return [
        {
            "owner": row["owner"],
            "owner_name": row["owner_name"],
            "borrower": row["borrower"],
            "borrower_name": row["borrower_name"],
            "bookings": row["bookings"],
            "hours": _hours(row["seconds"]),
        }
        for row in groups
        if row["borrower_id"] is not None and row["borrower_id"] != row["owner_id"]
    ]


def _own_and_private_from(groups: list[dict], organisation: Organisation | None) -> list[dict]:
    by_owner: dict[int, dict[str, Any]] = {}
    for row in groups:
        if row["borrower_id"] is not None and row["borrower_id"] != row["owner_id"]:
            continue  # lending between organisations
        if organisation is not None and row["owner_id"] != organisation.pk:
            continue
        entry = by_owner.setdefault(
            row["owner_id"],
            {"owner": row["owner"], "owner_name": row["owner_name"], "own": [0, 0.0], "private": [0, 0.0]},
        )
        counts = entry["private" if row["borrower_id"] is None else "own"]
        counts[0] += row["bookings"]
        counts[1] += float(row["seconds"] or 0)
    rows = [
        {
            "owner": entry["owner"],
            "owner_name": entry["owner_name"],
            "own_bookings": entry["own"][0],
            "own_hours": _hours(entry["own"][1]),
            "private_bookings": entry["private"][0],
            "private_hours": _hours(entry["private"][1]),
        }
        for entry in by_owner.values()
    ]
    return sorted(rows, key=lambda row: (row["owner_name"].casefold(), row["owner"]))


def lending_flows(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> list[dict]:
    """Lending **between** organisations: owner organisation × a different borrowing organisation,
    counted bookings and their (unit-)hours, sorted by the names. An organisation using its own resources
    and private persons are not flows (see ``own_and_private_use``). With ``organisation``: rows where
    it is owner or borrower."""
    _check_period(start, end)
    return _flows_from(_flow_groups(start=start, end=end, organisation=organisation))


def flows_and_own_use(
    *, start: datetime, end: datetime, organisation: Organisation | None = None
) -> tuple[list[dict], list[dict]]:
    """``(lending_flows, own_and_private_use)`` from one query (the API answers both at once)."""
    _check_period(start, end)
    groups = _flow_groups(start=start, end=end, organisation=organisation)
    return _flows_from(groups), _own_and_private_from(groups, organisation)


def own_and_private_use(
    *, start: datetime, end: datetime, organisation: Organisation | None = None
) -> list[dict]:
    """Per owning organisation, what is not lending between organisations: bookings of its own resources
    for itself (``own_*``) and bookings by private persons (``private_*``), with (unit-)hours. Only
    owners with such bookings are listed; with ``organisation`` only that owner."""
    _check_period(start, end)
    return _own_and_private_from(_flow_groups(start=start, end=end, organisation=organisation), organisation)


# --- Busiest times -----------------------------------------------------------------------------------------


def _offsets(start: datetime, end: datetime) -> tuple[list[tuple[datetime, int]], int]:
    """The Berlin UTC offset over ``[start, end)``: the first offset in seconds and the changes
    ``[(instant, new offset), …]`` (found hour by hour, then to the second)."""
    zone = local_zone()

    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds())

    first = offset(start)
    changes: list[tuple[datetime, int]] = []
    current, at = first, start.astimezone(UTC)
    step = timedelta(hours=1)
    while at < end:
        following = min(at + step, end)
        if offset(following) != current and following > at:
            low, high = at, following  # offset(low) == current, offset(high) differs
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            current = offset(high)
            changes.append((high, current))
        at = following
    return changes, first


def _wall(instant, changes, first: int) -> models.Expression:
    """Berlin wall-clock seconds since the Monday 1970-01-05 of a datetime expression."""
    if changes:
        offset = models.Case(
            *[
                models.When(Q(**{f"{instant}__lt": at}), then=_num(before))
                for (at, _offset), before in zip(
                    changes, [first] + [o for _a, o in changes[:-1]], strict=True
                )
            ],
            default=_num(changes[-1][1]),
            output_field=models.FloatField(),
        )
    else:
        offset = _num(first)
    return Epoch(F(instant)) + offset - _num(MONDAY)


def _cell_py(wall: float, cell: int) -> float:
    """Wall-clock seconds in [0, wall) that fall in hour ``cell`` (0 … 167) of the Monday-based week."""
    weeks = wall // WEEK
    rest = wall - weeks * WEEK
    return weeks * HOUR + min(max(rest - cell * HOUR, 0), HOUR)


def _side(queryset, field: str, changes, first: int) -> list[dict]:
    """One end of the clipped bookings grouped by its hour of the week (at most 168 rows): the units
    (quantity) ending/starting in that hour, their seconds into the hour and whole weeks (× quantity),
    and per clock change the units at or after it."""
    wall = _wall(field, changes, first)
    weeks = FloorDiv(wall, _num(WEEK))
    rest = wall - weeks * _num(WEEK)
    hour = FloorDiv(rest, _num(HOUR))
    extra = {
        f"after{n}": Sum("quantity", filter=Q(**{f"{field}__gte": at})) for n, (at, _o) in enumerate(changes)
    }
    return list(
        queryset.annotate(hour_of_week=hour)
        .values("hour_of_week")
        .annotate(
            units=Sum("quantity"),
            into=Sum((rest - hour * _num(HOUR)) * F("quantity"), output_field=models.FloatField()),
            weeks=Sum(weeks * F("quantity"), output_field=models.FloatField()),
            **extra,
        )
        .order_by()
    )


def busiest_times(
    *, start: datetime, end: datetime, organisation: Organisation | None = None
) -> list[list[float]]:
    """Booked (unit-)hours per Berlin weekday (0 = Monday) × hour, each booking split over the hours it
    covers; the clock changes are right (the skipped spring hour gets nothing, the repeated autumn hour
    counts twice). Two grouped queries, whatever the number of bookings (see docs/reports.md):

    With ``W(t)`` the Berlin wall-clock seconds of instant ``t`` since Monday 1970-01-05 and
    ``G_c(x) = weeks(x) · 3600 + clamp(x mod week − c · 3600, 0, 3600)`` the wall seconds of hour-cell ``c``
    in ``[0, x)``, the booked seconds of a booking ``[s, e)`` in cell ``c`` are
    ``G_c(W(e)) − G_c(W(s))`` minus, for each clock change between ``s`` and ``e``, the wall seconds
    the change jumped in cell ``c``. Summed over bookings, ``Σ G_c(W(t))`` only needs, per hour of the
    week ``h`` of ``W(t)``, the count and the seconds into the hour: the database groups the clipped
    starts and the clipped ends by ``h`` and the 168 cells are assembled from at most 2 × 168 rows."""
    _check_period(start, end)
    changes, first = _offsets(start - timedelta(days=1), end + timedelta(days=1))
    queryset = counted_bookings(start=start, end=end, organisation=organisation).annotate(
        clip_start=Greatest(F("start"), _when(start)), clip_end=Least(F("end"), _when(end))
    )
    # Per clock change, the wall seconds it jumped in each cell (positive in spring, negative in autumn).
    jumps: list[dict[int, float]] = []
    before = first
    for at, after in changes:
        local_before, local_after = at.timestamp() + before - MONDAY, at.timestamp() + after - MONDAY
        jumps.append(
            {
                cell: _cell_py(local_after, cell) - _cell_py(local_before, cell)
                for cell in range(168)
                if _cell_py(local_after, cell) != _cell_py(local_before, cell)
            }
        )
        before = after
    seconds = [0.0] * 168
    for field, sign in (("clip_end", 1.0), ("clip_start", -1.0)):
        rows = _side(queryset, field, changes, first)
        units_after_hour = [0.0] * 168  # units whose hour of the week is above the cell: a full hour
        for row in rows:
            hour = min(max(int(row["hour_of_week"]), 0), 167)
            weeks, into, units = float(row["weeks"] or 0), float(row["into"] or 0), float(row["units"] or 0)
            for cell in range(168):
                seconds[cell] += sign * weeks * HOUR
            seconds[hour] += sign * into
            for cell in range(hour):
                units_after_hour[cell] += units
            for n, jumped_cells in enumerate(jumps):
                for cell, jumped in jumped_cells.items():
                    seconds[cell] -= sign * jumped * float(row[f"after{n}"] or 0)
        for cell in range(168):
            seconds[cell] += sign * units_after_hour[cell] * HOUR
    return [[_hours(seconds[day * 24 + hour]) for hour in range(24)] for day in range(7)]


# --- Decisions, rates, reach, trend ------------------------------------------------------------------------


def _decisions(*, start: datetime, end: datetime, organisation: Organisation | None):
    """Owners' decisions (a request confirmed or declined) made in the period, with the seconds from the
    request to the decision."""
    _check_period(start, end)
    queryset = BookingTransition.objects.filter(
        from_status=S.REQUESTED, to_status__in=(S.CONFIRMED, S.DECLINED), at__gte=start, at__lt=end
    )
    if organisation is not None:
        queryset = queryset.filter(booking__resource__organisation=organisation)
    return queryset.order_by().annotate(waited=seconds_between(F("booking__created"), F("at")))


def decision_times(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> dict:
    """How long requests waited for the owner's decision (decisions made in the period). Two queries:
    count and average, then the middle one or two for the median (ORDER BY … OFFSET, on both backends)."""
    queryset = _decisions(start=start, end=end, organisation=organisation)
    totals = queryset.aggregate(decided=Count("pk"), average=models.Avg("waited"))
    decided = totals["decided"]
    if not decided:
        return {"decided": 0, "median_hours": None, "average_hours": None}
    middle = (decided - 1) // 2
    values = list(queryset.order_by("waited", "pk").values_list("waited", flat=True)[middle : middle + 2])
    median = values[0] if decided % 2 else (values[0] + values[1]) / 2
    return {"decided": decided, "median_hours": _hours(median), "average_hours": _hours(totals["average"])}


def rates(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> dict:
    """Counted bookings, cancellations of bookings that had been confirmed, and no-shows, in the period.
    ``cancellation_rate`` = cancelled / (counted + cancelled); ``no_show_rate`` = no-shows / counted."""
    _check_period(start, end)
    queryset = Booking.objects.filter(start__lt=end, end__gt=start).order_by()
    if organisation is not None:
        queryset = queryset.filter(resource__organisation=organisation)
    was_confirmed = Exists(BookingTransition.objects.filter(booking=OuterRef("pk"), to_status=S.CONFIRMED))
    totals = queryset.aggregate(
        bookings=Count("pk", filter=Q(status__in=COUNTED_STATUSES)),
        cancelled=Count("pk", filter=Q(was_confirmed, status=S.CANCELLED)),
        no_show=Count("pk", filter=Q(status=S.NO_SHOW)),
    )
    bookings, cancelled, no_show = totals["bookings"], totals["cancelled"], totals["no_show"]
    return {
        "bookings": bookings,
        "cancelled": cancelled,
        "no_show": no_show,
        "cancellation_rate": _ratio(cancelled, bookings + cancelled),
        "no_show_rate": _ratio(no_show, bookings),
    }


def reach(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> dict:
    """People reached by the counted bookings in the period: the sum of their expected participants —
    except no-shows, which reached nobody — and the distinct organisations that **borrowed** (booked a
    resource of another organisation; an owner using its own rooms and private persons are not
    borrowers)."""
    totals = counted_bookings(start=start, end=end, organisation=organisation).aggregate(
        participants=Coalesce(Sum("participants", filter=~Q(status=S.NO_SHOW)), 0),
        borrowing_organisations=Count(
            "organisation", distinct=True, filter=~Q(organisation=F("resource__organisation"))
        ),
        bookings=Count("pk"),
    )
    return {key: int(value) for key, value in totals.items()}


def _months(start: datetime, end: datetime) -> list[str]:
    zone = local_zone()
    month = start.astimezone(zone).date().replace(day=1)
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    months = []
    while month <= last:
        months.append(f"{month:%Y-%m}")
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def monthly_trend(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> list[dict]:
    """Counted bookings and their (unit-)hours per Berlin month, by the month of the (clipped) start;
    every month of the period is listed, empty ones with zeros."""
    rows = (
        counted_bookings(start=start, end=end, organisation=organisation)
        .annotate(month=TruncMonth(Greatest(F("start"), _when(start)), tzinfo=local_zone()))
        .values("month")
        .annotate(bookings=Count("pk"), seconds=Sum(_unit_seconds(start, end)))
        .order_by("month")
    )
    found = {}
    for row in rows:
        month = row["month"]
        key = f"{month:%Y-%m}"
        found[key] = {"month": key, "bookings": row["bookings"], "hours": _hours(row["seconds"])}
    return [found.get(month, {"month": month, "bookings": 0, "hours": 0.0}) for month in _months(start, end)]


def report(*, start: datetime, end: datetime, organisation: Organisation | None = None) -> dict:
    """Everything the dashboard shows, in a constant number of queries (twelve): the lending flows and
    the own and private use come from one grouped query."""
    _check_period(start, end)
    scope = {"start": start, "end": end, "organisation": organisation}
    resources = _resources(**scope)
    booked = _booked_seconds_by_resource(**scope)
    flows = _flow_groups(**scope)
    return {
        "utilisation_by_resource": _utilisation_rows(resources, booked, "resource"),
        "utilisation_by_organisation": _utilisation_rows(resources, booked, "organisation"),
        "utilisation_by_kind": _utilisation_rows(resources, booked, "kind"),
        "lending_flows": _flows_from(flows),
        "own_and_private_use": _own_and_private_from(flows, organisation),
        "idle": _idle_rows(resources, booked),
        "busiest": busiest_times(**scope),
        "decision_times": decision_times(**scope),
        "rates": rates(**scope),
        "reach": reach(**scope),
        "trend": monthly_trend(**scope),
    }
