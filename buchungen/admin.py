"""Bookings in the admin: for the coordinator to look up, never to change.

Every booking write has to go through ``buchungen.services`` (the resource lock, the rules, the recorded
steps); an admin form would bypass all of that. So the admin shows bookings and their steps read-only.
"""

from django.contrib import admin

from buchungen.models import Booking, BookingTransition
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
        "created",
        "updated",
    ]
    inlines = [BookingTransitionInline]
