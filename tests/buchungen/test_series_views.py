"""The series pages: the form with its recurrence builder and preview, booking from the preview, the
series' page with "cancel this and all later dates". Login required, permissions on the server."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen.forms_series import SeriesForm
from buchungen.models import Booking, BookingSeries
from buchungen.series import booking_series_create
from konten.models import Organisation
from tests.buchungen.conftest import BERLIN
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def future(days: int, hour: int) -> datetime:
    """A Berlin wall-clock time ``days`` from today."""
    today = timezone.localdate(timezone.now(), BERLIN)
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def form_data(**changes) -> dict:
    start = future(7, 18)
    data = {
        "start": f"{start:%Y-%m-%dT%H:%M}",
        "end": f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        "frequency": "weekly",
        "ends": "count",
        "count": "4",
        "until": "",
        "rrule": "",
        "purpose": "Chorprobe",
        "participants": "12",
        "action": "preview",
    }
    data.update(changes)
    return data


@pytest.fixture
def url(room):
    return reverse("buchungen:series_create", kwargs={"slug": room.slug})


@pytest.fixture
def member_client(client, member_a, org_a):
    # Messages are asserted in English: the person's profile language decides the page's.
    member_a.language = "en"
    member_a.save(update_fields=["language"])
    client.force_login(member_a)
    return client


def post(client, url, **changes):
    """Submit the form as the logged-in member of organisation A would (for organisation A)."""
    changes.setdefault("organisation", str(Organisation.objects.get(slug="hafenstrasse").pk))
    data = form_data(**changes)
    return client.post(url, data)


# --- The form --------------------------------------------------------------------------------------------


def test_the_form_needs_a_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_form_shows_the_builder_and_no_quantity_for_a_room(member_client, url, org_a):
    response = member_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="datetime-local"' in html
    assert 'name="frequency"' in html and 'name="rrule"' in html
    assert 'name="quantity"' not in html
    assert response.context["form"]["organisation"].initial == org_a.pk


def test_equipment_has_a_quantity(member_client, beamers):
    response = member_client.get(reverse("buchungen:series_create", kwargs={"slug": beamers.slug}))

    assert 'name="quantity"' in response.content.decode()


def test_an_inactive_or_unknown_resource_is_not_found(member_client, room):
    room.is_active = False
    room.save()

    assert (
        member_client.get(reverse("buchungen:series_create", kwargs={"slug": room.slug})).status_code == 404
    )
    assert member_client.get(reverse("buchungen:series_create", kwargs={"slug": "nope"})).status_code == 404


def test_preview_lists_every_date_as_free_and_writes_nothing(member_client, url):
    response = post(member_client, url)

    assert response.status_code == 200
    occurrences = response.context["occurrences"]
    assert [o.status for o in occurrences] == ["free"] * 4
    html = response.content.decode()
    assert html.count("✓ Free") == 4
    assert 'value="book_all"' in html and 'value="book_free"' not in html
    assert 'name="step" value="preview"' in html
    assert not Booking.objects.exists() and not BookingSeries.objects.exists()


def test_preview_shows_a_conflict_in_words_and_offers_both_ways(member_client, url, room, member_b):
    BookingFactory(resource=room, start=future(14, 19), booked_by=member_b, purpose="Geheim")

    response = post(member_client, url)

    html = response.content.decode()
    assert "✗ Not possible" in html
    assert "The resource is already booked at this time." in html
    assert "Geheim" not in html and member_b.name not in html
    assert 'value="book_free"' in html and 'value="book_all"' in html
    assert Booking.objects.count() == 1


def test_book_free_dates_skips_the_conflict_and_shows_the_series(member_client, url, room, member_b, org_a):
    BookingFactory(resource=room, start=future(14, 19), booked_by=member_b)

    response = post(member_client, url, action="book_free")

    series = BookingSeries.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("buchungen:series_detail", kwargs={"pk": series.pk})
    assert series.bookings.count() == 3
    assert (series.organisation, series.purpose, series.participants) == (org_a, "Chorprobe", 12)
    assert series.rrule == "FREQ=WEEKLY;COUNT=4"


def test_book_all_with_a_conflict_books_nothing_and_says_why(member_client, url, room, member_b):
    BookingFactory(resource=room, start=future(14, 19), booked_by=member_b)

    response = post(member_client, url, action="book_all")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Nothing has been booked." in html
    assert "✗ Not possible" in html
    assert Booking.objects.count() == 1 and not BookingSeries.objects.exists()


def test_book_all_without_conflicts_books_every_date(member_client, url):
    response = post(
        member_client, url, action="book_all", ends="until", count="", until=f"{future(28, 0):%Y-%m-%d}"
    )

    assert response.status_code == 302
    assert BookingSeries.objects.get().bookings.count() == 4


def test_a_rule_broken_on_one_date_is_listed_and_nothing_booked(member_client, url, room):
    room.max_advance_days = 20
    room.save()

    response = post(member_client, url, action="book_all")

    assert response.status_code == 200
    assert "Some dates break a booking rule" in response.content.decode()
    assert "It can be booked up to 20 days ahead." in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": ""}, "end"),
        ({"frequency": "custom", "rrule": ""}, "rrule"),
        ({"frequency": "custom", "rrule": "FREQ=YEARLY;COUNT=3"}, "rrule"),
        ({"frequency": "custom", "rrule": "FREQ=WEEKLY"}, "rrule"),
        ({"count": ""}, "count"),
        ({"count": "101"}, "count"),
        ({"ends": "until", "until": ""}, "until"),
        ({"purpose": "x" * 501}, "purpose"),
    ],
)
def test_input_errors_are_shown_on_their_field_and_nothing_is_written(member_client, url, changes, field):
    response = post(member_client, url, action="book_all", **changes)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert 'role="alert"' in html and f'href="#id_{field}' in html
    assert not Booking.objects.exists() and not BookingSeries.objects.exists()


def test_end_before_start_is_an_error_on_end(member_client, url):
    start = future(7, 18)
    response = post(member_client, url, end=f"{start - timedelta(hours=1):%Y-%m-%dT%H:%M}")

    assert "end" in response.context["form"].errors
    assert not BookingSeries.objects.exists()


def test_booking_for_someone_elses_organisation_is_refused(member_client, url, org_b):
    response = post(member_client, url, organisation=str(org_b.pk), action="book_all")

    assert "organisation" in response.context["form"].errors
    assert not Booking.objects.exists()


# --- The builder -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "ends", "expected"),
    [
        ("weekly", "count", "FREQ=WEEKLY;COUNT=6"),
        ("biweekly", "count", "FREQ=WEEKLY;INTERVAL=2;COUNT=6"),
        ("monthly_nth", "count", "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"),
        ("monthly_last", "until", "FREQ=MONTHLY;BYDAY=-1TU;UNTIL=20261231"),
        ("weekly", "until", "FREQ=WEEKLY;UNTIL=20261231"),
    ],
)
def test_the_builder_composes_the_rule(member_a, room, frequency, ends, expected):
    # Tuesday 9 June 2026 is the 2nd Tuesday; Tuesday 30 June the last one.
    day = "2026-06-30" if frequency == "monthly_last" else "2026-06-09"
    form = SeriesForm(
        {
            "start": f"{day}T18:00",
            "end": f"{day}T20:00",
            "frequency": frequency,
            "ends": ends,
            "count": "6",
            "until": "2026-12-31",
        },
        user=member_a,
        resource=room,
    )

    assert form.is_valid(), form.errors
    assert form.composed_rrule == expected


def test_last_weekday_needs_a_first_date_in_the_last_week(member_a, room):
    form = SeriesForm(
        {
            "start": "2026-06-09T18:00",
            "end": "2026-06-09T20:00",
            "frequency": "monthly_last",
            "ends": "count",
            "count": "3",
        },
        user=member_a,
        resource=room,
    )

    assert not form.is_valid()
    assert "frequency" in form.errors


def test_the_own_rule_is_used_as_given(member_a, room):
    form = SeriesForm(
        {
            "start": "2026-06-09T18:00",
            "end": "2026-06-09T20:00",
            "frequency": "custom",
            "ends": "count",
            "rrule": "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8",
        },
        user=member_a,
        resource=room,
    )

    assert form.is_valid(), form.errors
    assert form.composed_rrule == "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8"


# --- The series' page ------------------------------------------------------------------------------------


@pytest.fixture
def series(member_a, org_a, room):
    start = future(7, 18)
    created, _ = booking_series_create(
        actor=member_a,
        resource=room,
        start=start,
        end=start + timedelta(hours=2),
        rrule="FREQ=WEEKLY;COUNT=4",
        organisation=org_a,
    )
    return created


def detail_url(series) -> str:
    return reverse("buchungen:series_detail", kwargs={"pk": series.pk})


@pytest.mark.parametrize(
    ("persona", "can_cancel"), [("member_a", True), ("manager_a", True), ("coordinator", False)]
)
def test_the_series_page_shows_the_dates_to_those_who_may_see_them(
    client, request, series, persona, can_cancel
):
    person = request.getfixturevalue(persona)
    person.language = "en"  # the profile language decides the page's; messages are asserted in English
    person.save(update_fields=["language"])
    client.force_login(person)

    response = client.get(detail_url(series))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="row">') == 4
    assert ("Cancel this and all later dates" in html) is can_cancel


@pytest.mark.parametrize("persona", ["member_b", "outsider"])
def test_the_series_page_is_not_found_for_others(client, request, series, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(detail_url(series)).status_code == 404
    assert client.post(detail_url(series), {"booking": series.bookings.first().pk}).status_code == 404
    assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}


def test_the_series_page_needs_a_login(client, series):
    assert client.get(detail_url(series)).status_code == 302


def test_cancel_this_and_all_later_dates(member_client, series):
    third = series.bookings.order_by("start")[2]

    response = member_client.post(detail_url(series), {"booking": third.pk})

    assert response.status_code == 302
    assert list(series.bookings.order_by("start").values_list("status", flat=True)) == [
        "confirmed",
        "confirmed",
        "cancelled",
        "cancelled",
    ]
    page = member_client.get(detail_url(series)).content.decode()
    assert "2 dates have been cancelled." in page


def cancel_links(html: str) -> list[str]:
    """The hrefs of the "Cancel this date" links, in the table's order."""
    return re.findall(r'<a href="([^"]+)">Cancel this date<span', html)


def test_cancel_this_date_cancels_only_that_date(member_client, series):
    dates = list(series.bookings.order_by("start"))
    page = member_client.get(detail_url(series)).content.decode()
    links = cancel_links(page)
    assert links == [reverse("buchungen:booking_cancel", kwargs={"pk": booking.pk}) for booking in dates]

    assert member_client.get(links[2]).status_code == 200
    response = member_client.post(links[2], {"comment": "Feiertag"})

    assert response.status_code == 302
    assert [booking.status for booking in series.bookings.order_by("start")] == [
        "confirmed",
        "confirmed",
        "cancelled",
        "confirmed",
    ]
    assert dates[2].transitions.last().comment == "Feiertag"
    # The booking's page leads back to the series, which offers no more cancelling for that date.
    booking_page = member_client.get(response["Location"]).content.decode()
    assert f'href="{detail_url(series)}"' in booking_page
    page = member_client.get(detail_url(series)).content.decode()
    assert cancel_links(page) == [links[0], links[1], links[3]]
    assert page.count("Cancel this and all later dates") == 3


def test_cancelling_the_rest_from_a_date_leaves_the_earlier_dates(member_client, series):
    first, second, *_later = series.bookings.order_by("start")
    member_client.post(cancel_links(member_client.get(detail_url(series)).content.decode())[3])
    assert member_client.post(detail_url(series), {"booking": second.pk}).status_code == 302

    assert [booking.status for booking in series.bookings.order_by("start")] == [
        "confirmed",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    assert first.transitions.count() == 1


def test_the_coordinator_cannot_cancel_the_rest(client, coordinator, series):
    client.force_login(coordinator)

    response = client.post(detail_url(series), {"booking": series.bookings.first().pk})

    assert response.status_code == 403
    assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_cancel_rest_with_an_unknown_date_is_not_found(member_client, series, value):
    assert member_client.post(detail_url(series), {"booking": value}).status_code == 404


def test_a_date_of_another_series_is_not_found(member_client, series, member_a, org_a, room):
    start = future(8, 9)
    other, _ = booking_series_create(
        actor=member_a,
        resource=room,
        start=start,
        end=start + timedelta(hours=1),
        rrule="FREQ=DAILY;COUNT=1",
        organisation=org_a,
    )

    response = member_client.post(detail_url(series), {"booking": other.bookings.get().pk})

    assert response.status_code == 404
    assert other.bookings.get().status == "confirmed"


def test_the_series_page_makes_a_fixed_number_of_queries(
    member_client, member_a, org_a, room, django_assert_max_num_queries
):
    start = future(7, 9)
    long_series, _ = booking_series_create(
        actor=member_a,
        resource=room,
        start=start,
        end=start + timedelta(hours=1),
        rrule="FREQ=DAILY;COUNT=30",
        organisation=org_a,
    )
    short_series, _ = booking_series_create(
        actor=member_a,
        resource=room,
        start=start + timedelta(hours=2),
        end=start + timedelta(hours=3),
        rrule="FREQ=DAILY;COUNT=2",
        organisation=org_a,
    )
    member_client.get(detail_url(short_series))  # session, translations and the like warmed up

    with django_assert_max_num_queries(10) as short:
        member_client.get(detail_url(short_series))
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = member_client.get(detail_url(long_series))
    assert response.content.decode().count("Cancel this and all later dates") == 30
