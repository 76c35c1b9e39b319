"""The owners' pages: the inbox of requests (decide on several at once, or one by one) and the handover
screen (hand over, take back, no-show). See docs/booking-owner.md.

Who sees what: a booking's pages follow ``bookings_visible_to`` (404 otherwise); acting on it needs the
perm of buchungen/rules.py (403 for those who see it but may not act). The lists come from
``buchungen.selectors_owner``, which matches those perms, and every write is a service call — which
checks the perm again, per booking, so a forged id in a POST is refused on its own.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from buchungen import selectors_owner, services
from buchungen.forms_owner import (
    APPROVE,
    CheckOutForm,
    DecisionForm,
    InboxDecisionForm,
    InboxFilterForm,
    NoShowForm,
    ReturnForm,
    is_id,
)
from buchungen.models import Booking, BookingStatus
from buchungen.selectors import bookings_visible_to
from buchungen.selectors_owner import check_out_opens, may_check_out_now, may_mark_no_show_now
from konten.forms import form_apply_errors
from ressourcen.selectors import local_zone


def _booking_for(user, pk: int, perm: str) -> Booking:
    """The booking if ``user`` may see it (404 otherwise) and has ``perm`` on it (403 otherwise)."""
    booking = get_object_or_404(
        bookings_visible_to(user).select_related(
            "resource", "resource__organisation", "organisation", "booked_by"
        ),
        pk=pk,
    )
    if not user.has_perm(perm, booking):
        raise PermissionDenied
    return booking


def booking_label(booking: Booking) -> str:
    """ "Saal Hafen, 02.06.26 18:00" — how a message names a booking (Berlin time)."""
    start = formats.date_format(booking.start.astimezone(local_zone()), "SHORT_DATETIME_FORMAT")
    return f"{booking.resource.name}, {start}"


def _status(ok: bool) -> int:
    return 200 if ok else 400


# --- Inbox -----------------------------------------------------------------------------------------------


def _decided_message(request, booking: Booking, decision: str) -> None:
    if decision == APPROVE:
        messages.success(request, _("Approved: %(booking)s.") % {"booking": booking_label(booking)})
    else:
        messages.success(request, _("Declined: %(booking)s.") % {"booking": booking_label(booking)})


def _decide_many(request, ids: list[int], decision: str, comment: str) -> None:
    """Each ticked id on its own: look it up among the bookings the person may see, then the service
    decides (and checks the perm). One refusal does not stop the others; each gets a message."""
    service = services.booking_approve if decision == APPROVE else services.booking_decline
    found = {
        booking.pk: booking
        for booking in bookings_visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("resource", "resource__organisation")
    }
    for pk in ids:
        booking = found.get(pk)
        if booking is None:
            # Not revealed whether it exists: an id of someone else's booking reads like a wrong number.
            messages.error(
                request,
                _("Request no. %(number)d: not found, or you may not decide on it.") % {"number": pk},
            )
            continue
        label = booking_label(booking)
        try:
            service(actor=request.user, booking=booking, comment=comment)
        except PermissionDenied:
            messages.error(
                request, _("Could not decide on %(booking)s: you may not decide on it.") % {"booking": label}
            )
        except ValidationError as error:
            messages.error(
                request,
                _("Could not decide on %(booking)s: %(reason)s")
                % {"booking": label, "reason": " ".join(error.messages)},
            )
        else:
            _decided_message(request, booking, decision)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def inbox(request):
    """Requests the person may decide on, with one form to approve or decline the ticked ones."""
    organisations = selectors_owner.organisations_managed_by(request.user)
    filter_form = InboxFilterForm(request.GET or None, organisations=organisations)
    organisation = filter_form.cleaned_data["organisation"] if filter_form.is_valid() else None
    ok = True
    if request.method == "POST":
        form = InboxDecisionForm(request.POST)
        if form.is_valid():
            _decide_many(
                request,
                form.cleaned_data["bookings"],
                form.cleaned_data["decision"],
                form.cleaned_data["comment"],
            )
            url = reverse("buchungen:inbox")
            if organisation is not None:
                url += "?" + urlencode({"organisation": organisation.pk})
            return redirect(url)
        ok = False
    else:
        form = InboxDecisionForm()
    bookings = list(
        selectors_owner.bookings_to_decide(
            request.user, organisation_id=organisation.pk if organisation is not None else None
        )
    )
    selected = set(form.cleaned_data.get("bookings", ())) if form.is_bound else set()
    if form.is_bound and not selected:
        selected = {int(value) for value in request.POST.getlist("bookings") if is_id(value)}
    context = {
        "bookings": bookings,
        "form": form,
        "filter_form": filter_form,
        "organisation": organisation,
        "organisations": organisations,
        "selected": selected,
        "show_filter": len(organisations) > 1,
    }
    return render(request, "buchungen/owner/inbox.html", context, status=_status(ok))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_decide(request, pk: int):
    booking = _booking_for(request.user, pk, "buchungen.approve_booking")
    ok = True
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
            service = services.booking_approve if decision == APPROVE else services.booking_decline
            try:
                service(actor=request.user, booking=booking, comment=comment)
            except ValidationError as error:
                form_apply_errors(form, error)
            else:
                if decision == APPROVE:
                    messages.success(
                        request, _("Approved: %(booking)s.") % {"booking": booking_label(booking)}
                    )
                else:
                    messages.success(
                        request, _("Declined: %(booking)s.") % {"booking": booking_label(booking)}
                    )
                return redirect("buchungen:inbox")
        ok = False
        booking.refresh_from_db(fields=["status"])
    else:
        form = DecisionForm()
    context = {"booking": booking, "form": form, "decidable": booking.status == BookingStatus.REQUESTED}
    return render(request, "buchungen/owner/decide.html", context, status=_status(ok))


# --- Handover --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def handover(request):
    """What the person's organisations hand over today and tomorrow, and what is out (overdue first)."""
    now = timezone.now()
    due = [
        {
            "booking": booking,
            "started": booking.start <= now,
            "may_check_out": may_check_out_now(booking, now),
            "opens": check_out_opens(booking),
        }
        for booking in selectors_owner.handovers_due(request.user, now=now)
    ]
    out = [
        {"booking": booking, "overdue": booking.end <= now}
        for booking in selectors_owner.bookings_handed_out(request.user)
    ]
    context = {
        "due": due,
        "out": out,
        "overdue_count": sum(row["overdue"] for row in out),
        "manages": selectors_owner.organisations_managed_by(request.user).exists(),
    }
    return render(request, "buchungen/owner/handover.html", context)


def _step_page(request, pk: int, *, perm: str, form_class, service, template: str, allowed, success: str):
    """GET: the form (when the booking's status allows the step); POST: the service, then back to the
    handover screen with a message — or the form again with the service's errors (400)."""
    booking = _booking_for(request.user, pk, perm)
    ok = True
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                service(actor=request.user, booking=booking, **form.cleaned_data)
            except ValidationError as error:
                form_apply_errors(form, error)
            else:
                messages.success(request, success % {"booking": booking_label(booking)})
                return redirect("buchungen:handover")
        ok = False
        booking.refresh_from_db(fields=["status"])
    else:
        form = form_class()
    now = timezone.now()
    context = {
        "booking": booking,
        "form": form,
        "allowed": form.is_bound or allowed(booking, now),
        "opens": check_out_opens(booking),
        "now": now,
    }
    return render(request, template, context, status=_status(ok))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_check_out(request, pk: int):
    return _step_page(
        request,
        pk,
        perm="buchungen.handover_booking",
        form_class=CheckOutForm,
        service=services.booking_check_out,
        template="buchungen/owner/check_out.html",
        allowed=may_check_out_now,
        success=_("Handed over: %(booking)s."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_return(request, pk: int):
    return _step_page(
        request,
        pk,
        perm="buchungen.handover_booking",
        form_class=ReturnForm,
        service=services.booking_return,
        template="buchungen/owner/return.html",
        allowed=lambda booking, now: booking.status == BookingStatus.CHECKED_OUT,
        success=_("Taken back: %(booking)s."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_no_show(request, pk: int):
    return _step_page(
        request,
        pk,
        perm="buchungen.mark_no_show",
        form_class=NoShowForm,
        service=services.booking_no_show,
        template="buchungen/owner/no_show.html",
        allowed=may_mark_no_show_now,
        success=_("Recorded as a no-show: %(booking)s."),
    )


urlpatterns = [
    path("buchungen/anfragen/", inbox, name="inbox"),
    path("buchungen/<int:pk>/entscheiden/", booking_decide, name="booking_decide"),
    path("buchungen/uebergaben/", handover, name="handover"),
    path("buchungen/<int:pk>/ausgabe/", booking_check_out, name="booking_check_out"),
    path("buchungen/<int:pk>/ruecknahme/", booking_return, name="booking_return"),
    path("buchungen/<int:pk>/nicht-erschienen/", booking_no_show, name="booking_no_show"),
]
