from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuchungenConfig(AppConfig):
    name = "buchungen"
    verbose_name = _("Bookings")

    def export_user_data(self, user) -> dict:
        """The person's bookings, series, requests, waitlist entries and feed for their data export."""
        from buchungen.export import export_user_data

        return export_user_data(user)
