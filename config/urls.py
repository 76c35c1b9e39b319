from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog, set_language
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.views import ApiRedocView, healthz

urlpatterns = [
    path("", include("konten.urls")),
    path("", include("ressourcen.urls")),
    path("", include("buchungen.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", ApiRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("healthz/", healthz, name="healthz"),
]

# Uploaded logos and photos are few and small; Django serves them (whitenoise only serves static files).
# A larger installation puts them behind the reverse proxy instead (docs/production.md). The route
# exists in every mode, so the URL list does not depend on how the settings were loaded (the walk of
# every route in tests/walk relies on that).
urlpatterns += [
    re_path(
        r"^media/(?P<path>.*)$",
        require_safe(serve),
        {"document_root": settings.MEDIA_ROOT},
        name="media",
    ),
]
