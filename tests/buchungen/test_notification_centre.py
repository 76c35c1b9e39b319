"""The notification centre's pages: the person's own notifications, newest first and paginated, unread
ones marked in text; marking one or all read (POST); opening one marks it read and leads to its page;
the unread count in the navigation. Someone else's notification is a 404 and stays as it was."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buchungen.models import Notification, WaitlistEntry
from buchungen.notifications import notify
from buchungen.views.notifications import PAGE_SIZE
from tests.buchungen.conftest import BERLIN
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

LIST = reverse("buchungen:notifications")
READ_ALL = reverse("buchungen:notification_read_all")


def make_notification(
    recipient, kind="confirmed", *, booking=None, entry=None, sequence=0, ago=0, read=False
):
    """One notification for ``recipient`` written by the core's ``notify`` (as a service would),
    ``ago`` minutes old, read or not."""
    [key] = notify(kind, [recipient], booking=booking, entry=entry, sequence=sequence)
    now = timezone.now()
    Notification.objects.filter(key=key).update(
        created=now - timedelta(minutes=ago), read_at=now if read else None
    )
    return Notification.objects.get(key=key)


def read_url(notification) -> str:
    return reverse("buchungen:notification_read", args=[notification.pk])


def open_url(notification) -> str:
    return reverse("buchungen:notification_open", args=[notification.pk])


@pytest.fixture(autouse=True)
def _english_people(member_a, member_b, manager_a):
    for person in (member_a, member_b, manager_a):
        person.language = "en"
        person.save(update_fields=["language"])


@pytest.fixture
def booking(room, member_b, org_b):
    return BookingFactory(resource=room, organisation=org_b, booked_by=member_b)


@pytest.fixture
def mine(member_b, booking):
    """member_b: an old read confirmation, a newer unread reminder."""
    return {
        "read": make_notification(member_b, "confirmed", booking=booking, ago=60, read=True),
        "unread": make_notification(member_b, "reminder", booking=booking, ago=5),
    }


@pytest.fixture
def theirs(manager_a, booking):
    return make_notification(manager_a, "approval_needed", booking=booking, ago=1)


# --- The list ----------------------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_shows_only_ones_own_newest_first(client, member_b, mine, theirs, room):
    client.force_login(member_b)
    response = client.get(LIST)

    assert response.status_code == 200
    rows = [row["notification"] for row in response.context["rows"]]
    assert rows == [mine["unread"], mine["read"]]
    html = response.content.decode()
    assert room.name in html
    assert open_url(theirs) not in html
    # Unread is said in words, not only by its looks; the read one says so too.
    assert "<strong>Unread</strong>" in html
    assert ">Read<" in html
    # Only the unread one has a "mark as read" button; each has its link.
    assert read_url(mine["unread"]) in html
    assert read_url(mine["read"]) not in html
    assert open_url(mine["unread"]) in html and open_url(mine["read"]) in html
    assert "You have one unread notification." in html


def test_the_summary_names_the_resource_and_the_berlin_time(client, member_b, room, org_b):
    day = timezone.localdate() + timedelta(days=20)
    start = datetime(day.year, day.month, day.day, 18, 30, tzinfo=BERLIN)
    booking = BookingFactory(resource=room, organisation=org_b, booked_by=member_b, start=start)
    notification = make_notification(member_b, "confirmed", booking=booking)
    member_b.language = "de"
    member_b.save(update_fields=["language"])
    client.force_login(member_b)
    [row] = client.get(LIST).context["rows"]
    assert row["notification"] == notification
    assert room.name in row["summary"]
    assert "18:30" in row["summary"]
    assert start.strftime("%d.%m.%Y") in row["summary"]


def test_the_unread_filter(client, member_b, mine):
    client.force_login(member_b)
    response = client.get(LIST, {"ungelesen": "1"})
    assert [row["notification"] for row in response.context["rows"]] == [mine["unread"]]
    assert response.context["unread_only"] is True


def test_an_empty_centre(client, member_b):
    client.force_login(member_b)
    html = client.get(LIST).content.decode()
    assert "No notifications yet." in html
    assert READ_ALL not in html  # nothing to mark
    assert "<table" not in html
    html = client.get(LIST, {"ungelesen": "1"}).content.decode()
    assert "No unread notifications." in html


def test_pagination_25_a_page(client, member_b, booking):
    for number in range(PAGE_SIZE + 5):
        make_notification(member_b, "overdue", booking=booking, sequence=number, ago=number)
    client.force_login(member_b)

    first = client.get(LIST)
    assert len(first.context["rows"]) == PAGE_SIZE
    assert first.context["rows"][0]["notification"].sequence == 0  # newest first
    second = client.get(LIST, {"page": 2})
    assert [row["notification"].sequence for row in second.context["rows"]] == list(range(25, 30))
    assert 'aria-label="Pages"' in first.content.decode()
    unread_page = client.get(LIST, {"ungelesen": "1", "page": 2})
    assert "ungelesen=1&amp;page=1" in unread_page.content.decode()


def _booking_on_day(room, organisation, person, day: int):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=5 + day)
    return BookingFactory(resource=room, organisation=organisation, booked_by=person, start=start)


def _queries_for(client, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_rows(
    client, member_b, room, org_b, django_assert_max_num_queries
):
    client.force_login(member_b)
    bookings = [_booking_on_day(room, org_b, member_b, day) for day in range(3)]
    entry = WaitlistEntry.objects.create(
        resource=room, person=member_b, start=bookings[0].start, end=bookings[0].end
    )
    for number, booking in enumerate(bookings):
        make_notification(member_b, "confirmed", booking=booking, ago=number)
    make_notification(member_b, "waitlist_offer", entry=entry)
    few = _queries_for(client, django_assert_max_num_queries)

    more = [_booking_on_day(room, org_b, member_b, day) for day in range(3, 23)]
    for number, booking in enumerate(more):
        make_notification(member_b, "reminder", booking=booking, ago=10 + number, read=number % 2 == 0)
    many = _queries_for(client, django_assert_max_num_queries)
    assert many == few


# --- Marking read ------------------------------------------------------------------------------------------


def test_mark_one_read(client, member_b, mine):
    client.force_login(member_b)
    response = client.post(read_url(mine["unread"]), {"next": f"{LIST}?ungelesen=1"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?ungelesen=1"
    mine["unread"].refresh_from_db()
    assert mine["unread"].read_at is not None
    assert Notification.objects.filter(recipient=member_b, read_at__isnull=True).count() == 0


def test_marking_read_returns_only_to_this_site(client, member_b, mine):
    client.force_login(member_b)
    response = client.post(read_url(mine["unread"]), {"next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_marking_read_is_a_post(client, member_b, mine):
    client.force_login(member_b)
    assert client.get(read_url(mine["unread"])).status_code == 405
    assert client.get(READ_ALL).status_code == 405
    mine["unread"].refresh_from_db()
    assert mine["unread"].read_at is None


def test_someone_elses_notification_is_404_and_stays_unread(client, member_b, theirs):
    client.force_login(member_b)
    assert client.post(read_url(theirs)).status_code == 404
    assert client.get(open_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_visitor_cannot_mark_anything(client, theirs):
    assert client.post(read_url(theirs)).status_code == 302
    assert client.post(READ_ALL).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_ones_own(client, member_b, mine, theirs, booking):
    more = make_notification(member_b, "checked_out", booking=booking)
    earlier = Notification.objects.get(pk=mine["read"].pk).read_at
    client.force_login(member_b)
    response = client.post(READ_ALL)

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=member_b, read_at__isnull=True).exists()
    more.refresh_from_db()
    assert more.read_at is not None
    assert Notification.objects.get(pk=mine["read"].pk).read_at == earlier  # kept its time
    theirs.refresh_from_db()
    assert theirs.read_at is None
    follow = client.get(LIST)
    assert "All notifications are marked as read." in follow.content.decode()


# --- Opening -----------------------------------------------------------------------------------------------


def test_opening_marks_read_and_leads_to_the_booking(client, member_b, mine, booking):
    client.force_login(member_b)
    response = client.get(open_url(mine["unread"]))

    assert response.status_code == 302
    assert response["Location"] == reverse("buchungen:booking_detail", args=[booking.pk])
    mine["unread"].refresh_from_db()
    assert mine["unread"].read_at is not None
    assert client.get(response["Location"]).status_code == 200


def test_an_offer_leads_to_the_waitlist(client, member_b, room):
    start = timezone.now() + timedelta(days=3)
    entry = WaitlistEntry.objects.create(
        resource=room, person=member_b, start=start, end=start + timedelta(hours=1)
    )
    offer = make_notification(member_b, "waitlist_offer", entry=entry)
    client.force_login(member_b)

    response = client.get(open_url(offer))
    assert response["Location"] == reverse("buchungen:waitlist")
    offer.refresh_from_db()
    assert offer.read_at is not None
    [row] = client.get(LIST).context["rows"]
    assert room.name in row["summary"]


def test_the_managers_digest_leads_to_the_inbox(client, manager_a):
    digest = make_notification(manager_a, "digest")
    client.force_login(manager_a)
    assert client.get(open_url(digest))["Location"] == reverse("buchungen:inbox")


def test_the_list_itself_marks_nothing(client, member_b, mine):
    client.force_login(member_b)
    client.get(LIST)
    mine["unread"].refresh_from_db()
    assert mine["unread"].read_at is None


# --- The navigation ----------------------------------------------------------------------------------------


def _notification_queries(captured) -> int:
    return sum('"buchungen_notification"' in query["sql"] for query in captured.captured_queries)


def test_the_navigation_shows_the_unread_count(client, member_b, booking):
    for number in range(3):
        make_notification(member_b, "overdue", booking=booking, sequence=number)
    make_notification(member_b, "returned", booking=booking, read=True)
    client.force_login(member_b)

    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("buchungen:my_bookings")).content.decode()
    assert f'<a href="{LIST}">Notifications (3<span class="visually-hidden"> unread</span>)</a>' in html
    assert _notification_queries(captured) == 1


def test_no_count_without_unread(client, member_b, mine):
    client.force_login(member_b)
    client.post(READ_ALL)
    html = client.get(reverse("buchungen:my_bookings")).content.decode()
    assert f'<a href="{LIST}">Notifications</a>' in html


def test_the_centre_page_counts_once(client, member_b, mine):
    client.force_login(member_b)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(LIST).content.decode()
    # The view's own count is reused by the navigation: one COUNT, one page of rows, the paginator's count.
    assert 'aria-current="page">Notifications (1<span class="visually-hidden"> unread</span>)</a>' in html
    assert _notification_queries(captured) == 3


def test_visitors_see_no_notifications_link(client, db):
    html = client.get(reverse("konten:home")).content.decode()
    assert LIST not in html


def test_german_navigation(client, member_b, mine):
    member_b.language = "de"
    member_b.save(update_fields=["language"])
    client.force_login(member_b)
    html = client.get(reverse("buchungen:my_bookings")).content.decode()
    assert "Benachrichtigungen (1" in html


def test_the_profile_links_to_the_centre(client, member_b):
    client.force_login(member_b)
    assert LIST in client.get(reverse("konten:profile")).content.decode()
