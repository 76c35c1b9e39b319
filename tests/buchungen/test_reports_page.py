"""The reports page (buchungen:reports): who may see which figures, the period picker, the sentences
for funders, the charts' text alternatives and a query count that does not grow with the bookings.

The figures themselves are tested with buchungen.reports; here the data set is small and in March 2026
(a whole month in the past), asked for with explicit dates so the real clock does not matter.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from buchungen.views.reports import period_label, preset_period
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
URL = reverse("buchungen:reports")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


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
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),
        ({"start": "gestern", "end": "2026-03-01"}, "start"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "end"),
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


def test_summaries_of_an_empty_period(client, coordinator, scene):
    response = login(client, coordinator).get(URL, {"start": "2025-01-01", "end": "2025-01-31"})
    assert response.status_code == 200
    assert "There were no bookings in January 2025." in response.context["summaries"]
    assert "No bookings in this period." in response.content.decode()


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
