"""The demo network command: idempotent, usable logins, a realistic catalogue, refused in production."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count

from konten.models import Membership, Organisation, User
from ressourcen.models import Closure, OpeningHours, Resource

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "people": User.objects.count(),
        "memberships": Membership.objects.count(),
        "addresses": EmailAddress.objects.count(),
        "resources": Resource.objects.count(),
        "features": Resource.features.through.objects.count(),
        "opening_hours": OpeningHours.objects.count(),
        "closures": Closure.objects.count(),
    }


def test_demo_network_runs_twice_without_duplicating_anything():
    call_command("demo_network")
    first = _counts()
    call_command("demo_network")
    assert _counts() == first
    assert first["organisations"] == 7
    assert 28 <= first["resources"] <= 40
    assert first["opening_hours"] > 0
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


@pytest.fixture
def demo_catalogue(db):
    call_command("demo_network")
    call_command("demo_network")
    return Resource.objects.select_related("organisation", "holder")


def test_every_demo_organisation_lends_something(demo_catalogue):
    lending = set(demo_catalogue.values_list("organisation__slug", flat=True))
    assert lending == set(Organisation.objects.values_list("slug", flat=True))


def test_the_demo_catalogue_mixes_kinds_and_policies(demo_catalogue):
    assert set(demo_catalogue.values_list("kind", flat=True)) == set(Resource.Kind.values)
    assert set(demo_catalogue.values_list("audience", flat=True)) == set(Resource.Audience.values)
    network = demo_catalogue.filter(audience=Resource.Audience.NETWORK).count()
    assert network > demo_catalogue.count() / 2
    assert demo_catalogue.filter(requires_approval=True).exists()
    assert demo_catalogue.filter(requires_approval=False).exists()
    assert demo_catalogue.filter(audience=Resource.Audience.PUBLIC, requires_approval=True).exists()
    assert demo_catalogue.filter(kind=Resource.Kind.EQUIPMENT, quantity__gt=1).count() >= 3


def test_demo_rooms_differ_in_size_and_accessibility(demo_catalogue):
    rooms = demo_catalogue.filter(kind=Resource.Kind.ROOM)
    capacities = [room.capacity for room in rooms]
    assert min(capacities) <= 10
    assert max(capacities) >= 100
    step_free = rooms.filter(features__slug="stufenloser-zugang")
    assert 0 < step_free.count() < rooms.count()
    # The example search finds something in the demo: 20+ seats, step-free, hearing loop.
    assert step_free.filter(features__slug="induktionsschleife", capacity__gte=20).exists()


def test_some_demo_resources_have_opening_hours_and_some_are_always_open(demo_catalogue):
    with_hours = demo_catalogue.filter(opening_hours__isnull=False).distinct().count()
    assert 0 < with_hours < demo_catalogue.count()


def test_the_demo_has_an_organisation_wide_closure_and_one_for_a_single_room(demo_catalogue):
    assert Closure.objects.filter(resource__isnull=True).count() == 1
    repair = Closure.objects.get(resource__isnull=False)
    assert repair.resource.kind == Resource.Kind.ROOM
    assert repair.resource.organisation == repair.organisation


def test_every_demo_skill_is_held_by_a_member_of_its_organisation(demo_catalogue):
    skills = demo_catalogue.filter(kind=Resource.Kind.SKILL)
    assert skills.count() >= 6
    for skill in skills:
        assert Membership.objects.filter(user=skill.holder, organisation=skill.organisation).exists(), skill
    assert not demo_catalogue.exclude(kind=Resource.Kind.SKILL).filter(holder__isnull=False).exists()
