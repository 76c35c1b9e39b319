"""The person's own area: dashboard, profile, data export and account deletion (GDPR)."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from konten import selectors, services
from konten.forms import AccountDeleteForm, ProfileForm


@login_required
def dashboard(request):
    return render(
        request,
        "konten/dashboard.html",
        {"memberships": selectors.user_memberships(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            user = services.user_update_profile(user=request.user, data=data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your profile has been saved."))
            response = redirect("konten:profile")
            # The profile's language is the person's explicit choice now; keep the switch in sync.
            response.set_cookie("django_language", user.language, samesite="Lax", secure=request.is_secure())
            return response
    return render(request, "konten/profile.html", {"form": form})


@login_required
@require_GET
def data_export(request):
    data = services.user_export_data(user=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    filename = f"ressourcennetz-daten-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_erase(user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, _("Your account has been deleted."))
            return redirect("konten:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "konten/account_delete.html", {"form": form}, status=status)
