from django.urls import path

from ressourcen.views import catalogue, csv_import, manage

app_name = "ressourcen"

urlpatterns = [
    # The public catalogue (ressourcen/views/catalogue.py)
    path("ressourcen/", catalogue.resource_list, name="resource_list"),
    path("ressourcen/<slug:slug>/", catalogue.resource_detail, name="resource_detail"),
    # Managing (ressourcen/views/manage.py)
    path("ressourcen/<slug:slug>/bearbeiten/", manage.resource_edit, name="resource_edit"),
    path("ressourcen/<slug:slug>/oeffnungszeiten/", manage.opening_hours_edit, name="opening_hours_edit"),
    path("ressourcen/<slug:slug>/fotos/", manage.photos_edit, name="photos_edit"),
    path("ressourcen/<slug:slug>/aktiv/", manage.resource_toggle_active, name="resource_toggle_active"),
    path(
        "organisationen/<slug:org_slug>/ressourcen/",
        manage.organisation_resources,
        name="organisation_resources",
    ),
    path(
        "organisationen/<slug:org_slug>/ressourcen/neu/",
        manage.resource_create,
        name="resource_create",
    ),
    path(
        "organisationen/<slug:org_slug>/schliesszeiten/",
        manage.closures_edit,
        name="closures_edit",
    ),
    # CSV import (ressourcen/views/csv_import.py)
    path(
        "organisationen/<slug:org_slug>/ressourcen/import/",
        csv_import.resource_import,
        name="resource_import",
    ),
    path(
        "organisationen/<slug:org_slug>/ressourcen/import/vorlage.csv",
        csv_import.resource_import_template,
        name="resource_import_template",
    ),
]
