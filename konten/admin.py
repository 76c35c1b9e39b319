"""The coordinator's housekeeping. Access is decided by the same rules as pages and API."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from konten.admin_login import ThrottledAdminAuthenticationForm
from konten.models import AccessibilityFeedback, Invitation, Membership, Organisation, User


def _admin_site_has_permission(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm("konten.access_admin"))


admin.site.has_permission = _admin_site_has_permission
# The admin's login counts against the site's failed-login limits (konten/admin_login.py).
admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = _("Ressourcennetz Soziokultur Meißen — administration")
admin.site.site_title = _("Ressourcennetz administration")


class CoordinatorAdmin(admin.ModelAdmin):
    """Coordinators (and superusers) may do everything the admin offers; nobody else sees it."""

    def _allowed(self, request) -> bool:
        return request.user.has_perm("konten.access_admin")

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("konten.access_admin")

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(User)
class UserAdmin(CoordinatorAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_coordinator", "is_active", "date_joined"]
    list_filter = ["is_coordinator", "is_staff", "is_active", "language"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal data"), {"fields": ("name", "language")}),
        (
            _("Notifications"),
            {"fields": ("notify_by_email", "notify_reminders", "notify_digest")},
        ),
        (
            _("Roles"),
            {"fields": ("is_active", "is_coordinator", "is_staff", "is_superuser")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]


@admin.register(Organisation)
class OrganisationAdmin(CoordinatorAdmin):
    list_display = ["name", "slug", "contact_email", "created"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    # As the organisation form does (konten/forms.py): an address without a scheme means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Invitation)
class InvitationAdmin(CoordinatorAdmin):
    list_display = ["email", "organisation", "role", "created", "expires_at", "accepted_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["email"]
    readonly_fields = ["token_hash", "accepted_at", "accepted_by", "created"]


@admin.register(AccessibilityFeedback)
class AccessibilityFeedbackAdmin(CoordinatorAdmin):
    list_display = ["created", "name", "email", "page", "handled"]
    list_filter = ["handled"]
    search_fields = ["message", "page", "email"]
