"""The series form: the first date, a friendly recurrence builder (or a free RRULE) and the booking details.

The builder composes the RFC 5545 rule on the server (``SeriesForm.rrule``), so the page works without
JavaScript. Times are entered as Berlin wall-clock time (``datetime-local``); the services get aware
datetimes and do every check themselves.
"""

import calendar
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from buchungen.series import MAX_OCCURRENCES
from konten.models import Organisation, User
from ressourcen.models import Resource

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _error_dict(error: ValidationError) -> dict[str, list]:
    """A ValidationError's messages by field (``__all__`` for those without one)."""
    return error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class SeriesForm(forms.Form):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY_NTH = "monthly_nth"
    MONTHLY_LAST = "monthly_last"
    CUSTOM = "custom"
    FREQUENCIES = [
        (WEEKLY, _("Every week")),
        (BIWEEKLY, _("Every two weeks")),
        (MONTHLY_NTH, _("Every month on the same weekday (for example the 2nd Tuesday)")),
        (MONTHLY_LAST, _("Every month on the last such weekday (for example the last Friday)")),
        (CUSTOM, _("Advanced: my own rule (RRULE)")),
    ]
    ENDS = [("count", _("After a number of dates")), ("until", _("On a day"))]

    start = forms.DateTimeField(
        label=_("First date: start"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=LocalDateTimeInput(),
        help_text=_("Date and time in Berlin time. The series repeats this date."),
    )
    end = forms.DateTimeField(
        label=_("First date: end"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=LocalDateTimeInput(),
    )
    frequency = forms.ChoiceField(
        label=_("Repeat"), choices=FREQUENCIES, initial=WEEKLY, widget=forms.RadioSelect
    )
    ends = forms.ChoiceField(
        label=_("The series ends"), choices=ENDS, initial="count", widget=forms.RadioSelect
    )
    count = forms.IntegerField(
        label=_("Number of dates"),
        min_value=1,
        max_value=MAX_OCCURRENCES,
        initial=10,
        required=False,
        help_text=_("Including the first date; at most %(count)d.") % {"count": MAX_OCCURRENCES},
    )
    until = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("No date after this day."),
    )
    rrule = forms.CharField(
        label=_("Own rule (RRULE)"),
        required=False,
        max_length=500,
        help_text=_(
            "Only for “Advanced”. RFC 5545, for example FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10 or "
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231. Number of dates and last day above are ignored then."
        ),
    )
    organisation = forms.ModelChoiceField(
        label=_("Booking for"), queryset=Organisation.objects.none(), required=False
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=500, required=False)
    participants = forms.IntegerField(
        label=_("Expected participants"), min_value=0, max_value=1_000_000, required=False
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000, initial=1)

    def __init__(self, *args: Any, user: User, resource: Resource, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resource = resource
        organisations = Organisation.objects.filter(memberships__user=user).order_by("name").distinct()
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = _("Myself (no organisation)")
        first = organisations.first() if not self.is_bound else None
        if first is not None:
            self.fields["organisation"].initial = first.pk
        if resource.is_exclusive:
            del self.fields["quantity"]
        else:
            self.fields["quantity"].help_text = _("Units; there are %(count)d.") % {
                "count": resource.quantity
            }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start = data.get("start")
        frequency = data.get("frequency")
        if frequency == self.CUSTOM:
            if not data.get("rrule", "").strip():
                self.add_error("rrule", _("Enter your own rule, or choose another way to repeat."))
            return data
        if data.get("ends") == "count" and data.get("count") is None and "count" not in self.errors:
            self.add_error("count", _("Enter the number of dates."))
        if data.get("ends") == "until" and data.get("until") is None and "until" not in self.errors:
            self.add_error("until", _("Enter the last day."))
        if frequency == self.MONTHLY_LAST and start is not None:
            local = start
            if local.day + 7 <= calendar.monthrange(local.year, local.month)[1]:
                self.add_error(
                    "frequency",
                    _("The first date is not the last such weekday of its month; choose “same weekday”."),
                )
        return data

    @property
    def composed_rrule(self) -> str:
        """The RFC 5545 rule the builder stands for (or the own rule, for “Advanced”)."""
        data = self.cleaned_data
        if data["frequency"] == self.CUSTOM:
            return data["rrule"].strip()
        start = data["start"]
        day = WEEKDAY_CODES[start.weekday()]
        parts = {
            self.WEEKLY: "FREQ=WEEKLY",
            self.BIWEEKLY: "FREQ=WEEKLY;INTERVAL=2",
            self.MONTHLY_NTH: f"FREQ=MONTHLY;BYDAY={(start.day - 1) // 7 + 1}{day}",
            self.MONTHLY_LAST: f"FREQ=MONTHLY;BYDAY=-1{day}",
        }[data["frequency"]]
        if data["ends"] == "until":
            return f"{parts};UNTIL={data['until']:%Y%m%d}"
        return f"{parts};COUNT={data['count']}"

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "rrule": self.composed_rrule,
            "organisation": data["organisation"],
            "quantity": data.get("quantity") or 1,
            "purpose": data["purpose"],
            "participants": data["participants"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names; a rule error on the builder's field."""
        for name, messages in _error_dict(error).items():
            target = name
            if name == "rrule" and self.cleaned_data.get("frequency") != self.CUSTOM:
                target = "until" if self.cleaned_data.get("ends") == "until" else "count"
            if target not in self.fields:
                target = None
            for message in messages:
                self.add_error(target, message)
