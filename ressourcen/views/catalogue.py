"""The public catalogue: search across the network and one page per resource.

Both pages are plain server-rendered HTML that works without JavaScript. Who may see what is decided by
``resource_search`` (active resources only) and the ``ressourcen.view_resource`` rule (inactive resources
for their managers and the coordinator); the views only render. Public pages never show who booked: the
week view says "free", "taken" or "closed" — never by whom.
"""

import functools
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

# The one import of the engine from the catalogue (DESIGN.md): what is taken — the week view's "taken"
# ranges, the search's "free between" filter — is the engine's read side, which the catalogue calls.
from buchungen.selectors import free_resource_ids, resource_availability
from ressourcen.forms import ResourceSearchForm
from ressourcen.models import Feature, OpeningHours, Resource, Weekday
from ressourcen.selectors import (
    closures_for,
    local_zone,
    resource_list_details,
    resource_queryset,
    resources_in_order,
)
from ressourcen.text import duration_text

PAGE_SIZE = 24
GENERIC_ICON = "img/features/generic.svg"
ICON_NAME = re.compile(r"[a-z0-9-]+")
WEEK_PARAM = re.compile(r"(?P<year>\d{4})-W(?P<week>\d{2})")
# Weeks far outside this range are almost certainly typos; they also keep prev/next links in bounds.
WEEK_YEARS = range(2000, 2101)
UPCOMING_CLOSURES_DAYS = 365
UPCOMING_CLOSURES_SHOWN = 10


@functools.cache
def feature_icon_url(icon: str) -> str:
    """The URL of a feature's symbol; the generic one when the name is empty or has no file.

    Coordinators type icon names in the admin: a name without a file must not break the page (the
    manifest storage of production raises for unknown files) — the feature's name is shown anyway.
    """
    path = f"img/features/{icon}.svg" if icon and ICON_NAME.fullmatch(icon) else GENERIC_ICON
    if path != GENERIC_ICON and not finders.find(path):
        path = GENERIC_ICON
    try:
        return static(path)
    except ValueError:
        return static(GENERIC_ICON)


def _with_icons(features: Sequence[Feature]) -> Sequence[Feature]:
    for feature in features:
        feature.icon_url = feature_icon_url(feature.icon)
    return features


# --- List ----------------------------------------------------------------------------------------------


@require_safe
def resource_list(request):
    features = _with_icons(list(Feature.objects.all()))
    form = ResourceSearchForm(request.GET, features=features)
    matching = None
    if form.is_valid():
        criteria = form.criteria()
        try:
            matching = resource_queryset(criteria)
        except ValidationError as error:
            form.add_selector_errors(error)
    number = request.GET.get("page")
    if matching is None:
        page = Paginator([], PAGE_SIZE).get_page(number)
    elif criteria.free_from is not None and criteria.free_until is not None:
        # Opening hours, closures and what is booked decide on ids; only the page's resources are loaded
        # (the same answer as resource_search + resources_free_between, tests/buchungen/test_free_search.py).
        ids = free_resource_ids(resources=matching, start=criteria.free_from, end=criteria.free_until)
        page = Paginator(ids, PAGE_SIZE).get_page(number)
        page.object_list = resources_in_order(page.object_list, resource_list_details(Resource.objects.all()))
    else:
        # Counted and cut in SQL.
        page = Paginator(resource_list_details(matching), PAGE_SIZE).get_page(number)
    for resource in page.object_list:
        # All from the prefetched rows: no query per result.
        _with_icons(resource.features.all())
        photos = resource.photos.all()
        resource.first_photo = photos[0] if photos else None
        resource.public_holder_name = holder_name(resource) if resource.kind == Resource.Kind.SKILL else ""
    context = {
        "form": form,
        "feature_groups": form.feature_groups(),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "result_count": page.paginator.count,
        "has_period": form.has_period,
    }
    return render(
        request,
        "ressourcen/catalogue/resource_list.html",
        context,
        status=400 if form.errors else 200,
    )


# --- Detail --------------------------------------------------------------------------------------------


class BadWeek(ValueError):
    pass


def week_monday(value: str | None, *, today: date) -> date:
    """The Monday of ISO week ``value`` ("2026-W48"), or of the week of ``today`` when none is given."""
    if not value:
        return today - timedelta(days=today.weekday())
    match = WEEK_PARAM.fullmatch(value.strip())
    if match is None:
        raise BadWeek(value)
    year, week = int(match["year"]), int(match["week"])
    if year not in WEEK_YEARS:
        raise BadWeek(value)
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as exc:  # week 0, week 53 of a 52-week year …
        raise BadWeek(value) from exc


def week_param(monday: date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _clock(moment: datetime, day_end: datetime) -> str:
    """Local wall-clock time; the end of the day reads 24:00, not 00:00 (the next day's)."""
    if moment == day_end:
        return "24:00"
    return f"{moment.astimezone(local_zone()):%H:%M}"


def _day_slots(
    bookable: tuple[datetime, datetime], free: Sequence[tuple[datetime, datetime, int]], day_end: datetime
) -> list[dict]:
    """One bookable range of a day split into free pieces (with the units left) and the taken gaps
    between them."""
    slots = []
    cursor, range_end = bookable

    def slot(start: datetime, end: datetime, available: int) -> dict:
        return {
            "range": f"{_clock(start, day_end)}–{_clock(end, day_end)}",
            "taken": available == 0,
            "available": available,
        }

    for free_start, free_end, units in free:
        start, end = max(free_start, cursor), min(free_end, range_end)
        if start >= end:
            continue
        if cursor < start:
            slots.append(slot(cursor, start, 0))
        slots.append(slot(start, end, units))
        cursor = end
    if cursor < range_end:
        slots.append(slot(cursor, range_end, 0))
    return slots


def week_rows(resource: Resource, monday: date, *, today: date) -> list[dict]:
    """One row per local day of the week with that day's bookable time as local ranges.

    ``ranges`` lists the bookable ranges ("18:00–21:00"); ``slots`` splits them into free and taken
    pieces for display (``{"range", "taken", "available"}``, available = units left, shown for
    equipment). Taken means booked — never by whom. Each day is cut out of the week's intervals at
    local midnight (days of the clock change are 23 or 25 hours long; ``zoneinfo`` gives the right
    instant of each midnight).
    """
    zone = local_zone()
    days = [monday + timedelta(days=offset) for offset in range(8)]
    midnights = [datetime.combine(day, time(0), tzinfo=zone) for day in days]
    availability = resource_availability(resource=resource, start=midnights[0], end=midnights[7])
    rows = []
    for index, day in enumerate(days[:7]):
        day_start, day_end = midnights[index], midnights[index + 1]
        ranges, slots = [], []
        for start, end in availability["bookable"]:
            start, end = max(start, day_start), min(end, day_end)
            if start < end:
                ranges.append(f"{_clock(start, day_end)}–{_clock(end, day_end)}")
                slots.extend(_day_slots((start, end), availability["free"], day_end))
        rows.append(
            {
                "date": day,
                "ranges": ranges,
                "slots": slots,
                "is_today": day == today,
                "is_past": day < today,
            }
        )
    return rows


def opening_hours_rows(opening_hours: Sequence[OpeningHours]) -> list[dict]:
    """Monday to Sunday, each with its ranges ("09:00–12:00"); a day without ranges is closed."""
    by_weekday: dict[int, list[str]] = {}
    for hours in opening_hours:
        end = "24:00" if hours.end == time(0) else f"{hours.end:%H:%M}"
        by_weekday.setdefault(hours.weekday, []).append(f"{hours.start:%H:%M}–{end}")
    return [{"weekday": label, "ranges": by_weekday.get(value, [])} for value, label in Weekday.choices]


def policy_lines(resource: Resource) -> list[str]:
    """The booking policy in plain sentences, in the order a person plans: who, how, when, how long."""
    audience = {
        Resource.Audience.ORGANISATION: _("Only members of %(organisation)s may book it."),
        Resource.Audience.NETWORK: _("Every organisation in the network may book it."),
        Resource.Audience.PUBLIC: _(
            "Everyone may book it, also people who do not belong to an organisation."
        ),
    }[resource.audience] % {"organisation": resource.organisation.name}
    lines = [audience]
    if not resource.requires_approval:
        lines.append(_("Requests are confirmed at once."))
    elif resource.kind == Resource.Kind.SKILL:
        lines.append(_("Each request waits until the person offering the skill confirms it."))
    else:
        lines.append(_("Each request waits until a manager of the organisation confirms it."))
    if resource.lead_time_hours:
        # "14 days", not "336 hours": whole days read as days.
        lines.append(
            _("Requests must come in at least %(duration)s before the start.")
            % {"duration": duration_text(resource.lead_time_hours * 60)}
        )
    lines.append(
        ngettext(
            "It can be booked up to %(count)d day ahead.",
            "It can be booked up to %(count)d days ahead.",
            resource.max_advance_days,
        )
        % {"count": resource.max_advance_days}
    )
    lines.append(
        _("A booking lasts at least %(minimum)s and at most %(maximum)s.")
        % {
            "minimum": duration_text(resource.min_duration_minutes),
            "maximum": duration_text(resource.max_duration_minutes),
        }
    )
    if resource.buffer_before_minutes:
        lines.append(
            _("%(duration)s before each booking are kept free for setting up.")
            % {"duration": duration_text(resource.buffer_before_minutes)}
        )
    if resource.buffer_after_minutes:
        lines.append(
            _("%(duration)s after each booking are kept free for tidying up.")
            % {"duration": duration_text(resource.buffer_after_minutes)}
        )
    if resource.quota_hours_per_month:
        lines.append(
            ngettext(
                "Each organisation may book it for at most %(count)d hour per month.",
                "Each organisation may book it for at most %(count)d hours per month.",
                resource.quota_hours_per_month,
            )
            % {"count": resource.quota_hours_per_month}
        )
    return lines


def feature_groups(features: Sequence[Feature]) -> list[tuple[str, list[Feature]]]:
    groups: dict[str, list[Feature]] = {}
    for feature in features:
        groups.setdefault(feature.category, []).append(feature)
    return [(label, groups[value]) for value, label in Feature.Category.choices if value in groups]


def holder_name(resource: Resource) -> str:
    """The public name of a skill's holder: the name they gave, never their e-mail address (which
    ``User.display_name`` falls back to)."""
    if resource.holder is not None and resource.holder.name:
        return resource.holder.name
    return _("a member of %(organisation)s") % {"organisation": resource.organisation.name}


@require_safe
def resource_detail(request, slug: str):
    resource = get_object_or_404(
        Resource.objects.select_related("organisation", "holder").prefetch_related(
            Prefetch("features", queryset=Feature.objects.order_by("category", "position", "name")),
            "photos",
            "opening_hours",
        ),
        slug=slug,
    )
    # Inactive resources exist only for their managers and the coordinator; for everyone else they
    # are not there at all (404, not 403: a 403 would tell that the slug exists).
    if not request.user.has_perm("ressourcen.view_resource", resource):
        raise Http404
    today = timezone.localdate()
    week_error = ""
    try:
        monday = week_monday(request.GET.get("woche"), today=today)
    except BadWeek:
        week_error = _("“%(value)s” is not a week. Use the form 2026-W48 (year, W, week number).") % {
            "value": request.GET.get("woche", "")
        }
        monday = today - timedelta(days=today.weekday())
    now = timezone.now()
    features = _with_icons(list(resource.features.all()))
    context = {
        "resource": resource,
        "feature_groups": feature_groups(features),
        "photos": list(resource.photos.all()),
        "holder_name": holder_name(resource) if resource.kind == Resource.Kind.SKILL else "",
        "policy_lines": policy_lines(resource),
        "opening_hours_rows": opening_hours_rows(list(resource.opening_hours.all())),
        "has_opening_hours": bool(resource.opening_hours.all()),
        "closures": list(
            closures_for(
                resource=resource, start=now, end=now + timedelta(days=UPCOMING_CLOSURES_DAYS)
            ).order_by("start")[:UPCOMING_CLOSURES_SHOWN]
        ),
        "week_error": week_error,
        "can_change": request.user.has_perm("ressourcen.change_resource", resource),
        # A skill's holder keeps their own offer up to date (description, languages, hours).
        "can_change_own": request.user.has_perm("ressourcen.change_own_skill", resource),
    }
    if not week_error:
        context.update(
            {
                "week_rows": week_rows(resource, monday, today=today),
                "week_monday": monday,
                "week_sunday": monday + timedelta(days=6),
                "week_number": monday.isocalendar()[1],
                "previous_week": week_param(monday - timedelta(days=7)),
                "next_week": week_param(monday + timedelta(days=7)),
                "current_week": week_param(today - timedelta(days=today.weekday())),
                "is_current_week": monday <= today < monday + timedelta(days=7),
            }
        )
        # No links out of the accepted years (they would answer 400).
        for key, other in (
            ("previous_week", monday - timedelta(days=7)),
            ("next_week", monday + timedelta(days=7)),
        ):
            if other.isocalendar()[0] not in WEEK_YEARS:
                context[key] = ""
    return render(
        request,
        "ressourcen/catalogue/resource_detail.html",
        context,
        status=400 if week_error else 200,
    )
