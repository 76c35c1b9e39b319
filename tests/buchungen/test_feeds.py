"""The personal calendar feed: issuing and revoking its secret address, and what the feed contains.

Every feed is read back with ``icalendar.Calendar.from_ical``, as a calendar app would read it.
"""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from buchungen import feeds, services
from buchungen.models import Booking, CalendarFeed
from tests.buchungen.conftest import BERLIN
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- Helpers (also used by test_feeds_resource.py and test_feeds_settings.py) ---------------------------


def parse(response) -> Calendar:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(response) -> dict[str, dict]:
    """UID → what the tests compare; times as aware UTC datetimes."""
    found = {}
    for event in parse(response).walk("VEVENT"):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0), "times must be UTC"
        assert event.get("DTSTAMP") is not None
        found[str(event["UID"])] = {
            "start": start,
            "end": end,
            "summary": str(event["SUMMARY"]),
            "status": str(event["STATUS"]),
            "sequence": int(event["SEQUENCE"]),
            "description": str(event.get("DESCRIPTION", "")),
            "location": str(event.get("LOCATION", "")),
            "url": str(event.get("URL", "")),
        }
    return found


def uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@testserver"


def feed_path(token: str) -> str:
    return f"/kalender/{token}.ics"


def hours_from_now(days: int, hour: int = 18) -> datetime:
    """A whole hour ``days`` from today (UTC), far from any lead time."""
    today = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


# --- Fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture
def room_b(org_b):
    return ResourceFactory(organisation=org_b, name="VHS Kursraum", slug="vhs-kursraum")


@pytest.fixture
def scene(room, room_b, org_a, org_b, member_a, member_b):
    """Four bookings that the personas see differently (see test_each_person_gets_what_they_may_see)."""
    start = hours_from_now(10)
    return {
        "a_in_a": BookingFactory(resource=room, organisation=org_a, booked_by=member_a, start=start),
        "b_in_b": BookingFactory(resource=room_b, organisation=org_b, booked_by=member_b, start=start),
        "b_in_a": BookingFactory(
            resource=room, organisation=org_b, booked_by=member_b, start=start + timedelta(days=1)
        ),
        "a_in_b": BookingFactory(
            resource=room_b, organisation=org_a, booked_by=member_a, start=start + timedelta(days=1)
        ),
    }


# --- Services ----------------------------------------------------------------------------------------------


def test_issue_returns_a_token_and_stores_only_its_hash(member_a):
    token = feeds.feed_issue(actor=member_a)
    assert len(token) >= 43
    feed = CalendarFeed.objects.get(user=member_a)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash
    assert feed.last_used is None


def test_issuing_again_replaces_the_feed_and_invalidates_the_old_token(client, member_a):
    old = feeds.feed_issue(actor=member_a)
    new = feeds.feed_issue(actor=member_a)
    assert old != new
    assert CalendarFeed.objects.filter(user=member_a).count() == 1
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200


def test_revoke_deletes_the_feed_and_the_old_token_answers_404(client, member_a):
    token = feeds.feed_issue(actor=member_a)
    assert client.get(feed_path(token)).status_code == 200
    assert feeds.feed_revoke(actor=member_a) is True
    assert not CalendarFeed.objects.exists()
    assert client.get(feed_path(token)).status_code == 404
    assert feeds.feed_revoke(actor=member_a) is False


def test_revoking_ones_own_feed_leaves_other_peoples_feeds(member_a, member_b):
    feeds.feed_issue(actor=member_a)
    feeds.feed_issue(actor=member_b)
    feeds.feed_revoke(actor=member_a)
    assert list(CalendarFeed.objects.values_list("user", flat=True)) == [member_b.pk]


@pytest.mark.parametrize("service", [feeds.feed_issue, feeds.feed_revoke])
def test_anonymous_and_deactivated_accounts_have_no_feed(service, member_a):
    with pytest.raises(PermissionDenied):
        service(actor=AnonymousUser())
    member_a.is_active = False
    member_a.save()
    with pytest.raises(PermissionDenied):
        service(actor=member_a)
    assert not CalendarFeed.objects.exists()


def test_wrong_empty_and_overlong_tokens_find_nobody(member_a):
    token = feeds.feed_issue(actor=member_a)
    assert feeds.feed_user_by_token(token) == member_a
    assert feeds.feed_user_by_token(token + "x") is None
    assert feeds.feed_user_by_token("") is None
    assert feeds.feed_user_by_token("a" * 500) is None
    # The stored hash is not a token either.
    assert feeds.feed_user_by_token(CalendarFeed.objects.get().token_hash) is None


def test_last_used_is_recorded_at_most_once_an_hour(member_a):
    token = feeds.feed_issue(actor=member_a)
    first = datetime(2026, 6, 1, 8, tzinfo=UTC)
    feeds.feed_user_by_token(token, now=first)
    assert CalendarFeed.objects.get().last_used == first
    with CaptureQueriesContext(connection) as queries:
        feeds.feed_user_by_token(token, now=first + timedelta(minutes=59))
    assert CalendarFeed.objects.get().last_used == first
    assert not any(q["sql"].startswith("UPDATE") for q in queries.captured_queries)
    feeds.feed_user_by_token(token, now=first + timedelta(hours=1))
    assert CalendarFeed.objects.get().last_used == first + timedelta(hours=1)


def test_polling_the_feed_records_last_used_once(client, member_a):
    token = feeds.feed_issue(actor=member_a)
    client.get(feed_path(token))
    used = CalendarFeed.objects.get().last_used
    assert used is not None
    with CaptureQueriesContext(connection) as queries:
        client.get(feed_path(token))
    assert CalendarFeed.objects.get().last_used == used
    assert not any(q["sql"].startswith("UPDATE") for q in queries.captured_queries)


# --- Access to the feed ------------------------------------------------------------------------------------


def test_unknown_token_answers_404(client, member_a):
    feeds.feed_issue(actor=member_a)
    assert client.get(feed_path("not-the-token")).status_code == 404


def test_a_deactivated_persons_feed_answers_404(client, member_a):
    token = feeds.feed_issue(actor=member_a)
    member_a.is_active = False
    member_a.save()
    assert client.get(feed_path(token)).status_code == 404


def test_the_feed_needs_no_login_and_ignores_who_is_logged_in(client, member_a, member_b, scene):
    token = feeds.feed_issue(actor=member_a)
    client.force_login(member_b)
    found = events(client.get(feed_path(token)))
    assert uid(scene["a_in_a"]) in found and uid(scene["b_in_b"]) not in found


def test_only_get_and_head(client, member_a):
    token = feeds.feed_issue(actor=member_a)
    assert client.head(feed_path(token)).status_code == 200
    assert client.post(feed_path(token)).status_code == 405


def test_headers(client, member_a):
    response = client.get(feed_path(feeds.feed_issue(actor=member_a)))
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Content-Disposition"] == 'inline; filename="buchungen.ics"'
    calendar = parse(response)
    assert calendar["VERSION"] == "2.0"
    assert "Ressourcennetz" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"])
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in response.content


# --- What the feed contains ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # Member of A: their own bookings and those for A — not B's booking of A's room (a member is no
        # manager) nor anything of B.
        ("member_a", {"a_in_a", "a_in_b"}),
        # Manager of A: A's bookings, and B's booking of A's room (they hand it over).
        ("manager_a", {"a_in_a", "a_in_b", "b_in_a"}),
        ("member_b", {"b_in_b", "b_in_a"}),
        ("manager_b", {"b_in_b", "b_in_a", "a_in_b"}),
        ("outsider", set()),
        # The coordinator sees every booking on the platform, but their feed is their own calendar.
        ("coordinator", set()),
    ],
)
def test_each_person_gets_what_they_may_see(request, client, scene, persona, expected):
    user = request.getfixturevalue(persona)
    found = events(client.get(feed_path(feeds.feed_issue(actor=user))))
    assert set(found) == {uid(scene[name]) for name in expected}
    for name in expected:
        assert user.has_perm("buchungen.view_booking", scene[name])


def test_a_skill_holder_gets_the_bookings_of_their_time(client, org_a, member_a, member_b):
    skill = ResourceFactory(organisation=org_a, kind="skill", holder=member_a, name="Tontechnik")
    booking = BookingFactory(resource=skill, organisation=None, booked_by=member_b, start=hours_from_now(3))
    found = events(client.get(feed_path(feeds.feed_issue(actor=member_a))))
    assert set(found) == {uid(booking)}


def test_event_fields(client, room, org_a, member_a):
    room.address = "Hafenstraße 30\n01662 Meißen"
    room.building = "Haus B"
    room.save()
    booking = BookingFactory(
        resource=room, organisation=org_a, booked_by=member_a, start=hours_from_now(5), purpose="Chorprobe"
    )
    member_a.language = "en"
    member_a.save()
    event = events(client.get(feed_path(feeds.feed_issue(actor=member_a))))[uid(booking)]
    assert event["start"] == booking.start and event["end"] == booking.end
    assert event["summary"] == "Saal Hafen"
    assert event["status"] == "CONFIRMED"
    assert event["location"] == "Haus B, Hafenstraße 30 01662 Meißen"
    assert "Purpose: Chorprobe" in event["description"]
    assert f"For: {org_a.name}" in event["description"]
    assert f"Offered by: {org_a.name}" in event["description"]
    assert event["url"].startswith("http://testserver/") and f"/{booking.pk}/" in event["url"]
    assert event["url"] in event["description"]
    # Never who booked.
    assert member_a.email not in event["description"] and member_a.name not in event["description"]


def test_location_falls_back_to_the_organisation(client, room, org_a, member_a):
    booking = BookingFactory(resource=room, booked_by=member_a, start=hours_from_now(5))
    org_a.address = "Am Markt 1, Meißen"
    org_a.save()
    event = events(client.get(feed_path(feeds.feed_issue(actor=member_a))))[uid(booking)]
    assert event["location"] == "Am Markt 1, Meißen"


def test_times_across_the_spring_clock_change_are_exact_utc_instants(client, monkeypatch, room, member_a):
    """Berlin 28 March 2026 22:00 (CET) to 29 March 04:00 (CEST): five real hours, 21:00Z to 02:00Z."""
    booking = BookingFactory(
        resource=room,
        booked_by=member_a,
        start=datetime(2026, 3, 28, 22, tzinfo=BERLIN),
        end=datetime(2026, 3, 29, 4, tzinfo=BERLIN),
    )
    summer = BookingFactory(resource=room, booked_by=member_a, start=datetime(2026, 3, 29, 18, tzinfo=BERLIN))
    token = feeds.feed_issue(actor=member_a)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 1, 12, tzinfo=UTC))
    found = events(client.get(feed_path(token)))
    night = found[uid(booking)]
    assert night["start"] == datetime(2026, 3, 28, 21, tzinfo=UTC)
    assert night["end"] == datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert night["end"] - night["start"] == timedelta(hours=5)
    assert found[uid(summer)]["start"] == datetime(2026, 3, 29, 16, tzinfo=UTC)
    # The raw text says so too (UTC, "Z"): no client has to guess a zone.
    assert b"DTSTART:20260328T210000Z" in client.get(feed_path(token)).content


def test_statuses_and_what_is_left_out(client, room, org_a, member_a):
    def booking(status: str, days: int) -> Booking:
        return BookingFactory(resource=room, booked_by=member_a, start=hours_from_now(days), status=status)

    requested = booking("requested", 2)
    confirmed = booking("confirmed", 3)
    handed_over = booking("checked_out", 0)
    cancelled = booking("cancelled", 4)
    old_cancellation = booking("cancelled", 5)
    Booking.objects.filter(pk=old_cancellation.pk).update(updated=timezone.now() - timedelta(days=61))
    declined = booking("declined", 6)
    expired = booking("expired", -1)
    completed = booking("completed", -30)
    too_old = booking("completed", -62)
    too_far = booking("confirmed", 560)
    member_a.language = "en"
    member_a.save()
    found = events(client.get(feed_path(feeds.feed_issue(actor=member_a))))
    assert set(found) == {uid(b) for b in (requested, confirmed, handed_over, cancelled, completed)}
    assert found[uid(requested)]["status"] == "TENTATIVE"
    assert found[uid(requested)]["summary"] == "Saal Hafen (Requested)"
    assert found[uid(confirmed)]["status"] == "CONFIRMED"
    assert found[uid(confirmed)]["summary"] == "Saal Hafen"
    assert found[uid(handed_over)]["summary"] == "Saal Hafen (Handed over)"
    assert found[uid(cancelled)]["status"] == "CANCELLED"
    assert found[uid(cancelled)]["summary"] == "Saal Hafen (Cancelled)"
    assert found[uid(completed)]["status"] == "CONFIRMED"
    for left_out in (old_cancellation, declined, expired, too_old, too_far):
        assert uid(left_out) not in found


def test_the_feed_speaks_the_persons_language(client, room, member_a):
    BookingFactory(resource=room, booked_by=member_a, start=hours_from_now(2), status="requested")
    token = feeds.feed_issue(actor=member_a)
    member_a.language = "de"
    member_a.save()
    (german,) = events(client.get(feed_path(token), HTTP_ACCEPT_LANGUAGE="en")).values()
    assert german["summary"] == "Saal Hafen (Angefragt)"
    member_a.language = "en"
    member_a.save()
    (english,) = events(client.get(feed_path(token), HTTP_ACCEPT_LANGUAGE="de")).values()
    assert english["summary"] == "Saal Hafen (Requested)"


def test_sequence_grows_with_every_step_and_the_uid_stays(client, room, org_b, member_b, manager_a):
    room.requires_approval = True
    room.save()
    start = hours_from_now(7)
    booking = services.booking_request(
        actor=member_b,
        resource=room,
        organisation=org_b,
        start=start,
        end=start + timedelta(hours=2),
        now=timezone.now(),
    )
    token = feeds.feed_issue(actor=member_b)
    first = events(client.get(feed_path(token)))[uid(booking)]
    assert (first["status"], first["sequence"]) == ("TENTATIVE", 0)
    services.booking_approve(actor=manager_a, booking=booking)
    second = events(client.get(feed_path(token)))[uid(booking)]
    assert (second["status"], second["sequence"]) == ("CONFIRMED", 1)
    services.booking_cancel(actor=member_b, booking=booking)
    third = events(client.get(feed_path(token)))[uid(booking)]
    assert (third["status"], third["sequence"]) == ("CANCELLED", 2)


def test_last_modified_follows_the_booking(client, room, member_a):
    booking = BookingFactory(resource=room, booked_by=member_a, start=hours_from_now(2))
    response = client.get(feed_path(feeds.feed_issue(actor=member_a)))
    (event,) = parse(response).walk("VEVENT")
    assert event.decoded("LAST-MODIFIED") == booking.updated.replace(microsecond=0)
    assert event.decoded("DTSTAMP") == booking.updated.replace(microsecond=0)


def _feed_queries(client, token: str) -> int:
    client.get(feed_path(token))  # records last_used: the measured requests do not write
    with CaptureQueriesContext(connection) as queries:
        response = client.get(feed_path(token))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_query_count_does_not_grow_with_the_bookings(client, django_assert_max_num_queries, org_a, room):
    one, many = MembershipFactory(organisation=org_a).user, MembershipFactory(organisation=org_a).user
    other_org = MembershipFactory().organisation
    BookingFactory(resource=room, booked_by=one, start=hours_from_now(1))
    for index in range(20):
        # Different resources, organisations and owners: nothing may be fetched per booking.
        resource = ResourceFactory(organisation=other_org if index % 2 else org_a)
        BookingFactory(resource=resource, organisation=org_a, booked_by=many, start=hours_from_now(index + 1))
    token_one, token_many = feeds.feed_issue(actor=one), feeds.feed_issue(actor=many)
    assert len(events(client.get(feed_path(token_many)))) == 21
    assert _feed_queries(client, token_one) == _feed_queries(client, token_many)
    with django_assert_max_num_queries(2):
        client.get(feed_path(token_many))


def test_an_account_without_a_language_gets_german(client, room, member_a):
    BookingFactory(resource=room, booked_by=member_a, start=hours_from_now(2), status="requested")
    token = feeds.feed_issue(actor=member_a)
    type(member_a).objects.filter(pk=member_a.pk).update(language="")
    (event,) = events(client.get(feed_path(token))).values()
    assert event["summary"] == "Saal Hafen (Angefragt)"


def test_the_feed_of_a_new_account_is_empty_but_valid(client):
    user = UserFactory()
    response = client.get(feed_path(feeds.feed_issue(actor=user)))
    assert events(response) == {}
