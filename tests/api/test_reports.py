"""The reports API (docs/reports-api-export.md): utilisation and lending flows, per role, bad input."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from buchungen import reports
from buchungen.exports import parse_period
from konten.models import Membership
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
UTILISATION = "/api/v1/reports/utilisation/"
FLOWS = "/api/v1/reports/lending-flows/"
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}


def at(day: int, hour: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BERLIN)


@pytest.fixture
def scene(org_a, org_b, member_a, member_b):
    """Hafenstraße's hall lent to the VHS (2 h) and used itself (3 h, on 30 June: the last day); the
    VHS's workshop lent to Hafenstraße (1 h); a cancelled booking and one in July that do not count."""
    hall = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    workshop = ResourceFactory(organisation=org_b, name="Werkstatt", slug="werkstatt")
    BookingFactory(resource=hall, organisation=org_b, booked_by=member_b, start=at(2, 10))
    BookingFactory(resource=hall, organisation=org_a, booked_by=member_a, start=at(30, 18), end=at(30, 21))
    BookingFactory(resource=workshop, organisation=org_a, booked_by=member_a, start=at(3, 9), end=at(3, 10))
    BookingFactory(resource=hall, organisation=org_b, booked_by=member_b, start=at(4, 10), status="cancelled")
    BookingFactory(resource=hall, organisation=org_b, booked_by=member_b, start=at(1, 10, month=7))
    return hall, workshop


def expected(group_by="resource", organisation=None, data=JUNE):
    period = parse_period(data)
    return reports.utilisation(
        start=period.start, end=period.end, group_by=group_by, organisation=organisation
    )


def booked(rows) -> dict[str, float]:
    return {row["key"]: row["booked_hours"] for row in rows}


def test_coordinator_sees_the_whole_network(api_as, coordinator, scene):
    response = api_as(coordinator).get(UTILISATION, JUNE)
    assert response.status_code == 200
    body = response.json()
    assert body["from"] == "2026-06-01" and body["to"] == "2026-06-30"
    assert body["organisation"] is None
    assert body["results"] == expected()
    # Hand-computed: 2 h + 3 h (the last day counts, `to` is inclusive); the cancelled one does not.
    assert booked(body["results"]) == {"saal-hafen": 5.0, "werkstatt": 1.0}
    assert set(body["results"][0]) == {"key", "name", "booked_hours", "bookable_hours", "occupancy"}


@pytest.mark.parametrize("group_by", ["organisation", "kind"])
def test_coordinator_groups(api_as, coordinator, scene, group_by):
    response = api_as(coordinator).get(UTILISATION, {**JUNE, "group_by": group_by})
    assert response.status_code == 200
    assert response.json()["results"] == expected(group_by)


def test_group_by_organisation_figures(api_as, coordinator, scene):
    rows = api_as(coordinator).get(UTILISATION, {**JUNE, "group_by": "organisation"}).json()["results"]
    assert booked(rows) == {"hafenstrasse": 5.0, "vhs": 1.0}


def test_coordinator_narrows_to_one_organisation(api_as, coordinator, scene, org_b):
    response = api_as(coordinator).get(UTILISATION, {**JUNE, "organisation": "vhs"})
    assert response.status_code == 200
    assert response.json()["organisation"] == "vhs"
    assert booked(response.json()["results"]) == {"werkstatt": 1.0}


def test_coordinator_unknown_organisation_is_400(api_as, coordinator, scene):
    response = api_as(coordinator).get(UTILISATION, {**JUNE, "organisation": "gibt-es-nicht"})
    assert response.status_code == 400
    assert "organisation" in response.json()


def test_manager_sees_only_their_own_organisation(api_as, manager_a, scene, org_a):
    response = api_as(manager_a).get(UTILISATION, JUNE)
    assert response.status_code == 200
    assert response.json()["organisation"] == "hafenstrasse"
    assert response.json()["results"] == expected(organisation=org_a)
    assert booked(response.json()["results"]) == {"saal-hafen": 5.0}
    # Naming their own organisation is the same.
    again = api_as(manager_a).get(UTILISATION, {**JUNE, "organisation": "hafenstrasse"})
    assert again.json() == response.json()


@pytest.mark.parametrize("path", [UTILISATION, FLOWS])
@pytest.mark.parametrize("slug", ["vhs", "gibt-es-nicht"])
def test_manager_of_another_organisation_is_refused(api_as, manager_a, scene, path, slug):
    response = api_as(manager_a).get(path, {**JUNE, "organisation": slug})
    assert response.status_code == 403


def test_manager_of_several_organisations_chooses_one(api_as, manager_a, scene, org_b):
    MembershipFactory(user=manager_a, organisation=org_b, role=Membership.Role.MANAGER)
    response = api_as(manager_a).get(UTILISATION, JUNE)
    assert response.status_code == 400
    assert "organisation" in response.json()
    response = api_as(manager_a).get(UTILISATION, {**JUNE, "organisation": "vhs"})
    assert response.status_code == 200
    assert booked(response.json()["results"]) == {"werkstatt": 1.0}


def test_member_of_an_organisation_is_not_its_manager(api_as, manager_b, org_a, scene):
    MembershipFactory(user=manager_b, organisation=org_a)
    response = api_as(manager_b).get(UTILISATION, {**JUNE, "organisation": "hafenstrasse"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", [UTILISATION, FLOWS])
def test_members_and_outsiders_are_refused(api_as, member_a, outsider, scene, path):
    for person in (member_a, outsider):
        assert api_as(person).get(path, JUNE).status_code == 403
    # Refused before the input is looked at: no hint what a good request would be.
    assert api_as(member_a).get(path, {"from": "kaputt"}).status_code == 403


@pytest.mark.parametrize("path", [UTILISATION, FLOWS])
def test_anonymous_is_401(api, scene, path):
    assert api.get(path, JUNE).status_code == 401


def test_lending_flows_for_the_coordinator(api_as, coordinator, scene):
    response = api_as(coordinator).get(FLOWS, JUNE)
    assert response.status_code == 200
    rows = response.json()["results"]
    period = parse_period(JUNE)
    assert rows == reports.lending_flows(start=period.start, end=period.end)
    pairs = {(row["owner"], row["borrower"]): (row["bookings"], row["hours"]) for row in rows}
    assert pairs == {
        ("hafenstrasse", "vhs"): (1, 2.0),
        ("hafenstrasse", "hafenstrasse"): (1, 3.0),
        ("vhs", "hafenstrasse"): (1, 1.0),
    }
    assert {"owner_name", "borrower_name"} <= set(rows[0])


def test_lending_flows_for_a_manager(api_as, manager_b, scene, org_b):
    response = api_as(manager_b).get(FLOWS, JUNE)
    assert response.status_code == 200
    rows = response.json()["results"]
    # Only rows where the VHS lends or borrows.
    assert {(row["owner"], row["borrower"]) for row in rows} == {
        ("hafenstrasse", "vhs"),
        ("vhs", "hafenstrasse"),
    }


def test_to_is_inclusive_berlin_day(api_as, coordinator, scene):
    rows = api_as(coordinator).get(UTILISATION, {"from": "2026-06-30", "to": "2026-06-30"}).json()["results"]
    assert booked(rows)["saal-hafen"] == 3.0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2026-06-30"}, "from"),
        ({"from": "2026-06-01"}, "to"),
        ({"from": "1. Juni", "to": "2026-06-30"}, "from"),
        ({"from": "2026-06-01", "to": "2026-13-01"}, "to"),
        ({"from": "2026-06-30", "to": "2026-06-01"}, "to"),
        ({"from": "2026-01-01", "to": "2028-01-01"}, "to"),
        ({**JUNE, "group_by": "colour"}, "group_by"),
    ],
)
def test_bad_input_is_400_by_field(api_as, coordinator, scene, params, field):
    response = api_as(coordinator).get(UTILISATION, params)
    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]


def test_two_years_is_the_limit(api_as, coordinator, scene):
    response = api_as(coordinator).get(UTILISATION, {"from": "2026-01-01", "to": "2027-12-31"})
    assert response.status_code == 200


def test_query_count_does_not_grow_with_rows(
    api_as, coordinator, scene, org_a, django_assert_max_num_queries
):
    client = api_as(coordinator)
    client.get(UTILISATION, JUNE)  # warm up (token lookup, content types)
    for number in range(10):
        room = ResourceFactory(organisation=org_a, name=f"Raum {number}", slug=f"raum-{number}")
        BookingFactory(resource=room, organisation=org_a, start=at(5, 10))
    with django_assert_max_num_queries(12):
        assert len(client.get(UTILISATION, JUNE).json()["results"]) == 12
    with django_assert_max_num_queries(12):
        client.get(FLOWS, JUNE)
