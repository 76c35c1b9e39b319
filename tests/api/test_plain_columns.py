"""``PlainColumnsMixin`` answers exactly what Django REST framework's own ``to_representation`` answers,
for every serializer that uses it, on objects with every kind of value: empty texts, None, choices,
decimals, times, nested objects and lists."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIRequestFactory

from buchungen import api as booking_api
from buchungen.models import Booking, BookingTransition
from konten import api as konten_api
from konten.serialization import PlainColumnsMixin
from ressourcen import api as resource_api
from ressourcen.models import OpeningHours, Resource
from tests.factories import BookingFactory, OrganisationFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def _framework(serializer, instance):
    """The framework's own answer, nested serializers included (they use the mixin too)."""
    original = PlainColumnsMixin.to_representation
    try:
        del PlainColumnsMixin.to_representation
        return serializer.__class__(instance, context=serializer.context).data
    finally:
        PlainColumnsMixin.to_representation = original


@pytest.fixture
def context():
    return {"request": APIRequestFactory().get("/api/v1/resources/")}


@pytest.fixture
def objects(member_b, org_a):
    room = ResourceFactory(
        organisation=org_a,
        capacity=None,
        area_m2=Decimal("42.5"),
        building="",
        requires_approval=True,
        quota_hours_per_month=None,
    )
    OpeningHours.objects.create(resource=room, weekday=0, start=datetime.time(9), end=datetime.time(0))
    kit = ResourceFactory(
        organisation=org_a,
        kind="equipment",
        quantity=3,
        replacement_value=Decimal("1299.90"),
        condition="good",
        deposit_note="50 € Pfand",
    )
    skill = ResourceFactory(organisation=org_a, kind="skill", holder=member_b, languages=["de", "en"])
    booking = BookingFactory(
        resource=room, booked_by=member_b, organisation=OrganisationFactory(), purpose=""
    )
    BookingTransition.objects.create(booking=booking, from_status="", to_status="confirmed", actor=member_b)
    return {
        "resources": list(Resource.objects.filter(pk__in=[room.pk, kit.pk, skill.pk])),
        "bookings": list(
            Booking.objects.select_related("resource__organisation", "organisation", "booked_by")
        ),
    }


SERIALIZERS = [
    (resource_api.ResourceSerializer, "resources"),
    (resource_api.HolderSerializer, None),
    (konten_api.OrganisationRefSerializer, None),
    (booking_api.BookingSerializer, "bookings"),
    (booking_api.BookingDetailSerializer, "bookings"),
]


def test_every_serializer_with_the_mixin_is_compared():
    compared = {cls for cls, _ in SERIALIZERS} | {
        resource_api.PhotoSerializer,  # nested in ResourceSerializer
        resource_api.OpeningHoursSerializer,  # nested in ResourceSerializer
        booking_api.PersonSerializer,  # nested in BookingSerializer
        booking_api.ResourceRefSerializer,
        booking_api.TransitionSerializer,  # nested in BookingDetailSerializer
    }
    using = set()
    for module in (resource_api, konten_api, booking_api):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, PlainColumnsMixin)
                and value is not PlainColumnsMixin
            ):
                using.add(value)
    assert using <= compared, using - compared


@pytest.mark.parametrize(("serializer_class", "kind"), SERIALIZERS)
def test_the_answer_is_the_frameworks(serializer_class, kind, objects, context, member_b, org_a):
    instances = (
        objects[kind]
        if kind
        else [member_b]
        if serializer_class is resource_api.HolderSerializer
        else [org_a]
    )
    for instance in instances:
        serializer = serializer_class(instance, context=context)
        assert serializer.data == _framework(serializer, instance)


def test_a_value_of_another_type_takes_the_frameworks_way(objects, context):
    """A whole-number column holding a string (as raw SQL or an annotation might) is still converted."""
    room = objects["resources"][0]
    room.capacity = "12"
    assert resource_api.ResourceSerializer(room, context=context).data["capacity"] == 12
