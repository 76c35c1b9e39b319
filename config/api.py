"""The REST API's routes under ``/api/v1/``. Apps register their viewsets on the router here.

Pagination lives in config/pagination.py and the error format in config/exceptions.py; the pieces the
apps' API modules share (error documentation, the rules permission class) in konten/api.py.
"""

from django.urls import include, path, re_path
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from buchungen import api as bookings_api
from buchungen import api_bundles as bundles_api
from buchungen import api_notifications as notifications_api
from buchungen import api_reports as reports_api
from buchungen import api_series as series_api
from buchungen import api_waitlist as waitlist_api
from konten import api as konten_api
from ressourcen import api as ressourcen_api

router = DefaultRouter()
router.register("organisations", konten_api.OrganisationViewSet, basename="organisation")
router.register(
    r"organisations/(?P<organisation_id>[0-9]+)/closures",
    ressourcen_api.OrganisationClosureViewSet,
    basename="organisation-closure",
)
router.register("features", ressourcen_api.FeatureViewSet, basename="feature")
router.register("resources", ressourcen_api.ResourceViewSet, basename="resource")
# The booking engine (buchungen/api*.py): bookings and their lifecycle steps; bundles (several resources
# in one request, all or nothing); series (RFC 5545 dates); the waitlist (join for a taken time).
router.register("bookings", bookings_api.BookingViewSet, basename="booking")
router.register("booking-requests", bundles_api.BookingRequestViewSet, basename="booking-request")
router.register("booking-series", series_api.BookingSeriesViewSet, basename="booking-series")
router.register("waitlist", waitlist_api.WaitlistViewSet, basename="waitlist")
# The notification centre (buchungen/api_notifications.py): the caller's in-app notifications.
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")


class NotFoundView(APIView):
    """A path under ``/api/v1/`` that names no endpoint, or an id that cannot be one (``/bookings/1.5/``,
    ``/organisations/-3/closures/``): the same JSON 404 the endpoints give, not Django's HTML page."""

    authentication_classes = []
    permission_classes = []
    schema = None  # not an operation of the API

    def initial(self, request, *args, **kwargs):
        raise NotFound()


urlpatterns = [
    path("auth/token/", konten_api.TokenView.as_view(), name="auth-token"),
    path("me/", konten_api.MeView.as_view(), name="me"),
    # The coordinator's reports (buchungen/api_reports.py, docs/reports-api-export.md).
    path("reports/utilisation/", reports_api.UtilisationReportView.as_view(), name="report-utilisation"),
    path("reports/lending-flows/", reports_api.LendingFlowsReportView.as_view(), name="report-lending-flows"),
    path("", include(router.urls)),
    # Last: only what nothing above matched. Paths without the trailing slash still get Django's
    # redirect to the one with it (APPEND_SLASH), as before.
    re_path(r"^[\s\S]*/$", NotFoundView.as_view(), name="api-not-found"),
]
