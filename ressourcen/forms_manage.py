"""Forms of the managing pages: resources, opening hours, closures, photos, CSV import.

The forms check what a person typed (numbers, times, files); the rules about what may exist (a skill's
holder is a member, ranges do not overlap, a closure ends after it starts) are the services' and come
back as ``ValidationError`` per field, which the views put on these forms.
"""

import base64
import binascii
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from konten.models import Organisation, User
from ressourcen import csv_import
from ressourcen.models import POLICY_FIELDS, Feature, Resource, Weekday
from ressourcen.selectors import local_zone
from ressourcen.services import SKILL_HOLDER_FIELDS

GENERAL_FIELDS = ("name", "description")
LOCATION_FIELDS = ("address", "building", "floor", "directions")
KIND_DETAIL_FIELDS = {
    Resource.Kind.ROOM: ("capacity", "capacity_standing", "area_m2"),
    Resource.Kind.EQUIPMENT: ("quantity", "condition", "replacement_value", "deposit_note", "pickup_place"),
    Resource.Kind.SKILL: ("holder", "languages", "max_hours_per_month"),
}
KIND_DETAIL_LEGENDS = {
    Resource.Kind.ROOM: _("Room details"),
    Resource.Kind.EQUIPMENT: _("Equipment details"),
    Resource.Kind.SKILL: _("Skill details"),
}


class HolderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.email})"


class ResourceForm(forms.ModelForm):
    """A resource of one kind: only the fields of that kind are on the form.

    ``holder_only`` gives the reduced form of a skill's holder, who may change ``SKILL_HOLDER_FIELDS``.
    """

    class Meta:
        model = Resource
        fields = [
            *GENERAL_FIELDS,
            *LOCATION_FIELDS,
            *(name for names in KIND_DETAIL_FIELDS.values() for name in names),
            "features",
            *POLICY_FIELDS,
        ]
        field_classes = {"holder": HolderChoiceField}
        # "45,5" in German, "45.5" in English; a text input, since type=number cannot show "45,5".
        localized_fields = ("area_m2", "replacement_value")
        widgets = {
            "area_m2": forms.TextInput(attrs={"inputmode": "decimal"}),
            "replacement_value": forms.TextInput(attrs={"inputmode": "decimal"}),
            "description": forms.Textarea(attrs={"rows": 5}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "directions": forms.Textarea(attrs={"rows": 3}),
            "features": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, kind: str, organisation: Organisation, holder_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = Resource.Kind(kind)
        self.holder_only = holder_only
        keep = {
            *GENERAL_FIELDS,
            *LOCATION_FIELDS,
            *KIND_DETAIL_FIELDS[self.kind],
            "features",
            *POLICY_FIELDS,
        }
        if holder_only:
            keep &= SKILL_HOLDER_FIELDS
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "holder" in self.fields:
            holder = self.fields["holder"]
            holder.queryset = User.objects.filter(memberships__organisation=organisation).order_by(
                "name", "email"
            )
            holder.required = True
            holder.empty_label = _("Please choose a member")
        if "features" in self.fields:
            self.fields["features"].queryset = Feature.objects.order_by("category", "position", "name")
            self.fields["features"].help_text = ""
        if "address" in self.fields and not self.instance.pk and not self.is_bound:
            self.initial.setdefault("address", organisation.address)
        for name in ("capacity", "capacity_standing", "quantity", "max_hours_per_month"):
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("inputmode", "numeric")

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The visible fields grouped for the page: (legend, fields); features are rendered apart."""
        groups = [
            (_("Name and description"), GENERAL_FIELDS),
            (_("Location"), LOCATION_FIELDS),
            (KIND_DETAIL_LEGENDS[self.kind], KIND_DETAIL_FIELDS[self.kind]),
        ]
        result = []
        for legend, names in groups:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                result.append((legend, fields))
        return result

    def policy_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in POLICY_FIELDS if name in self.fields]

    def feature_groups(self) -> list[tuple[str, list]]:
        """The feature checkboxes by category: (category label, checkbox widgets)."""
        if "features" not in self.fields:
            return []
        labels = dict(Feature.Category.choices)
        groups: dict[str, list] = {}
        for checkbox in self["features"]:
            feature = checkbox.data["value"].instance
            groups.setdefault(feature.category, []).append(checkbox)
        return [(labels[category], checkboxes) for category, checkboxes in groups.items()]

    def service_data(self) -> dict:
        """The cleaned values the service gets: everything of a new resource, only what changed on edit."""
        names = self.changed_data if self.instance.pk else list(self.fields)
        return {name: self.cleaned_data[name] for name in names if name != "features"}

    def service_features(self) -> list[Feature] | None:
        if "features" not in self.fields:
            return None
        return list(self.cleaned_data["features"])


class OpeningHoursForm(forms.Form):
    """One weekly range. A row left completely empty is ignored (the formset's extra rows)."""

    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        choices=[("", "—"), *Weekday.choices],
        coerce=int,
    )
    start = forms.TimeField(
        label=pgettext_lazy("opening hours", "From"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end = forms.TimeField(
        label=pgettext_lazy("opening hours", "Until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


OpeningHoursFormSet = forms.formset_factory(
    OpeningHoursForm, extra=3, can_delete=True, can_delete_extra=False, max_num=50, validate_max=True
)


def opening_hours_formset(*, data=None, initial=None):
    """Every row may be left empty (an emptied row is dropped, like a ticked "delete"): the rows of a
    posted formset have no initial values, so an empty row counts as unchanged and is not validated."""
    return OpeningHoursFormSet(data, initial=initial, form_kwargs={"empty_permitted": True})


def opening_hours_ranges(formset) -> list[tuple[int, time, time]]:
    """(weekday, start, end) of the filled rows not marked for deletion (call after ``is_valid``)."""
    return [
        (form.cleaned_data["weekday"], form.cleaned_data["start"], form.cleaned_data["end"])
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class ClosureForm(forms.Form):
    """Dates and times in local (Berlin) time; the service gets aware datetimes."""

    resource = forms.ModelChoiceField(
        label=_("Resource"),
        queryset=Resource.objects.none(),
        required=False,
        empty_label=_("All resources of the organisation"),
    )
    start_date = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("From (time)"),
        required=False,
        help_text=_("Leave empty to start at the beginning of the day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_date = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(
        label=_("Until (time)"),
        required=False,
        help_text=_("Leave empty to close until the end of the last day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Shown in the catalogue, for example “Summer holidays” or “Repair of the lift”."),
    )

    # Keys of the service's errors → fields of this form.
    SERVICE_FIELDS = {"start": "start_date", "end": "end_date", "resource": "resource", "reason": "reason"}

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = organisation.resources.order_by("name")

    def interval(self) -> tuple[datetime, datetime]:
        """The closure as aware datetimes: a missing start time is 00:00, a missing end time the end of
        the last day (00:00 of the next). Wall-clock times in Berlin, whatever the clock change does."""
        zone = local_zone()
        data = self.cleaned_data
        start = datetime.combine(data["start_date"], data["start_time"] or time(0), tzinfo=zone)
        if data["end_time"] is None:
            end = datetime.combine(data["end_date"] + timedelta(days=1), time(0), tzinfo=zone)
        else:
            end = datetime.combine(data["end_date"], data["end_time"], tzinfo=zone)
        return start, end


class PhotoForm(forms.Form):
    image = forms.ImageField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    alt_text = forms.CharField(
        label=_("Alternative text"),
        max_length=300,
        help_text=_(
            "Describe what the photo shows for people who cannot see it, for example “Bright hall "
            "with chairs in rows, a ramp leads to the stage”."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set here, not at import: the text is translated per request and carries the configured limit.
        self.fields["image"].help_text = gettext("JPEG, PNG, GIF or WebP, at most %(size)s MB.") % {
            "size": f"{settings.MAX_IMAGE_UPLOAD_BYTES / 1024 / 1024:g}"
        }

    def clean_image(self):
        image = self.cleaned_data["image"]
        if image and image.size > settings.MAX_IMAGE_UPLOAD_BYTES:
            raise ValidationError(
                _("The photo may be at most %(size)s MB.")
                % {"size": f"{settings.MAX_IMAGE_UPLOAD_BYTES / 1024 / 1024:g}"}
            )
        return image


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, columns separated by semicolons or commas, the first line names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        """The decoded text of the file (what the import reads)."""
        upload = self.cleaned_data["file"]
        if upload.size > csv_import.MAX_BYTES:
            raise ValidationError(
                _("The file is too large: at most %(size)s MB.")
                % {"size": f"{csv_import.MAX_BYTES / 1_000_000:g}"}
            )
        try:
            return csv_import.decode(upload.read())
        except csv_import.ImportFileError as exc:
            raise ValidationError(str(exc)) from exc


class CsvConfirmForm(forms.Form):
    """The checked file travels with the "Import" button, base64-encoded so no browser alters its line
    ends; it is read and checked again in full before anything is written."""

    content = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=2 * csv_import.MAX_BYTES)

    @staticmethod
    def encode(text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def clean_content(self) -> str:
        try:
            raw = base64.b64decode(self.cleaned_data["content"], validate=True)
            return csv_import.decode(raw)
        except (binascii.Error, csv_import.ImportFileError) as exc:
            raise ValidationError(_("The checked file was lost on the way. Please upload it again.")) from exc
