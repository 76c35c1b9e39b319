"""GET /api/v1/me/: the caller and their memberships."""

from konten.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory

ME_URL = "/api/v1/me/"


def test_anonymous_caller_gets_401_with_a_token_challenge(api, db):
    response = api.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_manager_sees_own_account_and_role(api_as, manager_a, org_a):
    response = api_as(manager_a).get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": manager_a.pk,
        "email": "anna@example.org",
        "name": "Anna Manager",
        "language": "de",
        "is_coordinator": False,
        "memberships": [
            {
                "organisation": {"id": org_a.pk, "slug": "hafenstrasse", "name": org_a.name},
                "role": "manager",
            }
        ],
    }


def test_person_in_several_organisations_sees_each_membership_by_organisation_name(api_as, member_a, org_b):
    MembershipFactory(user=member_a, organisation=org_b, role=Membership.Role.MANAGER)

    memberships = api_as(member_a).get(ME_URL).json()["memberships"]

    assert [(m["organisation"]["slug"], m["role"]) for m in memberships] == [
        ("hafenstrasse", "member"),
        ("vhs", "manager"),
    ]


def test_coordinator_is_flagged(api_as, coordinator):
    body = api_as(coordinator).get(ME_URL).json()

    assert body["is_coordinator"] is True
    assert body["memberships"] == []


def test_browser_session_works_too(api, outsider):
    api.force_login(outsider)

    response = api.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["email"] == outsider.email


def test_query_count_does_not_grow_with_memberships(api_as, member_a, django_assert_max_num_queries):
    client = api_as(member_a)
    for organisation in OrganisationFactory.create_batch(5):
        MembershipFactory(user=member_a, organisation=organisation)

    # token lookup (with the user) + memberships (with their organisations)
    with django_assert_max_num_queries(2):
        response = client.get(ME_URL)

    assert len(response.json()["memberships"]) == 6
