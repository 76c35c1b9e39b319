"""/api/v1/resources/: the catalogue's search and detail for everyone, writes for the managers of the
owning organisation (and the coordinator), opening hours and closures."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from konten.models import Membership
from ressourcen.models import Closure, OpeningHours, Resource, ResourcePhoto
from tests.factories import MembershipFactory, OpeningHoursFactory, OrganisationFactory, ResourceFactory

LIST_URL = "/api/v1/resources/"
BERLIN = ZoneInfo("Europe/Berlin")

DETAIL_FIELDS = {
    "id",
    "slug",
    "kind",
    "name",
    "description",
    "organisation",
    "features",
    "capacity",
    "capacity_standing",
    "area_m2",
    "quantity",
    "condition",
    "replacement_value",
    "deposit_note",
    "pickup_place",
    "holder",
    "languages",
    "max_hours_per_month",
    "address",
    "building",
    "floor",
    "directions",
    "photos",
    "audience",
    "requires_approval",
    "lead_time_hours",
    "max_advance_days",
    "min_duration_minutes",
    "max_duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "quota_hours_per_month",
    "reminder_hours",
    "is_active",
    "opening_hours",
    "page_url",
}


def detail_url(resource: Resource, suffix: str = "") -> str:
    return f"{LIST_URL}{resource.pk}/{suffix}"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [resource["slug"] for resource in response.json()["results"]]


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def next_tuesday() -> date:
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


@pytest.fixture
def client_for(request, api, api_as):
    """``client_for("manager_a")``: a client with that persona's token; ``"visitor"``: anonymous."""

    def make(persona: str):
        if persona == "visitor":
            return api
        return api_as(request.getfixturevalue(persona))

    return make


@pytest.fixture
def network(manager_a, member_a, manager_b, member_b, coordinator, outsider):
    """Every persona exists."""


@pytest.fixture
def room_a(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen", capacity=40)


@pytest.fixture
def room_b(org_b):
    return ResourceFactory(organisation=org_b, name="Raum 101", slug="raum-101", capacity=20)


@pytest.fixture
def hidden_b(org_b):
    return ResourceFactory(organisation=org_b, name="Alter Keller", slug="alter-keller", is_active=False)


# --- Detail -------------------------------------------------------------------------------------------


def test_detail_of_a_room(api, org_a):
    room = ResourceFactory(
        organisation=org_a,
        name="Großer Saal",
        slug="grosser-saal",
        description="Mit Bühne.",
        capacity=80,
        capacity_standing=150,
        area_m2=Decimal("120.5"),
        address="Hafenstraße 1, 01662 Meißen",
        building="Haus A",
        floor="EG",
        directions="Eingang hinten, klingeln.",
        requires_approval=True,
        features=["induktionsschleife", "stufenloser-zugang"],
    )
    OpeningHoursFactory(resource=room, weekday=4, start=time(18), end=time(0))
    OpeningHoursFactory(resource=room, weekday=1, start=time(9), end=time(12, 30))
    ResourcePhoto.objects.create(resource=room, image="resources/saal.jpg", alt_text="Der Saal mit Bühne")

    response = api.get(detail_url(room))

    assert response.status_code == 200
    assert response.json() == {
        "id": room.pk,
        "slug": "grosser-saal",
        "kind": "room",
        "name": "Großer Saal",
        "description": "Mit Bühne.",
        "organisation": {"id": org_a.pk, "slug": "hafenstrasse", "name": org_a.name},
        # by category and position, as the pages list them
        "features": ["stufenloser-zugang", "induktionsschleife"],
        "capacity": 80,
        "capacity_standing": 150,
        "area_m2": 120.5,
        "quantity": 1,
        "condition": "",
        "replacement_value": None,
        "deposit_note": "",
        "pickup_place": "",
        "holder": None,
        "languages": "",
        "max_hours_per_month": None,
        "address": "Hafenstraße 1, 01662 Meißen",
        "building": "Haus A",
        "floor": "EG",
        "directions": "Eingang hinten, klingeln.",
        "photos": [{"url": "http://testserver/media/resources/saal.jpg", "alt_text": "Der Saal mit Bühne"}],
        "audience": "network",
        "requires_approval": True,
        "lead_time_hours": 0,
        "max_advance_days": 365,
        "min_duration_minutes": 30,
        "max_duration_minutes": 1440,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "quota_hours_per_month": None,
        "reminder_hours": 24,
        "is_active": True,
        "opening_hours": [
            {"weekday": 1, "start": "09:00", "end": "12:30"},
            {"weekday": 4, "start": "18:00", "end": "00:00"},
        ],
        "page_url": "http://testserver/ressourcen/grosser-saal/",
    }


def test_skill_shows_its_holder_by_name_never_by_email(api, org_a, member_a):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=member_a, languages="Deutsch, DGS"
    )

    response = api.get(detail_url(skill))

    assert response.json()["holder"] == {"id": member_a.pk, "name": "Moritz Mitglied"}
    assert response.json()["languages"] == "Deutsch, DGS"
    assert member_a.email not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("visitor", 404),
        ("outsider", 404),
        ("member_a", 404),
        ("manager_a", 404),
        ("member_b", 404),
        ("manager_b", 200),
        ("coordinator", 200),
    ],
)
def test_inactive_resource_is_visible_only_to_its_managers_and_the_coordinator(
    client_for, network, hidden_b, persona, status
):
    response = client_for(persona).get(detail_url(hidden_b))

    assert response.status_code == status
    if status == 200:
        assert response.json()["is_active"] is False
    else:
        assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("path", ["999999/", "abc/"])
def test_unknown_resource_is_404(api, db, path):
    assert api.get(LIST_URL + path).status_code == 404


# --- Search -----------------------------------------------------------------------------------------


def test_list_has_active_resources_by_name_with_the_detail_fields(api, room_a, room_b, hidden_b):
    response = api.get(LIST_URL)

    assert slugs(response) == ["raum-101", "saal-hafen"]
    assert response.json()["count"] == 2
    for resource in response.json()["results"]:
        assert set(resource) == DETAIL_FIELDS


def test_list_leaves_inactive_resources_out_even_for_their_managers(api_as, manager_b, room_b, hidden_b):
    assert slugs(api_as(manager_b).get(LIST_URL)) == ["raum-101"]


def test_filter_by_kind_and_organisation(api, org_a, org_b, room_a, room_b):
    beamer = ResourceFactory(organisation=org_a, kind="equipment", name="Beamer", slug="beamer", quantity=3)

    assert slugs(api.get(LIST_URL, {"kind": "equipment"})) == [beamer.slug]
    assert slugs(api.get(LIST_URL, {"organisation": "vhs"})) == ["raum-101"]
    assert slugs(api.get(LIST_URL, {"organisation": "hafenstrasse", "kind": "room"})) == ["saal-hafen"]


def test_every_feature_asked_for_must_hold(api, org_a):
    ResourceFactory(organisation=org_a, slug="beides", features=["aufzug", "wlan"])
    ResourceFactory(organisation=org_a, slug="nur-aufzug", features=["aufzug"])
    ResourceFactory(organisation=org_a, slug="nichts")

    assert slugs(api.get(LIST_URL, {"feature": ["aufzug", "wlan"]})) == ["beides"]
    assert sorted(slugs(api.get(LIST_URL, {"feature": "aufzug"}))) == ["beides", "nur-aufzug"]


def test_capacity_min_and_text_search(api, org_a):
    ResourceFactory(organisation=org_a, name="Kleiner Raum", slug="klein", capacity=8)
    ResourceFactory(organisation=org_a, name="Großer Saal", slug="gross", capacity=120)
    ResourceFactory(
        organisation=org_a, name="Werkstatt", slug="werkstatt", capacity=12, description="Mit Hobelbank"
    )

    assert slugs(api.get(LIST_URL, {"capacity_min": 10})) == ["gross", "werkstatt"]
    assert slugs(api.get(LIST_URL, {"q": "hobelbank"})) == ["werkstatt"]
    assert slugs(api.get(LIST_URL, {"q": "saal groß"})) == ["gross"]


@pytest.mark.parametrize("parameter", ["sort", "ordering"])
def test_sorting_by_capacity(api, org_a, parameter):
    for slug, capacity in [("mittel", 30), ("gross", 90), ("klein", 5)]:
        ResourceFactory(organisation=org_a, slug=slug, capacity=capacity)

    assert slugs(api.get(LIST_URL, {parameter: "-capacity"})) == ["gross", "mittel", "klein"]
    assert slugs(api.get(LIST_URL, {parameter: "capacity"})) == ["klein", "mittel", "gross"]


def test_empty_filter_values_are_ignored(api, room_a):
    # What a search form sends when nothing is filled in.
    query = "q=&kind=&organisation=&capacity_min=&free_from=&free_until=&sort="

    assert slugs(api.get(f"{LIST_URL}?{query}")) == ["saal-hafen"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"feature": ["aufzug", "gibt-es-nicht"]}, "feature"),
        ({"free_from": "2026-12-01T21:00", "free_until": "2026-12-01T18:00"}, "free_until"),
        ({"free_from": "2026-12-01T18:00", "free_until": "2026-12-01T18:00"}, "free_until"),
        ({"free_from": "2026-12-01T18:00"}, "free_until"),
        ({"free_until": "2026-12-01T21:00"}, "free_from"),
        ({"free_from": "nächsten Dienstag", "free_until": "2026-12-01T21:00"}, "free_from"),
        ({"free_from": "2026-02-30T18:00", "free_until": "2026-03-01T21:00"}, "free_from"),
        ({"free_from": "0001-01-01T00:00", "free_until": "2026-03-01T21:00"}, "free_from"),
        ({"free_from": "2026-12-01T18:00", "free_until": "2027-03-01T18:00"}, "free_until"),
        ({"capacity_min": "-1"}, "capacity_min"),
        ({"capacity_min": "zwanzig"}, "capacity_min"),
        ({"kind": "castle"}, "kind"),
        ({"organisation": "gibt-es-nicht"}, "organisation"),
        ({"sort": "price"}, "sort"),
        ({"ordering": "price"}, "ordering"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(api, room_a, query, field):
    response = api.get(LIST_URL, query)

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list)
    assert all(isinstance(message, str) and message for message in body[field])


def test_unknown_feature_message_names_the_slug(api, db):
    message = api.get(LIST_URL, {"feature": ["aufzug", "gibt-es-nicht"]}).json()["feature"][0]

    assert "gibt-es-nicht" in message
    assert "aufzug" not in message


def test_list_is_paginated(api, org_a):
    ResourceFactory.create_batch(3, organisation=org_a)

    body = api.get(LIST_URL, {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")


# --- The "done when": an accessible room for 20, free next Tuesday evening ----------------------


def test_visitor_finds_accessible_rooms_for_twenty_free_next_tuesday_evening(api, org_a, org_b):
    tuesday = next_tuesday()
    evening = (datetime.combine(tuesday, time(18), BERLIN), datetime.combine(tuesday, time(21), BERLIN))
    both = ["stufenloser-zugang", "induktionsschleife"]

    def room(slug, organisation=org_a, *, features=both, hours=((1, time(17), time(22)),), **kwargs):
        resource = ResourceFactory(organisation=organisation, slug=slug, features=features, **kwargs)
        for weekday, start, end in hours:
            OpeningHoursFactory(resource=resource, weekday=weekday, start=start, end=end)
        return resource

    # Fit: every condition holds.
    room("passt", capacity=20)  # ResourceFactory's default too; said here because it is the edge
    room("immer-offen", capacity=25, hours=())  # no opening hours: bookable at any time
    exact = room("genau-passend", capacity=40, hours=((1, time(18), time(21)),))
    Closure.objects.create(  # ends as the evening begins: half-open intervals do not overlap
        organisation=org_a,
        resource=exact,
        start=evening[0] - timedelta(hours=3),
        end=evening[0],
        reason="Putzen",
    )
    Closure.objects.create(
        organisation=org_a,
        resource=exact,
        start=evening[1],
        end=evening[1] + timedelta(hours=2),
        reason="Putzen",
    )
    # Each of these fails exactly one condition.
    room("zu-klein", capacity=19)
    room("ohne-kapazitaet", capacity=None)
    room("ohne-stufenlosen-zugang", features=["induktionsschleife", "aufzug"])
    room("ohne-induktionsschleife", features=["stufenloser-zugang", "aufzug"])
    room("ein-geraet", kind="equipment", quantity=2)
    room("schliesst-frueher", hours=((1, time(9), time(20, 30)),))
    room("falscher-tag", hours=((2, time(18), time(21)),))
    closed = room("gesperrt")
    Closure.objects.create(
        organisation=org_a,
        resource=closed,
        start=evening[1] - timedelta(minutes=30),
        end=evening[1] + timedelta(hours=2),
        reason="Wasserschaden",
    )
    holidays = OrganisationFactory(slug="ferienhaus")
    room("betriebsferien", holidays)
    Closure.objects.create(
        organisation=holidays,
        start=evening[0] - timedelta(days=3),
        end=evening[1] + timedelta(days=3),
        reason="Ferien",
    )
    room("inaktiv", is_active=False)

    query = {
        "kind": "room",
        "capacity_min": 20,
        "feature": both,
        "free_from": f"{tuesday.isoformat()}T18:00",
        "free_until": f"{tuesday.isoformat()}T21:00",
    }
    found = slugs(api.get(LIST_URL, query))

    assert sorted(found) == ["genau-passend", "immer-offen", "passt"]
    # Without the period, the rooms closed that evening are there: the period is what left them out.
    without_period = slugs(api.get(LIST_URL, {k: v for k, v in query.items() if not k.startswith("free")}))
    assert {"schliesst-frueher", "falscher-tag", "gesperrt", "betriebsferien"} <= set(without_period)
    assert not {"zu-klein", "ohne-kapazitaet", "ohne-stufenlosen-zugang", "ohne-induktionsschleife"} & set(
        without_period
    )


def test_free_period_with_an_offset_means_the_same_instant(api, org_a):
    room = ResourceFactory(organisation=org_a, slug="abends")
    OpeningHoursFactory(resource=room, weekday=1, start=time(18), end=time(21))

    # Tuesday 2 June 2026, 18:00–21:00 Berlin summer time = 16:00–19:00 UTC
    assert slugs(
        api.get(LIST_URL, {"free_from": "2026-06-02T16:00:00Z", "free_until": "2026-06-02T19:00Z"})
    ) == ["abends"]
    assert slugs(
        api.get(LIST_URL, {"free_from": "2026-06-02T18:00+02:00", "free_until": "2026-06-02T21:00"})
    ) == ["abends"]
    assert (
        slugs(api.get(LIST_URL, {"free_from": "2026-06-02T18:00Z", "free_until": "2026-06-02T21:00Z"})) == []
    )


# --- Query counts -------------------------------------------------------------------------------------


def add_resources(count: int) -> None:
    for organisation in OrganisationFactory.create_batch(2):
        MembershipFactory(organisation=organisation, role=Membership.Role.MANAGER)
        for resource in ResourceFactory.create_batch(
            count // 2, organisation=organisation, features=["aufzug", "wlan", "beamer"]
        ):
            OpeningHoursFactory(resource=resource, weekday=1, start=time(8), end=time(22))
            ResourcePhoto.objects.create(resource=resource, image="resources/x.jpg", alt_text="Ein Raum")
            Closure.objects.create(
                organisation=organisation,
                resource=resource,
                start=berlin(2026, 12, 1, 8),
                end=berlin(2026, 12, 1, 9),
                reason="Putzen",
            )
        Closure.objects.create(
            organisation=organisation, start=berlin(2026, 12, 1, 7), end=berlin(2026, 12, 1, 8), reason="Team"
        )


FREE = {"free_from": "2026-12-01T18:00", "free_until": "2026-12-01T21:00"}


@pytest.mark.parametrize(
    ("persona", "query", "most"),
    [
        # count + the page's resources + features + photos + opening hours
        ("visitor", {}, 5),
        # + token; + check of the feature slugs
        ("manager_a", {"feature": "aufzug"}, 7),
        # free period (buchungen.selectors.free_resource_ids): the candidates' ids, their opening hours,
        # the closures overlapping the period, the bookings near it; then the page's resources +
        # features + photos + opening hours (no count: the page is cut from a list of ids)
        ("visitor", FREE, 8),
        ("coordinator", {**FREE, "feature": ["aufzug", "wlan"], "q": "Saal", "capacity_min": 10}, 10),
    ],
)
def test_list_query_count_does_not_grow_with_resources(
    client_for, network, persona, query, most, django_assert_max_num_queries
):
    client = client_for(persona)
    add_resources(5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST_URL, query).json()["count"] == 4
    add_resources(50)

    with django_assert_max_num_queries(most):
        response = client.get(LIST_URL, query)

    assert response.json()["count"] == 54
    assert len(response.json()["results"]) == 50
    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL, query)
    assert len(many) == len(few)


def test_detail_query_count(api, room_a, django_assert_max_num_queries):
    OpeningHoursFactory.create_batch(3, resource=room_a)

    # resource with organisation and holder + features + photos + opening hours
    with django_assert_max_num_queries(4):
        assert api.get(detail_url(room_a)).status_code == 200


# --- Creating ----------------------------------------------------------------------------------------------


def new_room(organisation, **extra) -> dict:
    return {
        "organisation": organisation.pk,
        "kind": "room",
        "name": "Neuer Saal",
        "capacity": 30,
        "features": ["stufenloser-zugang", "beamer"],
        **extra,
    }


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_manager_and_coordinator_create_a_resource(client_for, network, org_a, persona):
    response = client_for(persona).post(LIST_URL, new_room(org_a), format="json")

    assert response.status_code == 201, response.content
    resource = Resource.objects.get(name="Neuer Saal")
    assert response["Location"] == f"http://testserver{detail_url(resource)}"
    body = response.json()
    assert body["id"] == resource.pk
    assert body["slug"] == "neuer-saal"
    assert body["organisation"]["id"] == org_a.pk
    assert body["features"] == ["stufenloser-zugang", "beamer"]
    assert resource.organisation == org_a
    assert set(resource.features.values_list("slug", flat=True)) == {"stufenloser-zugang", "beamer"}


@pytest.mark.parametrize(
    ("persona", "status"), [("manager_b", 403), ("member_a", 403), ("outsider", 403), ("visitor", 401)]
)
def test_others_cannot_create_in_an_organisation(client_for, network, org_a, persona, status):
    response = client_for(persona).post(LIST_URL, new_room(org_a), format="json")

    assert response.status_code == status
    assert list(response.json()) == ["detail"]
    assert not Resource.objects.exists()


def test_a_caller_who_may_not_create_gets_403_before_any_field_message(api_as, network, manager_b, org_a):
    response = api_as(manager_b).post(LIST_URL, new_room(org_a, name="", capacity=-3), format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organisation": 999999}, "organisation"),
        ({"organisation": None}, "organisation"),
        ({"features": ["aufzug", "fliegender-teppich"]}, "features"),
        ({"capacity": -1}, "capacity"),
        ({"kind": "castle"}, "kind"),
        ({"name": ""}, "name"),
        ({"slug": "saal-hafen"}, "slug"),
        ({"quantity": 3}, "quantity"),
        ({"min_duration_minutes": 120, "max_duration_minutes": 60}, "max_duration_minutes"),
    ],
)
def test_bad_input_on_create_is_400_and_writes_nothing(api_as, manager_a, room_a, body, field):
    response = api_as(manager_a).post(LIST_URL, {**new_room(room_a.organisation), **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Resource.objects.count() == 1


def test_unknown_feature_on_create_names_the_slug(api_as, manager_a, org_a):
    body = new_room(org_a, features=["aufzug", "fliegender-teppich"])

    message = api_as(manager_a).post(LIST_URL, body, format="json").json()["features"][0]

    assert "fliegender-teppich" in message


def test_missing_organisation_is_a_field_error(api_as, manager_a):
    body = new_room(manager_a.memberships.get().organisation)
    del body["organisation"]

    response = api_as(manager_a).post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["organisation"]


def test_skill_needs_a_holder_from_the_organisation(api_as, manager_a, member_a, member_b, org_a):
    client = api_as(manager_a)
    skill = {"organisation": org_a.pk, "kind": "skill", "name": "Siebdruck", "languages": "Deutsch"}

    outside = client.post(LIST_URL, {**skill, "holder": member_b.pk}, format="json")
    created = client.post(LIST_URL, {**skill, "holder": member_a.pk}, format="json")

    assert outside.status_code == 400
    assert list(outside.json()) == ["holder"]
    assert created.status_code == 201
    assert created.json()["holder"] == {"id": member_a.pk, "name": "Moritz Mitglied"}


# --- Changing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_manager_and_coordinator_change_a_resource(client_for, network, room_a, persona):
    room_a.features.set([])

    response = client_for(persona).patch(
        detail_url(room_a),
        {"capacity": 55, "requires_approval": True, "features": ["aufzug", "kueche"]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["capacity"] == 55
    assert response.json()["features"] == ["aufzug", "kueche"]
    room_a.refresh_from_db()
    assert room_a.capacity == 55
    assert room_a.requires_approval is True
    assert set(room_a.features.values_list("slug", flat=True)) == {"aufzug", "kueche"}


def test_patch_without_features_keeps_them(api_as, manager_a, org_a):
    room = ResourceFactory(organisation=org_a, features=["aufzug"])

    response = api_as(manager_a).patch(detail_url(room), {"name": "Umbenannt"}, format="json")

    assert response.json()["features"] == ["aufzug"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("manager_b", 403), ("member_a", 403), ("outsider", 403), ("visitor", 401)],
)
def test_others_cannot_change_a_resource(client_for, network, room_a, persona, status):
    response = client_for(persona).patch(detail_url(room_a), {"capacity": 1, "features": []}, format="json")

    assert response.status_code == status
    room_a.refresh_from_db()
    assert room_a.capacity == 40


def test_manager_of_a_cannot_even_see_bs_inactive_resource(api_as, manager_a, hidden_b):
    response = api_as(manager_a).patch(detail_url(hidden_b), {"name": "Meins"}, format="json")

    assert response.status_code == 404
    hidden_b.refresh_from_db()
    assert hidden_b.name == "Alter Keller"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "equipment"}, "kind"),
        ({"capacity": -5}, "capacity"),
        ({"features": ["gibt-es-nicht"]}, "features"),
        ({"max_duration_minutes": 10}, "max_duration_minutes"),
    ],
)
def test_bad_changes_are_400_and_change_nothing(api_as, manager_a, room_a, body, field):
    room_a.features.set([])

    response = api_as(manager_a).patch(detail_url(room_a), {"name": "Neu", **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    room_a.refresh_from_db()
    assert (room_a.name, room_a.kind, room_a.capacity) == ("Saal Hafen", "room", 40)
    assert not room_a.features.exists()


def test_skill_holder_changes_only_their_own_fields(api_as, org_a, member_a):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=member_a, name="Siebdruck"
    )
    client = api_as(member_a)

    allowed = client.patch(
        detail_url(skill), {"description": "Auch Linoldruck.", "languages": "Deutsch"}, format="json"
    )
    beyond = client.patch(detail_url(skill), {"name": "Druckwerkstatt"}, format="json")
    features = client.patch(detail_url(skill), {"features": ["aufzug"]}, format="json")

    assert allowed.status_code == 200
    assert allowed.json()["description"] == "Auch Linoldruck."
    assert beyond.status_code == 403
    assert features.status_code == 403
    skill.refresh_from_db()
    assert skill.name == "Siebdruck"
    assert not skill.features.exists()


def test_organisation_cannot_be_changed(api_as, manager_a, room_a, org_b):
    api_as(manager_a).patch(detail_url(room_a), {"organisation": org_b.pk}, format="json")

    room_a.refresh_from_db()
    assert room_a.organisation_id != org_b.pk


# --- Deactivating ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_delete_deactivates_and_keeps_the_row(client_for, network, api, room_a, persona):
    client = client_for(persona)

    response = client.delete(detail_url(room_a))

    assert response.status_code == 204
    room_a.refresh_from_db()
    assert room_a.is_active is False
    assert api.get(detail_url(room_a)).status_code == 404
    assert client.get(detail_url(room_a)).json()["is_active"] is False
    assert slugs(api.get(LIST_URL)) == []


def test_manager_reactivates_with_patch(api, api_as, manager_a, room_a):
    room_a.is_active = False
    room_a.save()

    response = api_as(manager_a).patch(detail_url(room_a), {"is_active": True}, format="json")

    assert response.status_code == 200
    assert slugs(api.get(LIST_URL)) == ["saal-hafen"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("manager_b", 403), ("member_a", 403), ("outsider", 403), ("visitor", 401)],
)
def test_others_cannot_deactivate(client_for, network, room_a, persona, status):
    response = client_for(persona).delete(detail_url(room_a))

    assert response.status_code == status
    room_a.refresh_from_db()
    assert room_a.is_active is True


# --- Opening hours ----------------------------------------------------------------------------------------

WEEK = [
    {"weekday": 1, "start": "18:00", "end": "21:00"},
    {"weekday": 1, "start": "09:00", "end": "12:00"},
    {"weekday": 5, "start": "20:00", "end": "00:00"},
]


def test_anyone_reads_the_opening_hours(api, room_a):
    OpeningHoursFactory(resource=room_a, weekday=3, start=time(10), end=time(16))
    OpeningHoursFactory(resource=room_a, weekday=0, start=time(8), end=time(12))

    response = api.get(detail_url(room_a, "opening-hours/"))

    assert response.status_code == 200
    assert response.json() == [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 3, "start": "10:00", "end": "16:00"},
    ]


def opening_hours(resource) -> list[tuple]:
    return list(resource.opening_hours.order_by("weekday", "start").values_list("weekday", "start", "end"))


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_put_replaces_all_opening_hours(client_for, network, room_a, persona):
    OpeningHoursFactory(resource=room_a, weekday=0, start=time(8), end=time(12))

    response = client_for(persona).put(detail_url(room_a, "opening-hours/"), WEEK, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "18:00", "end": "21:00"},
        {"weekday": 5, "start": "20:00", "end": "00:00"},
    ]
    assert opening_hours(room_a) == [
        (1, time(9), time(12)),
        (1, time(18), time(21)),
        (5, time(20), time(0)),
    ]


def test_put_empty_list_means_no_fixed_hours(api_as, manager_a, room_a):
    OpeningHoursFactory(resource=room_a)

    response = api_as(manager_a).put(detail_url(room_a, "opening-hours/"), [], format="json")

    assert response.status_code == 200
    assert response.json() == []
    assert not room_a.opening_hours.exists()


@pytest.mark.parametrize(
    "body",
    [
        [{"weekday": 1, "start": "09:00", "end": "13:00"}, {"weekday": 1, "start": "12:00", "end": "14:00"}],
        [{"weekday": 1, "start": "18:00", "end": "09:00"}],
        [{"weekday": 1, "start": "9 Uhr", "end": "12:00"}],
        [{"weekday": 7, "start": "09:00", "end": "12:00"}],
        [{"weekday": 1, "start": "09:00"}],
        ["Montag 9–12"],
        {"weekday": 1, "start": "09:00", "end": "12:00"},
    ],
)
def test_bad_opening_hours_are_400_and_keep_the_old_ones(api_as, manager_a, room_a, body):
    OpeningHoursFactory(resource=room_a, weekday=0, start=time(8), end=time(12))

    response = api_as(manager_a).put(detail_url(room_a, "opening-hours/"), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["opening_hours"]
    assert all(isinstance(message, str) for message in response.json()["opening_hours"])
    assert opening_hours(room_a) == [(0, time(8), time(12))]


def test_each_bad_range_gets_its_own_message(api_as, manager_a, room_a):
    body = [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "kaputt", "end": "12:00"},
        {"weekday": 9, "start": "09:00", "end": "nein"},
    ]

    messages = (
        api_as(manager_a)
        .put(detail_url(room_a, "opening-hours/"), body, format="json")
        .json()["opening_hours"]
    )

    # One message per bad field, each naming its range by number (counted from 1).
    assert len(messages) == 3
    assert "2" in messages[0]
    assert "3" in messages[1]
    assert "3" in messages[2]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("manager_b", 403), ("member_a", 403), ("visitor", 401)],
)
def test_others_cannot_replace_opening_hours(client_for, network, room_a, persona, status):
    OpeningHoursFactory(resource=room_a, weekday=0, start=time(8), end=time(12))

    response = client_for(persona).put(detail_url(room_a, "opening-hours/"), WEEK, format="json")

    assert response.status_code == status
    assert opening_hours(room_a) == [(0, time(8), time(12))]


def test_skill_holder_sets_their_own_hours(api_as, org_a, member_a):
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a)

    response = api_as(member_a).put(detail_url(skill, "opening-hours/"), WEEK[:1], format="json")

    assert response.status_code == 200
    assert opening_hours(skill) == [(1, time(18), time(21))]


def test_opening_hours_of_an_inactive_resource_are_hidden(api, hidden_b):
    assert api.get(detail_url(hidden_b, "opening-hours/")).status_code == 404


# --- Closures of a resource ------------------------------------------------------------------------------


def test_resource_closures_include_those_of_the_whole_organisation(api, org_a, room_a):
    other = ResourceFactory(organisation=org_a)
    own = Closure.objects.create(
        organisation=org_a, resource=room_a, start=berlin(2026, 7, 1), end=berlin(2026, 7, 3), reason="Malern"
    )
    everyone = Closure.objects.create(
        organisation=org_a, start=berlin(2026, 12, 24), end=berlin(2027, 1, 2), reason="Weihnachtsferien"
    )
    Closure.objects.create(
        organisation=org_a, resource=other, start=berlin(2026, 7, 1), end=berlin(2026, 7, 2), reason="Anderer"
    )

    response = api.get(detail_url(room_a, "closures/"))

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": own.pk,
            "organisation": org_a.pk,
            "resource": room_a.pk,
            "start": "2026-07-01T00:00:00+02:00",
            "end": "2026-07-03T00:00:00+02:00",
            "reason": "Malern",
        },
        {
            "id": everyone.pk,
            "organisation": org_a.pk,
            "resource": None,
            "start": "2026-12-24T00:00:00+01:00",
            "end": "2027-01-02T00:00:00+01:00",
            "reason": "Weihnachtsferien",
        },
    ]
    window = api.get(detail_url(room_a, "closures/"), {"from": "2026-12-01", "to": "2027-01-01"}).json()
    assert [closure["id"] for closure in window["results"]] == [everyone.pk]
    assert api.get(detail_url(room_a, "closures/"), {"from": "gestern"}).status_code == 400


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_manager_closes_a_resource_in_local_time(client_for, network, room_a, persona):
    body = {"start": "2026-08-03T08:00", "end": "2026-08-07T18:00", "reason": "Sanierung"}

    response = client_for(persona).post(detail_url(room_a, "closures/"), body, format="json")

    assert response.status_code == 201, response.content
    closure = Closure.objects.get()
    assert (closure.organisation, closure.resource) == (room_a.organisation, room_a)
    assert closure.start == berlin(2026, 8, 3, 8)
    assert closure.end == berlin(2026, 8, 7, 18)
    assert response.json()["start"] == "2026-08-03T08:00:00+02:00"
    assert response["Location"] == f"http://testserver{detail_url(room_a, f'closures/{closure.pk}/')}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-08-07T18:00", "end": "2026-08-03T08:00", "reason": "Verkehrt"}, "end"),
        ({"start": "2026-08-03T08:00", "end": "2026-08-03T08:00", "reason": "Leer"}, "end"),
        ({"start": "morgen", "end": "2026-08-03T08:00", "reason": "Kaputt"}, "start"),
        ({"start": "2026-08-03T08:00", "end": "2026-08-04T08:00"}, "reason"),
    ],
)
def test_bad_closures_are_400_and_write_nothing(api_as, manager_a, room_a, body, field):
    response = api_as(manager_a).post(detail_url(room_a, "closures/"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Closure.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("manager_b", 403), ("member_a", 403), ("visitor", 401)])
def test_others_cannot_close_a_resource(client_for, network, room_a, persona, status):
    body = {"start": "2026-08-03T08:00", "end": "2026-08-07T18:00", "reason": "Sanierung"}

    response = client_for(persona).post(detail_url(room_a, "closures/"), body, format="json")

    assert response.status_code == status
    assert not Closure.objects.exists()


def test_manager_removes_a_closure_of_the_resource(api_as, manager_a, org_a, room_a):
    closure = Closure.objects.create(
        organisation=org_a, resource=room_a, start=berlin(2026, 7, 1), end=berlin(2026, 7, 3), reason="Malern"
    )

    response = api_as(manager_a).delete(detail_url(room_a, f"closures/{closure.pk}/"))

    assert response.status_code == 204
    assert not Closure.objects.exists()


def test_only_the_resources_own_closures_can_be_removed_under_it(api_as, manager_a, org_a, room_a):
    other = ResourceFactory(organisation=org_a)
    everyone = Closure.objects.create(
        organisation=org_a, start=berlin(2026, 12, 24), end=berlin(2027, 1, 2), reason="Ferien"
    )
    others = Closure.objects.create(
        organisation=org_a, resource=other, start=berlin(2026, 7, 1), end=berlin(2026, 7, 2), reason="Anderer"
    )
    client = api_as(manager_a)

    assert client.delete(detail_url(room_a, f"closures/{everyone.pk}/")).status_code == 404
    assert client.delete(detail_url(room_a, f"closures/{others.pk}/")).status_code == 404
    assert Closure.objects.count() == 2


@pytest.mark.parametrize(("persona", "status"), [("manager_b", 403), ("member_a", 403), ("visitor", 401)])
def test_others_cannot_remove_a_closure(client_for, network, org_a, room_a, persona, status):
    closure = Closure.objects.create(
        organisation=org_a, resource=room_a, start=berlin(2026, 7, 1), end=berlin(2026, 7, 3), reason="Malern"
    )

    response = client_for(persona).delete(detail_url(room_a, f"closures/{closure.pk}/"))

    assert response.status_code == status
    assert Closure.objects.filter(pk=closure.pk).exists()


# --- Closures of a whole organisation ---------------------------------------------------------------------


def org_closures_url(organisation, suffix: str = "") -> str:
    return f"/api/v1/organisations/{organisation.pk}/closures/{suffix}"


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_manager_closes_the_whole_organisation(client_for, network, api, org_a, room_a, persona):
    body = {"start": "2026-12-24", "end": "2027-01-02", "reason": "Weihnachtsferien"}

    response = client_for(persona).post(org_closures_url(org_a), body, format="json")

    assert response.status_code == 201, response.content
    closure = Closure.objects.get()
    assert (closure.organisation, closure.resource) == (org_a, None)
    assert response.json()["resource"] is None
    assert response["Location"] == f"http://testserver{org_closures_url(org_a, f'{closure.pk}/')}"
    assert [c["id"] for c in api.get(detail_url(room_a, "closures/")).json()["results"]] == [closure.pk]


def test_organisation_closure_can_name_one_of_its_resources(api_as, manager_a, org_a, room_a, room_b):
    client = api_as(manager_a)
    body = {"start": "2026-08-03T08:00", "end": "2026-08-04T08:00", "reason": "Umbau"}

    own = client.post(org_closures_url(org_a), {**body, "resource": room_a.pk}, format="json")
    foreign = client.post(org_closures_url(org_a), {**body, "resource": room_b.pk}, format="json")

    assert own.status_code == 201
    assert own.json()["resource"] == room_a.pk
    assert foreign.status_code == 400
    assert list(foreign.json()) == ["resource"]
    assert Closure.objects.count() == 1


@pytest.mark.parametrize(("persona", "status"), [("manager_b", 403), ("member_a", 403), ("visitor", 401)])
def test_others_cannot_close_an_organisation(client_for, network, org_a, persona, status):
    body = {"start": "2026-12-24", "end": "2027-01-02", "reason": "Ferien"}

    response = client_for(persona).post(org_closures_url(org_a), body, format="json")

    assert response.status_code == status
    assert not Closure.objects.exists()


def test_anyone_lists_an_organisations_closures(api, org_a, org_b, room_a):
    mine = Closure.objects.create(
        organisation=org_a, resource=room_a, start=berlin(2026, 7, 1), end=berlin(2026, 7, 3), reason="Malern"
    )
    everyone = Closure.objects.create(
        organisation=org_a, start=berlin(2026, 12, 24), end=berlin(2027, 1, 2), reason="Ferien"
    )
    Closure.objects.create(organisation=org_b, start=berlin(2026, 7, 1), end=berlin(2026, 7, 2), reason="VHS")

    body = api.get(org_closures_url(org_a)).json()

    assert [c["id"] for c in body["results"]] == [mine.pk, everyone.pk]
    assert api.get(org_closures_url(org_a), {"to": "2026-08-01"}).json()["count"] == 1


def test_closures_of_an_unknown_organisation_are_404(api, api_as, coordinator, db):
    assert api.get("/api/v1/organisations/999999/closures/").status_code == 404
    body = {"start": "2026-12-24", "end": "2027-01-02", "reason": "Ferien"}
    assert (
        api_as(coordinator).post("/api/v1/organisations/999999/closures/", body, format="json").status_code
        == 404
    )


def test_manager_removes_an_organisation_closure(api_as, manager_a, manager_b, org_a, org_b):
    closure = Closure.objects.create(
        organisation=org_a, start=berlin(2026, 12, 24), end=berlin(2027, 1, 2), reason="Ferien"
    )

    foreign = api_as(manager_b).delete(org_closures_url(org_a, f"{closure.pk}/"))
    wrong_path = api_as(manager_b).delete(org_closures_url(org_b, f"{closure.pk}/"))
    own = api_as(manager_a).delete(org_closures_url(org_a, f"{closure.pk}/"))

    assert foreign.status_code == 403
    assert wrong_path.status_code == 404
    assert own.status_code == 204
    assert not Closure.objects.exists()


def test_opening_hours_rows_are_untouched_by_closures(api_as, manager_a, org_a, room_a):
    # Closures are their own rows: closing never rewrites the weekly hours.
    OpeningHoursFactory(resource=room_a)
    body = {"start": "2026-12-24", "end": "2027-01-02", "reason": "Ferien"}

    api_as(manager_a).post(org_closures_url(org_a), body, format="json")

    assert OpeningHours.objects.filter(resource=room_a).count() == 1


# --- Found by fuzzing (tests/api/test_fuzz.py) --------------------------------------------------------


@pytest.mark.django_db
def test_capacity_min_must_be_digits(api):
    response = api.get(LIST_URL, {"capacity_min": "20.0"})

    assert response.status_code == 400
    assert list(response.json()) == ["capacity_min"]


@pytest.mark.django_db
def test_errors_of_a_repeated_parameter_are_one_list_of_messages(api):
    response = api.get(LIST_URL, {"feature": ["aufzug", "a\x00b"]})

    assert response.status_code == 400
    assert response.json()["feature"] == ["Null characters are not allowed."]
