"""See buchungen/views/__init__.py. Downloads of the report tables (docs/reports-api-export.md):

- ``report_export``   berichte/export/<table>.<fmt> — one table as CSV or XLSX, for the period
  ``?from=…&to=…`` (Berlin dates, ``to`` inclusive) and, for the coordinator, ``&organisation=<slug>``

Same rule as the API: the coordinator sees the network, a manager only their own organisation (another
one, or a slug nobody has: 404), everyone else 403, anonymous visitors are sent to the login.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from buchungen import exports

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_safe
def report_export(request, table: str, fmt: str):
    if table not in exports.TABLES or fmt not in exports.FORMATS:
        raise Http404
    if not exports.may_see_reports(request.user):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    period = organisation = None
    try:
        period = exports.parse_period(request.GET)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        organisation = exports.report_scope(request.user, request.GET.get("organisation"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        # A download link, not a form: a short plain-text answer says what was wrong.
        lines = [_("The report could not be exported:")]
        lines += [f"{field}: {message}" for field, messages in errors.items() for message in messages]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
    headers, rows = exports.export_table(table, start=period.start, end=period.end, organisation=organisation)
    if fmt == "csv":
        content = exports.csv_bytes(headers, rows)
    else:
        content = exports.xlsx_bytes(headers, rows, title=exports.table_title(table))
    scope = organisation.slug if organisation else "netzwerk"
    filename = f"bericht-{table}-{scope}-{period.first.isoformat()}-{period.last.isoformat()}.{fmt}"
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path(
        "berichte/export/<slug:table>.<slug:fmt>",
        report_export,
        name="report_export",
    ),
]
