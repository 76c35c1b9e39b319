"""The waitlist's pages: join (POST from the booking form), the list of one's entries, accept, withdraw."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen import services, waitlist
from buchungen.models import Booking, WaitlistEntry
from tests.buchungen.conftest import BERLIN
from tests.factories import MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db

JOIN = reverse("buchungen:waitlist_join")
LIST = reverse("buchungen:waitlist")


def slot(hour: int, *, days: int = 10) -> datetime:
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def local(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(autouse=True)
def _english_people(member_a, member_b, manager_b, outsider):
    """Pages in English (the source language), whatever the profile said."""
    for person in (member_a, member_b, manager_b, outsider):
        person.language = "en"
        person.save(update_fields=["language"])


@pytest.fixture
def blocker(room, member_a, org_a):
    return services.booking_request(
        actor=member_a, resource=room, start=slot(10), end=slot(12), organisation=org_a
    )


@pytest.fixture
def data(room, org_b):
    return {
        "resource": room.pk,
        "start": local(slot(10)),
        "end": local(slot(12)),
        "quantity": "1",
        "organisation": org_b.pk,
        "purpose": "Chorprobe",
        "participants": "12",
    }


def join(person, resource, start, end, organisation):
    return waitlist.waitlist_join(
        actor=person, resource=resource, start=start, end=end, organisation=organisation
    )


# --- Join --------------------------------------------------------------------------------------------------


def test_join_puts_the_person_on_the_waitlist(client, blocker, data, member_b, org_b, room):
    client.force_login(member_b)
    response = client.post(JOIN, data)

    assert response.status_code == 302 and response["Location"] == LIST
    entry = WaitlistEntry.objects.get()
    assert (entry.person, entry.resource, entry.organisation, entry.status) == (
        member_b,
        room,
        org_b,
        "waiting",
    )
    assert (entry.start, entry.end, entry.purpose, entry.participants) == (
        slot(10),
        slot(12),
        "Chorprobe",
        12,
    )
    page = client.get(LIST)
    assert "You are on the waitlist" in page.content.decode()


def test_join_with_empty_optional_fields(client, blocker, data, member_b):
    client.force_login(member_b)
    data.update(quantity="", purpose="", participants="")
    assert client.post(JOIN, data).status_code == 302
    entry = WaitlistEntry.objects.get()
    assert (entry.quantity, entry.purpose, entry.participants) == (1, "", None)


def test_join_a_free_slot_shows_the_error_with_a_link_back(client, blocker, data, member_b, room):
    client.force_login(member_b)
    data.update(start=local(slot(14)), end=local(slot(16)))
    response = client.post(JOIN, data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "This time is free — book it directly." in html
    assert 'href="/ressourcen/saal-hafen/buchen/"' in html
    assert WaitlistEntry.objects.count() == 0


def test_join_with_a_broken_date_is_refused(client, blocker, data, member_b):
    client.force_login(member_b)
    data["start"] = "morgen früh"
    response = client.post(JOIN, data)

    assert response.status_code == 400
    assert "Enter a date and time." in response.content.decode()
    assert WaitlistEntry.objects.count() == 0


def test_join_of_an_unknown_resource_is_refused(client, blocker, data, member_b):
    client.force_login(member_b)
    data["resource"] = "99999"
    response = client.post(JOIN, data)

    assert response.status_code == 400
    assert "/ressourcen/" in response.content.decode()
    assert WaitlistEntry.objects.count() == 0


def test_join_twice_is_refused(client, blocker, data, member_b):
    client.force_login(member_b)
    client.post(JOIN, data)
    response = client.post(JOIN, data)

    assert response.status_code == 400
    assert "already on the waitlist" in response.content.decode()
    assert WaitlistEntry.objects.count() == 1


def test_join_for_someone_elses_organisation_is_forbidden(client, blocker, data, outsider):
    client.force_login(outsider)
    response = client.post(JOIN, data)

    assert response.status_code == 403
    assert "You are not allowed to do this." in response.content.decode()
    assert WaitlistEntry.objects.count() == 0


def test_visitors_are_sent_to_log_in(client, blocker, data):
    response = client.post(JOIN, data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert WaitlistEntry.objects.count() == 0


def test_join_is_post_only(client, member_b):
    client.force_login(member_b)
    assert client.get(JOIN).status_code == 405


# --- The list ----------------------------------------------------------------------------------------------


def test_the_list_shows_ones_own_entries_only(client, blocker, room, member_b, org_b, manager_b):
    mine = join(member_b, room, slot(10), slot(12), org_b)
    join(manager_b, room, slot(11), slot(12), org_b)
    client.force_login(member_b)

    html = client.get(LIST).content.decode()

    assert reverse("buchungen:waitlist_withdraw", args=[mine.pk]) in html
    assert WaitlistEntry.objects.count() == 2
    assert html.count("/annehmen/") == 0 and html.count("/zuruecknehmen/") == 1
    assert "Saal Hafen" in html and "10:00–12:00" in html


def test_an_empty_list(client, member_b):
    client.force_login(member_b)
    response = client.get(LIST)
    assert response.status_code == 200
    assert "You are not waiting for anything." in response.content.decode()


def test_an_offer_shows_its_expiry_and_the_accept_button(client, blocker, room, member_a, member_b, org_b):
    entry = join(member_b, room, slot(10), slot(12), org_b)
    services.booking_cancel(actor=member_a, booking=blocker)
    entry.refresh_from_db()
    client.force_login(member_b)

    html = client.get(LIST).content.decode()

    expires = entry.offer_expires.astimezone(BERLIN).strftime("%H:%M")
    assert "The offer is open until" in html and expires in html
    assert reverse("buchungen:waitlist_accept", args=[entry.pk]) in html


def test_the_list_takes_a_constant_number_of_queries(
    client, room, member_a, member_b, org_a, org_b, django_assert_max_num_queries
):
    def add(count: int, offset: int) -> None:
        for index in range(count):
            resource = ResourceFactory(organisation=org_a)
            services.booking_request(
                actor=member_a,
                resource=resource,
                start=slot(10, days=offset + index),
                end=slot(12, days=offset + index),
                organisation=org_a,
            )
            entry = join(
                member_b, resource, slot(10, days=offset + index), slot(12, days=offset + index), org_b
            )
            if index % 2:
                waitlist.waitlist_withdraw(actor=member_b, entry=entry)

    client.force_login(member_b)
    add(1, 3)
    with django_assert_max_num_queries(8) as few:
        client.get(LIST)
    add(6, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.content.decode().count("/zuruecknehmen/") == 4


# --- Accept and withdraw -----------------------------------------------------------------------------------


@pytest.fixture
def offer(blocker, room, member_a, member_b, org_b):
    entry = join(member_b, room, slot(10), slot(12), org_b)
    services.booking_cancel(actor=member_a, booking=blocker)
    entry.refresh_from_db()
    return entry


def test_accept_books(client, offer, member_b):
    client.force_login(member_b)
    response = client.post(reverse("buchungen:waitlist_accept", args=[offer.pk]))

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == "booked" and offer.booking.booked_by == member_b
    assert "is booked for you" in client.get(LIST).content.decode()


def test_accept_after_a_direct_booking_reports_the_conflict(client, offer, room, member_a, member_b, org_a):
    services.booking_request(actor=member_a, resource=room, start=slot(10), end=slot(11), organisation=org_a)
    client.force_login(member_b)
    response = client.post(reverse("buchungen:waitlist_accept", args=[offer.pk]), follow=True)

    assert "in the meantime" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == "waiting"


def test_accept_of_a_closed_offer_is_a_message(client, offer, member_b):
    waitlist.waitlist_withdraw(actor=member_b, entry=offer)
    client.force_login(member_b)
    response = client.post(reverse("buchungen:waitlist_accept", args=[offer.pk]), follow=True)
    assert "This offer is no longer open." in response.content.decode()


@pytest.mark.parametrize("persona", ["member_a", "manager_b", "outsider", "coordinator"])
@pytest.mark.parametrize("action", ["waitlist_accept", "waitlist_withdraw"])
def test_others_get_404(client, request, offer, persona, action):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse(f"buchungen:{action}", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == "offered"
    assert not Booking.objects.filter(status="confirmed").exists()


def test_accept_and_withdraw_are_post_only(client, offer, member_b):
    client.force_login(member_b)
    assert client.get(reverse("buchungen:waitlist_accept", args=[offer.pk])).status_code == 405
    assert client.get(reverse("buchungen:waitlist_withdraw", args=[offer.pk])).status_code == 405


def test_withdraw_offers_the_next(client, blocker, room, member_a, member_b, org_b):
    second_b = MembershipFactory(organisation=org_b).user
    first = join(member_b, room, slot(10), slot(12), org_b)
    second = join(second_b, room, slot(10), slot(12), org_b)
    services.booking_cancel(actor=member_a, booking=blocker)
    client.force_login(member_b)

    response = client.post(reverse("buchungen:waitlist_withdraw", args=[first.pk]), follow=True)

    assert "You have left the waitlist" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("withdrawn", "offered")


def test_withdraw_twice_is_a_message(client, offer, member_b):
    client.force_login(member_b)
    url = reverse("buchungen:waitlist_withdraw", args=[offer.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "no longer on the waitlist" in response.content.decode()
