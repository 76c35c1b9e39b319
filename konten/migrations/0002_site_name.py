"""Name the django.contrib.sites entry: allauth's e-mails say "… schreibt Ihnen <site name>"."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations

SITE_NAME = "Ressourcennetz Soziokultur Meißen"


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "127.0.0.1:8000"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": SITE_NAME})


class Migration(migrations.Migration):
    dependencies = [("konten", "0001_initial"), ("sites", "0002_alter_domain_unique")]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
