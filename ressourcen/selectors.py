"""Reads on the catalogue: search and the bookable side of availability.

Times: opening hours are weekly wall-clock ranges in Europe/Berlin. They are turned into instants day by
day with ``zoneinfo``, so a Tuesday 18:00–21:00 range is 17:00–20:00 UTC in winter and 16:00–19:00 UTC in
summer, and the days of the clock change are right too (the night of the change is 23 or 25 hours
long). Everything returned is aware and in UTC; pages convert to local time for display.

The booking engine (``buchungen.selectors``) takes these bookable intervals and subtracts what is
booked; the catalogue itself never imports the engine.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from konten.expressions import AnyOf
from konten.models import Membership, Organisation, User
from ressourcen.models import Closure, Feature, OpeningHours, Resource

Interval = tuple[datetime, datetime]
MIDNIGHT = time(0)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _instant(day: date, at: time) -> datetime:
    """The UTC instant of a Berlin wall-clock time. A time skipped by the spring change (02:30 on the last
    Sunday of March) lands after the gap; a repeated one (autumn) is taken at its first occurrence."""
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(UTC)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract_intervals(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``intervals`` minus ``holes`` (both half-open)."""
    result = list(intervals)
    for hole_start, hole_end in merge_intervals(holes):
        pieces: list[Interval] = []
        for start, end in result:
            if hole_end <= start or hole_start >= end:
                pieces.append((start, end))
                continue
            if start < hole_start:
                pieces.append((start, hole_start))
            if hole_end < end:
                pieces.append((hole_end, end))
        result = pieces
    return result


def opening_intervals(
    opening_hours: Sequence[OpeningHours], start: datetime, end: datetime
) -> list[Interval]:
    """The weekly opening hours as instants within ``[start, end)``; no opening hours means always open."""
    if not opening_hours:
        return [(start, end)] if start < end else []
    zone = local_zone()
    by_weekday: dict[int, list[OpeningHours]] = {}
    for hours in opening_hours:
        by_weekday.setdefault(hours.weekday, []).append(hours)
    intervals: list[Interval] = []
    # One day before: a range of the previous day may reach past midnight into the window.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        for hours in by_weekday.get(day.weekday(), ()):
            opens = _instant(day, hours.start)
            closes = (
                _instant(day + timedelta(days=1), MIDNIGHT)
                if hours.end == MIDNIGHT
                else _instant(day, hours.end)
            )
            opens, closes = max(opens, start), min(closes, end)
            if opens < closes:
                intervals.append((opens, closes))
        day += timedelta(days=1)
    return merge_intervals(intervals)


def bookable_intervals(
    *, opening_hours: Sequence[OpeningHours], closures: Iterable[Closure], start: datetime, end: datetime
) -> list[Interval]:
    """Opening hours minus closures within ``[start, end)`` — from rows the caller already loaded."""
    return subtract_intervals(
        opening_intervals(opening_hours, start, end), ((c.start, c.end) for c in closures)
    )


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("availability windows must be timezone-aware")
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})


def closures_for(*, resource: Resource, start: datetime, end: datetime) -> QuerySet[Closure]:
    """Closures of the resource or its whole organisation that overlap ``[start, end)``."""
    return Closure.objects.filter(
        Q(resource=resource) | Q(resource__isnull=True, organisation_id=resource.organisation_id),
        start__lt=end,
        end__gt=start,
    )


def resource_bookable_intervals(*, resource: Resource, start: datetime, end: datetime) -> list[Interval]:
    """When ``resource`` can be booked in ``[start, end)`` as far as the catalogue knows (two queries)."""
    _check_window(start, end)
    return bookable_intervals(
        opening_hours=list(resource.opening_hours.all()),
        closures=closures_for(resource=resource, start=start, end=end),
        start=start,
        end=end,
    )


def covers(intervals: Sequence[Interval], start: datetime, end: datetime) -> bool:
    """Whether ``intervals`` (merged) contain the whole of ``[start, end)``."""
    return any(s <= start and end <= e for s, e in intervals)


# --- Search ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFilter:
    """What a visitor can ask the catalogue; the page's form and the API's query both build one."""

    q: str = ""
    kind: str = ""
    organisation: str = ""  # slug
    features: tuple[str, ...] = ()  # slugs; all must hold
    capacity_min: int | None = None
    free_from: datetime | None = None
    free_until: datetime | None = None
    sort: str = "name"


MAX_FREE_WINDOW = timedelta(days=62)

SORTS = {
    "name": ("name", "pk"),
    "-capacity": ("-capacity", "name", "pk"),
    "capacity": ("capacity", "name", "pk"),
    "organisation": ("organisation__name", "name", "pk"),
    "-created": ("-created", "pk"),
}


def resource_filter_validate(criteria: ResourceFilter) -> None:
    """Raise ValidationError (per field) for unknown feature slugs, organisations, kinds or windows."""
    errors: dict[str, str] = {}
    if criteria.kind and criteria.kind not in Resource.Kind.values:
        errors["kind"] = _("Unknown kind “%(kind)s”.") % {"kind": criteria.kind}
    if criteria.features:
        known = set(Feature.objects.filter(slug__in=criteria.features).values_list("slug", flat=True))
        unknown = sorted(set(criteria.features) - known)
        if unknown:
            errors["feature"] = _("Unknown feature: %(slugs)s.") % {"slugs": ", ".join(unknown)}
    if criteria.organisation and not Organisation.objects.filter(slug=criteria.organisation).exists():
        errors["organisation"] = _("Unknown organisation “%(slug)s”.") % {"slug": criteria.organisation}
    if criteria.capacity_min is not None and criteria.capacity_min < 0:
        errors["capacity_min"] = _("The capacity cannot be negative.")
    if (criteria.free_from is None) != (criteria.free_until is None):
        errors["free_until" if criteria.free_until is None else "free_from"] = _(
            "Give both the start and the end of the period."
        )
    elif criteria.free_from and criteria.free_until and criteria.free_until <= criteria.free_from:
        errors["free_until"] = _("The end of the period must be after its start.")
    elif (
        criteria.free_from
        and criteria.free_until
        and criteria.free_until - criteria.free_from > MAX_FREE_WINDOW
    ):
        # The check walks every day of the window for every candidate: bound it, or one request over
        # a century would keep a worker busy for minutes.
        errors["free_until"] = _("Ask for a period of at most %(days)s days.") % {
            "days": MAX_FREE_WINDOW.days
        }
    if criteria.sort not in SORTS:
        errors["sort"] = _("Unknown sort order.")
    if errors:
        raise ValidationError(errors)


def resources_visible_to(user: User) -> QuerySet[Resource]:
    """Active resources for everyone; the owning organisation's managers and the coordinator also see
    inactive ones. The one place that scopes resources by person."""
    queryset = Resource.objects.all()
    if not user.is_authenticated:
        return queryset.filter(is_active=True)
    if user.is_coordinator:
        return queryset
    managed = Membership.objects.managers().filter(user=user).values("organisation_id")
    return queryset.filter(Q(is_active=True) | AnyOf("organisation_id", managed))


def resource_queryset(criteria: ResourceFilter) -> QuerySet[Resource]:
    """Active resources matching every criterion but the free period, sorted; lazy and without
    prefetches, so that a caller can count and cut a page in SQL (the API's list). Validates ``criteria``."""
    resource_filter_validate(criteria)
    queryset = Resource.objects.active()
    if criteria.q:
        for word in criteria.q.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(organisation__name__icontains=word)
                | Q(building__icontains=word)
                | Q(features__name__icontains=word)
                | Q(features__name_en__icontains=word)
            )
        queryset = queryset.distinct()
    if criteria.kind:
        queryset = queryset.filter(kind=criteria.kind)
    if criteria.organisation:
        queryset = queryset.filter(organisation__slug=criteria.organisation)
    for slug in criteria.features:
        queryset = queryset.filter(features__slug=slug)
    if criteria.capacity_min is not None:
        queryset = queryset.filter(capacity__gte=criteria.capacity_min)
    return queryset.order_by(*SORTS[criteria.sort])


def resource_list_details(queryset: QuerySet[Resource]) -> QuerySet[Resource]:
    """``queryset`` with what a list of resources shows, in a fixed number of queries: organisation and
    holder (joined), features in their order and photos (prefetched)."""
    return queryset.select_related("organisation", "holder").prefetch_related(
        Prefetch("features", queryset=Feature.objects.order_by("category", "position", "name")), "photos"
    )


def resources_in_order(ids: Sequence[int], queryset: QuerySet[Resource]) -> list[Resource]:
    """The resources of ``ids`` from ``queryset`` (its details with them), in the order of ``ids``."""
    loaded = queryset.filter(pk__in=ids).in_bulk()
    return [loaded[pk] for pk in ids if pk in loaded]


def resource_search(*, user: User, criteria: ResourceFilter) -> list[Resource]:
    """The catalogue's search: active resources matching every criterion, sorted.

    A constant number of queries whatever the number of results: the resources with their organisation
    (one query), features, photos and — when a free period is asked for — opening hours and the closures
    overlapping it are prefetched. "Free" means bookable for the whole period (opening hours minus
    closures); the booking engine narrows it further by what is booked. (The API's list asks
    ``resource_queryset`` and ``buchungen.selectors.free_resource_ids`` instead, which load a page only.)
    """
    queryset = resource_list_details(resource_queryset(criteria))
    if criteria.free_from is None or criteria.free_until is None:
        return list(queryset)

    start, end = criteria.free_from, criteria.free_until
    overlapping = Closure.objects.filter(start__lt=end, end__gt=start)
    resources = list(
        queryset.prefetch_related(
            "opening_hours",
            Prefetch("closures", queryset=overlapping, to_attr="window_closures"),
            Prefetch(
                "organisation__closures",
                queryset=overlapping.filter(resource__isnull=True),
                to_attr="window_closures",
            ),
        )
    )
    return [
        resource
        for resource in resources
        if covers(
            bookable_intervals(
                opening_hours=list(resource.opening_hours.all()),
                closures=[*resource.window_closures, *resource.organisation.window_closures],
                start=start,
                end=end,
            ),
            start,
            end,
        )
    ]
