"""Bookings, requests, series and the waitlist in the admin: for the coordinator to look up, never to change.

Every booking write has to go through ``buchungen.services`` (the resource lock, the rules, the recorded
steps); an admin form would bypass all of that. So the admin shows bookings and their steps read-only.
"""

from django.contrib import admin

from buchungen.models import Booking, BookingRequest, BookingSeries, BookingTransition, WaitlistEntry
from konten.admin import CoordinatorAdmin


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BookingTransitionInline(ReadOnlyMixin, admin.TabularInline):
    model = BookingTransition
    extra = 0
    fields = ["at", "from_status", "to_status", "actor", "comment"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("konten.access_admin")


@admin.register(Booking)
class BookingAdmin(ReadOnlyMixin, CoordinatorAdmin):
    list_display = ["resource", "start", "end", "quantity", "status", "organisation", "booked_by"]
    list_filter = ["status", "resource__kind", "resource__organisation"]
    list_select_related = ["resource", "organisation", "booked_by"]
    search_fields = ["resource__name", "organisation__name", "purpose"]
    date_hierarchy = "start"
    readonly_fields = [
        "resource",
        "organisation",
        "booked_by",
        "start",
        "end",
        "blocked_start",
        "blocked_end",
        "quantity",
        "purpose",
        "participants",
        "status",
        "exclusive",
        "request",
        "series",
        "handed_over_to",
        "damage_report",
        "created",
        "updated",
    ]
    inlines = [BookingTransitionInline]


class BookingPartInline(ReadOnlyMixin, admin.TabularInline):
    """The bookings of a request or series, read-only (each links to its own page)."""

    model = Booking
    extra = 0
    fields = ["resource", "start", "end", "quantity", "status"]
    readonly_fields = fields
    show_change_link = True

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("konten.access_admin")


@admin.register(BookingRequest)
class BookingRequestAdmin(ReadOnlyMixin, CoordinatorAdmin):
    list_display = ["pk", "purpose", "organisation", "booked_by", "created"]
    list_select_related = ["organisation", "booked_by"]
    search_fields = ["purpose", "organisation__name"]
    readonly_fields = ["organisation", "booked_by", "purpose", "participants", "created"]
    inlines = [BookingPartInline]


@admin.register(BookingSeries)
class BookingSeriesAdmin(ReadOnlyMixin, CoordinatorAdmin):
    list_display = ["resource", "rrule", "first_start", "organisation", "booked_by", "created"]
    list_select_related = ["resource", "organisation", "booked_by"]
    search_fields = ["resource__name", "organisation__name", "purpose"]
    readonly_fields = [
        "resource",
        "organisation",
        "booked_by",
        "rrule",
        "first_start",
        "first_end",
        "quantity",
        "purpose",
        "participants",
        "created",
    ]
    inlines = [BookingPartInline]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyMixin, CoordinatorAdmin):
    list_display = ["resource", "start", "end", "person", "organisation", "status", "offer_expires"]
    list_filter = ["status"]
    list_select_related = ["resource", "person", "organisation"]
    search_fields = ["resource__name", "organisation__name"]
    readonly_fields = [
        "resource",
        "person",
        "organisation",
        "start",
        "end",
        "quantity",
        "purpose",
        "participants",
        "status",
        "offered_at",
        "offer_expires",
        "booking",
        "created",
    ]
