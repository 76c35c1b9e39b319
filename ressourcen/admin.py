"""The coordinator's housekeeping for the catalogue: features, resources, closures.

Access is decided by the rule ``konten.access_admin`` (``konten.admin.CoordinatorAdmin``), like the rest
of the admin. Saving here does not go through ``ressourcen.services`` — the admin is the coordinator's
tool for putting things right, not the way managers work — so the forms below repeat the checks the
services make on top of the model's own validation and constraints (kind details, opening hours that
overlap, photo uploads, a closure of another organisation's resource).
"""

from itertools import pairwise

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from konten.admin import CoordinatorAdmin
from ressourcen.models import POLICY_FIELDS, Closure, Feature, OpeningHours, Resource, ResourcePhoto, Weekday

# The services keep these checks private; they are the one place that knows the per-kind rules and
# which uploads count as photos, and the admin must apply the same ones rather than a copy that drifts.
from ressourcen.services import photo_validate_image, resource_validate_kind_details

# What resource_validate_kind_details reads; an error on one of these already explains the problem.
_KIND_CHECK_FIELDS = (
    "kind",
    "organisation",
    "holder",
    "quantity",
    "min_duration_minutes",
    "max_duration_minutes",
)


class CoordinatorInline:
    """Inlines ask the same rule as their parent (Django would ask for model permissions nobody has)."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("konten.access_admin")

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Feature)
class FeatureAdmin(CoordinatorAdmin):
    list_display = ["name", "name_en", "category", "slug", "icon", "position"]
    list_editable = ["position"]
    list_filter = ["category"]
    search_fields = ["name", "name_en", "slug", "description"]
    ordering = ["category", "position", "name"]
    prepopulated_fields = {"slug": ["name"]}


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    """Ranges of one weekday must not overlap (``opening_hours_replace`` refuses that too)."""

    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[tuple[int, int]]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not {"weekday", "start", "end"} <= data.keys():
                continue
            start = data["start"].hour * 60 + data["start"].minute
            end = data["end"].hour * 60 + data["end"].minute or 24 * 60  # 00:00 is midnight
            by_day.setdefault(data["weekday"], []).append((start, end))
        errors = []
        for weekday, spans in sorted(by_day.items()):
            spans.sort()
            if any(next_start < end for (_start, end), (next_start, _end) in pairwise(spans)):
                errors.append(
                    gettext("%(day)s: the opening hours overlap.") % {"day": Weekday(weekday).label}
                )
        if errors:
            raise ValidationError(errors)


class OpeningHoursInline(CoordinatorInline, admin.TabularInline):
    model = OpeningHours
    formset = OpeningHoursFormSet
    extra = 0


class ResourcePhotoForm(forms.ModelForm):
    """Base form of the photo inline: an upload must be a photo browsers show, as in ``photo_add``."""

    def clean(self):
        cleaned = super().clean()
        if "image" in self.changed_data and cleaned.get("image"):
            photo_validate_image(cleaned["image"])
        return cleaned


class ResourcePhotoInline(CoordinatorInline, admin.TabularInline):
    model = ResourcePhoto
    form = ResourcePhotoForm
    fields = ["image", "alt_text", "position"]
    extra = 0


class ResourceAdminForm(forms.ModelForm):
    """Base form of ResourceAdmin (the admin adds the model and the fields from its fieldsets)."""

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in _KIND_CHECK_FIELDS):
            return cleaned
        # The instance is only filled from the form after clean(); check a probe with the new values
        # (kind and organisation are read-only once the resource exists, so they come from the instance).
        organisation, holder = cleaned.get("organisation"), cleaned.get("holder")
        probe = Resource(
            kind=cleaned.get("kind", self.instance.kind),
            organisation_id=organisation.pk if organisation else self.instance.organisation_id,
            holder_id=holder.pk if holder else None,
            quantity=cleaned.get("quantity"),
            min_duration_minutes=cleaned.get("min_duration_minutes"),
            max_duration_minutes=cleaned.get("max_duration_minutes"),
        )
        resource_validate_kind_details(probe)
        return cleaned


@admin.register(Resource)
class ResourceAdmin(CoordinatorAdmin):
    """Resources of every organisation. Kind and organisation are fixed once a resource exists, as in
    the services: bookings and quotas hang on them."""

    form = ResourceAdminForm
    list_display = ["name", "kind", "organisation", "audience", "requires_approval", "is_active"]
    list_filter = ["kind", "organisation", "audience", "requires_approval", "is_active", "features"]
    list_select_related = ["organisation"]
    search_fields = ["name", "slug", "description", "building", "organisation__name"]
    filter_horizontal = ["features"]
    autocomplete_fields = ["organisation", "holder"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created", "updated"]
    inlines = [OpeningHoursInline, ResourcePhotoInline]
    fieldsets = (
        (
            None,
            {"fields": ("organisation", "kind", "name", "slug", "description", "features", "is_active")},
        ),
        (_("Location"), {"fields": ("address", "building", "floor", "directions")}),
        (pgettext_lazy("resource kind", "Room"), {"fields": ("capacity", "capacity_standing", "area_m2")}),
        (
            pgettext_lazy("resource kind", "Equipment"),
            {"fields": ("quantity", "condition", "replacement_value", "deposit_note", "pickup_place")},
        ),
        (
            pgettext_lazy("resource kind", "Skill"),
            {"fields": ("holder", "languages", "max_hours_per_month")},
        ),
        (
            _("Booking policy"),
            {"fields": POLICY_FIELDS},
        ),
        (_("Dates"), {"fields": ("created", "updated")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fixed = ["organisation", "kind"] if obj is not None else []
        return [*fixed, *super().get_readonly_fields(request, obj)]

    def get_prepopulated_fields(self, request, obj=None):
        # The slug is part of public links: suggested from the name only for a new resource.
        return super().get_prepopulated_fields(request, obj) if obj is None else {}


class ClosureAdminForm(forms.ModelForm):
    """Base form of ClosureAdmin (the admin adds the model and the fields)."""

    def clean(self):
        cleaned = super().clean()
        organisation, resource = cleaned.get("organisation"), cleaned.get("resource")
        if organisation and resource and resource.organisation_id != organisation.pk:
            self.add_error("resource", gettext("The resource belongs to another organisation."))
        return cleaned


@admin.register(Closure)
class ClosureAdmin(CoordinatorAdmin):
    form = ClosureAdminForm
    list_display = ["reason", "organisation", "resource", "start", "end"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "resource"]
    search_fields = ["reason", "resource__name", "organisation__name"]
    autocomplete_fields = ["organisation", "resource"]
    date_hierarchy = "start"
