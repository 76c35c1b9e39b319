"""Downloads of the report tables (docs/reports-api-export.md): per role, bad input, CSV for German Excel
safe against formula injection, XLSX readable with numbers as numbers, figures as buchungen.reports."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from buchungen import exports, reports
from tests.buchungen.conftest import at
from tests.factories import BookingFactory, OrganisationFactory, ResourceFactory

JUNE = {"from": "2026-06-01", "to": "2026-06-30"}
PERIOD = exports.parse_period(JUNE)


def url(table="utilisation-resource", fmt="csv") -> str:
    return reverse("buchungen:report_export", kwargs={"table": table, "fmt": fmt})


@pytest.fixture
def scene(org_a, org_b, member_a, member_b):
    """Hafenstraße's hall: 2 h for the VHS, 3 h 30 min for itself; three of its projectors for 2 h (6 unit
    hours); the VHS's workshop: 1 h for Hafenstraße; a cancelled booking that does not count."""
    hall = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    beamers = ResourceFactory(
        organisation=org_a, kind="equipment", name="Beamer", slug="beamer", capacity=None, quantity=3
    )
    workshop = ResourceFactory(organisation=org_b, name="Werkstatt", slug="werkstatt")
    BookingFactory(resource=hall, organisation=org_b, booked_by=member_b, start=at(2, 10))
    BookingFactory(
        resource=hall, organisation=org_a, booked_by=member_a, start=at(30, 18), end=at(30, 21, 30)
    )
    BookingFactory(resource=beamers, organisation=org_a, booked_by=member_a, start=at(3, 10), quantity=3)
    BookingFactory(resource=workshop, organisation=org_a, booked_by=member_a, start=at(3, 9), end=at(3, 10))
    BookingFactory(resource=hall, organisation=org_b, booked_by=member_b, start=at(4, 10), status="cancelled")
    return hall, beamers, workshop


def login(client, user, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def read_csv(response) -> list[list[str]]:
    content = response.content
    assert content.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- who may download ------------------------------------------------------------------------------


@pytest.mark.parametrize("table", exports.TABLES)
@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_coordinator_downloads_every_table(client, coordinator, scene, table, fmt):
    response = login(client, coordinator).get(url(table, fmt), JUNE)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="bericht-{table}-netzwerk-2026-06-01-2026-06-30.{fmt}"'
    )
    assert response["Cache-Control"] == "private, no-store"
    headers = (read_csv if fmt == "csv" else read_xlsx)(response)[0]
    assert headers and all(headers)


def test_manager_downloads_their_own_organisation(client, manager_a, scene):
    response = login(client, manager_a).get(url(), JUNE)
    assert response.status_code == 200
    assert (
        "bericht-utilisation-resource-hafenstrasse-2026-06-01-2026-06-30.csv"
        in response["Content-Disposition"]
    )
    names = [row[0] for row in read_csv(response)[1:]]
    assert names == ["Beamer", "Saal Hafen"]  # not the VHS's workshop


@pytest.mark.parametrize("slug", ["vhs", "gibt-es-nicht"])
def test_manager_of_another_organisation_or_a_made_up_one_gets_404(client, manager_a, scene, slug):
    """404 for an organisation the manager may not see, the same for one that does not exist."""
    response = login(client, manager_a).get(url("lending-flows", "xlsx"), {**JUNE, "organisation": slug})
    assert response.status_code == 404


def test_coordinator_unknown_organisation_is_404(client, coordinator, scene):
    response = login(client, coordinator).get(url(), {**JUNE, "organisation": "gibt-es-nicht"})
    assert response.status_code == 404


def test_members_and_outsiders_are_refused(client, member_a, outsider, scene):
    for person in (member_a, outsider):
        assert login(client, person).get(url(), JUNE).status_code == 403
    assert client.get(url(), {"from": "kaputt"}).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, scene):
    response = client.get(url(), JUNE)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_unknown_table_or_format_is_404(client, coordinator, scene):
    login(client, coordinator)
    assert client.get(url("geheim"), JUNE).status_code == 404
    assert client.get(url().replace(".csv", ".pdf"), JUNE).status_code == 404


def test_only_get(client, coordinator, scene):
    assert login(client, coordinator).post(url(), JUNE).status_code == 405


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2026-06-30"}, "from"),
        ({"from": "2026-06-30", "to": "2026-06-01"}, "to"),
        ({"from": "2026-01-01", "to": "2028-01-01"}, "to"),
    ],
)
def test_bad_input_is_400(client, coordinator, scene, params, field):
    response = login(client, coordinator).get(url(), params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert f"{field}: " in response.content.decode()


@pytest.mark.parametrize("table", exports.TABLES)
def test_the_longest_period_downloads_and_one_day_more_is_400(client, coordinator, scene, table):
    login(client, coordinator)
    assert client.get(url(table), {"from": "2026-01-01", "to": "2027-12-31"}).status_code == 200
    response = client.get(url(table), {"from": "2026-01-01", "to": "2028-01-01"})
    assert response.status_code == 400
    assert "to: A report covers at most 2 years." in response.content.decode()


def test_one_limit_for_page_downloads_and_api():
    from buchungen.views import reports as page

    assert exports.MAX_PERIOD_YEARS == 2
    assert not hasattr(page, "MAX_DAYS")
    first = exports.parse_period({"from": "2026-01-01", "to": "2027-12-31"}).first
    assert not exports.period_too_long(first, first.replace(year=2027, month=12, day=31))
    assert exports.period_too_long(first, first.replace(year=2028))


# --- the figures ------------------------------------------------------------------------------------


def test_xlsx_numbers_match_the_reports(client, coordinator, scene):
    response = login(client, coordinator).get(url("utilisation-resource", "xlsx"), JUNE)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    header, *rows = read_xlsx(response)
    assert header == ["Resource", "Booked hours", "Bookable hours", "Occupancy (%)"]
    expected = reports.utilisation(start=PERIOD.start, end=PERIOD.end, group_by="resource")
    assert [row[0] for row in rows] == [row["name"] for row in expected]
    for row, figures in zip(rows, expected, strict=True):
        assert row[1] == pytest.approx(figures["booked_hours"], abs=0.005)
        assert row[2] == pytest.approx(figures["bookable_hours"], abs=0.005)
        if figures["occupancy"] is None:
            assert row[3] is None
        else:
            assert row[3] == pytest.approx(figures["occupancy"] * 100, abs=0.05)
    # Hand-computed: 2 h + 3.5 h; projectors 3 units × 2 h; numbers are numbers, not text.
    booked = {row[0]: row[1] for row in rows}
    assert booked == {"Beamer": 6, "Saal Hafen": 5.5, "Werkstatt": 1}
    assert all(isinstance(row[1], int | float) for row in rows)


def test_lending_flows_table(client, coordinator, scene):
    header, *rows = read_xlsx(login(client, coordinator).get(url("lending-flows", "xlsx"), JUNE))
    assert header == ["Owning organisation", "Borrowing organisation", "Bookings", "Hours"]
    flows = reports.lending_flows(start=PERIOD.start, end=PERIOD.end)
    assert rows == [[f["owner_name"], f["borrower_name"], f["bookings"], f["hours"]] for f in flows]
    pairs = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    assert pairs[
        ("Soziokulturelles Zentrum Hafenstraße e.V.", "Volkshochschule im Landkreis Meißen e.V.")
    ] == (1, 2)


def test_trend_and_idle_tables(client, coordinator, scene, org_b):
    ResourceFactory(organisation=org_b, name="Leerer Raum", slug="leerer-raum")
    header, *rows = read_xlsx(login(client, coordinator).get(url("trend", "xlsx"), JUNE))
    assert header == ["Month", "Bookings", "Hours"]
    trend = reports.monthly_trend(start=PERIOD.start, end=PERIOD.end)
    assert rows == [[t["month"], t["bookings"], t["hours"]] for t in trend]
    header, *rows = read_xlsx(client.get(url("idle", "xlsx"), JUNE))
    assert [row[0] for row in rows] == ["Leerer Raum"]


def test_busiest_times_table(client, coordinator, scene):
    """Hand-computed June 2026: Tue 2nd 10–12 and Tue 30th 18:00–21:30 in the hall, Wed 3rd 09–10 in the
    workshop and 10–12 three projectors."""
    header, *rows = read_xlsx(login(client, coordinator).get(url("busiest", "xlsx"), JUNE))
    assert header == ["Hour", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [row[0] for row in rows] == [f"{h:02d}:00–{(h + 1) % 24:02d}:00" for h in range(24)]
    cells = {(row[0][:2], day): value for row in rows for day, value in enumerate(row[1:]) if value}
    assert cells == {
        ("10", 1): 1, ("11", 1): 1, ("18", 1): 1, ("19", 1): 1, ("20", 1): 1, ("21", 1): 0.5,
        ("09", 2): 1, ("10", 2): 3, ("11", 2): 3,
    }  # fmt: skip
    grid = reports.busiest_times(start=PERIOD.start, end=PERIOD.end)
    assert [row[1:] for row in rows] == [[grid[day][hour] for day in range(7)] for hour in range(24)]


def test_key_figures_table(client, coordinator, scene):
    header, *rows = read_xlsx(login(client, coordinator).get(url("key-figures", "xlsx"), JUNE))
    assert header == ["Figure", "Value"]
    figures = {row[0]: row[1] for row in rows}
    reach = reports.reach(start=PERIOD.start, end=PERIOD.end)
    assert figures["Bookings"] == reach["bookings"] == 4
    assert figures["Borrowing organisations"] == 2  # the VHS borrows the hall, Hafenstraße the workshop
    assert figures["Expected participants (no-shows not counted)"] == reach["participants"]
    assert figures["Cancellation rate (%)"] == 0  # the cancelled one was never confirmed
    assert figures["Median time to decision (hours)"] is None and figures["Decided requests"] == 0
    assert len(rows) == 10


def test_own_use_table(client, coordinator, scene):
    """Hafenstraße booked its own hall (3.5 h) and three of its projectors for 2 h (6 unit-hours)."""
    header, *rows = read_xlsx(login(client, coordinator).get(url("own-use", "xlsx"), JUNE))
    assert header == [
        "Owning organisation",
        "Own use: bookings",
        "Own use: hours",
        "Private persons: bookings",
        "Private persons: hours",
    ]
    assert rows == [["Soziokulturelles Zentrum Hafenstraße e.V.", 2, 9.5, 0, 0]]


def test_csv_is_for_german_excel(client, coordinator, scene):
    """German: `;` between cells, decimal comma, headers in German."""
    response = login(client, coordinator, language="de").get(url(), JUNE)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = read_csv(response)
    with translation.override("de"):
        assert header[0] == gettext("Resource")
    assert {row[0]: row[1] for row in rows} == {"Beamer": "6", "Saal Hafen": "5,5", "Werkstatt": "1"}


def test_csv_in_english_has_decimal_points(client, coordinator, scene):
    header, *rows = read_csv(login(client, coordinator).get(url(), JUNE))
    assert header == ["Resource", "Booked hours", "Bookable hours", "Occupancy (%)"]
    assert {row[0]: row[1] for row in rows}["Saal Hafen"] == "5.5"


# --- formula injection --------------------------------------------------------------------------------

NASTY = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.fixture
def nasty_scene(org_a, member_a):
    """Organisations and rooms with names that look like formulas: lent to Hafenstraße and used by
    their owners themselves (so they appear in every table with names)."""
    for number, name in enumerate(NASTY):
        owner = OrganisationFactory(name=name, slug=f"boese-{number}")
        room = ResourceFactory(organisation=owner, name=name, slug=f"boese-raum-{number}")
        BookingFactory(resource=room, organisation=org_a, booked_by=member_a, start=at(5, 10))
        BookingFactory(resource=room, organisation=owner, booked_by=member_a, start=at(6, 10))


def test_csv_cells_cannot_start_a_formula(client, coordinator, nasty_scene):
    login(client, coordinator)
    names = [row[0] for row in read_csv(client.get(url(), JUNE))[1:]]
    assert sorted(names) == sorted("'" + name for name in NASTY)
    for table in ("lending-flows", "own-use"):
        rows = read_csv(client.get(url(table), JUNE))[1:]
        assert sorted(row[0] for row in rows) == sorted("'" + name for name in NASTY), table


@pytest.mark.parametrize("table", ["utilisation-resource", "own-use", "lending-flows"])
def test_xlsx_cells_are_text_not_formulas(client, coordinator, nasty_scene, table):
    response = login(client, coordinator).get(url(table, fmt="xlsx"), JUNE)
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # (XML stores a carriage return as a line feed.)
    assert sorted(cell.value for cell in cells) == sorted(name.replace("\r", "\n") for name in NASTY)
    assert {cell.data_type for cell in cells} == {"s"}


@pytest.mark.parametrize("text", ["Saal", "1 Raum", "a=b", "", "Ü-Wagen"])
def test_harmless_text_is_left_alone(text):
    assert exports.safe_text(text) == text


def test_csv_numbers_are_not_prefixed():
    # A negative number is a number, not text that could start a formula.
    assert exports.csv_bytes(["n"], [[-1.5], [-2]]).decode("utf-8-sig").splitlines()[1:] == ["-1.5", "-2"]


def test_query_count_does_not_grow_with_rows(
    client, coordinator, scene, org_a, django_assert_max_num_queries
):
    login(client, coordinator)
    client.get(url(fmt="xlsx"), JUNE)
    for number in range(10):
        room = ResourceFactory(organisation=org_a, name=f"Raum {number}", slug=f"raum-{number}")
        BookingFactory(resource=room, organisation=org_a, start=at(5, 10))
    for table in exports.TABLES:
        with django_assert_max_num_queries(12):
            assert client.get(url(table, "xlsx"), JUNE).status_code == 200
