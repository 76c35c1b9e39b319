"""Pages that explain the network: start, accessibility statement (with feedback), Leichte Sprache,
imprint and privacy."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from konten import services
from konten.forms import AccessibilityFeedbackForm
from konten.models import Organisation


def home(request):
    organisations = Organisation.objects.order_by("name")[:12]
    return render(request, "pages/home.html", {"organisations": organisations})


@require_http_methods(["GET", "POST"])
def accessibility(request):
    form = AccessibilityFeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Thank you. Your message has been passed on to the network coordination."),
            )
            return redirect("konten:accessibility")
    return render(request, "pages/accessibility.html", {"form": form})


def easy_language(request):
    return render(request, "pages/easy_language.html")


def imprint(request):
    return render(request, "pages/imprint.html")


def privacy(request):
    return render(request, "pages/privacy.html")
