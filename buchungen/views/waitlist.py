"""The waitlist's pages: joining it (posted from the booking form's conflict state), the person's
entries with their offers, accepting and withdrawing. See docs/booking-waitlist.md.

Every page needs a login; a person sees and changes only their own entries (others' are 404). The
writes go through ``buchungen.waitlist``; its errors come back as messages (accept, withdraw) or as a
small error page with a link back to the booking form (join).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from buchungen import waitlist as service
from buchungen.errors import BookingConflict
from buchungen.forms_waitlist import WaitlistJoinForm
from buchungen.models import WaitlistEntry, WaitlistStatus
from ressourcen.models import Resource

# Closed entries (booked, lapsed, withdrawn) shown below the open ones.
CLOSED_SHOWN = 20


def booking_form_url(resource: Resource | None) -> str | None:
    """The booking form of ``resource`` (another page of the engine), or None without a resource."""
    if resource is None:
        return None
    return reverse("buchungen:booking_create", kwargs={"slug": resource.slug})


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


@login_required
@require_POST
def waitlist_join(request):
    form = WaitlistJoinForm(request.POST)
    status = 400
    errors: list[tuple[str, str]] = []
    if form.is_valid():
        try:
            service.waitlist_join(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            for field, messages_ in getattr(error, "message_dict", {"": error.messages}).items():
                label = form.fields[field].label if field in form.fields else ""
                errors.extend((str(label), str(message)) for message in messages_)
        except PermissionDenied as denied:
            status = 403
            errors.append(("", str(denied) or _("You are not allowed to do this.")))
        else:
            messages.success(
                request,
                _("You are on the waitlist. When the time becomes free, you will be offered it here."),
            )
            return redirect("buchungen:waitlist")
    else:
        for field, messages_ in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            errors.extend((str(label), str(message)) for message in messages_)
    resource = form.cleaned_data.get("resource") if hasattr(form, "cleaned_data") else None
    context = {"errors": errors, "resource": resource, "back_url": booking_form_url(resource)}
    return render(request, "buchungen/waitlist/join_error.html", context, status=status)


@login_required
@require_GET
def waitlist(request):
    entries = WaitlistEntry.objects.filter(person=request.user).select_related("resource", "organisation")
    open_entries = list(entries.filter(status__in=service.OPEN_STATUSES).order_by("start", "pk"))
    closed_entries = list(
        entries.exclude(status__in=service.OPEN_STATUSES).order_by("-created", "-pk")[:CLOSED_SHOWN]
    )
    context = {
        "open_entries": open_entries,
        "closed_entries": closed_entries,
        "closed_shown": CLOSED_SHOWN,
        "offered": WaitlistStatus.OFFERED,
    }
    return render(request, "buchungen/waitlist/waitlist.html", context)


def _own_entry(request, pk: int) -> WaitlistEntry:
    return get_object_or_404(WaitlistEntry.objects.select_related("resource"), pk=pk, person=request.user)


@login_required
@require_POST
def waitlist_accept(request, pk: int):
    entry = _own_entry(request, pk)
    name = entry.resource.name
    try:
        entry = service.waitlist_accept(actor=request.user, entry=entry)
    except BookingConflict:
        messages.error(
            request,
            _(
                "Someone booked “%(name)s” for this time in the meantime. You are on the waitlist again, "
                "in the same place."
            )
            % {"name": name},
        )
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
    except PermissionDenied as denied:
        messages.error(request, str(denied) or _("You are not allowed to do this."))
    else:
        messages.success(request, _("“%(name)s” is booked for you.") % {"name": name})
        return redirect("buchungen:booking_detail", pk=entry.booking_id)
    return redirect("buchungen:waitlist")


@login_required
@require_POST
def waitlist_withdraw(request, pk: int):
    entry = _own_entry(request, pk)
    try:
        service.waitlist_withdraw(actor=request.user, entry=entry)
    except ValidationError as error:
        messages.error(request, " ".join(_messages_of(error)))
    else:
        messages.success(
            request, _("You have left the waitlist for “%(name)s”.") % {"name": entry.resource.name}
        )
    return redirect("buchungen:waitlist")


urlpatterns = [
    path("buchungen/warteliste/", waitlist, name="waitlist"),
    path("buchungen/warteliste/eintragen/", waitlist_join, name="waitlist_join"),
    path("buchungen/warteliste/<int:pk>/annehmen/", waitlist_accept, name="waitlist_accept"),
    path("buchungen/warteliste/<int:pk>/zuruecknehmen/", waitlist_withdraw, name="waitlist_withdraw"),
]
