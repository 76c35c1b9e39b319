"""The reports page (buchungen:reports): who may see which figures, the period picker, the sentences
for funders, the charts' text alternatives and a query count that does not grow with the bookings.

The figures themselves are tested with buchungen.reports; here the data set is small and in March 2026
(a whole month in the past), asked for with explicit dates so the real clock does not matter.
"""

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from buchungen import exports as exports_module
from buchungen.views.reports import period_label, preset_period, summaries
from tests.factories import BookingFactory, MembershipFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
URL = reverse("buchungen:reports")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def scene(org_a, org_b, member_b, member_a):
    """Org A (Hafenstraße) owns a hall and lends it three times to org B in March; B's own room is
    booked once by B; A's store room lies idle; one cancelled booking must not count."""
    hall = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    ResourceFactory(organisation=org_a, name="Lager", slug="lager")
    room_b = ResourceFactory(organisation=org_b, name="Kursraum", slug="kursraum")
    for day in (3, 10, 17):
        BookingFactory(
            resource=hall,
            organisation=org_b,
            booked_by=member_b,
            start=datetime(2026, 3, day, 18, tzinfo=BERLIN),
            participants=20,
        )
    BookingFactory(
        resource=hall,
        organisation=org_b,
        booked_by=member_b,
        status="cancelled",
        start=datetime(2026, 3, 24, 18, tzinfo=BERLIN),
    )
    BookingFactory(
        resource=room_b,
        organisation=org_b,
        booked_by=member_b,
        start=datetime(2026, 3, 5, 10, tzinfo=BERLIN),
        participants=8,
    )
    return {"hall": hall, "room_b": room_b}


# --- Who sees what ---------------------------------------------------------------------------------------


def test_visitor_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("persona", ["member_a", "outsider"])
def test_members_and_outsiders_get_403(client, request, persona):
    user = request.getfixturevalue(persona)
    assert login(client, user).get(URL).status_code == 403


def test_coordinator_sees_the_network_and_may_pick_an_organisation(client, coordinator, scene, org_a, org_b):
    login(client, coordinator)
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    assert response.context["organisation"] is None
    names = {row["name"] for row in response.context["utilisation_by_organisation"]}
    assert {org_a.name, org_b.name} <= names
    assert 'name="organisation"' in response.content.decode()

    picked = client.get(URL, {**MARCH, "organisation": org_b.slug})
    assert picked.status_code == 200
    assert picked.context["organisation"] == org_b
    assert {row["name"] for row in picked.context["utilisation_by_resource"]} == {"Kursraum"}


def test_manager_sees_only_their_organisation(client, manager_a, scene, org_a, org_b):
    login(client, manager_a)
    response = client.get(URL, {**MARCH, "organisation": org_b.slug})  # ignored: no picker for one org
    assert response.status_code == 200
    assert response.context["organisation"] == org_a
    assert {row["name"] for row in response.context["utilisation_by_resource"]} == {"Saal Hafen", "Lager"}
    assert 'name="organisation"' not in response.content.decode()
    assert "Kursraum" not in response.content.decode()


def test_manager_of_two_organisations_picks_only_among_theirs(client, manager_a, scene, org_a, org_b):
    from konten.models import Membership

    third = MembershipFactory(user=manager_a, role=Membership.Role.MANAGER).organisation
    login(client, manager_a)
    assert client.get(URL, {**MARCH, "organisation": third.slug}).context["organisation"] == third
    assert client.get(URL, MARCH).context["organisation"] in {org_a, third}  # never the network
    assert client.get(URL, {**MARCH, "organisation": org_b.slug}).status_code == 400


# --- Period ----------------------------------------------------------------------------------------------


def test_presets():
    today = date(2026, 3, 15)
    assert preset_period("this_month", today) == (date(2026, 3, 1), date(2026, 3, 31))
    assert preset_period("last_month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert preset_period("last_6_months", today) == (date(2025, 10, 1), date(2026, 3, 31))
    assert preset_period("this_year", today) == (date(2026, 1, 1), date(2026, 12, 31))
    assert preset_period("last_month", date(2026, 1, 5)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_default_period_is_the_last_six_months(client, coordinator):
    response = login(client, coordinator).get(URL)
    assert response.status_code == 200
    first, last = response.context["first_day"], response.context["last_day"]
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert (last.year * 12 + last.month) - (first.year * 12 + first.month) == 5


def test_a_preset_wins_over_dates(client, coordinator):
    response = login(client, coordinator).get(URL, {**MARCH, "preset": "this_year"})
    assert response.status_code == 200
    assert response.context["first_day"].month == 1 and response.context["last_day"].month == 12


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"from": "gestern", "to": "2026-03-01"}, "from"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-03-01"}, "to"),
        ({"from": "2026-01-01", "to": "2028-01-01"}, "to"),  # one day over the limit
        ({"preset": "forever"}, "preset"),
    ],
)
def test_bad_periods_are_form_errors(client, coordinator, params, field):
    response = login(client, coordinator).get(URL, params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    body = response.content.decode()
    assert 'role="alert"' in body and f'href="#id_{field}"' in body
    assert response.context["figures"] is None


# --- What the page says ----------------------------------------------------------------------------------


def test_summaries_tell_who_lent_to_whom(client, coordinator, scene, org_a):
    response = login(client, coordinator).get(URL, MARCH)
    summaries = response.context["summaries"]
    assert f"{org_a.name} made 3 bookings by other organisations possible in March 2026." in summaries
    assert "4 bookings in March 2026 reached 68 expected participants." in summaries
    assert "1 organisation borrowed resources." in summaries
    assert "1 resource was not booked at all." in summaries
    assert f"{org_a.name} made 3 bookings" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "participants", "hours"),
    [
        ("de", "erreichten 28.000 erwartete Teilnehmende", "120.233,5 von 241.493,5 buchbaren Stunden"),
        ("en", "reached 28,000 expected participants", "120,233.5 of 241,493.5 bookable hours"),
    ],
)
def test_large_figures_are_grouped_in_the_pages_language(language, participants, hours):
    """Six-digit hours and a town's worth of participants read with thousands separators ("120.233,5"),
    in the sentences for funders as in the tables."""
    figures = {
        "lending_flows": [],
        "reach": {"bookings": 1500, "participants": 28000, "borrowing_organisations": 12},
        "utilisation_by_organisation": [{"booked_hours": 120233.5, "bookable_hours": 241493.5}],
        "idle": [],
    }
    with translation.override(language):
        text = " ".join(summaries(figures, period="2026", organisation=None))
    assert participants in text
    assert hours in text


def test_summaries_of_an_empty_period(client, coordinator, scene):
    response = login(client, coordinator).get(URL, {"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 200
    assert "There were no bookings in January 2025." in response.context["summaries"]
    assert "No lending between organisations in this period." in response.content.decode()


def test_period_label():
    assert period_label(date(2026, 3, 1), date(2026, 3, 31)) == "in March 2026"
    assert period_label(date(2026, 3, 2), date(2026, 3, 31)) == "from March 2, 2026 to March 31, 2026"


def test_charts_have_text_alternatives_and_tables(client, coordinator, scene):
    body = login(client, coordinator).get(URL, MARCH).content.decode()
    for chart in (
        "occupancy-organisation",
        "occupancy-kind",
        "occupancy-resource",
        "flows",
        "busiest",
        "trend",
    ):
        assert (
            f'id="chart-{chart}" role="img" aria-labelledby="chart-{chart}-title chart-{chart}-desc"' in body
        )
        assert f'<title id="chart-{chart}-title">' in body and f'<desc id="chart-{chart}-desc">' in body
    assert body.count("<figure") == body.count("<figcaption>") == 6
    assert "The busiest hour is Tue 18:00–19:00 with 3.0 booked hours." in body  # 3, 10, 17 March: Tuesdays
    assert "Lager" in body  # the idle list


def test_export_links_follow_the_period_and_download(client, coordinator, scene):
    response = login(client, coordinator).get(URL, MARCH)
    exports = response.context["exports"]
    csv = exports["lending_flows"]["csv"]
    assert csv.startswith(reverse("buchungen:report_export", args=["lending-flows", "csv"]))
    assert "from=2026-03-01" in csv and "to=2026-03-31" in csv
    assert csv.replace("&", "&amp;") in response.content.decode()
    # Every link on the page answers with a file.
    for links in exports.values():
        for url in links.values():
            download = client.get(url)
            assert download.status_code == 200, url
            assert download["Content-Disposition"].startswith("attachment;")


def test_the_query_count_does_not_grow_with_the_bookings(
    client, coordinator, scene, member_b, org_b, django_assert_max_num_queries
):
    login(client, coordinator)
    with django_assert_max_num_queries(20) as few:
        assert client.get(URL, MARCH).status_code == 200
    hall = scene["hall"]
    for day in range(1, 29):
        other = ResourceFactory(organisation=org_b, name=f"Raum {day}", slug=f"raum-{day}")
        BookingFactory(
            resource=hall,
            organisation=org_b,
            booked_by=member_b,
            start=datetime(2026, 3, day, 8, tzinfo=BERLIN),
        )
        BookingFactory(
            resource=other,
            organisation=org_b,
            booked_by=member_b,
            start=datetime(2026, 3, day, 12, tzinfo=BERLIN),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, MARCH)
    assert response.context["reach"]["bookings"] == 4 + 56


@pytest.mark.parametrize("persona, shown", [("coordinator", True), ("manager_a", True), ("member_a", False)])
def test_my_area_links_to_the_reports_for_whom_may_see_them(client, request, persona, shown):
    body = login(client, request.getfixturevalue(persona)).get(reverse("konten:dashboard")).content.decode()
    assert (f'href="{URL}"' in body) is shown


# --- One period limit, German sentences, own use, key figures --------------------------------------------


def test_the_longest_period_works_and_one_day_more_is_a_clear_error(client, coordinator, scene):
    login(client, coordinator)
    longest = client.get(URL, {"from": "2026-01-01", "to": "2027-12-31"})
    assert longest.status_code == 200
    assert longest.context["reach"]["bookings"] == 4
    too_long = client.get(URL, {"from": "2026-01-01", "to": "2028-01-01"})
    assert too_long.status_code == 400
    assert too_long.context["form"].errors["to"] == ["A report covers at most 2 years."]
    assert "To: A report covers at most 2 years." in too_long.content.decode()


def test_the_summary_in_german(client, coordinator, scene, org_a):
    """The persona's language is German: the sentence for funders reads as the issue asks."""
    coordinator.language = "de"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)
    body = client.get(URL, MARCH).content.decode()
    assert f"{org_a.name} hat im März 2026 3 Buchungen anderer Organisationen ermöglicht." in body
    assert "4 Buchungen im März 2026 erreichten 68 erwartete Teilnehmende." in body
    assert "Kennzahlen" in body


def test_own_use_and_private_persons_are_apart_from_the_flows(client, coordinator, scene, org_b, member_b):
    room_b = scene["room_b"]  # booked once by its owner (org B) in the scene
    BookingFactory(
        resource=room_b,
        organisation=None,
        booked_by=member_b,
        start=datetime(2026, 3, 6, 10, tzinfo=BERLIN),
    )
    response = login(client, coordinator).get(URL, MARCH)
    flows = response.context["lending_flows"]
    assert [(row["owner"], row["borrower"]) for row in flows] == [("hafenstrasse", "vhs")]
    assert response.context["own_and_private_use"] == [
        {"owner": "vhs", "owner_name": org_b.name, "own_bookings": 1, "own_hours": 2.0,
         "private_bookings": 1, "private_hours": 2.0},
    ]  # fmt: skip
    body = response.content.decode()
    assert "Own use and private persons, in March 2026" in body  # the table's caption
    assert "private persons</td>" not in body  # no such row among the flows


def test_key_figures_are_a_table(client, coordinator, scene):
    body = login(client, coordinator).get(URL, MARCH).content.decode()
    section = body[body.index('id="report-key-figures"') : body.index('id="report-occupancy"')]
    assert "<caption>Key figures, in March 2026</caption>" in section
    assert '<th scope="col">Figure</th>' in section and '<th scope="col">Value</th>' in section
    assert '<tr><th scope="row">Bookings</th><td>4</td></tr>' in section
    assert '<tr><th scope="row">Expected participants (no-shows not counted)</th><td>68</td></tr>' in section
    assert '<tr><th scope="row">Median time to decision (hours)</th><td>–</td></tr>' in section
    assert "<dl" not in section


# --- Every table can be downloaded ------------------------------------------------------------------------


def _tables_and_links(body: str) -> list[tuple[str, list[str]]]:
    """Each ``<table>`` of the page with the download links that follow it before the next table or
    section ends."""
    main = body[body.index("<main") :]
    found = []
    pieces = main.split("<table")[1:]
    for piece in pieces:
        caption = re.search(r"<caption>(.*?)</caption>", piece, re.S).group(1)
        after = piece[piece.index("</table>") :]
        after = after[: after.index("</section>")] if "</section>" in after else after
        links = re.findall(r'<a href="([^"]*/berichte/export/[^"]+)"', after)
        found.append((caption.strip(), [link.replace("&amp;", "&") for link in links]))
    return found


def test_every_table_on_the_page_has_a_csv_and_an_xlsx_download(client, coordinator, scene):
    login(client, coordinator)
    body = client.get(URL, MARCH).content.decode()
    tables = _tables_and_links(body)
    assert len(tables) == len(exports_module.TABLES)  # every download is a table on the page, and back
    linked = set()
    for caption, links in tables:
        assert len(links) == 2, f"table {caption!r} has no CSV and XLSX download"
        assert {link.split("?")[0].rsplit(".", 1)[1] for link in links} == {"csv", "xlsx"}, caption
        for link in links:
            linked.add(link.split("?")[0].rsplit("/", 1)[1].rsplit(".", 1)[0])
            download = client.get(link)
            assert download.status_code == 200, link
            assert download["Content-Disposition"].startswith("attachment;")
    assert linked == set(exports_module.TABLES)


def test_the_check_finds_a_table_without_download():
    body = (
        "<main><section><table><caption>A</caption></table>"
        '<p><a href="/berichte/export/a.csv?from=1">CSV</a></p></section></main>'
    )
    assert _tables_and_links(body) == [("A", ["/berichte/export/a.csv?from=1"])]


# --- Charts: occupancy on a 0–100 % scale -----------------------------------------------------------------


def _bar_widths(svg: str) -> list[float]:
    return [float(width) for width in re.findall(r'<rect x="220" y="[^"]+" width="([^"]+)"', svg)]


def test_occupancy_bars_are_scaled_to_100_percent(client, coordinator, org_a, org_b, member_b):
    """A hall open 100 h and booked 1 h (1 %) and a room open 10 h and booked 5 h (50 %): bars of 1 %
    and 50 % of the 360-unit scale, not the 1 % bar at half and the 50 % bar full."""
    hall = ResourceFactory(organisation=org_a, name="A Saal", slug="a-saal")
    room = ResourceFactory(organisation=org_a, name="B Raum", slug="b-raum")
    for weekday in range(5):  # Monday to Friday 08–18
        OpeningHoursFactory(resource=hall, weekday=weekday, start=time(8), end=time(18))
    OpeningHoursFactory(resource=room, weekday=0, start=time(8), end=time(18))
    week = {"from": "2026-03-02", "to": "2026-03-06"}  # Monday to Friday: hall 50 h, room 10 h
    monday = datetime(2026, 3, 2, 8, tzinfo=BERLIN)
    for resource, minutes in ((hall, 30), (room, 300)):
        BookingFactory(
            resource=resource,
            organisation=org_b,
            booked_by=member_b,
            start=monday,
            end=monday + timedelta(minutes=minutes),
        )
    response = login(client, coordinator).get(URL, week)
    svg = str(response.context["chart_occupancy_resource"])
    assert _bar_widths(svg) == [3.6, 180.0]  # 1 % and 50 % of 360
    assert ">1.0 %</text>" in svg and ">50.0 %</text>" in svg  # the number beside each bar
    assert 'class="chart-scale-end" x1="580"' in svg  # the 100 % mark
    # Hours (lending flows) still compare with the largest.
    assert _bar_widths(str(response.context["chart_flows"])) == [360.0]


# --- Print and the demo network --------------------------------------------------------------------------


def test_the_print_stylesheet_hides_navigation_and_forms(client, coordinator, scene):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    body = login(client, coordinator).get(URL, MARCH).content.decode()
    assert f'<link rel="stylesheet" href="{static("css/site.css")}">' in body
    assert '<header class="site-header"' in body and 'class="report-period"' in body
    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    hidden = []
    for block in re.findall(r"@media print\s*\{(.*?)\n\}", css, re.S):
        for selectors, rules in re.findall(r"([^{}]+)\{([^{}]*)\}", block):
            if re.search(r"display:\s*none", rules):
                hidden += [selector.strip() for selector in selectors.split(",")]
    for selector in (".site-header", ".site-footer", ".report-period", ".report-exports"):
        assert selector in hidden, selector


def test_the_dashboard_opens_on_the_demo_network(client):
    """The demo network (``manage.py demo_network``: people, catalogue, six months of history) gives the
    coordinator a page full of figures for the default period."""
    from buchungen.demo import demo_bookings_load
    from konten.demo import demo_accounts_load
    from konten.models import User
    from ressourcen.demo import demo_resources_load

    accounts = demo_accounts_load(log=lambda line: None)
    resources = demo_resources_load(accounts=accounts, log=lambda line: None)
    demo_bookings_load(accounts=accounts, resources=resources, log=lambda line: None, history=True)
    response = login(client, User.objects.get(email="koordination@example.org")).get(URL)
    assert response.status_code == 200
    context = response.context
    assert context["reach"]["bookings"] > 100 and context["reach"]["participants"] > 0
    assert context["reach"]["borrowing_organisations"] >= 4
    assert len(context["lending_flows"]) >= 8
    assert any(row["occupancy"] for row in context["utilisation_by_organisation"])
    assert sum(map(sum, context["figures"]["busiest"])) > 0
    assert any("made" in sentence and "possible" in sentence for sentence in context["summaries"])
