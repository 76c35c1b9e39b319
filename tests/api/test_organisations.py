"""/api/v1/organisations/: public data for everyone, members for managers and the coordinator,
changes through konten.services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from konten import selectors
from konten.models import Membership, Organisation
from tests.factories import MembershipFactory, OrganisationFactory

LIST_URL = "/api/v1/organisations/"

PUBLIC_FIELDS = {
    "id",
    "slug",
    "name",
    "description",
    "address",
    "contact_email",
    "phone",
    "website",
    "logo",
    "logo_alt",
    "accessibility_notes",
}

PERSONAS = ["manager_a", "member_a", "manager_b", "member_b", "coordinator", "outsider"]


def detail_url(organisation: Organisation) -> str:
    return f"{LIST_URL}{organisation.pk}/"


@pytest.fixture
def network(manager_a, member_a, manager_b, member_b, coordinator, outsider):
    """Every persona exists (so each organisation has a manager and a member)."""


@pytest.fixture
def client_for(request, api, api_as):
    """``client_for("manager_a")``: a client logged in as that persona; ``"visitor"``: anonymous."""

    def make(persona: str):
        if persona == "visitor":
            return api
        return api_as(request.getfixturevalue(persona))

    return make


def by_slug(response) -> dict[str, dict]:
    return {organisation["slug"]: organisation for organisation in response.json()["results"]}


# --- Reading ------------------------------------------------------------------------------------------


def test_visitor_sees_public_data_and_no_members(api, network, org_a, org_b):
    response = api.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert body["previous"] is None
    assert [o["slug"] for o in body["results"]] == ["hafenstrasse", "vhs"]
    for organisation in body["results"]:
        assert set(organisation) == PUBLIC_FIELDS
    assert body["results"][0] == {
        "id": org_a.pk,
        "slug": "hafenstrasse",
        "name": org_a.name,
        "description": org_a.description,
        "address": "",
        "contact_email": org_a.contact_email,
        "phone": "",
        "website": "",
        "logo": None,
        "logo_alt": "",
        "accessibility_notes": "",
    }


def test_manager_sees_members_of_own_organisation_only(api_as, network, manager_a, member_a):
    organisations = by_slug(api_as(manager_a).get(LIST_URL))

    assert organisations["hafenstrasse"]["members"] == [
        {"id": manager_a.pk, "name": "Anna Manager", "email": manager_a.email, "role": "manager"},
        {"id": member_a.pk, "name": "Moritz Mitglied", "email": member_a.email, "role": "member"},
    ]
    assert "members" not in organisations["vhs"]


@pytest.mark.parametrize("persona", ["member_a", "member_b", "outsider", "visitor"])
def test_members_of_organisations_and_outsiders_see_no_members(client_for, network, persona):
    organisations = by_slug(client_for(persona).get(LIST_URL))

    assert "members" not in organisations["hafenstrasse"]
    assert "members" not in organisations["vhs"]


def test_coordinator_sees_members_of_every_organisation(api_as, network, coordinator):
    organisations = by_slug(api_as(coordinator).get(LIST_URL))

    assert [m["email"] for m in organisations["hafenstrasse"]["members"]] == [
        "anna@example.org",
        "moritz@example.org",
    ]
    assert [m["email"] for m in organisations["vhs"]["members"]] == [
        "berta@example.org",
        "bernd@example.org",
    ]


@pytest.mark.parametrize(
    ("persona", "sees_members"),
    [
        ("visitor", False),
        ("outsider", False),
        ("member_a", False),
        ("manager_b", False),
        ("member_b", False),
        ("manager_a", True),
        ("coordinator", True),
    ],
)
def test_detail_shows_members_only_to_managers_and_coordinator(
    client_for, network, org_a, persona, sees_members
):
    response = client_for(persona).get(detail_url(org_a))

    assert response.status_code == 200
    assert response.json()["slug"] == "hafenstrasse"
    assert ("members" in response.json()) is sees_members


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_and_detail_agree_with_the_rule_on_who_sees_members(request, network, org_a, org_b, persona):
    # The list asks a selector (one query per page), the detail asks rules: they must not drift apart.
    user = request.getfixturevalue(persona)
    managed = set(selectors.organisations_managed_by(user=user))

    for organisation in (org_a, org_b):
        assert (organisation in managed) is user.has_perm("konten.manage_organisation_members", organisation)


def test_filter_by_slug(api, network, org_b):
    body = api.get(LIST_URL, {"slug": "vhs"}).json()

    assert body["count"] == 1
    assert body["results"][0]["id"] == org_b.pk


def test_filter_by_unknown_slug_is_empty(api, network):
    assert api.get(LIST_URL, {"slug": "gibt-es-nicht"}).json()["count"] == 0


def test_list_is_paginated(api, db):
    OrganisationFactory.create_batch(3)

    body = api.get(LIST_URL, {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")


@pytest.mark.parametrize("path", ["999999/", "abc/"])
def test_unknown_organisation_is_404(api, db, path):
    response = api.get(LIST_URL + path)

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


def test_logo_is_an_absolute_url(api, org_a):
    org_a.logo = "logos/hafen.png"
    org_a.logo_alt = "Ein Anker"
    org_a.save()

    body = api.get(detail_url(org_a)).json()

    assert body["logo"] == "http://testserver/media/logos/hafen.png"
    assert body["logo_alt"] == "Ein Anker"


# --- Query counts ---------------------------------------------------------------------------------


def add_organisations(count: int) -> None:
    for organisation in OrganisationFactory.create_batch(count):
        MembershipFactory(organisation=organisation, role=Membership.Role.MANAGER)
        MembershipFactory.create_batch(2, organisation=organisation)


@pytest.mark.parametrize("persona", ["visitor", "outsider", "manager_a", "coordinator"])
def test_list_query_count_does_not_grow_with_organisations(
    client_for, network, persona, django_assert_max_num_queries
):
    client = client_for(persona)
    add_organisations(2)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    add_organisations(10)

    # token + count + page + which of them the caller manages + their members
    with django_assert_max_num_queries(5):
        response = client.get(LIST_URL)

    assert response.json()["count"] == 14
    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL)
    assert len(many) == len(few)


def test_coordinator_list_loads_all_members_at_once(
    api_as, network, coordinator, django_assert_max_num_queries
):
    client = api_as(coordinator)
    add_organisations(10)

    with django_assert_max_num_queries(5):
        results = client.get(LIST_URL).json()["results"]

    assert all(len(organisation["members"]) >= 2 for organisation in results)


# --- Changing -----------------------------------------------------------------------------------------


def test_manager_changes_own_organisation(api_as, network, manager_a, org_a):
    response = api_as(manager_a).patch(
        detail_url(org_a),
        {"phone": "03521 123456", "website": "https://hafenstrasse.example.org/"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["phone"] == "03521 123456"
    assert "members" in response.json()
    org_a.refresh_from_db()
    assert org_a.phone == "03521 123456"
    assert org_a.website == "https://hafenstrasse.example.org/"
    assert org_a.name == "Soziokulturelles Zentrum Hafenstraße e.V."


def test_manager_cannot_change_other_organisation(api_as, network, manager_a, org_b):
    response = api_as(manager_a).patch(detail_url(org_b), {"phone": "0"}, format="json")

    assert response.status_code == 403
    org_b.refresh_from_db()
    assert org_b.phone == ""


def test_permission_is_checked_before_the_input(api_as, network, manager_a, org_b):
    # A caller who may not change the organisation learns nothing from validation messages.
    response = api_as(manager_a).patch(detail_url(org_b), {"website": "nope"}, format="json")

    assert response.status_code == 403


def test_member_cannot_change_own_organisation(api_as, network, member_a, org_a):
    response = api_as(member_a).patch(detail_url(org_a), {"phone": "0"}, format="json")

    assert response.status_code == 403


def test_visitor_cannot_change_and_is_asked_to_log_in(api, network, org_a):
    response = api.patch(detail_url(org_a), {"phone": "0"}, format="json")

    assert response.status_code == 401
    org_a.refresh_from_db()
    assert org_a.phone == ""


def test_coordinator_changes_any_organisation(api_as, network, coordinator, org_b):
    response = api_as(coordinator).patch(detail_url(org_b), {"description": "Kurse für alle."}, format="json")

    assert response.status_code == 200
    org_b.refresh_from_db()
    assert org_b.description == "Kurse für alle."


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"website": "not a url"}, "website", "Enter a valid URL."),
        ({"name": ""}, "name", "This field may not be blank."),
        ({"contact_email": "kontakt"}, "contact_email", "Enter a valid email address."),
        ({"slug": "mit leerzeichen"}, "slug", None),
        ({"slug": "vhs"}, "slug", "organisation with this short name already exists."),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(
    api_as, network, manager_a, org_a, data, field, message
):
    before = Organisation.objects.values().get(pk=org_a.pk)

    response = api_as(manager_a).patch(detail_url(org_a), {"phone": "0351 1", **data}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert Organisation.objects.values().get(pk=org_a.pk) == before


def test_rule_broken_in_the_service_is_a_400(api_as, network, manager_a, org_a):
    # The serializer cannot know that a logo needs its alternative text; the model's constraint,
    # checked by the service, does. Its ValidationError must come out as 400, not 500.
    org_a.logo = "logos/hafen.png"
    org_a.logo_alt = "Ein Anker"
    org_a.save()

    response = api_as(manager_a).patch(detail_url(org_a), {"logo_alt": "", "phone": "0"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A logo needs an alternative text."]}
    org_a.refresh_from_db()
    assert (org_a.logo_alt, org_a.phone) == ("Ein Anker", "")


def test_whole_replacement_and_deletion_are_not_offered(api_as, network, coordinator, org_a):
    client = api_as(coordinator)

    assert client.put(detail_url(org_a), {"name": "X", "slug": "x"}, format="json").status_code == 405
    assert client.delete(detail_url(org_a)).status_code == 405
    assert Organisation.objects.filter(pk=org_a.pk).exists()


def test_coordinator_creates_an_organisation(api_as, network, coordinator):
    response = api_as(coordinator).post(
        LIST_URL,
        {
            "name": "Jugendclub Meißen e.V.",
            "slug": "jugendclub",
            "website": "https://jugendclub.example.org/",
        },
        format="json",
    )

    assert response.status_code == 201
    created = Organisation.objects.get(slug="jugendclub")
    assert response.json()["id"] == created.pk
    assert response.json()["members"] == []
    assert response["Location"] == f"http://testserver{detail_url(created)}"
    assert created.name == "Jugendclub Meißen e.V."
    assert created.website == "https://jugendclub.example.org/"


@pytest.mark.parametrize("persona", ["manager_a", "member_a", "outsider"])
def test_only_the_coordinator_creates_organisations(client_for, network, persona):
    response = client_for(persona).post(LIST_URL, {"name": "Neu e.V.", "slug": "neu"}, format="json")

    assert response.status_code == 403
    assert not Organisation.objects.filter(slug="neu").exists()


def test_visitor_cannot_create_and_is_asked_to_log_in(api, network):
    response = api.post(LIST_URL, {"name": "Neu e.V.", "slug": "neu"}, format="json")

    assert response.status_code == 401
    assert not Organisation.objects.filter(slug="neu").exists()


def test_create_names_missing_and_taken_fields(api_as, network, coordinator, org_a):
    response = api_as(coordinator).post(LIST_URL, {"name": org_a.name}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "name": ["organisation with this name already exists."],
        "slug": ["This field is required."],
    }
    assert Organisation.objects.count() == 2


def test_revoked_token_is_refused_even_for_public_data(api, network):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = api.get(LIST_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_options_describe_the_endpoint(api, network):
    response = api.options(LIST_URL)

    assert response.status_code == 200
    assert response.json()["name"] == "Organisation List"


# --- Found by fuzzing (tests/api/test_fuzz.py) --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/organisations/-3/closures/", "/api/v1/bookings/1.5/", "/api/v1/no-such-thing/\n/"]
)
def test_a_path_that_names_no_endpoint_is_a_json_404(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": ["5", "6"]}, "page_size"),
    ],
)
def test_a_bad_page_or_page_size_is_a_400_naming_it(api, org_a, query, field):
    response = api.get(LIST_URL, query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_a_page_past_the_last_is_a_404_and_a_large_page_size_is_capped(api, org_a):
    assert api.get(LIST_URL, {"page": 2}).status_code == 404
    assert api.get(LIST_URL, {"page_size": 1000}).json()["count"] == 1


def test_blank_website_and_e_mail_are_documented(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    organisation = schema["components"]["schemas"]["Organisation"]["properties"]

    for field in ("website", "contact_email"):
        assert {"type": "string", "maxLength": 0} in organisation[field]["oneOf"], field
