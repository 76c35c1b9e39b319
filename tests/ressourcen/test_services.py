"""The catalogue's write services: what they accept, what they refuse, and that refusing writes nothing."""

import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ressourcen import services
from ressourcen.models import Closure, OpeningHours, Resource, ResourcePhoto
from tests.factories import MembershipFactory, OpeningHoursFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def png_upload(name: str = "saal.png", size: tuple[int, int] = (4, 3)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# --- resource_create ------------------------------------------------------------------------------------


def test_manager_creates_a_room_with_features_and_a_unique_slug(manager_a, org_a):
    ResourceFactory(name="Großer Saal", slug="grosser-saal")
    room = services.resource_create(
        actor=manager_a,
        organisation=org_a,
        data={"kind": "room", "name": "Großer Saal", "capacity": 80, "capacity_standing": 120},
        features=services.features_by_slugs(["stufenloser-zugang", "induktionsschleife"]),
    )
    assert room.organisation == org_a
    assert room.slug == "grosser-saal-2"
    assert sorted(room.features.values_list("slug", flat=True)) == [
        "induktionsschleife",
        "stufenloser-zugang",
    ]


def test_manager_creates_equipment_with_several_units(manager_a, org_a):
    beamer = services.resource_create(
        actor=manager_a,
        organisation=org_a,
        data={"kind": "equipment", "name": "Beamer", "quantity": 3, "condition": "good"},
    )
    assert beamer.quantity == 3
    assert not beamer.is_exclusive


def test_manager_creates_a_skill_held_by_a_member(manager_a, member_a, org_a):
    skill = services.resource_create(
        actor=manager_a,
        organisation=org_a,
        data={"kind": "skill", "name": "Moderation", "holder": member_a, "languages": "Deutsch"},
    )
    assert skill.holder == member_a


def test_skill_holder_must_be_a_member_of_the_organisation(manager_a, member_b, org_a):
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(
            actor=manager_a,
            organisation=org_a,
            data={"kind": "skill", "name": "Moderation", "holder": member_b},
        )
    assert error_fields(excinfo) == {"holder"}
    assert not Resource.objects.exists()


def test_skill_needs_a_holder(manager_a, org_a):
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(actor=manager_a, organisation=org_a, data={"kind": "skill", "name": "X"})
    assert "holder" in error_fields(excinfo)


@pytest.mark.parametrize("kind", ["room", "skill"])
def test_only_equipment_may_have_a_quantity_above_one(manager_a, member_a, org_a, kind):
    data = {"kind": kind, "name": "Etwas", "quantity": 2}
    if kind == "skill":
        data["holder"] = member_a
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(actor=manager_a, organisation=org_a, data=data)
    # Named on the field, not only as a table-wide constraint message.
    assert "quantity" in error_fields(excinfo)
    assert not Resource.objects.exists()


def test_negative_capacity_is_refused_on_its_field(manager_a, org_a):
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(
            actor=manager_a, organisation=org_a, data={"kind": "room", "name": "Saal", "capacity": -5}
        )
    assert "capacity" in error_fields(excinfo)
    assert not Resource.objects.exists()


def test_field_errors_and_kind_errors_are_reported_together(manager_a, org_a):
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(
            actor=manager_a,
            organisation=org_a,
            data={"kind": "room", "name": "", "quantity": 4, "min_duration_minutes": 90},
        )
    assert {"name", "quantity"} <= error_fields(excinfo)


def test_minimum_duration_must_not_exceed_maximum(manager_a, org_a):
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(
            actor=manager_a,
            organisation=org_a,
            data={"kind": "room", "name": "Saal", "min_duration_minutes": 120, "max_duration_minutes": 60},
        )
    assert "max_duration_minutes" in error_fields(excinfo)


@pytest.mark.parametrize("persona", ["member_a", "manager_b", "outsider"])
def test_only_managers_create_resources(request, org_a, persona):
    with pytest.raises(PermissionDenied):
        services.resource_create(
            actor=request.getfixturevalue(persona), organisation=org_a, data={"kind": "room", "name": "X"}
        )
    assert not Resource.objects.exists()


def test_coordinator_creates_for_any_organisation(coordinator, org_b):
    room = services.resource_create(
        actor=coordinator, organisation=org_b, data={"kind": "room", "name": "Aula"}
    )
    assert room.organisation == org_b


# --- resource_update ------------------------------------------------------------------------------------


def test_kind_cannot_be_changed(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    with pytest.raises(ValidationError) as excinfo:
        services.resource_update(actor=manager_a, resource=room, data={"kind": "equipment"})
    assert error_fields(excinfo) == {"kind"}
    room.refresh_from_db()
    assert room.kind == "room"


def test_organisation_cannot_be_changed(manager_a, org_a, org_b):
    room = ResourceFactory(organisation=org_a)
    with pytest.raises(ValidationError):
        services.resource_update(actor=manager_a, resource=room, data={"organisation": org_b})
    room.refresh_from_db()
    assert room.organisation == org_a


def test_manager_of_another_organisation_cannot_update(manager_b, org_a):
    room = ResourceFactory(organisation=org_a, name="Saal")
    with pytest.raises(PermissionDenied):
        services.resource_update(actor=manager_b, resource=room, data={"name": "Gekapert"})
    room.refresh_from_db()
    assert room.name == "Saal"


def test_skill_holder_changes_their_own_fields(org_a, member_a):
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a)
    services.resource_update(
        actor=member_a, resource=skill, data={"description": "Neu", "languages": "Deutsch, DGS"}
    )
    skill.refresh_from_db()
    assert (skill.description, skill.languages) == ("Neu", "Deutsch, DGS")


@pytest.mark.parametrize(
    ("data", "features"),
    [({"name": "Umbenannt"}, None), ({"requires_approval": True}, None), ({"description": "x"}, [])],
)
def test_skill_holder_may_not_change_the_rest(org_a, member_a, data, features):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=member_a, name="Moderation"
    )
    with pytest.raises(PermissionDenied):
        services.resource_update(actor=member_a, resource=skill, data=data, features=features)
    skill.refresh_from_db()
    assert skill.name == "Moderation"
    assert skill.requires_approval is False
    assert skill.description == "Ein heller Raum."


def test_set_active_hides_and_shows_again(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    services.resource_set_active(actor=manager_a, resource=room, active=False)
    assert not Resource.objects.active().filter(pk=room.pk).exists()
    services.resource_set_active(actor=manager_a, resource=room, active=True)
    assert Resource.objects.active().filter(pk=room.pk).exists()


# --- opening hours --------------------------------------------------------------------------------------


def test_opening_hours_are_replaced_as_a_whole(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    OpeningHoursFactory(resource=room, weekday=6)
    services.opening_hours_replace(
        actor=manager_a,
        resource=room,
        ranges=[(0, time(9), time(12)), (0, time(14), time(18)), (4, time(18), time(0))],
    )
    assert sorted(room.opening_hours.values_list("weekday", "start", "end")) == [
        (0, time(9), time(12)),
        (0, time(14), time(18)),
        (4, time(18), time(0)),
    ]


def test_midnight_as_end_means_the_end_of_the_day(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    services.opening_hours_replace(actor=manager_a, resource=room, ranges=[(5, time(0), time(0))])
    assert room.opening_hours.get().end == time(0)


@pytest.mark.parametrize(
    "ranges",
    [
        [(0, time(9), time(13)), (0, time(12), time(18))],  # overlap
        [(2, time(9), time(12)), (2, time(9), time(12))],  # the same range twice
        [(1, time(18), time(9))],  # end before start
        [(1, time(10), time(10))],  # empty range
        [(7, time(9), time(10))],  # no such weekday
    ],
    ids=["overlap", "twice", "end-before-start", "empty", "unknown-weekday"],
)
def test_bad_opening_hours_are_refused_and_nothing_changes(manager_a, org_a, ranges):
    room = ResourceFactory(organisation=org_a)
    OpeningHoursFactory(resource=room, weekday=3, start=time(8), end=time(16))
    with pytest.raises(ValidationError) as excinfo:
        services.opening_hours_replace(actor=manager_a, resource=room, ranges=ranges)
    assert error_fields(excinfo) == {"opening_hours"}
    assert list(room.opening_hours.values_list("weekday", "start", "end")) == [(3, time(8), time(16))]


def test_touching_ranges_do_not_overlap(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    services.opening_hours_replace(
        actor=manager_a, resource=room, ranges=[(0, time(9), time(12)), (0, time(12), time(15))]
    )
    assert room.opening_hours.count() == 2


def test_skill_holder_sets_opening_hours_but_a_member_does_not(org_a, member_a, manager_a):
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a)
    services.opening_hours_replace(actor=member_a, resource=skill, ranges=[(2, time(17), time(20))])
    other_member = MembershipFactory(organisation=org_a).user
    with pytest.raises(PermissionDenied):
        services.opening_hours_replace(actor=other_member, resource=skill, ranges=[])
    assert OpeningHours.objects.filter(resource=skill).count() == 1


# --- closures -------------------------------------------------------------------------------------------


def test_manager_closes_one_resource_or_the_whole_organisation(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    start, end = datetime(2026, 12, 24, tzinfo=BERLIN), datetime(2027, 1, 2, tzinfo=BERLIN)
    whole = services.closure_create(
        actor=manager_a, organisation=org_a, start=start, end=end, reason=" Ferien "
    )
    single = services.closure_create(
        actor=manager_a, organisation=org_a, start=start, end=end, reason="Reparatur", resource=room
    )
    assert whole.resource is None and whole.reason == "Ferien"
    assert single.resource == room


@pytest.mark.parametrize("hours", [0, -5])
def test_closure_ending_before_it_starts_is_refused(manager_a, org_a, hours):
    from datetime import timedelta

    start = datetime(2026, 8, 1, 10, tzinfo=BERLIN)
    with pytest.raises(ValidationError) as excinfo:
        services.closure_create(
            actor=manager_a, organisation=org_a, start=start, end=start + timedelta(hours=hours), reason="x"
        )
    assert "end" in error_fields(excinfo)
    assert not Closure.objects.exists()


def test_closure_needs_a_reason(manager_a, org_a):
    with pytest.raises(ValidationError) as excinfo:
        services.closure_create(
            actor=manager_a,
            organisation=org_a,
            start=datetime(2026, 8, 1, tzinfo=BERLIN),
            end=datetime(2026, 8, 2, tzinfo=BERLIN),
            reason="  ",
        )
    assert "reason" in error_fields(excinfo)


def test_closure_of_another_organisations_resource_is_refused(manager_a, org_a, org_b):
    room_b = ResourceFactory(organisation=org_b)
    with pytest.raises(ValidationError) as excinfo:
        services.closure_create(
            actor=manager_a,
            organisation=org_a,
            start=datetime(2026, 8, 1, tzinfo=BERLIN),
            end=datetime(2026, 8, 2, tzinfo=BERLIN),
            reason="x",
            resource=room_b,
        )
    assert "resource" in error_fields(excinfo)


@pytest.mark.parametrize("persona", ["member_a", "manager_b"])
def test_only_managers_create_and_delete_closures(request, org_a, manager_a, persona):
    actor = request.getfixturevalue(persona)
    start, end = datetime(2026, 8, 1, tzinfo=BERLIN), datetime(2026, 8, 2, tzinfo=BERLIN)
    with pytest.raises(PermissionDenied):
        services.closure_create(actor=actor, organisation=org_a, start=start, end=end, reason="x")
    closure = services.closure_create(actor=manager_a, organisation=org_a, start=start, end=end, reason="x")
    with pytest.raises(PermissionDenied):
        services.closure_delete(actor=actor, closure=closure)
    assert Closure.objects.count() == 1


# --- photos ---------------------------------------------------------------------------------------------


def test_photo_with_alt_text_is_added(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    photo = services.photo_add(
        actor=manager_a, resource=room, image=png_upload(), alt_text=" Saal mit Bühne "
    )
    assert photo.alt_text == "Saal mit Bühne"
    assert photo.image.name.startswith("resources/")


@pytest.mark.parametrize("alt_text", ["", "   "])
def test_photo_without_alt_text_is_refused(manager_a, org_a, alt_text):
    room = ResourceFactory(organisation=org_a)
    with pytest.raises(ValidationError) as excinfo:
        services.photo_add(actor=manager_a, resource=room, image=png_upload(), alt_text=alt_text)
    assert error_fields(excinfo) == {"alt_text"}
    assert not ResourcePhoto.objects.exists()


def test_photo_that_is_not_an_image_is_refused(manager_a, org_a):
    room = ResourceFactory(organisation=org_a)
    fake = SimpleUploadedFile("saal.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationError) as excinfo:
        services.photo_add(actor=manager_a, resource=room, image=fake, alt_text="Saal")
    assert error_fields(excinfo) == {"image"}
    assert not ResourcePhoto.objects.exists()


def test_photo_larger_than_the_limit_is_refused(manager_a, org_a, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50
    room = ResourceFactory(organisation=org_a)
    with pytest.raises(ValidationError) as excinfo:
        services.photo_add(actor=manager_a, resource=room, image=png_upload(size=(64, 64)), alt_text="Saal")
    assert error_fields(excinfo) == {"image"}


def test_member_cannot_add_photos(member_a, org_a):
    room = ResourceFactory(organisation=org_a)
    with pytest.raises(PermissionDenied):
        services.photo_add(actor=member_a, resource=room, image=png_upload(), alt_text="Saal")
    assert not ResourcePhoto.objects.exists()


def test_the_database_refuses_a_weekday_past_sunday(org_a):
    """The services refuse it (above); the table holds to it too, whatever writes to it."""
    from django.db import IntegrityError, transaction

    room = ResourceFactory(organisation=org_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpeningHours.objects.create(resource=room, weekday=7, start=time(9), end=time(10))
    assert not room.opening_hours.exists()
