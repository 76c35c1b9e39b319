"""The borrower's pages: the booking form (with alternatives on a conflict), a resource's week and month
calendar, "My bookings", one booking's page and its cancellation. See docs/booking-borrower.md.

Views render and call ``buchungen.services``; every rule is the service's. Who sees what: a resource's
calendar follows ``ressourcen.view_resource`` (404 otherwise, as its catalogue page), bookings follow
``bookings_visible_to`` / ``buchungen.view_booking`` (404 otherwise). The calendar says "taken" to
everyone and shows purpose and organisation only of the bookings the viewer may see.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.forms import BookingForm, CancelForm, local_input, organisations_for, parse_local_input
from buchungen.models import ACTIVE_STATUSES, Booking, BookingStatus, BookingTransition
from buchungen.selectors import (
    Piece,
    active_blocking,
    booking_conflicts,
    bookings_list,
    bookings_visible_to,
    resource_availability,
    resources_free_between,
)
from konten.forms import form_apply_errors
from konten.models import Membership, Organisation
from ressourcen.models import Resource
from ressourcen.selectors import ResourceFilter, covers, local_zone, resource_search
from ressourcen.views.catalogue import WEEK_YEARS, BadWeek, policy_lines, week_monday, week_param

ALTERNATIVES_SHOWN = 5
ALTERNATIVES_DAYS = 14
SLOT_GRID = timedelta(minutes=15)
MY_BOOKINGS_PAGE_SIZE = 25
# The owner's buttons (approve, decline, hand over) on the booking page; another module provides them.
MONTH_PARAM = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")


def _visible_resource(user, slug: str) -> Resource:
    """The resource behind ``slug`` if ``user`` may see it; 404 otherwise (as its catalogue page)."""
    resource = get_object_or_404(Resource.objects.select_related("organisation"), slug=slug)
    if not user.has_perm("ressourcen.view_resource", resource):
        raise Http404
    return resource


def _local(moment: datetime) -> datetime:
    return moment.astimezone(UTC).astimezone(local_zone())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone()).astimezone(UTC)


def booking_form_url(resource: Resource, start: datetime, end: datetime, **extra) -> str:
    query = {"start": local_input(start), "end": local_input(end)}
    query.update({key: value for key, value in extra.items() if value not in (None, "")})
    return f"{reverse('buchungen:booking_create', args=[resource.slug])}?{urlencode(query)}"


def _period_text(start: datetime, end: datetime) -> str:
    """ "01.12.2026 10:00 – 12:00" within one day, both dates otherwise; Berlin time."""
    start, end = _local(start), _local(end)
    first = formats.date_format(start, "SHORT_DATETIME_FORMAT")
    if start.date() == end.date():
        return f"{first} – {formats.time_format(end, 'TIME_FORMAT')}"
    return f"{first} – {formats.date_format(end, 'SHORT_DATETIME_FORMAT')}"


# --- Alternatives on a conflict --------------------------------------------------------------------------


def _ceil_to_grid(moment: datetime) -> datetime:
    """The next quarter hour (UTC and Berlin quarters coincide: the offsets are whole hours)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((moment - epoch) // -SLOT_GRID)
    return epoch + steps * SLOT_GRID


def next_free_slots(
    *, resource: Resource, start: datetime, end: datetime, quantity: int, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Up to five slots of the same duration as ``[start, end)`` from ``start`` on (14 days ahead) in
    which ``quantity`` units fit: within bookable time, with the resource's buffers clear of what is
    taken, and within lead time and maximum advance. Three queries (``resource_availability``).

    Candidates are the starts of free pieces (and those plus the set-up buffer), rounded up to the
    quarter hour, and the requested wall-clock time on each following day; the earliest that fit are
    taken, one after the other without overlapping.
    """
    duration = end - start
    before = timedelta(minutes=resource.buffer_before_minutes)
    after = timedelta(minutes=resource.buffer_after_minutes)
    earliest = max(start, now + timedelta(hours=resource.lead_time_hours))
    latest_start = min(
        start + timedelta(days=ALTERNATIVES_DAYS), now + timedelta(days=resource.max_advance_days)
    )
    if latest_start < earliest:
        return []
    window_start, window_end = earliest - before, latest_start + duration + after
    availability = resource_availability(resource=resource, start=window_start, end=window_end)
    busy: list[Piece] = availability["busy"]
    candidates = set()
    for piece_start, _piece_end, units in availability["free"]:
        if units >= quantity:
            candidates.add(_ceil_to_grid(piece_start))
            candidates.add(_ceil_to_grid(piece_start + before))
    local_start = _local(start)
    for offset in range(1, ALTERNATIVES_DAYS + 1):
        same_time = datetime.combine(local_start.date() + timedelta(days=offset), local_start.timetz())
        candidates.add(same_time.astimezone(UTC))
    slots: list[tuple[datetime, datetime]] = []
    for candidate in sorted(candidates):
        if candidate < earliest or candidate > latest_start:
            continue
        if slots and candidate < slots[-1][1]:
            continue
        candidate_end = candidate + duration
        if not covers(availability["bookable"], candidate, candidate_end):
            continue
        if booking_conflicts(
            exclusive=resource.is_exclusive,
            capacity=resource.quantity,
            blocked_start=candidate - before,
            blocked_end=candidate_end + after,
            quantity=quantity,
            bookings=busy,
        ):
            continue
        slots.append((candidate, candidate_end))
        if len(slots) == ALTERNATIVES_SHOWN:
            break
    return slots


def _may_book(user, resource: Resource, member_of: set[int]) -> bool:
    if resource.audience == Resource.Audience.PUBLIC:
        return True
    if resource.audience == Resource.Audience.ORGANISATION:
        return resource.organisation_id in member_of
    return bool(member_of)


def similar_free_resources(
    *, user, resource: Resource, start: datetime, end: datetime, quantity: int, participants: int | None, now
) -> list[Resource]:
    """Up to five other resources of the same kind that ``user`` may book and that are free (bookable
    and not taken) for ``[start, end)``; rooms with room for ``participants``; those sharing most of the
    resource's features first. A constant number of queries (``resource_search`` prefetches)."""
    duration = end - start
    criteria = ResourceFilter(
        kind=resource.kind,
        capacity_min=participants if resource.kind == Resource.Kind.ROOM and participants else None,
        free_from=start,
        free_until=end,
    )
    try:
        candidates = resource_search(user=user, criteria=criteria)
    except ValidationError:
        return []
    member_of = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    candidates = [
        candidate
        for candidate in candidates
        if candidate.pk != resource.pk
        and _may_book(user, candidate, member_of)
        and candidate.quantity >= quantity
        and timedelta(minutes=candidate.min_duration_minutes)
        <= duration
        <= timedelta(minutes=candidate.max_duration_minutes)
        and now + timedelta(hours=candidate.lead_time_hours)
        <= start
        <= now + timedelta(days=candidate.max_advance_days)
    ]
    free = resources_free_between(resources=candidates, start=start, end=end)
    wanted = set(resource.features.values_list("pk", flat=True))
    free.sort(key=lambda other: -len(wanted & {feature.pk for feature in other.features.all()}))
    return free[:ALTERNATIVES_SHOWN]


# --- Booking form ------------------------------------------------------------------------------------------


def _prefill(request, form_class_fields) -> dict:
    """Initial values from the query string (links from the calendar and the alternatives); values
    that do not parse are left out rather than shown as errors on a form nobody sent yet."""
    initial = {}
    for name in ("start", "end"):
        value = request.GET.get(name, "")
        try:
            initial[name] = parse_local_input(value)
        except ValueError:
            continue
    for name in ("quantity", "participants", "organisation"):
        value = request.GET.get(name, "")
        if value.isdigit() and name in form_class_fields:
            initial[name] = int(value)
    if request.GET.get("purpose"):
        initial["purpose"] = request.GET["purpose"][:500]
    return initial


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_create(request, slug: str):
    resource = _visible_resource(request.user, slug)
    organisations = organisations_for(request.user, resource)
    status = 200
    conflict = None
    if request.method == "POST":
        form = BookingForm(request.POST, resource=resource, organisations=organisations)
        if form.is_valid():
            kwargs = form.service_kwargs()
            try:
                # PermissionDenied passes through: Django answers 403.
                booking = services.booking_request(actor=request.user, resource=resource, **kwargs)
            except ValidationError as error:
                form_apply_errors(form, error)
            except BookingConflict as error:
                conflict = _conflict_context(request, resource, error, kwargs)
                status = 409
            else:
                if booking.status == BookingStatus.CONFIRMED:
                    messages.success(request, _("Your booking is confirmed."))
                else:
                    messages.success(request, _("Your booking is requested – waiting for approval."))
                return redirect("buchungen:booking_detail", pk=booking.pk)
        if form.errors:
            status = 400
    else:
        form = BookingForm(
            initial=_prefill(request, BookingForm.base_fields), resource=resource, organisations=organisations
        )
    context = {
        "resource": resource,
        "form": form,
        "policy_lines": policy_lines(resource),
        "conflict": conflict,
        "calendar_url": reverse("buchungen:resource_calendar", args=[resource.slug]),
    }
    return render(request, "buchungen/borrower/booking_form.html", context, status=status)


def _conflict_context(request, resource: Resource, error: BookingConflict, kwargs: dict) -> dict:
    start, end = kwargs["start"].astimezone(UTC), kwargs["end"].astimezone(UTC)
    now = timezone.now()
    organisation = kwargs["organisation"]
    extra = {
        "quantity": kwargs["quantity"] if resource.kind == Resource.Kind.EQUIPMENT else None,
        "organisation": organisation.pk if organisation else None,
        "participants": kwargs["participants"],
        "purpose": kwargs["purpose"],
    }
    slots = next_free_slots(resource=resource, start=start, end=end, quantity=kwargs["quantity"], now=now)
    similar = similar_free_resources(
        user=request.user,
        resource=resource,
        start=start,
        end=end,
        quantity=kwargs["quantity"],
        participants=kwargs["participants"],
        now=now,
    )
    return {
        "taken": [_period_text(taken_start, taken_end) for taken_start, taken_end in error.conflicts],
        "slots": [
            {
                "text": _period_text(slot_start, slot_end),
                "url": booking_form_url(resource, slot_start, slot_end, **extra),
            }
            for slot_start, slot_end in slots
        ],
        "similar": [
            {"resource": other, "url": booking_form_url(other, start, end, **extra)} for other in similar
        ],
        "period": _period_text(start, end),
        "waitlist": {
            "resource": resource.pk,
            "start": local_input(start),
            "end": local_input(end),
            "quantity": kwargs["quantity"],
            "organisation": organisation.pk if organisation else "",
            "purpose": kwargs["purpose"],
            "participants": "" if kwargs["participants"] is None else kwargs["participants"],
        },
    }


# --- Calendar ----------------------------------------------------------------------------------------------


@dataclass
class Segment:
    start: datetime
    end: datetime
    state: str  # "free", "taken" or "closed"
    available: int = 0
    bookings: list = field(default_factory=list)
    range: str = ""
    url: str = ""


def _clock(moment: datetime, day_end: datetime) -> str:
    return "24:00" if moment == day_end else f"{_local(moment):%H:%M}"


def day_segments(
    *, resource: Resource, day_start: datetime, day_end: datetime, bookable, busy: list[Piece]
) -> list[Segment]:
    """One local day cut into closed, free and taken pieces (adjacent equal pieces joined). Busy time
    outside the bookable time (a buffer reaching past closing) reads as closed."""
    points = {day_start, day_end}
    for start, end in bookable:
        points.update(p for p in (start, end) if day_start < p < day_end)
    for start, end, _units in busy:
        points.update(p for p in (start, end) if day_start < p < day_end)
    ordered = sorted(points)
    segments: list[Segment] = []
    for start, end in pairwise(ordered):
        if not covers(bookable, start, end):
            state, available = "closed", 0
        else:
            used = max((units for s, e, units in busy if s < end and e > start), default=0)
            available = resource.quantity - used
            state = "taken" if available <= 0 else "free"
        if segments and segments[-1].state == state and segments[-1].available == available:
            segments[-1].end = end
        else:
            segments.append(Segment(start=start, end=end, state=state, available=max(available, 0)))
    for segment in segments:
        segment.range = f"{_clock(segment.start, day_end)}–{_clock(segment.end, day_end)}"
    return segments


def _visible_bookings(user, resource: Resource, start: datetime, end: datetime) -> list[Booking]:
    """The active bookings of the window that ``user`` may see in full (one query; none for anonymous)."""
    if not user.is_authenticated:
        return []
    return list(
        active_blocking(bookings_visible_to(user).filter(resource=resource), start, end)
        .select_related("organisation")
        .order_by("start", "pk")
    )


def _week_context(request, resource: Resource, monday: date, today: date) -> dict:
    days = [monday + timedelta(days=offset) for offset in range(8)]
    midnights = [_midnight(day) for day in days]
    availability = resource_availability(resource=resource, start=midnights[0], end=midnights[7])
    visible = _visible_bookings(request.user, resource, midnights[0], midnights[7])
    now = timezone.now()
    rows = []
    for index, day in enumerate(days[:7]):
        day_start, day_end = midnights[index], midnights[index + 1]
        segments = day_segments(
            resource=resource,
            day_start=day_start,
            day_end=day_end,
            bookable=availability["bookable"],
            busy=availability["busy"],
        )
        for segment in segments:
            segment.bookings = [
                booking
                for booking in visible
                if booking.blocked_start < segment.end and booking.blocked_end > segment.start
            ]
            if segment.state == "free" and segment.end > now:
                link_start = max(segment.start, _ceil_to_grid(now))
                link_end = min(segment.end, link_start + timedelta(minutes=resource.max_duration_minutes))
                if link_start < link_end:
                    segment.url = booking_form_url(resource, link_start, link_end)
        rows.append(
            {
                "date": day,
                "segments": segments,
                "is_today": day == today,
                "is_past": day < today,
                "has_bookable": any(segment.state != "closed" for segment in segments),
            }
        )
    context = {
        "view": "week",
        "rows": rows,
        "week_monday": monday,
        "week_sunday": monday + timedelta(days=6),
        "week_number": monday.isocalendar()[1],
        "previous": week_param(monday - timedelta(days=7)),
        "next": week_param(monday + timedelta(days=7)),
        "current": week_param(today - timedelta(days=today.weekday())),
        "is_current": monday <= today < monday + timedelta(days=7),
        "month_param": f"{monday:%Y-%m}",
        "week_param": week_param(monday),
    }
    for key, other in (("previous", monday - timedelta(days=7)), ("next", monday + timedelta(days=7))):
        if other.isocalendar()[0] not in WEEK_YEARS:
            context[key] = ""
    return context


class BadMonth(ValueError):
    pass


def month_first(value: str | None, *, today: date) -> date:
    if not value:
        return today.replace(day=1)
    match = MONTH_PARAM.fullmatch(value.strip())
    if match is None or int(match["year"]) not in WEEK_YEARS or not 1 <= int(match["month"]) <= 12:
        raise BadMonth(value)
    return date(int(match["year"]), int(match["month"]), 1)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_context(resource: Resource, first: date, today: date) -> dict:
    following = _add_months(first, 1)
    availability = resource_availability(resource=resource, start=_midnight(first), end=_midnight(following))
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        cells = []
        for day in week:
            if day.month != first.month:
                cells.append({"date": day, "in_month": False})
                continue
            if day < today:
                # What was free in the past is no offer any more: the week view says "past" too.
                cells.append({"date": day, "in_month": True, "summary": "past", "week": week_param(day)})
                continue
            segments = day_segments(
                resource=resource,
                day_start=_midnight(day),
                day_end=_midnight(day + timedelta(days=1)),
                bookable=availability["bookable"],
                busy=availability["busy"],
            )
            states = {segment.state for segment in segments}
            partial = any(
                segment.state == "free" and segment.available < resource.quantity for segment in segments
            )
            if states == {"closed"}:
                summary = "closed"
            elif "free" not in states:
                summary = "full"
            elif "taken" in states or partial:
                summary = "partly"
            else:
                summary = "free"
            cells.append(
                {
                    "date": day,
                    "in_month": True,
                    "summary": summary,
                    "is_today": day == today,
                    "week": week_param(day),
                }
            )
        weeks.append({"week": week_param(week[0]), "number": week[0].isocalendar()[1], "cells": cells})
    previous, next_ = _add_months(first, -1), following
    return {
        "view": "month",
        "month": first,
        "weeks": weeks,
        "weekdays": [date(2024, 1, day) for day in range(1, 8)],  # a Monday to a Sunday
        "previous": f"{previous:%Y-%m}" if previous.year in WEEK_YEARS else "",
        "next": f"{next_:%Y-%m}" if next_.year in WEEK_YEARS else "",
        "current": f"{today:%Y-%m}",
        "is_current": first == today.replace(day=1),
        "week_param": week_param(first if first.weekday() == 0 else first - timedelta(days=first.weekday())),
    }


@require_safe
def resource_calendar(request, slug: str):
    resource = _visible_resource(request.user, slug)
    today = timezone.localdate()
    error = ""
    context = {"resource": resource}
    if request.GET.get("ansicht") == "monat":
        try:
            context.update(
                _month_context(resource, month_first(request.GET.get("monat"), today=today), today)
            )
        except BadMonth:
            error = _("“%(value)s” is not a month. Use the form 2026-12 (year, month).") % {
                "value": request.GET.get("monat", "")
            }
            context["view"] = "month"
    else:
        try:
            monday = week_monday(request.GET.get("woche"), today=today)
        except BadWeek:
            error = _("“%(value)s” is not a week. Use the form 2026-W48 (year, W, week number).") % {
                "value": request.GET.get("woche", "")
            }
            context["view"] = "week"
        else:
            context.update(_week_context(request, resource, monday, today))
    context["error"] = error
    return render(request, "buchungen/borrower/calendar.html", context, status=400 if error else 200)


# --- My bookings -------------------------------------------------------------------------------------------


@login_required
@require_safe
def my_bookings(request):
    """Bookings the person made or that are for one of their organisations (not those of resources
    they manage: that is the managers' inbox)."""
    user = request.user
    organisations = list(
        Organisation.objects.filter(memberships__user=user).order_by("name").only("pk", "name", "slug")
    )
    past = request.GET.get("zeit") == "vergangen"
    status = request.GET.get("status", "")
    if status not in BookingStatus.values:
        status = ""
    organisation_id = request.GET.get("organisation", "")
    organisation_id = int(organisation_id) if organisation_id.isdigit() else None
    if organisation_id not in {organisation.pk for organisation in organisations}:
        organisation_id = None
    now = timezone.now()
    queryset = bookings_list(user=user, status=status, organisation_id=organisation_id).filter(
        Q(booked_by=user) | Q(organisation_id__in=[organisation.pk for organisation in organisations])
    )
    if past:
        queryset = queryset.filter(end__lte=now).order_by("-start", "-pk")
    else:
        queryset = queryset.filter(end__gt=now)
    page = Paginator(queryset, MY_BOOKINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {key: value for key, value in (("status", status), ("organisation", organisation_id)) if value}
    context = {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "past": past,
        "status": status,
        "organisation_id": organisation_id,
        "organisations": organisations,
        "statuses": BookingStatus.choices,
        "upcoming_query": urlencode(filters),
        "past_query": urlencode({"zeit": "vergangen", **filters}),
    }
    return render(request, "buchungen/borrower/my_bookings.html", context)


# --- One booking -------------------------------------------------------------------------------------------


def _booking_for(user, pk: int) -> Booking:
    booking = get_object_or_404(
        bookings_visible_to(user).select_related(
            "resource", "resource__organisation", "resource__holder", "organisation", "booked_by"
        ),
        pk=pk,
    )
    if not user.has_perm("buchungen.view_booking", booking):
        raise Http404
    return booking


def _may_cancel(user, booking: Booking) -> bool:
    return (
        booking.status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
        and booking.end > timezone.now()
        and user.has_perm("buchungen.cancel_booking", booking)
    )


@login_required
@require_safe
def booking_detail(request, pk: int):
    booking = _booking_for(request.user, pk)
    transitions = list(
        BookingTransition.objects.filter(booking=booking).select_related("actor").order_by("at", "pk")
    )
    context = {
        "booking": booking,
        "transitions": transitions,
        "may_cancel": _may_cancel(request.user, booking),
        "is_active": booking.status in ACTIVE_STATUSES,
    }
    return render(request, "buchungen/borrower/booking_detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_cancel(request, pk: int):
    booking = _booking_for(request.user, pk)
    if not request.user.has_perm("buchungen.cancel_booking", booking):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                services.booking_cancel(
                    actor=request.user, booking=booking, comment=form.cleaned_data["comment"]
                )
            except ValidationError as error:
                form_apply_errors(form, error)
            else:
                messages.success(request, _("The booking is cancelled."))
                return redirect("buchungen:booking_detail", pk=booking.pk)
        status = 400
    else:
        form = CancelForm()
    context = {"booking": booking, "form": form, "may_cancel": _may_cancel(request.user, booking)}
    return render(request, "buchungen/borrower/booking_cancel.html", context, status=status)


urlpatterns = [
    path("ressourcen/<slug:slug>/buchen/", booking_create, name="booking_create"),
    path("ressourcen/<slug:slug>/kalender/", resource_calendar, name="resource_calendar"),
    path("buchungen/", my_bookings, name="my_bookings"),
    path("buchungen/<int:pk>/", booking_detail, name="booking_detail"),
    path("buchungen/<int:pk>/stornieren/", booking_cancel, name="booking_cancel"),
]
