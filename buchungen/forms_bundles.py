"""Forms of the bundle pages: the request (organisation, purpose, participants) and its item rows.

The forms check what a person typed; every rule about booking is the service's
(``buchungen.bundles.booking_request_bundle``), whose errors the view puts on the row and field they
name. Times are entered as Berlin wall-clock time (``<input type=datetime-local>``) and read exactly as
the API reads a time without offset (``ressourcen.api.parse_local_datetime``).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from buchungen.bundles import MAX_ITEMS
from konten.models import Organisation, User
from ressourcen.api import parse_local_datetime
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

DEFAULT_ROWS = 3
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as Berlin time; shows an aware value in Berlin time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            return parse_local_datetime(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(local_zone()).replace(tzinfo=None)
        return value


def resource_choices(resources: Sequence[Resource]) -> list:
    """The resources grouped by kind (``<optgroup>``), each named with its owner."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for resource in resources:
        groups.setdefault(resource.kind, []).append(
            (resource.pk, f"{resource.name} – {resource.organisation.name}")
        )
    labels = dict(Resource.Kind.choices)
    return [("", _("Choose a resource"))] + [
        (labels[kind], groups[kind]) for kind in Resource.Kind.values if kind in groups
    ]


class BundleItemForm(forms.Form):
    """One row: a resource and its time. A row left untouched is ignored (the formset's empty rows)."""

    resource = forms.ChoiceField(label=_("Resource"))
    start = LocalDateTimeField(label=_("Start"))
    end = LocalDateTimeField(
        label=_("End"), help_text=_("Exclusive: a booking until 10:00 leaves 10:00 free.")
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=10_000,
        initial=1,
        help_text=_("Units, for equipment; rooms and skills are booked whole (1)."),
    )

    def __init__(self, *args, resources: Sequence[Resource], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.resources = {resource.pk: resource for resource in resources}
        self.fields["resource"].choices = resource_choices(resources)
        # Filled in by the view when the request's time is taken: [(start, end)] in UTC.
        self.conflicts: list[tuple[datetime, datetime]] = []

    def clean_resource(self) -> Resource:
        return self.resources[int(self.cleaned_data["resource"])]

    def item(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "resource": data["resource"],
            "start": data["start"],
            "end": data["end"],
            "quantity": data["quantity"],
        }


class BaseBundleItemFormSet(forms.BaseFormSet):
    """Rows of items. ``first_row`` prefills row 1 (from the catalogue's "book together" link) without
    counting it as an initial form, so an untouched prefilled row stays as optional as the others."""

    first_row: dict[str, Any] | None = None

    def get_form_kwargs(self, index: int) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if index == 0 and self.first_row and not self.is_bound:
            kwargs["initial"] = self.first_row
        return kwargs

    def filled_forms(self) -> list[BundleItemForm]:
        """The rows a person filled in (valid or not), in their order."""
        return [form for form in self.forms if form.has_changed()]


def bundle_item_formset(
    *,
    rows: int,
    resources: Sequence[Resource],
    data: Any = None,
    first_row: dict[str, Any] | None = None,
) -> BaseBundleItemFormSet:
    formset_class = forms.formset_factory(
        BundleItemForm,
        formset=BaseBundleItemFormSet,
        extra=rows,
        max_num=MAX_ITEMS,
        absolute_max=MAX_ITEMS,
        validate_max=True,
    )
    formset = formset_class(data=data, prefix="items", form_kwargs={"resources": resources})
    formset.first_row = first_row
    return formset


def organisations_of(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).order_by("name").distinct()


class BundleForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Book for"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Myself (only resources open to everyone)"),
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The owners read it when they decide, for example “Concert with 80 guests”."),
    )
    participants = forms.IntegerField(
        label=_("Expected participants"), min_value=0, max_value=1_000_000, required=False
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        organisations = list(organisations_of(user))
        self.fields["organisation"].queryset = organisations_of(user)
        if organisations:
            self.fields["organisation"].initial = organisations[0].pk


class BundleCancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, cancel every part of this request that is still open."), required=True
    )
    comment = forms.CharField(
        label=_("Message to the owners (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
