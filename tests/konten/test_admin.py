"""Organisations in the admin (found by the access-control walk, tests/walk)."""

import pytest
from django.urls import reverse

from konten.models import Organisation

pytestmark = pytest.mark.django_db


def test_coordinator_opens_and_saves_an_organisation_in_the_admin(client, coordinator, org_a, manager_a):
    # The website field used to warn (Django 6 changes the default scheme), which the suite treats as
    # an error: the admin's organisation form failed to open.
    client.force_login(coordinator)
    url = reverse("admin:konten_organisation_change", args=[org_a.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:konten_organisation_add")).status_code == 200


def test_admin_reads_a_website_without_scheme_as_https(client, coordinator, org_a):
    client.force_login(coordinator)
    form = client.get(reverse("admin:konten_organisation_change", args=[org_a.pk])).context["adminform"].form
    assert form.fields["website"].clean("verein.example.org") == "https://verein.example.org"
    assert Organisation.objects.filter(pk=org_a.pk).exists()
