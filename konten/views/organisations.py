"""Organisation pages: public list and detail; managers edit data and members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from konten import selectors, services
from konten.adapters import PENDING_INVITATION_SESSION_KEY
from konten.forms import InvitationForm, OrganisationForm, RoleForm, form_apply_errors
from konten.models import Invitation, Membership, Organisation


def _organisation_for(user, slug: str, perm: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not user.has_perm(perm, organisation):
        raise PermissionDenied
    return organisation


def organisation_list(request):
    organisations = Organisation.objects.annotate(member_count=Count("memberships")).order_by("name")
    return render(request, "konten/organisation_list.html", {"organisations": organisations})


def organisation_detail(request, slug: str):
    organisation = get_object_or_404(Organisation, slug=slug)
    user = request.user
    context = {
        "organisation": organisation,
        "can_edit": user.has_perm("konten.change_organisation", organisation),
        "can_see_members": user.has_perm("konten.view_organisation_members", organisation),
        "can_manage_members": user.has_perm("konten.manage_organisation_members", organisation),
        "my_membership": (
            Membership.objects.filter(user=user, organisation=organisation).first()
            if user.is_authenticated
            else None
        ),
    }
    return render(request, "konten/organisation_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    if not request.user.has_perm("konten.add_organisation"):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, _("The organisation has been created."))
            return redirect("konten:organisation_members", slug=organisation.slug)
    return render(request, "konten/organisation_form.html", {"form": form, "organisation": None})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug: str):
    organisation = _organisation_for(request.user, slug, "konten.change_organisation")
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            organisation = services.organisation_update(
                actor=request.user, organisation=organisation, data=data
            )
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect(organisation)
    # A failed POST must not show the unsaved values in the page title.
    organisation.refresh_from_db()
    return render(request, "konten/organisation_form.html", {"form": form, "organisation": organisation})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_members(request, slug: str):
    organisation = _organisation_for(request.user, slug, "konten.view_organisation_members")
    can_manage = request.user.has_perm("konten.manage_organisation_members", organisation)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.invitation_create(
                    actor=request.user,
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                form_apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("An invitation has been sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("konten:organisation_members", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "memberships": selectors.organisation_memberships(organisation=organisation),
        "invitations": (
            selectors.organisation_pending_invitations(organisation=organisation) if can_manage else []
        ),
        "can_manage": can_manage,
        "form": form,
        "role_choices": Membership.Role.choices,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "konten/organisation_members.html", context, status=status)


def _membership_for(request, slug: str, membership_id: int) -> Membership:
    organisation = _organisation_for(request.user, slug, "konten.view_organisation_members")
    membership = get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        pk=membership_id,
        organisation=organisation,
    )
    return membership


@login_required
@require_POST
def membership_role(request, slug: str, membership_id: int):
    membership = _membership_for(request, slug, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a valid role."))
    else:
        try:
            services.membership_set_role(
                actor=request.user, membership=membership, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {
                    "name": membership.user.display_name,
                    "role": Membership.Role(form.cleaned_data["role"]).label,
                },
            )
    return redirect("konten:organisation_members", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def membership_remove(request, slug: str, membership_id: int):
    membership = _membership_for(request, slug, membership_id)
    leaving = membership.user_id == request.user.pk
    if not leaving and not request.user.has_perm(
        "konten.manage_organisation_members", membership.organisation
    ):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            services.membership_remove(actor=request.user, membership=membership)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if leaving:
                messages.success(
                    request,
                    _("You have left %(organisation)s.") % {"organisation": membership.organisation.name},
                )
                return redirect("konten:dashboard")
            messages.success(
                request,
                _("%(name)s has been removed from the organisation.")
                % {"name": membership.user.display_name},
            )
            return redirect("konten:organisation_members", slug=slug)
    return render(
        request,
        "konten/membership_remove.html",
        {"membership": membership, "leaving": leaving, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def invitation_revoke(request, slug: str, invitation_id: int):
    organisation = _organisation_for(request.user, slug, "konten.manage_organisation_members")
    invitation = get_object_or_404(Invitation, pk=invitation_id, organisation=organisation)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(
        request, _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email}
    )
    return redirect("konten:organisation_members", slug=slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """Show the invitation; a logged-in person accepts it with a POST.

    Visitors who are not logged in are asked to log in or sign up; the token waits in their session
    and the account adapter brings them back here afterwards.
    """
    try:
        invitation = services.invitation_get_by_token(token=token)
    except ValidationError as error:
        request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
        return render(
            request,
            "konten/invitation_invalid.html",
            {"message": " ".join(error.messages)},
            status=404 if error.code == "invalid" else 410,
        )
    if not request.user.is_authenticated:
        request.session[PENDING_INVITATION_SESSION_KEY] = token
        return render(request, "konten/invitation_accept.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except ValidationError as error:
            request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
            return render(
                request,
                "konten/invitation_invalid.html",
                {"message": " ".join(error.messages)},
                status=409,
            )
        request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
        messages.success(
            request,
            _("Welcome to %(organisation)s!") % {"organisation": membership.organisation.name},
        )
        return redirect(membership.organisation)
    return render(request, "konten/invitation_accept.html", {"invitation": invitation})
