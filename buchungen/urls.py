from buchungen.views import (
    borrower,
    bundles,
    feeds,
    notifications,
    owner,
    reports,
    reports_export,
    series,
    waitlist,
)

app_name = "buchungen"

urlpatterns = [
    *borrower.urlpatterns,
    *owner.urlpatterns,
    *series.urlpatterns,
    *bundles.urlpatterns,
    *waitlist.urlpatterns,
    *feeds.urlpatterns,
    *notifications.urlpatterns,
    *reports.urlpatterns,
    *reports_export.urlpatterns,
]
