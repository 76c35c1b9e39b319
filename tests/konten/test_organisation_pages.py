"""Who sees and changes what on the organisation pages (roles × pages)."""

import pytest
from django.urls import reverse

from konten.models import Organisation

pytestmark = pytest.mark.django_db


def members_url(org):
    return reverse("konten:organisation_members", kwargs={"slug": org.slug})


def edit_url(org):
    return reverse("konten:organisation_edit", kwargs={"slug": org.slug})


def test_visitor_sees_public_list_and_detail(client, org_a, org_b, manager_a):
    response = client.get(reverse("konten:organisation_list"))
    assert response.status_code == 200
    assert org_a.name in response.content.decode()
    detail = client.get(org_a.get_absolute_url())
    assert detail.status_code == 200
    assert manager_a.email not in detail.content.decode()


def test_list_page_query_count_does_not_grow_with_organisations(client, django_assert_max_num_queries):
    from tests.factories import MembershipFactory

    for _ in range(15):
        MembershipFactory()
    with django_assert_max_num_queries(6):
        assert client.get(reverse("konten:organisation_list")).status_code == 200


def test_visitor_is_sent_to_login_for_members_and_edit(client, org_a):
    for url in (members_url(org_a), edit_url(org_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response.url


@pytest.mark.parametrize("persona", ["member_a", "manager_b", "member_b", "outsider"])
def test_only_managers_and_coordinator_edit(client, request, org_a, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(edit_url(org_a)).status_code == 403
    response = client.post(edit_url(org_a), {"name": "Gekapert", "slug": org_a.slug})
    assert response.status_code == 403
    org_a.refresh_from_db()
    assert org_a.name != "Gekapert"


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_manager_and_coordinator_edit(client, request, org_a, manager_a, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(edit_url(org_a)).status_code == 200
    response = client.post(
        edit_url(org_a),
        {
            "name": "Hafenstraße e.V.",
            "slug": org_a.slug,
            "description": "Neu",
            "accessibility_notes": "Rampe am Hintereingang",
        },
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.name == "Hafenstraße e.V."
    assert org_a.accessibility_notes == "Rampe am Hintereingang"


def test_edit_with_bad_input_shows_errors_and_changes_nothing(client, manager_a, org_a, org_b):
    client.force_login(manager_a)
    response = client.post(edit_url(org_a), {"name": "", "slug": org_b.slug, "website": "kein link"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"name", "slug", "website"} <= set(errors)
    org_a.refresh_from_db()
    assert org_a.slug == "hafenstrasse"


@pytest.mark.parametrize("persona", ["manager_b", "member_b", "outsider"])
def test_members_of_other_organisations_do_not_see_member_list(client, request, org_a, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(members_url(org_a)).status_code == 403


def test_member_sees_own_member_list_without_emails_or_actions(client, member_a, manager_a, org_a):
    client.force_login(member_a)
    response = client.get(members_url(org_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert manager_a.display_name in html
    assert manager_a.email not in html
    assert not response.context["can_manage"]


def test_manager_sees_emails_and_pending_invitations(client, manager_a, member_a, org_a):
    from konten import services

    services.invitation_create(actor=manager_a, organisation=org_a, email="neu@example.org")
    client.force_login(manager_a)
    html = client.get(members_url(org_a)).content.decode()
    assert member_a.email in html
    assert "neu@example.org" in html


def test_only_coordinator_creates_organisations(client, manager_a, coordinator):
    url = reverse("konten:organisation_create")
    client.force_login(manager_a)
    assert client.get(url).status_code == 403
    client.force_login(coordinator)
    response = client.post(url, {"name": "Neuer Verein e.V.", "slug": "neuer-verein"})
    assert response.status_code == 302
    assert Organisation.objects.filter(slug="neuer-verein").exists()


def test_logo_without_alt_text_is_refused(client, manager_a, org_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # Smallest valid GIF.
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
        b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    client.force_login(manager_a)
    response = client.post(
        edit_url(org_a),
        {"name": org_a.name, "slug": org_a.slug, "logo": SimpleUploadedFile("l.gif", gif)},
    )
    assert response.status_code == 200
    assert "logo_alt" in response.context["form"].errors
    org_a.refresh_from_db()
    assert not org_a.logo


def test_logo_that_is_not_an_image_is_refused(client, manager_a, org_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(manager_a)
    response = client.post(
        edit_url(org_a),
        {
            "name": org_a.name,
            "slug": org_a.slug,
            "logo": SimpleUploadedFile("logo.png", b"<script>alert(1)</script>"),
            "logo_alt": "Logo",
        },
    )
    assert response.status_code == 200
    assert "logo" in response.context["form"].errors


def test_manager_uploads_logo_with_alt_text(client, manager_a, org_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
        b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    client.force_login(manager_a)
    response = client.post(
        edit_url(org_a),
        {
            "name": org_a.name,
            "slug": org_a.slug,
            "logo": SimpleUploadedFile("logo.gif", gif, content_type="image/gif"),
            "logo_alt": "Logo der Hafenstraße: ein Anker",
        },
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.logo.name.startswith("logos/")
    detail = client.get(org_a.get_absolute_url()).content.decode()
    assert 'alt="Logo der Hafenstraße: ein Anker"' in detail
