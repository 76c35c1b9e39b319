"""Managing the catalogue: an organisation's resources, their opening hours and photos, its closures.

Every page asks ``has_perm`` (ressourcen/rules.py) and writes through ``ressourcen.services``; a service's
``ValidationError`` lands on the form field it names, and an invalid POST answers 400 with nothing written.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from konten.forms import form_apply_errors
from konten.models import Organisation
from ressourcen import services
from ressourcen.forms_manage import (
    ClosureForm,
    PhotoForm,
    ResourceForm,
    opening_hours_formset,
    opening_hours_ranges,
)
from ressourcen.models import Closure, Resource, ResourcePhoto


def organisation_for(user, slug: str, perm: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not user.has_perm(perm, organisation):
        raise PermissionDenied
    return organisation


def resource_for(user, slug: str, perm: str) -> Resource:
    resource = get_object_or_404(Resource.objects.select_related("organisation", "holder"), slug=slug)
    if not user.has_perm(perm, resource):
        raise PermissionDenied
    return resource


def _posted_id(request, name: str) -> int:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else 0


def _status(request, ok: bool) -> int:
    return 400 if request.method == "POST" and not ok else 200


@login_required
def organisation_resources(request, org_slug: str):
    organisation = organisation_for(request.user, org_slug, "ressourcen.add_resource")
    resources = organisation.resources.select_related("holder").order_by("kind", "name")
    context = {"organisation": organisation, "resources": resources}
    return render(request, "ressourcen/manage/organisation_resources.html", context)


@login_required
@require_POST
def resource_toggle_active(request, slug: str):
    resource = resource_for(request.user, slug, "ressourcen.change_resource")
    # The wanted state is posted (not "flip it"), so a double click or a stale page does no harm.
    active = request.POST.get("active") == "1"
    services.resource_set_active(actor=request.user, resource=resource, active=active)
    if active:
        messages.success(request, _("“%(name)s” is shown in the catalogue again.") % {"name": resource.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is hidden from the catalogue. Nothing has been deleted.") % {"name": resource.name},
        )
    return redirect("ressourcen:organisation_resources", org_slug=resource.organisation.slug)


@login_required
@require_http_methods(["GET", "POST"])
def resource_create(request, org_slug: str):
    organisation = organisation_for(request.user, org_slug, "ressourcen.add_resource")
    kind = request.GET.get("art", "")
    if kind not in Resource.Kind.values:
        return render(
            request,
            "ressourcen/manage/resource_kind.html",
            {"organisation": organisation, "kinds": Resource.Kind.choices},
            status=_status(request, ok=False),
        )
    form = ResourceForm(request.POST or None, kind=kind, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(
                actor=request.user,
                organisation=organisation,
                data={"kind": kind, **form.service_data()},
                features=form.service_features(),
            )
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(
                request,
                _("“%(name)s” has been added. Next you can set its opening hours and add photos.")
                % {"name": resource.name},
            )
            return redirect("ressourcen:organisation_resources", org_slug=organisation.slug)
    context = {"form": form, "organisation": organisation, "resource": None, "kind": Resource.Kind(kind)}
    return render(request, "ressourcen/manage/resource_form.html", context, status=_status(request, ok=False))


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request, slug: str):
    resource = resource_for(request.user, slug, "ressourcen.change_own_skill")
    holder_only = not request.user.has_perm("ressourcen.change_resource", resource)
    form = ResourceForm(
        request.POST or None,
        instance=resource,
        kind=resource.kind,
        organisation=resource.organisation,
        holder_only=holder_only,
    )
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_update(
                actor=request.user,
                resource=resource,
                data=form.service_data(),
                features=form.service_features(),
            )
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            if holder_only:
                return redirect("ressourcen:resource_edit", slug=resource.slug)
            return redirect("ressourcen:organisation_resources", org_slug=resource.organisation.slug)
    # A failed POST must not show the unsaved values in the page title.
    resource.refresh_from_db()
    context = {
        "form": form,
        "organisation": resource.organisation,
        "resource": resource,
        "kind": Resource.Kind(resource.kind),
        "holder_only": holder_only,
    }
    return render(request, "ressourcen/manage/resource_form.html", context, status=_status(request, ok=False))


@login_required
@require_http_methods(["GET", "POST"])
def opening_hours_edit(request, slug: str):
    resource = resource_for(request.user, slug, "ressourcen.change_own_skill")
    service_errors: list[str] = []
    if request.method == "POST":
        formset = opening_hours_formset(data=request.POST)
        if formset.is_valid():
            try:
                services.opening_hours_replace(
                    actor=request.user, resource=resource, ranges=opening_hours_ranges(formset)
                )
            except ValidationError as error:
                service_errors = error.messages
            else:
                messages.success(request, _("The opening hours have been saved."))
                return redirect("ressourcen:opening_hours_edit", slug=resource.slug)
    else:
        formset = opening_hours_formset(
            initial=[
                {"weekday": hours.weekday, "start": hours.start, "end": hours.end}
                for hours in resource.opening_hours.all()
            ]
        )
    has_errors = bool(service_errors) or (formset.is_bound and not formset.is_valid())
    context = {
        "resource": resource,
        "organisation": resource.organisation,
        "formset": formset,
        "service_errors": service_errors,
        "has_errors": has_errors,
        "can_manage": request.user.has_perm("ressourcen.change_resource", resource),
    }
    return render(
        request, "ressourcen/manage/opening_hours.html", context, status=_status(request, not has_errors)
    )


@login_required
@require_http_methods(["GET", "POST"])
def closures_edit(request, org_slug: str):
    organisation = organisation_for(request.user, org_slug, "ressourcen.manage_closures")
    form = ClosureForm(organisation=organisation)
    ok = True
    if request.method == "POST" and request.POST.get("action") == "delete":
        closure = get_object_or_404(Closure, pk=_posted_id(request, "closure"), organisation=organisation)
        services.closure_delete(actor=request.user, closure=closure)
        messages.success(
            request, _("The closure “%(reason)s” has been removed.") % {"reason": closure.reason}
        )
        return redirect("ressourcen:closures_edit", org_slug=organisation.slug)
    if request.method == "POST":
        form = ClosureForm(request.POST, organisation=organisation)
        ok = False
        if form.is_valid():
            start, end = form.interval()
            try:
                closure = services.closure_create(
                    actor=request.user,
                    organisation=organisation,
                    start=start,
                    end=end,
                    reason=form.cleaned_data["reason"],
                    resource=form.cleaned_data["resource"],
                )
            except ValidationError as error:
                form_apply_errors(form, error, ClosureForm.SERVICE_FIELDS)
            else:
                messages.success(
                    request, _("The closure “%(reason)s” has been added.") % {"reason": closure.reason}
                )
                return redirect("ressourcen:closures_edit", org_slug=organisation.slug)
    closures = (
        Closure.objects.filter(organisation=organisation, end__gt=timezone.now())
        .select_related("resource")
        .order_by("start")
    )
    context = {"organisation": organisation, "form": form, "closures": closures}
    return render(request, "ressourcen/manage/closures.html", context, status=_status(request, ok))


@login_required
@require_http_methods(["GET", "POST"])
def photos_edit(request, slug: str):
    resource = resource_for(request.user, slug, "ressourcen.change_resource")
    form = PhotoForm()
    ok = True
    if request.method == "POST" and request.POST.get("action") == "delete":
        photo = get_object_or_404(ResourcePhoto, pk=_posted_id(request, "photo"), resource=resource)
        services.photo_delete(actor=request.user, photo=photo)
        messages.success(request, _("The photo has been removed."))
        return redirect("ressourcen:photos_edit", slug=resource.slug)
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        ok = False
        if form.is_valid():
            try:
                services.photo_add(
                    actor=request.user,
                    resource=resource,
                    image=form.cleaned_data["image"],
                    alt_text=form.cleaned_data["alt_text"],
                )
            except ValidationError as error:
                form_apply_errors(form, error)
            else:
                messages.success(request, _("The photo has been added."))
                return redirect("ressourcen:photos_edit", slug=resource.slug)
    context = {
        "resource": resource,
        "organisation": resource.organisation,
        "form": form,
        "photos": resource.photos.all(),
    }
    return render(request, "ressourcen/manage/photos.html", context, status=_status(request, ok))
