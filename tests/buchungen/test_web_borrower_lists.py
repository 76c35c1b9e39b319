"""The resource calendar (week and month, who sees what) and "My bookings" (scope, tabs, filters,
pagination, query counts)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen.views.borrower import MY_BOOKINGS_PAGE_SIZE
from ressourcen.models import Closure
from ressourcen.views.catalogue import week_param
from tests.factories import BookingFactory, OpeningHoursFactory, OrganisationFactory, ResourceFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def next_week_monday() -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


def calendar_url(resource, **params) -> str:
    url = reverse("buchungen:resource_calendar", args=[resource.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def scene(org_a, org_b, member_b):
    """Org A's hall, open Monday 9–18 next week, with a booking of org B (member B) on Monday 10–12."""
    monday = next_week_monday()
    hall = ResourceFactory(organisation=org_a, name="Saal Hafen")
    for weekday in range(5):
        OpeningHoursFactory(resource=hall, weekday=weekday, start=time(9), end=time(18))
    booking = BookingFactory(
        resource=hall, start=local(monday, 10), organisation=org_b, booked_by=member_b, purpose="Geheimprobe"
    )
    return {"hall": hall, "monday": monday, "booking": booking}


def week_of(response, day: date) -> list:
    (row,) = [row for row in response.context["rows"] if row["date"] == day]
    return row["segments"]


# --- Week -------------------------------------------------------------------------------------------------


def test_anonymous_sees_taken_never_who(client, scene):
    response = client.get(calendar_url(scene["hall"], woche=week_param(scene["monday"])))
    assert response.status_code == 200
    segments = week_of(response, scene["monday"])
    assert [(s.range, s.state) for s in segments] == [
        ("00:00–09:00", "closed"),
        ("09:00–10:00", "free"),
        ("10:00–12:00", "taken"),
        ("12:00–18:00", "free"),
        ("18:00–24:00", "closed"),
    ]
    html = response.content.decode()
    assert "Geheimprobe" not in html
    assert scene["booking"].organisation.name not in html
    assert reverse("buchungen:booking_detail", args=[scene["booking"].pk]) not in html
    # Free periods link to the booking form, prefilled.
    free = segments[1]
    assert free.url == (
        reverse("buchungen:booking_create", args=[scene["hall"].slug])
        + f"?start={scene['monday']:%Y-%m-%d}T09%3A00&end={scene['monday']:%Y-%m-%d}T10%3A00"
    )
    assert free.url.replace("&", "&amp;") in html
    # Saturday and Sunday have no opening hours.
    assert [s.state for s in week_of(response, scene["monday"] + timedelta(days=5))] == ["closed"]


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("member_b", True),  # booked it
        ("manager_b", True),  # borrowing organisation
        ("manager_a", True),  # owner's manager
        ("coordinator", True),
        ("member_a", False),  # owner's plain member
        ("outsider", False),
    ],
)
def test_who_sees_purpose_and_link_in_the_calendar(client, scene, request, persona, sees):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(calendar_url(scene["hall"], woche=week_param(scene["monday"])))
    html = response.content.decode()
    assert ("Geheimprobe" in html) is sees
    assert (reverse("buchungen:booking_detail", args=[scene["booking"].pk]) in html) is sees
    taken = [s for s in week_of(response, scene["monday"]) if s.state == "taken"]
    assert len(taken) == 1


def test_inactive_resource_calendar_is_404_except_for_its_managers(client, org_a, manager_a, member_a):
    hidden = ResourceFactory(organisation=org_a, is_active=False)
    assert client.get(calendar_url(hidden)).status_code == 404
    client.force_login(member_a)
    assert client.get(calendar_url(hidden)).status_code == 404
    client.force_login(manager_a)
    assert client.get(calendar_url(hidden)).status_code == 200


def test_bad_week_and_month_are_400(client, scene):
    assert client.get(calendar_url(scene["hall"], woche="2026-W99")).status_code == 400
    assert client.get(calendar_url(scene["hall"], ansicht="monat", monat="2026-13")).status_code == 400
    assert client.get(calendar_url(scene["hall"], ansicht="monat", monat="1800-01")).status_code == 400


def test_week_navigation_links(client, scene):
    response = client.get(calendar_url(scene["hall"], woche=week_param(scene["monday"])))
    assert response.context["previous"] == week_param(scene["monday"] - timedelta(days=7))
    assert response.context["next"] == week_param(scene["monday"] + timedelta(days=7))
    assert response.context["is_current"] is False
    html = response.content.decode()
    # The links land on the period's heading (keyboard focus: tests/browser/test_keyboard.py).
    assert f'href="?woche={response.context["current"]}#zeitraum"' in html
    assert 'id="zeitraum"' in html


def test_equipment_week_shows_units_left(client, org_a, beamers):
    monday = next_week_monday()
    BookingFactory(resource=beamers, start=local(monday, 10), quantity=2)
    response = client.get(calendar_url(beamers, woche=week_param(monday)))
    assert [(s.range, s.state, s.available) for s in week_of(response, monday)] == [
        ("00:00–10:00", "free", 3),
        ("10:00–12:00", "free", 1),
        ("12:00–24:00", "free", 3),
    ]


def test_week_query_count_is_constant(client, django_assert_max_num_queries, scene, manager_a):
    client.force_login(manager_a)
    url = calendar_url(scene["hall"], woche=week_param(scene["monday"]))
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for day in range(1, 5):
        for hour in (9, 12, 15):
            BookingFactory(resource=scene["hall"], start=local(scene["monday"] + timedelta(days=day), hour))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert sum(s.state == "taken" for row in response.context["rows"] for s in row["segments"]) == 13


# --- Month -----------------------------------------------------------------------------------------------


def test_month_grid_summarises_each_day(client, scene, org_a):
    monday = scene["monday"]
    hall = scene["hall"]
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    BookingFactory(resource=hall, start=local(tuesday, 9), end=local(tuesday, 18))
    Closure.objects.create(
        organisation=org_a, resource=hall, start=local(wednesday, 0), end=local(wednesday, 23), reason="Putz"
    )

    def cells_of(day):
        response = client.get(calendar_url(hall, ansicht="monat", monat=f"{day:%Y-%m}"))
        assert response.status_code == 200
        return response, {
            cell["date"]: cell
            for week in response.context["weeks"]
            for cell in week["cells"]
            if cell["in_month"]
        }

    response, cells = cells_of(monday)
    for day, summary in [
        (monday, "partly"),
        (tuesday, "full"),
        (wednesday, "closed"),
        (monday + timedelta(days=3), "free"),
        (monday + timedelta(days=5), "closed"),  # Saturday
    ]:
        assert cells_of(day)[1][day]["summary"] == summary, day
    assert cells[monday]["week"] == week_param(monday)
    html = response.content.decode()
    assert '<caption class="visually-hidden">' in html  # the visible heading above says the same
    assert html.count('<th scope="col">') == 8  # week + seven weekdays
    assert f'href="?woche={week_param(monday)}#zeitraum"' in html


def test_month_navigation(client, scene):
    response = client.get(calendar_url(scene["hall"], ansicht="monat", monat="2026-12"))
    assert response.context["previous"] == "2026-11"
    assert response.context["next"] == "2027-01"


def test_month_query_count_is_constant(client, django_assert_max_num_queries, scene):
    url = calendar_url(scene["hall"], ansicht="monat", monat=f"{scene['monday']:%Y-%m}")
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for day in range(1, 5):
        BookingFactory(resource=scene["hall"], start=local(scene["monday"] + timedelta(days=day), 12))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# --- My bookings -------------------------------------------------------------------------------------------


MY_URL = reverse("buchungen:my_bookings")


@pytest.fixture
def bookings(member_a, manager_a, member_b, org_a, org_b):
    hall = ResourceFactory(organisation=org_b, name="VHS Saal")
    own_room = ResourceFactory(organisation=org_a, name="Hafen Saal")
    later = timezone.now() + timedelta(days=3)
    return {
        "mine": BookingFactory(resource=hall, organisation=org_a, booked_by=member_a, start=later),
        "colleague": BookingFactory(
            resource=hall, organisation=org_a, booked_by=manager_a, start=later + timedelta(days=1)
        ),
        "past": BookingFactory(
            resource=hall, organisation=org_a, booked_by=member_a, start=timezone.now() - timedelta(days=3)
        ),
        "cancelled": BookingFactory(
            resource=hall,
            organisation=org_a,
            booked_by=member_a,
            start=later + timedelta(days=2),
            status="cancelled",
        ),
        # Someone else's booking of a resource of A: the managers' business, not "mine".
        "of_our_room": BookingFactory(resource=own_room, organisation=org_b, booked_by=member_b, start=later),
    }


def listed(response) -> list[int]:
    return [booking.pk for booking in response.context["page"].object_list]


def test_my_bookings_needs_login(client):
    response = client.get(MY_URL)
    assert response.status_code == 302


def test_member_sees_own_and_organisation_bookings_upcoming(client, member_a, bookings):
    client.force_login(member_a)
    response = client.get(MY_URL)
    assert response.status_code == 200
    assert listed(response) == [bookings["mine"].pk, bookings["colleague"].pk, bookings["cancelled"].pk]
    html = response.content.decode()
    assert reverse("buchungen:booking_detail", args=[bookings["mine"].pk]) in html


def test_manager_of_owner_does_not_get_borrowers_bookings_here(client, manager_a, bookings):
    client.force_login(manager_a)
    assert bookings["of_our_room"].pk not in listed(client.get(MY_URL))


def test_other_organisation_member_sees_none_of_them(client, member_b, bookings):
    client.force_login(member_b)
    assert listed(client.get(MY_URL)) == [bookings["of_our_room"].pk]


def test_past_tab_and_filters(client, member_a, org_a, bookings):
    client.force_login(member_a)
    assert listed(client.get(MY_URL, {"zeit": "vergangen"})) == [bookings["past"].pk]
    assert listed(client.get(MY_URL, {"status": "cancelled"})) == [bookings["cancelled"].pk]
    assert listed(client.get(MY_URL, {"organisation": org_a.pk, "status": "confirmed"})) == [
        bookings["mine"].pk,
        bookings["colleague"].pk,
    ]
    # Unknown values are ignored, not errors.
    assert len(listed(client.get(MY_URL, {"status": "bogus", "organisation": "x"}))) == 3


def test_filter_by_an_organisation_not_mine_is_ignored(client, member_a, org_b, bookings):
    client.force_login(member_a)
    assert len(listed(client.get(MY_URL, {"organisation": org_b.pk}))) == 3


def test_my_bookings_paginate_with_constant_queries(client, member_a, org_a, django_assert_max_num_queries):
    room = ResourceFactory(organisation=OrganisationFactory())
    start = timezone.now() + timedelta(days=2)
    BookingFactory(resource=room, organisation=org_a, booked_by=member_a, start=start)
    client.force_login(member_a)
    with django_assert_max_num_queries(12) as few:
        client.get(MY_URL)
    for offset in range(1, MY_BOOKINGS_PAGE_SIZE + 5):
        BookingFactory(resource=room, organisation=org_a, start=start + timedelta(hours=3 * offset))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(MY_URL)
    assert len(listed(response)) == MY_BOOKINGS_PAGE_SIZE
    assert response.context["page"].paginator.num_pages == 2
    second = client.get(MY_URL, {"page": 2})
    assert len(listed(second)) == 5
    assert "page=2" in response.content.decode()
