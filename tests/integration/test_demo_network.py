"""The demo network command: idempotent, usable logins, refused in production."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count

from konten.models import Membership, Organisation, User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "people": User.objects.count(),
        "memberships": Membership.objects.count(),
        "addresses": EmailAddress.objects.count(),
    }


def test_demo_network_runs_twice_without_duplicating_anything():
    call_command("demo_network")
    first = _counts()
    call_command("demo_network")
    assert _counts() == first
    assert first["organisations"] == 7
    assert set(Organisation.objects.values_list("slug", flat=True)) >= {
        "vhs-meissen",
        "hafenstrasse",
        "buergerstiftung",
    }


def test_every_demo_organisation_has_a_manager_and_members():
    call_command("demo_network")
    for organisation in Organisation.objects.all():
        roles = list(organisation.memberships.values_list("role", flat=True))
        assert Membership.Role.MANAGER in roles, organisation
        assert Membership.Role.MEMBER in roles, organisation


def test_one_demo_person_belongs_to_two_organisations():
    call_command("demo_network")
    in_two = User.objects.annotate(organisations=Count("memberships")).filter(organisations=2)
    assert list(in_two.values_list("email", flat=True)) == ["lena.hoffmann@example.org"]


def test_demo_coordinator_can_log_in_with_the_demo_password(client):
    call_command("demo_network")
    coordinator = User.objects.get(email="koordination@example.org")
    assert coordinator.is_coordinator
    assert coordinator.is_staff
    assert client.login(email="koordination@example.org", password="demo1234")


def test_demo_network_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_network")
    assert not Organisation.objects.exists()


def test_demo_network_runs_in_production_only_when_asked(settings):
    settings.PRODUCTION = True
    call_command("demo_network", "--allow-production")
    assert Organisation.objects.count() == 7
