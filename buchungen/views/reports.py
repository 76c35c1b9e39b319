"""The reports page ("Auswertung"): the network's figures for a period, as charts, tables and sentences.

Who sees what: the coordinator the whole network (or one organisation picked from a list); a manager
the organisation they manage (the first, or the one picked among theirs); everybody else 403, visitors
go to the login. The figures come from ``buchungen.reports.report`` (a constant number of queries); this
module only turns them into sentences, charts (``buchungen.charts``) and tables. See
docs/reports-dashboard.md.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET

from buchungen import charts, exports
from buchungen import reports as figures_module
from konten.models import Membership, Organisation
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

# The page's tables and their downloads (buchungen/exports.py names them): every table has one.
EXPORTS = {
    "key_figures": "key-figures",
    "utilisation_by_resource": "utilisation-resource",
    "utilisation_by_organisation": "utilisation-organisation",
    "utilisation_by_kind": "utilisation-kind",
    "lending_flows": "lending-flows",
    "own_and_private_use": "own-use",
    "idle": "idle",
    "busiest": "busiest",
    "trend": "trend",
}
_weekdays = exports.weekdays


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """``(first day, last day)`` (both included) of a preset, relative to ``today`` (Berlin)."""
    this_month = today.replace(day=1)
    if preset == "this_month":
        return this_month, _add_months(this_month, 1) - timedelta(days=1)
    if preset == "last_month":
        return _add_months(this_month, -1), this_month - timedelta(days=1)
    if preset == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    # last_6_months: the current month and the five before it
    return _add_months(this_month, -5), _add_months(this_month, 1) - timedelta(days=1)


def _date_field(label, help_text) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=help_text,
    )


class ReportPeriodForm(forms.Form):
    """``preset``, ``from``, ``to`` (the names the downloads and the API use; ``from`` is a Python keyword,
    so the two date fields are added in ``__init__``) and, when there is a choice, ``organisation``."""

    PRESETS = [
        ("", pgettext_lazy("report period", "Dates below")),
        ("this_month", gettext_lazy("This month")),
        ("last_month", gettext_lazy("Last month")),
        ("last_6_months", gettext_lazy("Last 6 months")),
        ("this_year", gettext_lazy("This year")),
    ]

    preset = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=PRESETS,
        required=False,
        help_text=gettext_lazy("A preset wins over the dates below."),
    )

    def __init__(self, *args, organisations=None, network: bool = False, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["from"] = _date_field(gettext_lazy("From"), gettext_lazy("First day of the period."))
        self.fields["to"] = _date_field(
            gettext_lazy("To"), gettext_lazy("Last day of the period (included).")
        )
        if organisations is not None:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=gettext_lazy("Organisation"),
                queryset=organisations,
                required=False,
                to_field_name="slug",
                empty_label=gettext_lazy("Whole network") if network else None,
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        preset = data.get("preset")
        start, end = data.get("from"), data.get("to")
        if preset:
            start, end = preset_period(preset, self.today)
        elif start is None and end is None:
            start, end = preset_period("last_6_months", self.today)
        elif start is None or end is None:
            missing = "from" if start is None else "to"
            self.add_error(missing, _("Enter both dates, or neither."))
            return data
        if end < start:
            self.add_error("to", _("The last day must not be before the first day."))
        elif exports.period_too_long(start, end):
            self.add_error("to", exports.period_too_long_message())
        data["first_day"], data["last_day"] = start, end
        return data


def _scope(user) -> tuple[bool, list[Organisation]]:
    """``(network, organisations)``: the coordinator may see the network and pick any organisation; a
    manager sees only the organisations they manage. Raises PermissionDenied for anyone else."""
    if user.is_active and user.is_coordinator:
        return True, []
    managed = list(
        Organisation.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.MANAGER
        ).order_by("name")
    )
    if not managed:
        raise PermissionDenied(
            _("Only the network coordination and managers of an organisation see reports.")
        )
    return False, managed


def _export_url(table: str, fmt: str, query: str) -> str:
    return f"{reverse('buchungen:report_export', args=[table, fmt])}?{query}"


def _number(value: float | int, decimals: int = 0) -> str:
    """A figure as the page's language writes it, thousands grouped ("120.233,5" in German): report
    figures run into six digits, which read badly ungrouped. (Grouping is asked for here, not switched on
    with USE_THOUSAND_SEPARATOR, which would also group ids in URLs.)"""
    return formats.number_format(
        round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def _hours(value: float | None) -> str:
    return _number(value or 0, 1)


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    return _number(value * 100, 1) + " %"


def period_label(first: date, last: date) -> str:
    """ "in March 2026" for a whole month, else "from 1 March 2026 to 31 May 2026"."""
    month_end = _add_months(first, 1) - timedelta(days=1)
    if first.day == 1 and last == month_end:
        return _("in %(month)s") % {"month": formats.date_format(first, "YEAR_MONTH_FORMAT")}
    return _("from %(first)s to %(last)s") % {
        "first": formats.date_format(first, "DATE_FORMAT"),
        "last": formats.date_format(last, "DATE_FORMAT"),
    }


def summaries(figures: dict, *, period: str, organisation: Organisation | None) -> list[str]:
    """Plain-language sentences for funders, built from lending flows, reach, rates and idle resources."""
    sentences = []
    reach = figures["reach"]
    lent: dict[str, list] = {}
    for row in figures["lending_flows"]:
        if row["borrower"] and row["borrower"] != row["owner"]:
            entry = lent.setdefault(row["owner"], [row["owner_name"], 0])
            entry[1] += row["bookings"]
    for owner, (name, count) in sorted(lent.items(), key=lambda item: (-item[1][1], item[1][0])):
        if organisation is not None and owner != organisation.slug:
            continue
        sentences.append(
            ngettext(
                "%(name)s made %(count)d booking by another organisation possible %(period)s.",
                "%(name)s made %(count)d bookings by other organisations possible %(period)s.",
                count,
            )
            % {"name": name, "count": count, "period": period}
        )
    if reach["bookings"]:
        sentences.append(
            ngettext(
                "%(count)s booking %(period)s reached %(participants)s expected participants.",
                "%(count)s bookings %(period)s reached %(participants)s expected participants.",
                reach["bookings"],
            )
            % {
                "count": _number(reach["bookings"]),
                "period": period,
                "participants": _number(reach["participants"]),
            }
        )
        sentences.append(
            ngettext(
                "%(count)d organisation borrowed resources.",
                "%(count)d organisations borrowed resources.",
                reach["borrowing_organisations"],
            )
            % {"count": reach["borrowing_organisations"]}
        )
    else:
        sentences.append(_("There were no bookings %(period)s.") % {"period": period})
    booked = sum(row["booked_hours"] for row in figures["utilisation_by_organisation"])
    bookable = sum(row["bookable_hours"] for row in figures["utilisation_by_organisation"])
    if bookable:
        sentences.append(
            _("Resources were booked for %(booked)s of %(bookable)s bookable hours (%(share)s).")
            % {"booked": _hours(booked), "bookable": _hours(bookable), "share": _percent(booked / bookable)}
        )
    idle = len(figures["idle"])
    if idle:
        sentences.append(
            ngettext(
                "%(count)d resource was not booked at all.",
                "%(count)d resources were not booked at all.",
                idle,
            )
            % {"count": idle}
        )
    return sentences


def _with_percent(rows: list[dict]) -> list[dict]:
    return [{**row, "occupancy_text": _percent(row["occupancy"])} for row in rows]


def _occupancy_chart(rows: list[dict], *, chart_id: str, title: str, desc: str):
    """Occupancy bars on a fixed 0–100 % scale (not scaled to the largest value)."""
    return charts.horizontal_bars(
        _bars(rows, "occupancy", percent=True), chart_id=chart_id, title=title, desc=desc, maximum=1.0
    )


def _key_figures(figures: dict) -> list[dict]:
    """The key figures table's rows (exports.key_figures, so the download holds the same), with the
    value written for the page."""
    rows = exports.key_figures(
        decision_times=figures["decision_times"], rates=figures["rates"], reach=figures["reach"]
    )
    for row in rows:
        value = row["value"]
        if value is None:
            row["text"] = "–"
        else:
            row["text"] = _number(value, 0 if row["unit"] == "count" else 1)
    return rows


def _bars(rows: list[dict], value_key: str, *, percent: bool) -> list[charts.Bar]:
    bars = []
    for row in rows:
        value = row.get(value_key)
        if percent:
            bars.append(charts.Bar(row["name"], value or 0, _percent(value)))
        else:
            bars.append(charts.Bar(row["name"], value or 0, _hours(value)))
    return bars


def _busiest(matrix: list[list[float]]) -> tuple[list[dict], str]:
    """Rows of the heat map's table (one per hour of the day, a value per weekday) and a sentence naming
    the busiest hour."""
    weekdays = _weekdays()
    largest = max((value for row in matrix for value in row), default=0)
    rows = [
        {
            "hour": exports.hour_label(hour),
            "cells": [
                {"hours": _hours(matrix[day][hour]), "empty": matrix[day][hour] <= 0} for day in range(7)
            ],
        }
        for hour in range(24)
    ]
    if largest <= 0:
        return rows, _("No booked hours in this period.")
    day, hour = max(
        ((d, h) for d in range(len(matrix)) for h in range(len(matrix[d]))),
        key=lambda cell: matrix[cell[0]][cell[1]],
    )
    sentence = _(
        "The busiest hour is %(weekday)s %(start)02d:00–%(end)02d:00 with %(hours)s booked hours."
    ) % {
        "weekday": weekdays[day],
        "start": hour,
        "end": (hour + 1) % 24,
        "hours": _hours(largest),
    }
    return rows, sentence


def _month_label(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return formats.date_format(date(year, number, 1), "YEAR_MONTH_FORMAT")


def build_context(figures: dict, *, first: date, last: date, organisation, query: str) -> dict:
    period = period_label(first, last)
    kinds = dict(Resource.Kind.choices)
    by_kind = _with_percent(
        [{**row, "name": str(kinds.get(row["key"], row["name"]))} for row in figures["utilisation_by_kind"]]
    )
    by_resource = _with_percent(figures["utilisation_by_resource"])
    by_organisation = _with_percent(figures["utilisation_by_organisation"])
    rates = figures["rates"]
    busiest_rows, busiest_sentence = _busiest(figures["busiest"])
    trend = [{**row, "label": _month_label(row["month"])} for row in figures["trend"]]
    occupancy_desc = _("Share of the bookable hours that were booked, per organisation, %(period)s.") % {
        "period": period
    }
    context = {
        "period": period,
        "summaries": summaries(figures, period=period, organisation=organisation),
        "utilisation_by_resource": by_resource,
        "utilisation_by_organisation": by_organisation,
        "utilisation_by_kind": by_kind,
        "lending_flows": figures["lending_flows"],
        "own_and_private_use": figures["own_and_private_use"],
        "key_figures": _key_figures(figures),
        "idle": figures["idle"],
        "busiest_rows": busiest_rows,
        "busiest_sentence": busiest_sentence,
        "trend": trend,
        "decision_times": figures["decision_times"],
        "rates": rates,
        "cancellation_rate": _percent(rates["cancellation_rate"]),
        "no_show_rate": _percent(rates["no_show_rate"]),
        "reach": figures["reach"],
        "kinds": kinds,
        "weekdays": _weekdays(),
        "chart_occupancy_org": _occupancy_chart(
            figures["utilisation_by_organisation"],
            chart_id="chart-occupancy-organisation",
            title=_("Occupancy by organisation"),
            desc=occupancy_desc,
        ),
        "chart_occupancy_resource": _occupancy_chart(
            figures["utilisation_by_resource"],
            chart_id="chart-occupancy-resource",
            title=_("Occupancy by resource"),
            desc=_("Share of the bookable hours that were booked, per resource, %(period)s.")
            % {"period": period},
        ),
        "chart_occupancy_kind": _occupancy_chart(
            by_kind,
            chart_id="chart-occupancy-kind",
            title=_("Occupancy by kind"),
            desc=_("Share of the bookable hours that were booked, per kind of resource, %(period)s.")
            % {"period": period},
        ),
        "chart_flows": charts.horizontal_bars(
            [
                charts.Bar(
                    f"{row['owner_name']} → {row['borrower_name']}",
                    row["hours"],
                    _hours(row["hours"]),
                )
                for row in figures["lending_flows"]
            ],
            chart_id="chart-flows",
            title=_("Lending flows in hours"),
            desc=_("Booked hours per lending and borrowing organisation, %(period)s.") % {"period": period},
        ),
        "chart_busiest": charts.heat_map(
            figures["busiest"],
            weekdays=_weekdays(),
            chart_id="chart-busiest",
            title=_("Busiest times"),
            desc=_("Booked hours per weekday and hour, darker is busier (scale 0 to 5).")
            + " "
            + busiest_sentence,
        ),
        "chart_trend": charts.columns(
            [charts.Bar(row["label"], row["bookings"], str(row["bookings"])) for row in trend],
            chart_id="chart-trend",
            title=_("Bookings per month"),
            desc=_("Number of bookings per month, %(period)s.") % {"period": period},
        ),
        "exports": {
            table: {fmt: _export_url(name, fmt, query) for fmt in ("csv", "xlsx")}
            for table, name in EXPORTS.items()
        },
    }
    return context


@login_required
@require_GET
def reports(request):
    network, managed = _scope(request.user)
    today = timezone.localdate(timezone=local_zone())
    if network:
        choices = Organisation.objects.order_by("name")
    else:
        choices = Organisation.objects.filter(pk__in=[org.pk for org in managed]).order_by("name")
    show_picker = network or len(managed) > 1
    params = request.GET
    if not any(params.get(name) for name in ("preset", "from", "to")):
        first, last = preset_period("last_6_months", today)
        params = params.copy()
        params.update({"from": first.isoformat(), "to": last.isoformat()})
    form = ReportPeriodForm(
        params, organisations=choices if show_picker else None, network=network, today=today
    )
    context = {"form": form, "network": network, "organisation": None, "figures": None}
    if not form.is_valid():
        return render(request, "buchungen/reports/reports.html", context, status=400)
    data = form.cleaned_data
    organisation = data.get("organisation") if show_picker else None
    if not network and organisation is None:
        organisation = managed[0]  # a manager always sees an organisation of theirs, never the network
    if not request.user.has_perm("buchungen.view_reports", organisation):
        raise PermissionDenied
    first, last = data["first_day"], data["last_day"]
    zone = local_zone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)

    figures = figures_module.report(start=start, end=end, organisation=organisation)
    query = f"from={first.isoformat()}&to={last.isoformat()}"
    if organisation is not None:
        query += f"&organisation={organisation.slug}"
    context.update(
        build_context(figures, first=first, last=last, organisation=organisation, query=query),
        organisation=organisation,
        first_day=first,
        last_day=last,
        figures=figures,
    )
    return render(request, "buchungen/reports/reports.html", context)


urlpatterns = [
    path("berichte/", reports, name="reports"),
]
