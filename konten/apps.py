from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KontenConfig(AppConfig):
    name = "konten"
    verbose_name = _("Accounts and organisations")
