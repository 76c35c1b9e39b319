"""Uploaded pictures (resource photos, organisation logos) are checked by content, size and dimensions,
and stored under a random name with the extension of what they really are (konten/uploads.py)."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve
from PIL import Image

from ressourcen.models import ResourcePhoto
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
)
PHP = b"<?php system($_GET['c']); ?>"


def picture(image_format: str = "PNG", size: tuple[int, int] = (4, 3), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture
def room_a(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafenstraße", slug="saal-hafenstrasse")


def codes(response, field: str) -> list[str]:
    return [error.code for error in response.context["form"].errors.as_data()[field]]


def photos_url(resource) -> str:
    return reverse("ressourcen:photos_edit", kwargs={"slug": resource.slug})


def upload_photo(client, resource, name: str, content: bytes, content_type: str = "image/jpeg"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(photos_url(resource), {"image": upload, "alt_text": "Der Saal"})


def upload_logo(client, org, name: str, content: bytes, content_type: str = "image/png"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        reverse("konten:organisation_edit", kwargs={"slug": org.slug}),
        {"name": org.name, "slug": org.slug, "logo": upload, "logo_alt": "Ein Anker"},
    )


# --- resource photos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("bild.svg", SVG_WITH_SCRIPT, "image/svg+xml"),
        ("bild.jpg", SVG_WITH_SCRIPT, "image/jpeg"),
        ("shell.php.jpg", PHP, "image/jpeg"),
        ("seite.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
        ("bild.tif", picture("TIFF"), "image/tiff"),
        ("bild.bmp", picture("BMP"), "image/bmp"),
    ],
    ids=["svg-with-script", "svg-named-jpg", "php-named-jpg", "html-named-jpg", "tiff", "bmp"],
)
def test_photo_that_is_not_a_browser_picture_is_refused(
    client, manager_a, room_a, name, content, content_type
):
    client.force_login(manager_a)
    response = upload_photo(client, room_a, name, content, content_type)
    assert response.status_code == 400
    assert "image" in response.context["form"].errors
    assert not ResourcePhoto.objects.exists()


def test_photo_over_the_size_limit_is_refused(client, manager_a, room_a, settings):
    content = picture("PNG", (200, 200), "RGB")
    settings.MAX_IMAGE_UPLOAD_BYTES = len(content) - 1
    client.force_login(manager_a)
    response = upload_photo(client, room_a, "gross.png", content, "image/png")
    assert response.status_code == 400
    assert "höchstens" in str(response.context["form"].errors["image"])
    assert not ResourcePhoto.objects.exists()


def test_photo_claiming_absurd_dimensions_is_refused(client, manager_a, room_a):
    # 7,000 × 6,000 black pixels compress to a few kilobytes but are 42 megapixels to decode.
    content = picture("PNG", (7000, 6000), "1")
    assert len(content) < 100_000
    client.force_login(manager_a)
    response = upload_photo(client, room_a, "bombe.png", content, "image/png")
    assert response.status_code == 400
    assert codes(response, "image") == ["too_many_pixels"]
    assert not ResourcePhoto.objects.exists()


@pytest.mark.parametrize(
    ("name", "image_format", "extension"),
    [("saal.png", "PNG", ".png"), ("saal.gif", "PNG", ".png"), ("Familie Müller.jpeg", "JPEG", ".jpg")],
)
def test_photo_is_stored_under_a_random_name_with_its_real_extension(
    client, manager_a, room_a, name, image_format, extension
):
    client.force_login(manager_a)
    response = upload_photo(client, room_a, name, picture(image_format))
    assert response.status_code == 302
    stored = Path(ResourcePhoto.objects.get().image.name)
    assert stored.parent.name == "resources"
    assert stored.suffix == extension
    assert Path(name).stem not in stored.name


def test_picture_named_like_a_page_is_refused(client, manager_a, room_a, org_a):
    client.force_login(manager_a)
    response = upload_photo(client, room_a, "seite.html", picture("PNG"), "text/html")
    assert response.status_code == 400
    assert not ResourcePhoto.objects.exists()
    response = upload_logo(client, org_a, "seite.html", picture("PNG"), "text/html")
    assert "logo" in response.context["form"].errors


def test_stored_photo_is_served_as_an_image_never_as_a_page(client, manager_a, room_a, settings):
    client.force_login(manager_a)
    upload_photo(client, room_a, "seite.png", picture("GIF"), "image/png")
    photo = ResourcePhoto.objects.get()
    # The view config/urls.py serves media with (production and DEBUG only, hence called directly).
    response = serve(RequestFactory().get("/"), photo.image.name, document_root=settings.MEDIA_ROOT)
    # (Not response.close(): that sends request_finished, which closes the test's database connection.)
    response.file_to_stream.close()
    assert response["Content-Type"] == "image/gif"
    # …and every response says "believe the Content-Type" (SecurityMiddleware):
    assert client.get("/")["X-Content-Type-Options"] == "nosniff"


# --- organisation logos ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", SVG_WITH_SCRIPT),
        ("logo.jpg", PHP),
        ("logo.tif", picture("TIFF")),
        ("logo.ico", picture("ICO", (16, 16))),
    ],
    ids=["svg-with-script", "php-named-jpg", "tiff", "ico"],
)
def test_logo_that_is_not_a_browser_picture_is_refused(client, manager_a, org_a, name, content):
    client.force_login(manager_a)
    response = upload_logo(client, org_a, name, content)
    assert response.status_code == 200
    assert "logo" in response.context["form"].errors
    org_a.refresh_from_db()
    assert not org_a.logo


def test_logo_over_the_size_limit_is_refused(client, manager_a, org_a, settings):
    content = picture("PNG", (200, 200))
    settings.MAX_IMAGE_UPLOAD_BYTES = len(content) - 1
    client.force_login(manager_a)
    response = upload_logo(client, org_a, "logo.png", content)
    assert "logo" in response.context["form"].errors
    org_a.refresh_from_db()
    assert not org_a.logo


def test_logo_claiming_absurd_dimensions_is_refused(client, manager_a, org_a):
    client.force_login(manager_a)
    response = upload_logo(client, org_a, "logo.png", picture("PNG", (7000, 6000), "1"))
    assert codes(response, "logo") == ["too_many_pixels"]
    org_a.refresh_from_db()
    assert not org_a.logo


def test_logo_is_stored_under_a_random_name_with_its_real_extension(client, manager_a, org_a):
    client.force_login(manager_a)
    response = upload_logo(client, org_a, "anker.png", picture("WEBP"), "image/png")
    assert response.status_code == 302
    org_a.refresh_from_db()
    stored = Path(org_a.logo.name)
    assert stored.parent.name == "logos"
    assert stored.suffix == ".webp"
    assert "anker" not in stored.name
