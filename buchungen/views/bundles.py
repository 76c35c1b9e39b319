"""Bundle pages: one request for several resources (room + projector + technician), and its page with
the state of every part. See docs/booking-bundles.md.

Rules and permissions are the service's (``buchungen.bundles``); a refusal writes nothing and comes back
on the row it concerns: rule errors next to the row's fields (400), taken times per row (409, never who
booked). Requests are scoped by ``booking_requests_visible_to``: any other id is a 404.
"""

import contextlib
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buchungen import bundles
from buchungen.errors import BookingConflict
from buchungen.forms_bundles import (
    DEFAULT_ROWS,
    BundleCancelForm,
    BundleForm,
    BundleItemForm,
    bundle_item_formset,
)
from buchungen.models import BookingRequest
from konten.forms import form_apply_errors
from konten.models import Membership
from ressourcen.api import parse_local_datetime
from ressourcen.selectors import local_zone

ROWS_PARAM = "zeilen"
ITEM_FIELDS = ("resource", "start", "end", "quantity")


def _rows(request) -> int:
    value = request.GET.get(ROWS_PARAM, "")
    rows = int(value) if value.isdigit() and len(value) < 3 else DEFAULT_ROWS
    return max(1, min(rows, bundles.MAX_ITEMS))


def _prefill(request, resources) -> dict | None:
    """Row 1 from ``?resource=<id>&start=…&end=…`` (the catalogue's link); anything unreadable is left out."""
    first: dict = {}
    resource = request.GET.get("resource", "")
    if resource.isdigit() and int(resource) in {r.pk for r in resources}:
        first["resource"] = int(resource)
    for name in ("start", "end"):
        with contextlib.suppress(ValueError):
            first[name] = parse_local_datetime(request.GET.get(name, ""))
    return first or None


def _when(start: datetime, end: datetime) -> str:
    """``10 June 2026, 18:00 – 20:00`` in Berlin time (24-hour clock in both languages)."""
    start, end = timezone.localtime(start, local_zone()), timezone.localtime(end, local_zone())
    first = f"{formats.date_format(start, 'DATE_FORMAT')}, {formats.date_format(start, 'H:i')}"
    if start.date() == end.date():
        return f"{first} – {formats.date_format(end, 'H:i')}"
    return f"{first} – {formats.date_format(end, 'DATE_FORMAT')}, {formats.date_format(end, 'H:i')}"


def _apply_item_errors(rows: list[BundleItemForm], error: bundles.BundleItemsInvalid) -> None:
    for row, errors in zip(rows, error.item_errors, strict=False):
        for name, messages_ in errors.items():
            row.add_error(name if name in ITEM_FIELDS else None, messages_)


def _apply_conflict(rows: list[BundleItemForm], conflict: BookingConflict) -> list[dict]:
    """Put the taken times on their rows; return them per row for the summary."""
    summary = []
    for number, (row, taken) in enumerate(
        zip(rows, bundles.conflict_items(conflict, len(rows)), strict=True), 1
    ):
        if not taken:
            continue
        row.conflicts = taken
        times = [_when(start, end) for start, end in taken]
        row.add_error(None, _("Already booked at this time: %(times)s.") % {"times": "; ".join(times)})
        summary.append(
            {"number": number, "resource": row.cleaned_data.get("resource"), "times": times, "row": row}
        )
    return summary


def _error_summary(form: BundleForm, formset, rows: list[BundleItemForm]) -> list[dict]:
    """Every error with a link to its field (or its row), in the order of the page."""
    entries = []
    for name, errors in form.errors.items():
        for message in errors:
            if name in form.fields:
                entries.append({"href": f"#{form[name].auto_id}", "text": f"{form[name].label}: {message}"})
            else:
                entries.append({"href": "#bundle-form", "text": message})
    for message in formset.non_form_errors():
        entries.append({"href": "#items", "text": message})
    for number, row in enumerate(formset.forms, 1):
        for name, errors in row.errors.items():
            for message in errors:
                if name in row.fields:
                    href, label = f"#{row[name].auto_id}", row[name].label
                    text = _("Row %(number)d, %(field)s: %(message)s") % {
                        "number": number,
                        "field": label,
                        "message": message,
                    }
                else:
                    href = f"#row-{number}"
                    text = _("Row %(number)d: %(message)s") % {"number": number, "message": message}
                entries.append({"href": href, "text": text})
    return entries


@login_required
@require_http_methods(["GET", "POST"])
def bundle_create(request):
    resources = list(bundles.bundle_resources_bookable_by(request.user))
    rows = _rows(request)
    if request.method == "POST":
        form = BundleForm(request.POST, user=request.user)
        formset = bundle_item_formset(rows=rows, resources=resources, data=request.POST)
    else:
        form = BundleForm(user=request.user)
        formset = bundle_item_formset(rows=rows, resources=resources, first_row=_prefill(request, resources))
    conflicts: list[dict] = []
    general_conflict = False
    status = 200
    if request.method == "POST":
        form_valid, formset_valid = form.is_valid(), formset.is_valid()
        filled = formset.filled_forms()
        if formset_valid and not filled:
            form.add_error(None, _("Choose at least one resource with its time."))
        elif form_valid and formset_valid:
            try:
                booking_request = bundles.booking_request_bundle(
                    actor=request.user,
                    items=[row.item() for row in filled],
                    organisation=form.cleaned_data["organisation"],
                    purpose=form.cleaned_data["purpose"],
                    participants=form.cleaned_data["participants"],
                )
            except bundles.BundleItemsInvalid as error:
                _apply_item_errors(filled, error)
            except BookingConflict as conflict:
                conflicts = _apply_conflict(filled, conflict)
                general_conflict = not conflicts
                status = 409
            except ValidationError as error:
                form_apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Your request has been sent. Each owner decides on their part; "
                        "this page shows the state of every part."
                    ),
                )
                return redirect("buchungen:bundle_detail", pk=booking_request.pk)
        if status == 200:
            status = 400
    context = {
        "form": form,
        "formset": formset,
        "rows": rows,
        "more_rows": min(rows + 3, bundles.MAX_ITEMS) if rows < bundles.MAX_ITEMS else None,
        "max_items": bundles.MAX_ITEMS,
        "conflicts": conflicts,
        "general_conflict": general_conflict,
        "error_summary": _error_summary(form, formset, formset.forms) if request.method == "POST" else [],
        "has_resources": bool(resources),
    }
    return render(request, "buchungen/bundles/bundle_form.html", context, status=status)


def _visible_request(user, pk: int) -> BookingRequest:
    return get_object_or_404(bundles.booking_requests_list(user=user), pk=pk)


def _detail(request, booking_request: BookingRequest, cancel_form: BundleCancelForm, status: int = 200):
    parts = list(booking_request.items.all())
    for part in parts:
        part.when = _when(part.start, part.end)
    state = bundles.booking_request_state(booking_request, parts)
    user = request.user
    # Who may cancel: whoever made it and the members of its organisation (the service checks again).
    is_borrower = booking_request.booked_by_id == user.pk or (
        booking_request.organisation_id is not None
        and Membership.objects.filter(
            Q(user=user) & Q(organisation_id=booking_request.organisation_id)
        ).exists()
    )
    context = {
        "booking_request": booking_request,
        "parts": parts,
        "state": state,
        "can_cancel": state.can_cancel and is_borrower,
        "cancel_form": cancel_form,
    }
    return render(request, "buchungen/bundles/bundle_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def bundle_detail(request, pk: int):
    return _detail(request, _visible_request(request.user, pk), BundleCancelForm())


@login_required
@require_POST
def bundle_cancel(request, pk: int):
    booking_request = _visible_request(request.user, pk)
    form = BundleCancelForm(request.POST)
    if form.is_valid():
        try:
            bundles.booking_request_cancel(
                actor=request.user, request=booking_request, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, _("The request has been cancelled."))
            return redirect("buchungen:bundle_detail", pk=booking_request.pk)
    # Read again: the parts as they are now.
    return _detail(request, _visible_request(request.user, pk), form, status=400)


urlpatterns = [
    path("buchungen/pakete/neu/", bundle_create, name="bundle_create"),
    path("buchungen/pakete/<int:pk>/", bundle_detail, name="bundle_detail"),
    path("buchungen/pakete/<int:pk>/stornieren/", bundle_cancel, name="bundle_cancel"),
]
