from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuchungenConfig(AppConfig):
    name = "buchungen"
    verbose_name = _("Bookings")
