"""The catalogue in the admin: the coordinator's tool, refused to anybody else, with the services' checks."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from konten.models import Membership
from ressourcen.models import Closure, Feature, Resource
from tests.factories import MembershipFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(org_a):
    return ResourceFactory(organisation=org_a, name="Saal", slug="saal", features=["aufzug"])


@pytest.fixture
def closure(org_a, room):
    start = timezone.now() + datetime.timedelta(days=7)
    return Closure.objects.create(
        organisation=org_a,
        resource=room,
        start=start,
        end=start + datetime.timedelta(days=2),
        reason="Malern",
    )


@pytest.fixture
def coordinator_client(client, coordinator):
    # In English, so the assertions read the source messages whatever the German catalogue says.
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)
    return client


def _admin_pages(feature: Feature, room: Resource, closure: Closure) -> list[str]:
    pages = []
    for name, obj in [("feature", feature), ("resource", room), ("closure", closure)]:
        pages += [
            reverse(f"admin:ressourcen_{name}_changelist"),
            reverse(f"admin:ressourcen_{name}_add"),
            reverse(f"admin:ressourcen_{name}_change", args=[obj.pk]),
        ]
    return pages


def _form_data(response) -> dict[str, object]:
    """What the browser would send back for the change page in ``response`` unchanged: the main form
    and every inline formset with its management form."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, object] = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_coordinator_opens_every_catalogue_admin_page(coordinator_client, room, closure):
    feature = Feature.objects.get(slug="induktionsschleife")
    OpeningHoursFactory(resource=room)
    for url in _admin_pages(feature, room, closure):
        assert coordinator_client.get(url).status_code == 200, url


def test_coordinator_changelist_filters_resources_by_feature(coordinator_client, room, org_a):
    ResourceFactory(organisation=org_a, name="Keller", slug="keller")
    response = coordinator_client.get(
        reverse("admin:ressourcen_resource_changelist"), {"features__id__exact": room.features.get().pk}
    )
    assert [r.name for r in response.context["cl"].result_list] == ["Saal"]


def test_manager_who_is_staff_but_not_coordinator_cannot_open_the_catalogue_admin(
    client, manager_a, room, closure
):
    manager_a.is_staff = True
    manager_a.save(update_fields=["is_staff"])
    client.force_login(manager_a)
    feature = Feature.objects.get(slug="aufzug")
    for url in _admin_pages(feature, room, closure):
        response = client.get(url)
        # The admin site sends people without access to its login page.
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_coordinator_changes_a_resource_and_its_opening_hours(coordinator_client, room):
    OpeningHoursFactory(resource=room)
    url = reverse("admin:ressourcen_resource_change", args=[room.pk])
    data = _form_data(coordinator_client.get(url))
    data.update({"capacity": "35", "opening_hours-0-end": "20:00"})
    response = coordinator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    room.refresh_from_db()
    assert room.capacity == 35
    assert [f"{h.end:%H:%M}" for h in room.opening_hours.all()] == ["20:00"]


def test_a_room_with_a_quantity_is_refused_in_the_admin(coordinator_client, room):
    url = reverse("admin:ressourcen_resource_change", args=[room.pk])
    data = _form_data(coordinator_client.get(url))
    data["quantity"] = "3"
    response = coordinator_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Only equipment can have a quantity above one." in errors["quantity"]
    room.refresh_from_db()
    assert room.quantity == 1


def test_a_skill_whose_holder_is_not_a_member_is_refused_in_the_admin(coordinator_client, org_a, member_b):
    url = reverse("admin:ressourcen_resource_add")
    data = _form_data(coordinator_client.get(url))
    data.update(
        {
            "organisation": org_a.pk,
            "kind": "skill",
            "name": "Tontechnik",
            "slug": "tontechnik",
            "holder": member_b.pk,
        }
    )
    response = coordinator_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["holder"] == ["The holder must be a member of the organisation."]
    assert not Resource.objects.filter(slug="tontechnik").exists()

    MembershipFactory(user=member_b, organisation=org_a, role=Membership.Role.MEMBER)
    assert coordinator_client.post(url, data).status_code == 302
    assert Resource.objects.get(slug="tontechnik").holder == member_b


def test_overlapping_opening_hours_are_refused_in_the_admin(coordinator_client, room):
    OpeningHoursFactory(resource=room, weekday=1, start=datetime.time(9), end=datetime.time(13))
    OpeningHoursFactory(resource=room, weekday=1, start=datetime.time(14), end=datetime.time(18))
    url = reverse("admin:ressourcen_resource_change", args=[room.pk])
    data = _form_data(coordinator_client.get(url))
    data["opening_hours-1-start"] = "12:00"
    response = coordinator_client.post(url, data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == ["Tuesday: the opening hours overlap."]
    assert sorted(f"{h.start:%H:%M}" for h in room.opening_hours.all()) == ["09:00", "14:00"]


def test_a_closure_of_another_organisations_resource_is_refused_in_the_admin(coordinator_client, org_b, room):
    url = reverse("admin:ressourcen_closure_add")
    response = coordinator_client.post(
        url,
        {
            "organisation": org_b.pk,
            "resource": room.pk,
            "start_0": "2030-07-01",
            "start_1": "00:00",
            "end_0": "2030-07-31",
            "end_1": "00:00",
            "reason": "Sommerpause",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["resource"] == ["The resource belongs to another organisation."]
    assert not Closure.objects.exists()


def _picture(image_format: str, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.parametrize(
    ("upload", "saved"),
    [(lambda: _picture("PNG", "saal.png"), True), (lambda: _picture("TIFF", "saal.tif"), False)],
    ids=["png", "tiff"],
)
def test_admin_accepts_only_photos_that_browsers_show(coordinator_client, room, upload, saved):
    url = reverse("admin:ressourcen_resource_change", args=[room.pk])
    data = _form_data(coordinator_client.get(url))
    data.update(
        {
            "photos-TOTAL_FORMS": "1",
            "photos-0-image": upload(),
            "photos-0-alt_text": "Der Saal",
            "photos-0-position": "0",
        }
    )
    response = coordinator_client.post(url, data)
    assert response.status_code == (302 if saved else 200)
    assert room.photos.exists() is saved
    if not saved:
        formset = response.context["inline_admin_formsets"][1].formset
        assert formset.errors[0]["image"] == ["Please upload a JPEG, PNG, GIF or WebP file."]
