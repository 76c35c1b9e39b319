"""Series of dates: the form with its preview, and a series' page (cancel one date or the rest).

See buchungen/views/__init__.py and docs/booking-series.md. Works without JavaScript: "Preview"
re-renders the form with a table of every date (free or not, with the reason) and the two booking
buttons; every decision is made again by the services when booking.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from buchungen.forms_series import SeriesForm
from buchungen.models import Booking, BookingStatus
from buchungen.series import (
    SeriesConflict,
    SeriesRefused,
    booking_series_cancel_rest,
    booking_series_create,
    booking_series_preview,
    series_bookings,
    series_visible_to,
)
from ressourcen.selectors import resources_visible_to

CANCELLABLE = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def series_create(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(resources_visible_to(request.user).select_related("organisation"), slug=slug)
    occurrences = None
    if request.method != "POST":
        form = SeriesForm(user=request.user, resource=resource)
        return render(request, "buchungen/series/series_form.html", {"form": form, "resource": resource})

    form = SeriesForm(request.POST, user=request.user, resource=resource)
    action = request.POST.get("action", "preview")
    if form.is_valid():
        kwargs = form.service_kwargs()
        try:
            if action in ("book_free", "book_all"):
                series, booked = booking_series_create(
                    actor=request.user, resource=resource, skip_conflicts=action == "book_free", **kwargs
                )
                count = sum(1 for occurrence in booked if occurrence.is_free)
                messages.success(
                    request,
                    ngettext("%(count)d date has been booked.", "%(count)d dates have been booked.", count)
                    % {"count": count},
                )
                return redirect("buchungen:series_detail", pk=series.pk)
            occurrences = booking_series_preview(actor=request.user, resource=resource, **kwargs)
        except SeriesConflict as conflict:
            occurrences = conflict.occurrences
            form.add_error(None, conflict.message)
        except SeriesRefused as refused:
            occurrences = refused.occurrences
            form.add_error(
                None, _("Some dates break a booking rule (see the table). Nothing has been booked.")
            )
        except ValidationError as error:
            form.add_service_errors(error)
    free = sum(1 for occurrence in occurrences if occurrence.is_free) if occurrences else 0
    return render(
        request,
        "buchungen/series/series_form.html",
        {
            "form": form,
            "resource": resource,
            "occurrences": occurrences,
            "free_count": free,
            "conflict_count": len(occurrences) - free if occurrences else 0,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_object_or_404(
        series_visible_to(request.user).select_related(
            "resource", "resource__organisation", "organisation", "booked_by"
        ),
        pk=pk,
    )
    if request.method == "POST":
        return _cancel_rest(request, series)
    # Every booking of a series has the series' resource, organisation and person: the rule is asked once.
    may_cancel = request.user.has_perm("buchungen.cancel_booking", series)
    now = timezone.now()
    bookings = list(series_bookings(series))
    for booking in bookings:
        booking.cancellable = may_cancel and booking.status in CANCELLABLE and booking.end > now
    return render(
        request,
        "buchungen/series/series_detail.html",
        {"series": series, "bookings": bookings, "may_cancel": may_cancel},
    )


def _cancel_rest(request: HttpRequest, series) -> HttpResponse:
    booking_id = request.POST.get("booking", "")
    if not booking_id.isdigit():
        raise Http404
    booking = get_object_or_404(Booking, pk=int(booking_id), series=series)
    try:
        cancelled = booking_series_cancel_rest(
            actor=request.user,
            series=series,
            from_start=booking.start,
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if cancelled:
            messages.success(
                request,
                ngettext(
                    "%(count)d date has been cancelled.",
                    "%(count)d dates have been cancelled.",
                    len(cancelled),
                )
                % {"count": len(cancelled)},
            )
        else:
            messages.info(request, _("There was no date left to cancel."))
    return redirect("buchungen:series_detail", pk=series.pk)


urlpatterns = [
    path("ressourcen/<slug:slug>/serie/", series_create, name="series_create"),
    path("buchungen/serien/<int:pk>/", series_detail, name="series_detail"),
]
