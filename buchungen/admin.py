"""Bookings, requests, series and the waitlist in the admin: for the coordinator to look up, never to change.

Every booking write has to go through ``buchungen.services`` (the resource lock, the rules, the recorded
steps); an admin form would bypass all of that. So the admin shows bookings and their steps read-only.
Notifications likewise, with one action: a failed e-mail can be sent again (the coordinator's duty).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from buchungen import admin_schedule, notifications  # noqa: F401 (admin_schedule registers beat's admin)
from buchungen.models import (
    Booking,
    BookingRequest,
    BookingSeries,
    BookingTransition,
    DeliveryState,
    Notification,
    WaitlistEntry,
)
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


# States a message may be sent again from: not while it waits or is being sent (that could double it).
RESENDABLE_STATES = (DeliveryState.FAILED, DeliveryState.SENT, DeliveryState.SKIPPED)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, CoordinatorAdmin):
    """The outbox, read-only. Failed e-mails: the "E-mail" filter (``?email_state__exact=failed``) lists
    them with their last error; the "Send again" action queues them anew (``notifications.resend``)."""

    list_display = ["created", "kind", "recipient", "booking", "email_state", "email_attempts", "last_error"]
    list_filter = ["email_state", "kind", "mandatory"]
    list_select_related = ["recipient", "booking__resource"]
    search_fields = ["recipient__email", "recipient__name", "key", "email_error"]
    date_hierarchy = "created"
    readonly_fields = [
        "key",
        "recipient",
        "kind",
        "booking",
        "waitlist_entry",
        "sequence",
        "mandatory",
        "context",
        "created",
        "read_at",
        "email_state",
        "email_attempts",
        "email_due",
        "email_claimed_at",
        "email_sent_at",
        "email_error",
    ]
    actions = ["send_again"]

    @admin.display(description=_("last error"))
    def last_error(self, notification: Notification) -> str:
        error = notification.email_error
        return error if len(error) <= 80 else error[:79] + "…"

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("konten.access_admin")

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request, queryset):
        rows = list(queryset.filter(email_state__in=RESENDABLE_STATES))
        for notification in rows:
            notifications.resend(actor=request.user, notification=notification)
        left = queryset.count() - len(rows)
        if rows:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message is queued to be sent again.",
                    "%(count)d messages are queued to be sent again.",
                    len(rows),
                )
                % {"count": len(rows)},
                messages.SUCCESS,
            )
        if left:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message is waiting to be sent or being sent already; it was left alone.",
                    "%(count)d messages are waiting to be sent or being sent already; they were left alone.",
                    left,
                )
                % {"count": left},
                messages.WARNING,
            )
