from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RessourcenConfig(AppConfig):
    name = "ressourcen"
    verbose_name = _("Resources")
