"""The managing pages: who may open them, what a valid form writes, and that bad input writes nothing."""

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from ressourcen.models import Closure, Feature, OpeningHours, Resource, ResourcePhoto
from tests.factories import OpeningHoursFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def url(name: str, **kwargs) -> str:
    return reverse(f"ressourcen:{name}", kwargs=kwargs)


def png_upload(name: str = "saal.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def room_post(**overrides) -> dict:
    data = {
        "name": "Seminarraum 2",
        "description": "Mit Blick auf die Elbe.",
        "address": "Hafenstraße 31",
        "building": "",
        "floor": "1. OG",
        "directions": "",
        "capacity": "24",
        "capacity_standing": "",
        "area_m2": "45,5",
        "audience": "network",
        "lead_time_hours": "24",
        "max_advance_days": "180",
        "min_duration_minutes": "60",
        "max_duration_minutes": "480",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "15",
        "quota_hours_per_month": "",
        "reminder_hours": "24",
    }
    data.update(overrides)
    return data


def hours_post(rows: list[tuple], *, initial: int = 0) -> dict:
    """Management form plus rows of (weekday, start, end[, delete])."""
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data[f"form-{i}-weekday"], data[f"form-{i}-start"], data[f"form-{i}-end"] = row[:3]
        if len(row) > 3 and row[3]:
            data[f"form-{i}-DELETE"] = "on"
    return data


@pytest.fixture
def room_a(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafenstraße", slug="saal-hafenstrasse")


@pytest.fixture
def room_b(org_b):
    return ResourceFactory(organisation=org_b, name="Aula VHS", slug="aula-vhs")


# --- permissions ----------------------------------------------------------------------------------------


def test_visitor_is_sent_to_login(client, org_a, room_a):
    for target in (
        url("organisation_resources", org_slug=org_a.slug),
        url("resource_create", org_slug=org_a.slug),
        url("resource_edit", slug=room_a.slug),
        url("closures_edit", org_slug=org_a.slug),
        url("resource_import", org_slug=org_a.slug),
    ):
        response = client.get(target)
        assert response.status_code == 302, target
        assert reverse("account_login") in response.url


@pytest.mark.parametrize("persona", ["member_a", "manager_b", "outsider"])
def test_only_managers_of_the_organisation_open_the_pages(client, request, org_a, room_a, persona):
    client.force_login(request.getfixturevalue(persona))
    for target in (
        url("organisation_resources", org_slug=org_a.slug),
        url("resource_create", org_slug=org_a.slug) + "?art=room",
        url("resource_edit", slug=room_a.slug),
        url("opening_hours_edit", slug=room_a.slug),
        url("photos_edit", slug=room_a.slug),
        url("closures_edit", org_slug=org_a.slug),
        url("resource_import", org_slug=org_a.slug),
        url("resource_import_template", org_slug=org_a.slug),
    ):
        assert client.get(target).status_code == 403, target


def test_manager_of_a_cannot_change_b_resources(client, manager_a, org_b, room_b):
    client.force_login(manager_a)
    posts = [
        (url("resource_edit", slug=room_b.slug), room_post(name="Gekapert")),
        (url("resource_toggle_active", slug=room_b.slug), {"active": "0"}),
        (url("opening_hours_edit", slug=room_b.slug), hours_post([("0", "09:00", "12:00")])),
        (url("photos_edit", slug=room_b.slug), {"image": png_upload(), "alt_text": "x"}),
        (url("resource_create", org_slug=org_b.slug) + "?art=room", room_post(name="Fremd")),
        (
            url("closures_edit", org_slug=org_b.slug),
            {"start_date": "2026-08-01", "end_date": "2026-08-02", "reason": "x", "resource": ""},
        ),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 403, target
    room_b.refresh_from_db()
    assert (room_b.name, room_b.is_active) == ("Aula VHS", True)
    assert Resource.objects.filter(organisation=org_b).count() == 1
    assert not OpeningHours.objects.exists()
    assert not ResourcePhoto.objects.exists()
    assert not Closure.objects.exists()


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_managers_and_coordinator_open_every_page(client, request, org_a, room_a, persona):
    client.force_login(request.getfixturevalue(persona))
    for target in (
        url("organisation_resources", org_slug=org_a.slug),
        url("resource_create", org_slug=org_a.slug),
        url("resource_create", org_slug=org_a.slug) + "?art=room",
        url("resource_create", org_slug=org_a.slug) + "?art=equipment",
        url("resource_create", org_slug=org_a.slug) + "?art=skill",
        url("resource_edit", slug=room_a.slug),
        url("opening_hours_edit", slug=room_a.slug),
        url("photos_edit", slug=room_a.slug),
        url("closures_edit", org_slug=org_a.slug),
        url("resource_import", org_slug=org_a.slug),
    ):
        assert client.get(target).status_code == 200, target


# --- the list -------------------------------------------------------------------------------------------


def test_list_shows_inactive_resources_with_their_status(client, manager_a, org_a, room_b):
    ResourceFactory(organisation=org_a, name="Werkstatt", is_active=False)
    ResourceFactory(organisation=org_a, name="Saal")
    client.force_login(manager_a)
    response = client.get(url("organisation_resources", org_slug=org_a.slug))
    names = [resource.name for resource in response.context["resources"]]
    assert sorted(names) == ["Saal", "Werkstatt"]  # not B's
    assert "Aula VHS" not in response.content.decode()


def test_list_uses_a_constant_number_of_queries(client, manager_a, org_a, member_a):
    client.force_login(manager_a)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("organisation_resources", org_slug=org_a.slug)).status_code == 200
        return len(queries)

    for i in range(3):
        ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a, name=f"Skill {i}")
    few = count()
    for i in range(20):
        ResourceFactory(organisation=org_a, name=f"Raum {i}")
        ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a, name=f"Kurs {i}")
    assert count() == few


def test_deactivate_and_activate(client, manager_a, room_a, org_a):
    client.force_login(manager_a)
    response = client.post(url("resource_toggle_active", slug=room_a.slug), {"active": "0"})
    assert response.status_code == 302
    room_a.refresh_from_db()
    assert not room_a.is_active
    # Posting the same state twice (a double click) does not flip it back.
    client.post(url("resource_toggle_active", slug=room_a.slug), {"active": "0"})
    room_a.refresh_from_db()
    assert not room_a.is_active
    client.post(url("resource_toggle_active", slug=room_a.slug), {"active": "1"})
    room_a.refresh_from_db()
    assert room_a.is_active


def test_toggle_needs_post(client, manager_a, room_a):
    client.force_login(manager_a)
    assert client.get(url("resource_toggle_active", slug=room_a.slug)).status_code == 405


# --- create and edit ------------------------------------------------------------------------------------


def test_create_without_kind_offers_the_three_kinds(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.get(url("resource_create", org_slug=org_a.slug) + "?art=castle")
    assert response.status_code == 200
    content = response.content.decode()
    assert "?art=room" in content and "?art=equipment" in content and "?art=skill" in content


def test_form_shows_only_the_fields_of_its_kind(client, manager_a, org_a):
    client.force_login(manager_a)
    base = url("resource_create", org_slug=org_a.slug)
    room = client.get(base + "?art=room").context["form"]
    equipment = client.get(base + "?art=equipment").context["form"]
    skill = client.get(base + "?art=skill").context["form"]
    assert {"capacity", "area_m2"} <= set(room.fields) and "quantity" not in room.fields
    assert "holder" not in room.fields
    assert {"quantity", "condition"} <= set(equipment.fields) and "capacity" not in equipment.fields
    assert {"holder", "languages"} <= set(skill.fields) and "capacity" not in skill.fields
    for form in (room, equipment, skill):
        assert {"features", "audience", "requires_approval", "lead_time_hours"} <= set(form.fields)


def test_manager_creates_a_room_with_features(client, manager_a, org_a):
    client.force_login(manager_a)
    features = list(
        Feature.objects.filter(slug__in=["stufenloser-zugang", "beamer"]).values_list("pk", flat=True)
    )
    response = client.post(
        url("resource_create", org_slug=org_a.slug) + "?art=room",
        room_post(features=[str(pk) for pk in features], requires_approval="on"),
    )
    assert response.status_code == 302
    room = Resource.objects.get(name="Seminarraum 2")
    assert (room.organisation, room.kind, room.capacity, str(room.area_m2)) == (org_a, "room", 24, "45.5")
    assert room.requires_approval
    assert sorted(room.features.values_list("slug", flat=True)) == ["beamer", "stufenloser-zugang"]


def test_negative_capacity_is_a_field_error_and_writes_nothing(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        url("resource_create", org_slug=org_a.slug) + "?art=room", room_post(capacity="-3")
    )
    assert response.status_code == 400
    assert "capacity" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Resource.objects.exists()


def test_minimum_above_maximum_duration_is_a_field_error(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        url("resource_create", org_slug=org_a.slug) + "?art=room",
        room_post(min_duration_minutes="600", max_duration_minutes="60"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Resource.objects.exists()


def test_skill_holder_is_chosen_from_the_members(client, manager_a, member_a, member_b, org_a):
    client.force_login(manager_a)
    target = url("resource_create", org_slug=org_a.slug) + "?art=skill"
    holders = client.get(target).context["form"].fields["holder"].queryset
    assert set(holders) == {manager_a, member_a}
    post = room_post(name="Moderation", languages="Deutsch")
    refused = client.post(target, {**post, "holder": str(member_b.pk)})
    assert refused.status_code == 400
    assert "holder" in refused.context["form"].errors
    assert not Resource.objects.exists()
    created = client.post(target, {**post, "holder": str(member_a.pk)})
    assert created.status_code == 302
    assert Resource.objects.get(name="Moderation").holder == member_a


def test_equipment_with_several_units(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        url("resource_create", org_slug=org_a.slug) + "?art=equipment",
        room_post(name="Beamer", quantity="3", condition="good"),
    )
    assert response.status_code == 302
    beamer = Resource.objects.get(name="Beamer")
    assert (beamer.kind, beamer.quantity, beamer.capacity) == ("equipment", 3, None)


def test_manager_edits_a_resource(client, manager_a, room_a):
    client.force_login(manager_a)
    response = client.post(url("resource_edit", slug=room_a.slug), room_post(name="Saal (renoviert)"))
    assert response.status_code == 302
    room_a.refresh_from_db()
    assert (room_a.name, room_a.slug, room_a.capacity) == ("Saal (renoviert)", "saal-hafenstrasse", 24)


def test_failed_edit_keeps_the_old_name_in_the_title_and_writes_nothing(client, manager_a, room_a):
    client.force_login(manager_a)
    response = client.post(url("resource_edit", slug=room_a.slug), room_post(name="Neu", capacity="-1"))
    assert response.status_code == 400
    assert "<title>" in response.content.decode()
    assert "Saal Hafenstraße" in response.content.decode()
    room_a.refresh_from_db()
    assert room_a.name == "Saal Hafenstraße"


def test_skill_holder_sees_a_reduced_form_and_changes_only_their_fields(client, org_a, member_a):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", capacity=None, holder=member_a, name="Moderation", slug="moderation"
    )
    client.force_login(member_a)
    form = client.get(url("resource_edit", slug=skill.slug)).context["form"]
    assert set(form.fields) == {"description", "directions", "languages", "max_hours_per_month"}
    response = client.post(
        url("resource_edit", slug=skill.slug),
        {
            "description": "Workshops und Versammlungen",
            "languages": "Deutsch, Englisch",
            "directions": "",
            "max_hours_per_month": "10",
            # Fields beyond the reduced form are ignored, never written.
            "name": "Gekapert",
            "requires_approval": "on",
        },
    )
    assert response.status_code == 302
    skill.refresh_from_db()
    assert (skill.name, skill.languages, skill.max_hours_per_month) == ("Moderation", "Deutsch, Englisch", 10)
    assert skill.requires_approval is False
    # The holder does not manage the organisation's other pages.
    assert client.get(url("photos_edit", slug=skill.slug)).status_code == 403
    assert client.post(url("resource_toggle_active", slug=skill.slug), {"active": "0"}).status_code == 403


# --- opening hours --------------------------------------------------------------------------------------


def test_opening_hours_form_shows_existing_rows_and_empty_ones(client, manager_a, room_a):
    OpeningHoursFactory(resource=room_a, weekday=1, start=time(18), end=time(21))
    client.force_login(manager_a)
    response = client.get(url("opening_hours_edit", slug=room_a.slug))
    formset = response.context["formset"]
    assert len(formset.forms) == 4
    assert formset.forms[0].initial == {"weekday": 1, "start": time(18), "end": time(21)}
    content = response.content.decode()
    assert "00:00" in content


def test_opening_hours_are_saved_empty_rows_ignored_deleted_rows_dropped(client, manager_a, room_a):
    OpeningHoursFactory(resource=room_a, weekday=6, start=time(10), end=time(12))
    client.force_login(manager_a)
    response = client.post(
        url("opening_hours_edit", slug=room_a.slug),
        hours_post(
            [
                ("6", "10:00", "12:00", True),  # deleted
                ("0", "09:00", "12:00"),
                ("0", "14:00", "00:00"),
                ("", "", ""),  # an empty extra row
            ],
            initial=1,
        ),
    )
    assert response.status_code == 302
    assert sorted(room_a.opening_hours.values_list("weekday", "start", "end")) == [
        (0, time(9), time(12)),
        (0, time(14), time(0)),
    ]


def test_an_emptied_existing_row_removes_it(client, manager_a, room_a):
    OpeningHoursFactory(resource=room_a)
    client.force_login(manager_a)
    response = client.post(url("opening_hours_edit", slug=room_a.slug), hours_post([("", "", "")], initial=1))
    assert response.status_code == 302
    assert not room_a.opening_hours.exists()


@pytest.mark.parametrize(
    "rows",
    [
        [("0", "09:00", "13:00"), ("0", "12:00", "18:00")],
        [("2", "18:00", "09:00")],
    ],
    ids=["overlap", "end-before-start"],
)
def test_bad_opening_hours_get_a_message_and_nothing_changes(client, manager_a, room_a, rows):
    OpeningHoursFactory(resource=room_a, weekday=4, start=time(8), end=time(16))
    client.force_login(manager_a)
    response = client.post(url("opening_hours_edit", slug=room_a.slug), hours_post(rows))
    assert response.status_code == 400
    assert response.context["service_errors"]
    assert 'role="alert"' in response.content.decode()
    assert list(room_a.opening_hours.values_list("weekday", "start", "end")) == [(4, time(8), time(16))]


def test_half_filled_row_is_a_field_error(client, manager_a, room_a):
    client.force_login(manager_a)
    response = client.post(url("opening_hours_edit", slug=room_a.slug), hours_post([("1", "09:00", "")]))
    assert response.status_code == 400
    assert "end" in response.context["formset"].forms[0].errors
    assert not room_a.opening_hours.exists()


def test_skill_holder_edits_opening_hours_of_their_skill(client, org_a, member_a):
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=member_a, slug="kurs")
    client.force_login(member_a)
    response = client.post(url("opening_hours_edit", slug=skill.slug), hours_post([("2", "17:00", "20:00")]))
    assert response.status_code == 302
    assert skill.opening_hours.count() == 1


# --- closures -------------------------------------------------------------------------------------------


def closure_post(**overrides) -> dict:
    data = {
        "resource": "",
        "start_date": "2026-12-24",
        "start_time": "",
        "end_date": "2026-12-26",
        "end_time": "",
        "reason": "Weihnachten",
    }
    data.update(overrides)
    return data


def test_whole_days_in_local_time_become_aware_datetimes(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(url("closures_edit", org_slug=org_a.slug), closure_post())
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert closure.resource is None
    assert closure.start == datetime(2026, 12, 24, 0, 0, tzinfo=BERLIN)
    assert closure.end == datetime(2026, 12, 27, 0, 0, tzinfo=BERLIN)


def test_closure_of_one_resource_with_times_in_summer(client, manager_a, org_a, room_a):
    client.force_login(manager_a)
    response = client.post(
        url("closures_edit", org_slug=org_a.slug),
        closure_post(
            resource=str(room_a.pk),
            start_date="2026-07-01",
            start_time="08:00",
            end_date="2026-07-01",
            end_time="17:30",
            reason="Malerarbeiten",
        ),
    )
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert closure.resource == room_a
    # 08:00 in Berlin in summer is 06:00 UTC.
    assert closure.start == datetime(2026, 7, 1, 6, 0, tzinfo=ZoneInfo("UTC"))


def test_closure_ending_before_it_starts_gets_a_message_and_writes_nothing(client, manager_a, org_a):
    client.force_login(manager_a)
    response = client.post(
        url("closures_edit", org_slug=org_a.slug),
        closure_post(start_date="2026-08-10", start_time="12:00", end_date="2026-08-10", end_time="09:00"),
    )
    assert response.status_code == 400
    assert "end_date" in response.context["form"].errors
    assert not Closure.objects.exists()


def test_closure_for_another_organisations_resource_is_not_offered(client, manager_a, org_a, room_b):
    client.force_login(manager_a)
    response = client.post(url("closures_edit", org_slug=org_a.slug), closure_post(resource=str(room_b.pk)))
    assert response.status_code == 400
    assert "resource" in response.context["form"].errors
    assert not Closure.objects.exists()


def test_closures_list_shows_upcoming_ones_and_deletes(client, manager_a, org_a, org_b):
    now = timezone.now()
    past = Closure.objects.create(
        organisation=org_a, start=now - timedelta(days=10), end=now - timedelta(days=9), reason="Vorbei"
    )
    upcoming = Closure.objects.create(
        organisation=org_a, start=now + timedelta(days=9), end=now + timedelta(days=10), reason="Sommerfest"
    )
    foreign = Closure.objects.create(
        organisation=org_b, start=now + timedelta(days=9), end=now + timedelta(days=10), reason="Fremd"
    )
    client.force_login(manager_a)
    response = client.get(url("closures_edit", org_slug=org_a.slug))
    assert list(response.context["closures"]) == [upcoming]
    # Another organisation's closure cannot be deleted through this page.
    gone = client.post(url("closures_edit", org_slug=org_a.slug), {"action": "delete", "closure": foreign.pk})
    assert gone.status_code == 404
    response = client.post(
        url("closures_edit", org_slug=org_a.slug), {"action": "delete", "closure": upcoming.pk}
    )
    assert response.status_code == 302
    assert set(Closure.objects.all()) == {past, foreign}


# --- photos ---------------------------------------------------------------------------------------------


def test_manager_uploads_and_deletes_a_photo(client, manager_a, room_a):
    client.force_login(manager_a)
    response = client.post(
        url("photos_edit", slug=room_a.slug), {"image": png_upload(), "alt_text": "Saal mit Stuhlreihen"}
    )
    assert response.status_code == 302
    photo = ResourcePhoto.objects.get()
    page = client.get(url("photos_edit", slug=room_a.slug)).content.decode()
    assert 'alt="Saal mit Stuhlreihen"' in page
    response = client.post(url("photos_edit", slug=room_a.slug), {"action": "delete", "photo": photo.pk})
    assert response.status_code == 302
    assert not ResourcePhoto.objects.exists()


def test_photo_without_alt_text_gets_an_error_and_writes_nothing(client, manager_a, room_a):
    client.force_login(manager_a)
    response = client.post(url("photos_edit", slug=room_a.slug), {"image": png_upload(), "alt_text": "  "})
    assert response.status_code == 400
    assert "alt_text" in response.context["form"].errors
    assert not ResourcePhoto.objects.exists()


def test_file_that_is_not_an_image_gets_an_error(client, manager_a, room_a):
    client.force_login(manager_a)
    fake = SimpleUploadedFile("saal.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    response = client.post(url("photos_edit", slug=room_a.slug), {"image": fake, "alt_text": "Saal"})
    assert response.status_code == 400
    assert "image" in response.context["form"].errors
    assert not ResourcePhoto.objects.exists()


def test_photo_over_the_size_limit_gets_an_error(client, manager_a, room_a, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 10
    client.force_login(manager_a)
    response = client.post(url("photos_edit", slug=room_a.slug), {"image": png_upload(), "alt_text": "Saal"})
    assert response.status_code == 400
    assert "image" in response.context["form"].errors
    assert not ResourcePhoto.objects.exists()


# --- links from the organisation pages ------------------------------------------------------------------


def test_manager_finds_the_links_on_dashboard_and_organisation_page(client, manager_a, member_a, org_a):
    target = url("organisation_resources", org_slug=org_a.slug)
    client.force_login(manager_a)
    assert target in client.get(reverse("konten:dashboard")).content.decode()
    assert target in client.get(org_a.get_absolute_url()).content.decode()
    client.force_login(member_a)
    assert target not in client.get(reverse("konten:dashboard")).content.decode()
    assert target not in client.get(org_a.get_absolute_url()).content.decode()


def test_skill_holder_finds_and_edits_own_skill_from_dashboard_and_detail(client, member_a, org_a):
    from django.urls import reverse

    from tests.factories import ResourceFactory

    skill = ResourceFactory(
        organisation=org_a, kind="skill", name="Moderation", capacity=None, holder=member_a
    )
    client.force_login(member_a)
    dashboard = client.get(reverse("konten:dashboard")).content.decode()
    edit_url = reverse("ressourcen:resource_edit", kwargs={"slug": skill.slug})
    assert edit_url in dashboard
    detail = client.get(skill.get_absolute_url()).content.decode()
    assert edit_url in detail
    assert reverse("ressourcen:photos_edit", kwargs={"slug": skill.slug}) not in detail
    assert client.get(edit_url).status_code == 200
