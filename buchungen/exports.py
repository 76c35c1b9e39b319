"""Report tables for the API and for download (docs/reports-api-export.md).

The figures come from ``buchungen.reports``; this module only decides who may see which scope, reads the
period and turns the rows into tables: CSV for German Excel (UTF-8 with BOM, ``;`` between cells, decimal
comma in German) made safe against formula injection, and XLSX (openpyxl) with numbers as numbers.

- ``MAX_PERIOD_YEARS``         the longest period, for the page, the downloads and the API alike
- ``parse_period(data)``       ``from``/``to`` (Berlin dates, ``to`` inclusive) → aware half-open period
- ``report_scope(user, slug)`` the organisation a person's report covers (None = the whole network)
- ``key_figures(...)``         the key figures table (reach, decisions, rates), shared with the page
- ``export_table(...)``        headers and rows of one downloadable table, in the active language
- ``csv_bytes`` / ``xlsx_bytes``  the files
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from konten.models import Membership, Organisation
from konten.rules import is_coordinator
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

# The one limit of a report period (page, downloads, API): ``to`` must lie before ``from`` + this many
# years, so 1 Jan 2026 – 31 Dec 2027 is the longest period starting 1 Jan 2026. The figures stay cheap
# (docs/benchmarks.md: a year over 1 M bookings in 5.4 s) and the charts readable.
MAX_PERIOD_YEARS = 2
# Every table the reports page shows, each downloadable (tests/buchungen/test_exports.py checks the page).
TABLES = (
    "key-figures",
    "utilisation-resource",
    "utilisation-organisation",
    "utilisation-kind",
    "lending-flows",
    "own-use",
    "idle",
    "busiest",
    "trend",
)
FORMATS = ("csv", "xlsx")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    first: date  # first Berlin day
    last: date  # last Berlin day, inclusive
    start: datetime  # aware: midnight (Berlin) starting ``first``
    end: datetime  # aware: midnight (Berlin) after ``last`` — the period is [start, end)


def _read_date(data, field: str, errors: dict) -> date | None:
    raw = (data.get(field) or "").strip()
    if not raw:
        errors[field] = [_("This field is required.")]
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def period_too_long(first: date, last: date) -> bool:
    """More than ``MAX_PERIOD_YEARS`` from ``first`` to ``last`` (both days included)?"""
    return last >= first + relativedelta(years=MAX_PERIOD_YEARS)


def period_too_long_message() -> str:
    return ngettext(
        "A report covers at most %(years)d year.",
        "A report covers at most %(years)d years.",
        MAX_PERIOD_YEARS,
    ) % {"years": MAX_PERIOD_YEARS}


def parse_period(data) -> Period:
    """``from`` and ``to`` (ISO dates, Berlin days, both inclusive) from a query dict. Raises
    ``ValidationError`` keyed by field: missing, malformed, ``to`` before ``from``, longer than 2 years."""
    errors: dict[str, list[str]] = {}
    first = _read_date(data, "from", errors)
    last = _read_date(data, "to", errors)
    if first and last:
        if last < first:
            errors["to"] = [_("The end date must not be before the start date.")]
        elif period_too_long(first, last):
            errors["to"] = [period_too_long_message()]
    if errors:
        raise ValidationError(errors)
    zone = local_zone()
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return Period(first=first, last=last, start=start, end=end)


def may_see_reports(user) -> bool:
    """The coordinator (whole network) and every manager (their own organisation): rule
    ``buchungen.view_reports`` without an organisation."""
    return bool(user.is_authenticated and user.has_perm("buchungen.view_reports", None))


def report_scope(user, slug: str | None) -> Organisation | None:
    """The organisation ``user``'s report covers; ``None`` is the whole network (coordinator only).

    The coordinator may narrow to any organisation with ``slug``. A manager gets their own organisation;
    a manager of several must name one (``ValidationError``). People who may not see reports at all:
    ``PermissionDenied``. A slug the person may not see — another organisation's for a manager — or
    that nobody has: ``Http404`` for everyone (the API contract's 404 for what the caller may not see:
    a manager cannot tell an existing organisation from a made-up one).
    """
    slug = (slug or "").strip()
    if not may_see_reports(user):
        raise PermissionDenied
    coordinator = is_coordinator(user)
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None or not user.has_perm("buchungen.view_reports", organisation):
            raise Http404(_("No organisation with this slug among those whose reports you may see."))
        return organisation
    if coordinator:
        return None
    managed = list(
        Organisation.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.MANAGER
        ).order_by("name")[:2]
    )
    if len(managed) > 1:
        raise ValidationError(
            {"organisation": [_("You manage several organisations: choose one for the report.")]}
        )
    return managed[0]


# --- tables ------------------------------------------------------------------------------------------


def _hours(value) -> float:
    return round(float(value or 0), 2)


def _percent(occupancy) -> float | None:
    return None if occupancy is None else round(float(occupancy) * 100, 1)


def _kind_label(kind: str) -> str:
    try:
        return str(Resource.Kind(kind).label)
    except ValueError:
        return kind


def _utilisation_headers(group_by: str) -> list[str]:
    first = {
        "resource": _("Resource"),
        "organisation": _("Organisation"),
        "kind": pgettext("report column", "Kind"),
    }[group_by]
    return [first, _("Booked hours"), _("Bookable hours"), _("Occupancy (%)")]


def key_figures(*, decision_times: dict, rates: dict, reach: dict) -> list[dict]:
    """The key figures as rows ``{"label", "value", "unit"}`` (unit ``count``, ``hours`` or ``percent``;
    ``value`` None when there is nothing to measure): the page's table and the download are the same."""

    def percent(ratio):
        return None if ratio is None else round(float(ratio) * 100, 1)

    rows = [
        (_("Bookings"), reach["bookings"], "count"),
        (_("Expected participants (no-shows not counted)"), reach["participants"], "count"),
        (_("Borrowing organisations"), reach["borrowing_organisations"], "count"),
        (_("Decided requests"), decision_times["decided"], "count"),
        (_("Median time to decision (hours)"), decision_times["median_hours"], "hours"),
        (_("Average time to decision (hours)"), decision_times["average_hours"], "hours"),
        (_("Cancelled after confirmation"), rates["cancelled"], "count"),
        (_("Cancellation rate (%)"), percent(rates["cancellation_rate"]), "percent"),
        (_("No-shows"), rates["no_show"], "count"),
        (_("No-show rate (%)"), percent(rates["no_show_rate"]), "percent"),
    ]
    return [{"label": label, "value": value, "unit": unit} for label, value, unit in rows]


def weekdays() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def export_table(table: str, *, start, end, organisation=None) -> tuple[list[str], list[list]]:
    """Column headers (in the active language) and rows of one report table. Numbers stay numbers
    (hours rounded to 2 places, occupancy in percent to 1 place, empty when nothing was bookable)."""
    from buchungen import reports

    if table.startswith("utilisation-"):
        group_by = table.removeprefix("utilisation-")
        rows = reports.utilisation(start=start, end=end, group_by=group_by, organisation=organisation)
        return _utilisation_headers(group_by), [
            [
                row["name"],
                _hours(row["booked_hours"]),
                _hours(row["bookable_hours"]),
                _percent(row["occupancy"]),
            ]
            for row in rows
        ]
    if table == "key-figures":
        scope = {"start": start, "end": end, "organisation": organisation}
        rows = key_figures(
            decision_times=reports.decision_times(**scope),
            rates=reports.rates(**scope),
            reach=reports.reach(**scope),
        )
        return [_("Figure"), _("Value")], [
            [
                row["label"],
                _hours(row["value"]) if row["unit"] == "hours" and row["value"] is not None else row["value"],
            ]
            for row in rows
        ]
    if table == "busiest":
        grid = reports.busiest_times(start=start, end=end, organisation=organisation)
        return [_("Hour"), *weekdays()], [
            [hour_label(hour), *(_hours(grid[day][hour]) for day in range(7))] for hour in range(24)
        ]
    if table == "own-use":
        rows = reports.own_and_private_use(start=start, end=end, organisation=organisation)
        headers = [
            _("Owning organisation"),
            _("Own use: bookings"),
            _("Own use: hours"),
            _("Private persons: bookings"),
            _("Private persons: hours"),
        ]
        return headers, [
            [
                row["owner_name"],
                int(row["own_bookings"]),
                _hours(row["own_hours"]),
                int(row["private_bookings"]),
                _hours(row["private_hours"]),
            ]
            for row in rows
        ]
    if table == "lending-flows":
        rows = reports.lending_flows(start=start, end=end, organisation=organisation)
        headers = [_("Owning organisation"), _("Borrowing organisation"), _("Bookings"), _("Hours")]
        return headers, [
            [
                row["owner_name"],
                row["borrower_name"],
                int(row["bookings"]),
                _hours(row["hours"]),
            ]
            for row in rows
        ]
    if table == "idle":
        rows = reports.idle_resources(start=start, end=end, organisation=organisation)
        headers = [_("Resource"), _("Organisation"), pgettext("report column", "Kind"), _("Bookable hours")]
        return headers, [
            [row["name"], row["organisation_name"], _kind_label(row["kind"]), _hours(row["bookable_hours"])]
            for row in rows
        ]
    if table == "trend":
        rows = reports.monthly_trend(start=start, end=end, organisation=organisation)
        headers = [_("Month"), _("Bookings"), _("Hours")]
        return headers, [[row["month"], int(row["bookings"]), _hours(row["hours"])] for row in rows]
    raise ValueError(f"unknown report table {table!r}")


def table_title(table: str) -> str:
    return {
        "key-figures": _("Key figures"),
        "utilisation-resource": _("Utilisation by resource"),
        "utilisation-organisation": _("Utilisation by organisation"),
        "utilisation-kind": _("Utilisation by kind"),
        "lending-flows": _("Lending between organisations"),
        "own-use": _("Own use and private persons"),
        "idle": _("Idle resources"),
        "busiest": _("Busiest times"),
        "trend": _("Monthly trend"),
    }[table]


# --- files -------------------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value) if value != int(value) else str(int(value))
        return text.replace(".", ",") if decimal_comma else text
    return safe_text(str(value))


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    """UTF-8 with BOM, ``;`` as separator (German Excel opens it as is); decimal comma in German."""
    decimal_comma = (get_language() or "de").startswith("de")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_cell(header, decimal_comma) for header in headers])
    for row in rows:
        writer.writerow([_csv_cell(value, decimal_comma) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(headers: list[str], rows: list[list], *, title: str) -> bytes:
    """One sheet, a bold frozen header row; numbers as numbers, every text cell typed as text (openpyxl
    would otherwise store a string starting with ``=`` as a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value, *, header: bool = False):
        item = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            item.data_type = "s"
        if header:
            item.font = bold
        return item

    sheet.append([cell(header, header=True) for header in headers])
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31]
