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


@pytest.mark.parametrize("path", [UTILISATION, FLOWS])
def test_coordinator_unknown_organisation_is_404(api_as, coordinator, scene, path):
    response = api_as(coordinator).get(path, {**JUNE, "organisation": "gibt-es-nicht"})
    assert response.status_code == 404
    assert "detail" in response.json()


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
def test_manager_naming_another_or_a_made_up_organisation_gets_404(api_as, manager_a, scene, path, slug):
    """The contract: 404 for what the caller may not see — the same answer whether it exists or not."""
    response = api_as(manager_a).get(path, {**JUNE, "organisation": slug})
    assert response.status_code == 404
    assert response.json() == api_as(manager_a).get(path, {**JUNE, "organisation": "x-" + slug}).json()


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
    assert response.status_code == 404


@pytest.mark.parametrize("path", [UTILISATION, FLOWS])
def test_members_and_outsiders_are_refused(api_as, member_a, outsider, scene, path):
    for person in (member_a, outsider):
        assert api_as(person).get(path, JUNE).status_code == 403
    # Refused before the input is looked at: no hint what a good request would be.
    assert api_as(member_a).get(path, {"from": "kaputt"}).status_code == 403
    # Callers who may not see reports at all stay 403, whichever organisation they name.
    for slug in ("hafenstrasse", "vhs", "gibt-es-nicht"):
        assert api_as(member_a).get(path, {**JUNE, "organisation": slug}).status_code == 403


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
    # Between organisations only: Hafenstraße's own use of its hall is not a flow.
    assert pairs == {
        ("hafenstrasse", "vhs"): (1, 2.0),
        ("vhs", "hafenstrasse"): (1, 1.0),
    }
    assert {"owner_name", "borrower_name"} <= set(rows[0])
    assert response.json()["own_and_private_use"] == [
        {"owner": "hafenstrasse", "owner_name": "Soziokulturelles Zentrum Hafenstraße e.V.",
         "own_bookings": 1, "own_hours": 3.0, "private_bookings": 0, "private_hours": 0.0},
    ]  # fmt: skip


def test_private_persons_are_not_a_flow(api_as, coordinator, scene, outsider):
    hall, _workshop = scene
    BookingFactory(resource=hall, organisation=None, booked_by=outsider, start=at(8, 10))
    body = api_as(coordinator).get(FLOWS, JUNE).json()
    assert all(row["borrower"] for row in body["results"])
    assert [(row["own_bookings"], row["private_bookings"], row["private_hours"])
            for row in body["own_and_private_use"]] == [(1, 1, 2.0)]  # fmt: skip


def test_lending_flows_for_a_manager(api_as, manager_b, scene, org_b):
    response = api_as(manager_b).get(FLOWS, JUNE)
    assert response.status_code == 200
    rows = response.json()["results"]
    # Only rows where the VHS lends or borrows.
    assert {(row["owner"], row["borrower"]) for row in rows} == {
        ("hafenstrasse", "vhs"),
        ("vhs", "hafenstrasse"),
    }


@pytest.mark.parametrize("group_by", ["resource", "organisation", "kind"])
def test_kind_filters_utilisation(api_as, coordinator, scene, org_a, group_by):
    BookingFactory(
        resource=ResourceFactory(
            organisation=org_a, kind="equipment", name="Beamer", slug="beamer", capacity=None, quantity=2
        ),
        organisation=org_a,
        start=at(9, 10),
        quantity=2,
    )
    client = api_as(coordinator)
    rooms = client.get(UTILISATION, {**JUNE, "group_by": group_by, "kind": "room"})
    assert rooms.status_code == 200
    assert rooms.json()["results"] == reports.utilisation(**_period(), group_by=group_by, kind="room")
    assert sum(row["booked_hours"] for row in rooms.json()["results"]) == 6.0  # 2 + 3 + 1 h in rooms
    equipment = client.get(UTILISATION, {**JUNE, "group_by": group_by, "kind": "equipment"}).json()
    assert [row["booked_hours"] for row in equipment["results"]] == [4.0]  # 2 units × 2 h
    assert client.get(UTILISATION, {**JUNE, "group_by": group_by, "kind": "skill"}).json()["results"] == []


def _period() -> dict:
    period = parse_period(JUNE)
    return {"start": period.start, "end": period.end}


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
        ({**JUNE, "kind": "vehicle"}, "kind"),
        ({**JUNE, "kind": "Room"}, "kind"),
    ],
)
def test_bad_input_is_400_by_field(api_as, coordinator, scene, params, field):
    response = api_as(coordinator).get(UTILISATION, params)
    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]


@pytest.mark.parametrize("path", [UTILISATION, FLOWS])
def test_two_years_is_the_limit(api_as, coordinator, scene, path):
    client = api_as(coordinator)
    assert client.get(path, {"from": "2026-01-01", "to": "2027-12-31"}).status_code == 200
    response = client.get(path, {"from": "2026-01-01", "to": "2028-01-01"})
    assert response.status_code == 400
    assert response.json() == {"to": ["A report covers at most 2 years."]}


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
