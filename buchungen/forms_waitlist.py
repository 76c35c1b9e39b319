"""The form behind "Join the waitlist": the booking form posts its data here from its conflict state."""

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from konten.models import Organisation
from ressourcen.api import parse_local_datetime
from ressourcen.models import Resource


class LocalDateTimeField(forms.CharField):
    """``YYYY-MM-DDTHH:MM`` in Berlin wall-clock time (what ``<input type="datetime-local">`` sends)."""

    def to_python(self, value) -> datetime | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_local_datetime(value)
        except ValueError:
            raise forms.ValidationError(_("Enter a date and time."), code="invalid") from None


class WaitlistJoinForm(forms.Form):
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=Resource.objects.none())
    start = LocalDateTimeField(label=_("Start"))
    end = LocalDateTimeField(label=_("End"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.all(), required=False
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=500, required=False)
    participants = forms.IntegerField(label=_("Expected participants"), min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = Resource.objects.select_related("organisation")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "resource": data["resource"],
            "start": data["start"],
            "end": data["end"],
            "quantity": data["quantity"] or 1,
            "organisation": data["organisation"],
            "purpose": data["purpose"],
            "participants": data["participants"],
        }
