import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from konten import services
from konten.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def membership(user, organisation):
    return Membership.objects.get(user=user, organisation=organisation)


def test_manager_promotes_member(manager_a, member_a, org_a):
    services.membership_set_role(actor=manager_a, membership=membership(member_a, org_a), role="manager")
    assert membership(member_a, org_a).role == "manager"


def test_last_manager_cannot_be_demoted(manager_a, org_a):
    with pytest.raises(ValidationError) as error:
        services.membership_set_role(actor=manager_a, membership=membership(manager_a, org_a), role="member")
    assert "verwaltet als Letzte*r" in str(error.value)
    assert membership(manager_a, org_a).role == "manager"


def test_manager_can_step_down_when_another_manager_remains(manager_a, member_a, org_a):
    services.membership_set_role(actor=manager_a, membership=membership(member_a, org_a), role="manager")
    services.membership_set_role(actor=manager_a, membership=membership(manager_a, org_a), role="member")
    assert membership(manager_a, org_a).role == "member"


def test_last_manager_cannot_be_removed(coordinator, manager_a, org_a):
    with pytest.raises(ValidationError):
        services.membership_remove(actor=coordinator, membership=membership(manager_a, org_a))
    assert Membership.objects.filter(user=manager_a, organisation=org_a).exists()


def test_last_manager_cannot_leave(manager_a, org_a):
    with pytest.raises(ValidationError):
        services.membership_remove(actor=manager_a, membership=membership(manager_a, org_a))
    assert Membership.objects.filter(user=manager_a, organisation=org_a).exists()


def test_member_may_leave(member_a, org_a):
    services.membership_remove(actor=member_a, membership=membership(member_a, org_a))
    assert not Membership.objects.filter(user=member_a).exists()


def test_member_cannot_remove_others(member_a, manager_a, org_a):
    other = MembershipFactory(organisation=org_a)
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=member_a, membership=other)
    assert Membership.objects.filter(pk=other.pk).exists()


def test_manager_of_other_organisation_cannot_change_roles(manager_b, member_a, org_a):
    with pytest.raises(PermissionDenied):
        services.membership_set_role(actor=manager_b, membership=membership(member_a, org_a), role="manager")
    assert membership(member_a, org_a).role == "member"


def test_unknown_role_is_refused(manager_a, member_a, org_a):
    with pytest.raises(ValidationError):
        services.membership_set_role(actor=manager_a, membership=membership(member_a, org_a), role="king")


# --- through the pages ---------------------------------------------------------------------------


def test_members_page_refuses_demoting_last_manager_with_message(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        reverse(
            "konten:membership_role",
            kwargs={"slug": org_a.slug, "membership_id": membership(manager_a, org_a).pk},
        ),
        {"role": "member"},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("kann nicht herabgestuft werden" in m for m in messages)
    assert membership(manager_a, org_a).role == "manager"


def test_remove_page_refuses_last_manager_with_400(client, manager_a, org_a):
    client.force_login(manager_a)
    url = reverse(
        "konten:membership_remove",
        kwargs={"slug": org_a.slug, "membership_id": membership(manager_a, org_a).pk},
    )
    response = client.post(url)
    assert response.status_code == 400
    assert response.context["error"]
    assert Membership.objects.filter(user=manager_a, organisation=org_a).exists()


def test_manager_removes_member_through_page(client, manager_a, member_a, org_a):
    client.force_login(manager_a)
    url = reverse(
        "konten:membership_remove",
        kwargs={"slug": org_a.slug, "membership_id": membership(member_a, org_a).pk},
    )
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(user=member_a).exists()


def test_membership_of_other_organisation_is_not_found_under_own_slug(
    client, manager_a, member_b, org_a, org_b
):
    client.force_login(manager_a)
    url = reverse(
        "konten:membership_remove",
        kwargs={"slug": org_a.slug, "membership_id": membership(member_b, org_b).pk},
    )
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(user=member_b).exists()
