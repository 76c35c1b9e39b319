"""The catalogue's search form (a plain GET form; the management forms live in ``forms_manage.py``).

The form checks what a person typed (numbers, dates, times, that a period has a start, an end and a day)
and turns it into a ``ResourceFilter``; everything about what exists (feature slugs, organisations) is
checked once more by ``resource_search``, the one rule book the API shares.
"""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from konten.models import Organisation
from ressourcen.models import Feature, Resource
from ressourcen.selectors import ResourceFilter, local_zone

SORT_CHOICES = [
    ("name", _("Name")),
    ("-capacity", _("Largest capacity first")),
    ("organisation", _("Organisation")),
    ("-created", _("Newest first")),
]

FREE_DATE_YEARS = (2000, 2100)

# Keys of the selector's ValidationError → fields of this form (the selector speaks the API's names).
SELECTOR_FIELDS = {
    "q": "q",
    "kind": "kind",
    "organisation": "organisation",
    "feature": "features",
    "features": "features",
    "capacity_min": "capacity_min",
    "free_from": "free_from",
    "free_until": "free_until",
    "sort": "sort",
}


class ResourceSearchForm(forms.Form):
    """Search the catalogue. Every field is optional; an empty form lists every active resource.

    "Free between" is three inputs — a day and two wall-clock times in Berlin — because that is how
    people think of an evening event; a period across midnight is not offered.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Words from the name, description, organisation, building or features."),
        widget=forms.SearchInput(),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Resource.Kind.choices],
    )
    organisation = forms.ChoiceField(
        label=_("Organisation"),
        required=False,
        error_messages={"invalid_choice": _("Unknown organisation “%(value)s”.")},
    )
    features = forms.MultipleChoiceField(
        label=_("Features"),
        required=False,
        help_text=_("Only resources that have all of the chosen features are shown."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Unknown feature: %(value)s.")},
    )
    capacity_min = forms.IntegerField(
        label=_("Capacity at least (people)"),
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=_("Seated capacity of rooms; leaves out equipment and skills."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    free_date = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    free_from = forms.TimeField(
        label=_("From"),
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    free_until = forms.TimeField(
        label=_("Until"),
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, organisations=None, features=None, **kwargs):
        """``organisations`` and ``features`` may be passed in when the caller already loaded them;
        otherwise one query each."""
        super().__init__(*args, **kwargs)
        organisations = (
            list(Organisation.objects.order_by("name").only("slug", "name"))
            if organisations is None
            else organisations
        )
        self.feature_rows = list(Feature.objects.all()) if features is None else list(features)
        self.fields["organisation"].choices = [
            ("", _("All organisations")),
            *((organisation.slug, organisation.name) for organisation in organisations),
        ]
        self.fields["features"].choices = [
            (feature.slug, feature.display_name) for feature in self.feature_rows
        ]

    def clean_free_date(self):
        day = self.cleaned_data.get("free_date")
        # Far-off years are typos, and day arithmetic near year 9999 would overflow.
        if day and not FREE_DATE_YEARS[0] <= day.year <= FREE_DATE_YEARS[1]:
            raise ValidationError(
                _("Choose a day between the years %(first)d and %(last)d."),
                params={"first": FREE_DATE_YEARS[0], "last": FREE_DATE_YEARS[1]},
            )
        return day

    def clean(self):
        cleaned = super().clean()
        day, start, end = (cleaned.get(name) for name in ("free_date", "free_from", "free_until"))
        given = {
            name: self.data.get(name, "").strip() != "" for name in ("free_date", "free_from", "free_until")
        }
        if any(given.values()):
            for name, present in given.items():
                if not present:
                    self.add_error(
                        name, _("Give the day, the start and the end of the period, or none of them.")
                    )
        if start and end and end <= start:
            self.add_error("free_until", _("The end of the period must be after its start."))
        cleaned["free_window"] = None
        if day and start and end and end > start:
            zone = local_zone()
            # Wall-clock times in Berlin; zoneinfo picks the right offset for summer and winter time.
            cleaned["free_window"] = (
                datetime.combine(day, start, tzinfo=zone),
                datetime.combine(day, end, tzinfo=zone),
            )
        return cleaned

    def criteria(self) -> ResourceFilter:
        """The filter for ``resource_search``; call only on a valid form."""
        data = self.cleaned_data
        window = data.get("free_window")
        return ResourceFilter(
            q=data.get("q", "").strip(),
            kind=data.get("kind") or "",
            organisation=data.get("organisation") or "",
            features=tuple(data.get("features") or ()),
            capacity_min=data.get("capacity_min"),
            free_from=window[0] if window else None,
            free_until=window[1] if window else None,
            sort=data.get("sort") or "name",
        )

    def add_selector_errors(self, error: ValidationError) -> None:
        """Show the selector's per-field refusals on the fields they concern."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.error_dict.items():
            field = SELECTOR_FIELDS.get(key)
            self.add_error(field if field in self.fields else None, messages)

    def feature_groups(self) -> list[tuple[str, list]]:
        """The feature checkboxes grouped by category (in the categories' order), for one fieldset each."""
        by_slug = {feature.slug: feature for feature in self.feature_rows}
        groups: dict[str, list] = {}
        for option in self["features"]:
            feature = by_slug[option.data["value"]]
            option.feature = feature
            groups.setdefault(feature.category, []).append(option)
        labels = dict(Feature.Category.choices)
        order = list(labels)
        return [
            (labels[category], groups[category])
            for category in sorted(groups, key=lambda c: order.index(c) if c in order else len(order))
        ]

    @property
    def has_period(self) -> bool:
        return bool(self.is_bound and not self.errors and self.cleaned_data.get("free_window"))
