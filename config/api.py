"""The REST API's routes under ``/api/v1/``. Apps register their viewsets on the router here.

Pagination lives in config/pagination.py and the error format in config/exceptions.py; the pieces the
apps' API modules share (error documentation, the rules permission class) in konten/api.py.
"""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from konten import api as konten_api

router = DefaultRouter()
router.register("organisations", konten_api.OrganisationViewSet, basename="organisation")

urlpatterns = [
    path("auth/token/", konten_api.TokenView.as_view(), name="auth-token"),
    path("me/", konten_api.MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
