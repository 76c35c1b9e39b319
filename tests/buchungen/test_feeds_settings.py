"""The feed settings page: create a feed address (shown once), replace it, revoke it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from buchungen import feeds
from buchungen.models import CalendarFeed
from tests.buchungen.test_feeds import events, feed_path

pytestmark = pytest.mark.django_db

SETTINGS = "/buchungen/kalender-abo/"
REVOKE = "/buchungen/kalender-abo/widerrufen/"
SHOWN_URL = re.compile(r'value="http://testserver/kalender/([A-Za-z0-9_-]+)\.ics"')


@pytest.fixture(autouse=True)
def _english_people(member_a, member_b):
    """Pages in English (the source language): a logged-in person's profile language decides."""
    for person in (member_a, member_b):
        person.language = "en"
        person.save(update_fields=["language"])


def shown_token(response) -> str:
    (token,) = SHOWN_URL.findall(response.content.decode())
    return token


def test_urls():
    assert reverse("buchungen:feed_settings") == SETTINGS
    assert reverse("buchungen:feed_revoke") == REVOKE
    assert reverse("buchungen:personal_feed", kwargs={"token": "abc"}) == "/kalender/abc.ics"


@pytest.mark.parametrize("path", [SETTINGS, REVOKE])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not CalendarFeed.objects.exists()


def test_without_a_feed(client, member_a):
    client.force_login(member_a)
    response = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "You have no calendar address yet." in page
    assert REVOKE not in page
    assert not SHOWN_URL.search(page)


def test_creating_shows_the_address_once(client, member_a):
    client.force_login(member_a)
    response = client.post(SETTINGS, {"action": "issue"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = shown_token(response)
    assert CalendarFeed.objects.get(user=member_a).token_hash == feeds.feed_token_hash(token)
    assert f'href="webcal://testserver/kalender/{token}.ics"' in response.content.decode()
    assert events(client.get(feed_path(token))) == {}
    # Never again: the next visit shows when it was created, not the address.
    page = client.get(SETTINGS).content.decode()
    assert token not in page and not SHOWN_URL.search(page)
    assert REVOKE in page


def test_creating_again_replaces_the_old_address(client, member_a):
    client.force_login(member_a)
    old = shown_token(client.post(SETTINGS, {"action": "issue"}))
    new = shown_token(client.post(SETTINGS, {"action": "issue"}))
    assert old != new
    assert CalendarFeed.objects.filter(user=member_a).count() == 1
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200


def test_the_page_shows_when_the_feed_was_last_used(client, member_a):
    client.force_login(member_a)
    token = shown_token(client.post(SETTINGS, {"action": "issue"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "not yet" in client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.get(feed_path(token))
    assert "not yet" not in client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_revoke_asks_first_then_revokes(client, member_a):
    client.force_login(member_a)
    token = shown_token(client.post(SETTINGS, {"action": "issue"}))
    confirmation = client.get(REVOKE)
    assert confirmation.status_code == 200
    assert CalendarFeed.objects.exists()
    assert client.get(feed_path(token)).status_code == 200
    response = client.post(REVOKE, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "has been revoked" in response.content.decode()
    assert not CalendarFeed.objects.exists()
    assert client.get(feed_path(token)).status_code == 404


def test_revoke_only_ones_own_feed(client, member_a, member_b):
    other = feeds.feed_issue(actor=member_b)
    client.force_login(member_a)
    feeds.feed_issue(actor=member_a)
    client.post(REVOKE)
    assert list(CalendarFeed.objects.values_list("user", flat=True)) == [member_b.pk]
    assert client.get(feed_path(other)).status_code == 200


def test_revoke_without_a_feed_goes_back_to_the_settings(client, member_a):
    client.force_login(member_a)
    assert client.get(REVOKE)["Location"] == SETTINGS
    assert client.post(REVOKE)["Location"] == SETTINGS


def test_post_needs_the_csrf_token(member_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member_a)
    assert client.post(SETTINGS, {"action": "issue"}).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_the_dashboard_links_to_the_settings(client, member_a):
    client.force_login(member_a)
    assert f'href="{SETTINGS}"' in client.get(reverse("konten:dashboard")).content.decode()
