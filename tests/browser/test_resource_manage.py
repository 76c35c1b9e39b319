"""The managing pages pass axe (no serious or critical violation) in German and English, with one <h1> and
the right <html lang> — also in the states a person meets after a mistake, and on the import's results.

Pages are driven with selectors that do not depend on the language (ids, names, form actions).
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Page, expect

from ressourcen import services
from tests.factories import OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

BROKEN_CSV = (
    "kind;name;capacity;features;holder_email\n"
    "room;Saal;-3;;\n"
    "castle;Burg;;;\n"
    "room;Saal;10;fahrstuhl;\n"
    "skill;Moderation;;;niemand@example.org\n"
)
GOOD_CSV = (
    "kind;name;capacity;quantity;features\nroom;Foyer;30;;stufenloser-zugang|aufzug\nequipment;Mikrofon;;4;\n"
)


@pytest.fixture
def world(transactional_db, org_a, manager_a, member_a):
    room = ResourceFactory(organisation=org_a, name="Großer Saal", slug="grosser-saal", features=["aufzug"])
    OpeningHoursFactory(resource=room, weekday=0, start=time(9), end=time(12))
    OpeningHoursFactory(resource=room, weekday=4, start=time(18), end=time(0))
    ResourceFactory(organisation=org_a, kind="equipment", name="Beamer", capacity=None, quantity=2)
    skill = ResourceFactory(
        organisation=org_a, kind="skill", name="Moderation", slug="moderation", capacity=None, holder=member_a
    )
    ResourceFactory(organisation=org_a, name="Werkstatt", is_active=False)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 120)).save(buffer, format="PNG")
    services.photo_add(
        actor=manager_a,
        resource=room,
        image=SimpleUploadedFile("saal.png", buffer.getvalue()),
        alt_text="Heller Saal mit Stuhlreihen",
    )
    return {"org": org_a, "manager": manager_a, "member": member_a, "room": room, "skill": skill}


def _submit(page: Page, form: str = "main form") -> None:
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").last.click()


def negative_capacity(page: Page) -> None:
    page.locator("#id_name").fill("Kleiner Saal")
    page.locator("#id_capacity").fill("-4")
    _submit(page)
    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("#id_capacity")).to_have_attribute("aria-invalid", "true")


def overlapping_hours(page: Page) -> None:
    # The first empty row (after the two existing ones): Monday 11:00–13:00 overlaps 09:00–12:00.
    page.locator("#id_form-2-weekday").select_option("0")
    page.locator("#id_form-2-start").fill("11:00")
    page.locator("#id_form-2-end").fill("13:00")
    _submit(page)
    expect(page.locator("main [role=alert]")).to_be_visible()


def half_filled_hours(page: Page) -> None:
    page.locator("#id_form-2-weekday").select_option("2")
    page.locator("#id_form-2-start").fill("11:00")
    _submit(page)
    expect(page.locator("#id_form-2-end")).to_have_attribute("aria-invalid", "true")


def closure_ending_before_start(page: Page) -> None:
    page.locator("#id_start_date").fill("2030-08-10")
    page.locator("#id_start_time").fill("12:00")
    page.locator("#id_end_date").fill("2030-08-09")
    page.locator("#id_reason").fill("Reparatur")
    _submit(page, "form[action='#add']")
    expect(page.locator("#id_end_date")).to_have_attribute("aria-invalid", "true")


def photo_without_alt_text(page: Page) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buffer, format="PNG")
    page.locator("#id_image").set_input_files(
        {"name": "foto.png", "mimeType": "image/png", "buffer": buffer.getvalue()}
    )
    _submit(page, "form[action='#upload']")
    expect(page.locator("#id_alt_text")).to_have_attribute("aria-invalid", "true")


def upload_csv(text: str) -> Callable[[Page], None]:
    def action(page: Page) -> None:
        page.locator("#id_file").set_input_files(
            {"name": "ressourcen.csv", "mimeType": "text/csv", "buffer": text.encode()}
        )
        _submit(page, "form[action='#upload']")

    return action


def import_without_file(page: Page) -> None:
    _submit(page, "form[action='#upload']")
    expect(page.locator("#id_file")).to_have_attribute("aria-invalid", "true")


@dataclass(frozen=True)
class Case:
    id: str
    path: Callable[[dict], str]
    persona: str = "manager"
    action: Callable[[Page], None] | None = None


def _org(name: str, query: str = "") -> Callable[[dict], str]:
    return lambda w: reverse(f"ressourcen:{name}", kwargs={"org_slug": w["org"].slug}) + query


def _resource(name: str, key: str = "room") -> Callable[[dict], str]:
    return lambda w: reverse(f"ressourcen:{name}", kwargs={"slug": w[key].slug})


CASES = [
    Case("organisation-resources", _org("organisation_resources")),
    Case("resource-kind-choice", _org("resource_create")),
    Case("resource-create-room", _org("resource_create", "?art=room")),
    Case("resource-create-room-error", _org("resource_create", "?art=room"), action=negative_capacity),
    Case("resource-create-equipment", _org("resource_create", "?art=equipment")),
    Case("resource-create-skill", _org("resource_create", "?art=skill")),
    Case("resource-edit", _resource("resource_edit")),
    Case("resource-edit-skill-holder", _resource("resource_edit", "skill"), persona="member"),
    Case("opening-hours", _resource("opening_hours_edit")),
    Case("opening-hours-overlap", _resource("opening_hours_edit"), action=overlapping_hours),
    Case("opening-hours-half-row", _resource("opening_hours_edit"), action=half_filled_hours),
    Case("closures", _org("closures_edit")),
    Case("closures-error", _org("closures_edit"), action=closure_ending_before_start),
    Case("photos", _resource("photos_edit")),
    Case("photos-error", _resource("photos_edit"), action=photo_without_alt_text),
    Case("import", _org("resource_import")),
    Case("import-no-file", _org("resource_import"), action=import_without_file),
    Case("import-dry-run-errors", _org("resource_import"), action=upload_csv(BROKEN_CSV)),
    Case("import-dry-run-preview", _org("resource_import"), action=upload_csv(GOOD_CSV)),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_manage_page_is_accessible(
    case, world, locale, language, open_browser, axe_check, assert_page_basics
):
    _context, page = open_browser(locale, world[case.persona])

    response = page.goto(case.path(world))

    assert response is not None
    assert response.status == 200, f"{page.url}: {response.status}"
    if case.action:
        case.action(page)
    assert_page_basics(page, language)
    axe_check(page)


def test_import_walks_from_check_to_import_without_javascript(world, open_browser, live_server):
    """The two steps are plain HTML forms: check, see the preview, import — and the rows exist."""
    org = world["org"]
    _context, page = open_browser("de-DE", world["manager"], java_script_enabled=False)
    page.goto(reverse("ressourcen:resource_import", kwargs={"org_slug": org.slug}))

    upload_csv(GOOD_CSV)(page)
    expect(page.locator("main table").first).to_contain_text("Foyer")
    _submit(page, "main section form")

    assert page.url == live_server.url + reverse(
        "ressourcen:organisation_resources", kwargs={"org_slug": org.slug}
    )
    expect(page.locator("main table")).to_contain_text("Mikrofon")
    assert set(org.resources.filter(name__in=["Foyer", "Mikrofon"]).values_list("quantity", flat=True)) == {
        1,
        4,
    }
