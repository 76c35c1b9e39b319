"""The public catalogue pages: the search (filters, bad input, query count) and a resource's own page
(visibility, week view across DST, privacy, links for managers).

Assertions are on data — names, numbers, URLs, status codes, form error keys — not on English prose:
German is the default language and its translations are compiled into the test run.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from konten.models import Membership
from ressourcen.forms import ResourceSearchForm
from ressourcen.models import Closure, Resource, ResourcePhoto
from ressourcen.views.catalogue import PAGE_SIZE, feature_icon_url
from tests.factories import (
    MembershipFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    ResourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
LIST_URL = reverse("ressourcen:resource_list")
STEP_FREE, HEARING_LOOP = "stufenloser-zugang", "induktionsschleife"
TUESDAY = 1


def next_weekday(weekday: int, *, after: date | None = None) -> date:
    """The next ``weekday`` strictly after ``after`` (today by default)."""
    after = after or timezone.localdate()
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def listed(response) -> list[str]:
    return [resource.name for resource in response.context["page"].object_list]


def search(client, **params):
    return client.get(LIST_URL, params)


def evening_room(name: str, **overrides) -> Resource:
    """A room that meets the visitor's need unless ``overrides`` spoil it: 20 seats, step-free with a
    hearing loop, open Tuesdays 17–22."""
    fields = {"name": name, "capacity": 20, "features": [STEP_FREE, HEARING_LOOP], **overrides}
    room = ResourceFactory(**fields)
    OpeningHoursFactory(resource=room, weekday=TUESDAY, start=time(17), end=time(22))
    return room


# --- The visitor's question -----------------------------------------------------------------------------


def test_visitor_finds_rooms_for_twenty_step_free_with_hearing_loop_free_next_tuesday_evening(client):
    tuesday = next_weekday(TUESDAY)
    match = evening_room("Großer Saal")
    evening_room("Kleiner Saal", capacity=19)
    evening_room("Saal ohne Schleife", features=[STEP_FREE])
    evening_room("Saal mit Stufen", features=[HEARING_LOOP])
    evening_room("Mobile Bühne", kind="equipment", capacity=30)
    closes_early = ResourceFactory(name="Saal bis acht", capacity=40, features=[STEP_FREE, HEARING_LOOP])
    OpeningHoursFactory(resource=closes_early, weekday=TUESDAY, start=time(17), end=time(20))
    closed_that_day = evening_room("Saal in Reparatur")
    Closure.objects.create(
        organisation=closed_that_day.organisation,
        resource=closed_that_day,
        start=berlin(tuesday, 20),
        end=berlin(tuesday, 23),
        reason="Malerarbeiten",
    )
    whole_house_closed = evening_room("Saal im geschlossenen Haus")
    Closure.objects.create(
        organisation=whole_house_closed.organisation,
        start=berlin(tuesday, 0),
        end=berlin(tuesday + timedelta(days=1), 0),
        reason="Betriebsausflug",
    )
    evening_room("Stillgelegter Saal", is_active=False)

    response = search(
        client,
        kind="room",
        capacity_min=20,
        features=[STEP_FREE, HEARING_LOOP],
        free_date=tuesday.isoformat(),
        free_from="18:00",
        free_until="21:00",
    )

    assert response.status_code == 200
    assert listed(response) == ["Großer Saal"]
    assert response.context["result_count"] == 1
    html = response.content.decode()
    assert match.get_absolute_url() in html
    for other in Resource.objects.exclude(pk=match.pk):
        assert other.get_absolute_url() not in html


def test_without_the_period_the_rooms_closed_that_evening_are_listed_too(client):
    evening_room("Großer Saal")
    early = ResourceFactory(name="Saal bis acht", features=[STEP_FREE, HEARING_LOOP])
    OpeningHoursFactory(resource=early, weekday=TUESDAY, start=time(17), end=time(20))

    response = search(client, kind="room", capacity_min=20, features=[STEP_FREE, HEARING_LOOP])

    assert listed(response) == ["Großer Saal", "Saal bis acht"]


def test_the_free_period_is_local_time_in_summer_and_in_winter(client):
    room = ResourceFactory(name="Abendsaal")
    OpeningHoursFactory(resource=room, weekday=TUESDAY, start=time(18), end=time(21))
    next_year = timezone.localdate().year + 1
    for tuesday in (
        next_weekday(TUESDAY, after=date(next_year, 1, 10)),
        next_weekday(TUESDAY, after=date(next_year, 7, 10)),
    ):
        hit = search(client, free_date=tuesday.isoformat(), free_from="18:00", free_until="21:00")
        miss = search(client, free_date=tuesday.isoformat(), free_from="17:00", free_until="21:00")
        assert listed(hit) == ["Abendsaal"], tuesday
        assert listed(miss) == [], tuesday


def test_text_kind_and_organisation_filters(client, org_a, org_b):
    ResourceFactory(name="Saal Hafen", organisation=org_a)
    ResourceFactory(name="Beamer Hafen", organisation=org_a, kind="equipment", capacity=None, quantity=3)
    ResourceFactory(name="Saal VHS", organisation=org_b, description="Mit Blick auf die Elbe")

    assert listed(search(client, q="saal")) == ["Saal Hafen", "Saal VHS"]
    assert listed(search(client, q="elbe")) == ["Saal VHS"]
    assert listed(search(client, kind="equipment")) == ["Beamer Hafen"]
    assert listed(search(client, organisation=org_a.slug)) == ["Beamer Hafen", "Saal Hafen"]


def test_sorting_by_largest_capacity_and_by_organisation(client, org_a, org_b):
    ResourceFactory(name="A klein", capacity=10, organisation=org_b)
    ResourceFactory(name="B groß", capacity=80, organisation=org_a)
    ResourceFactory(name="C mittel", capacity=30, organisation=org_b)

    assert listed(search(client, sort="-capacity")) == ["B groß", "C mittel", "A klein"]
    # Hafenstraße before Volkshochschule
    assert listed(search(client, sort="organisation")) == ["B groß", "A klein", "C mittel"]
    assert listed(search(client)) == ["A klein", "B groß", "C mittel"]


def test_organisation_page_links_to_its_part_of_the_catalogue(client, org_a, org_b):
    ResourceFactory(name="Saal Hafen", organisation=org_a)
    ResourceFactory(name="Saal VHS", organisation=org_b)
    link = f"{LIST_URL}?organisation={org_a.slug}"

    assert link in client.get(org_a.get_absolute_url()).content.decode()
    assert listed(client.get(link)) == ["Saal Hafen"]


def test_main_navigation_links_to_the_catalogue(client):
    html = client.get(LIST_URL).content.decode()
    assert f'href="{LIST_URL}" aria-current="page"' in html


def test_result_shows_kind_details_features_and_first_photo_with_alt_text(client, org_a):
    room = ResourceFactory(name="Saal", capacity=45, features=[STEP_FREE], organisation=org_a)
    ResourcePhoto.objects.create(resource=room, image="resources/saal.jpg", alt_text="Saal mit Stuhlreihen")
    ResourcePhoto.objects.create(resource=room, image="resources/flur.jpg", alt_text="Der Flur", position=5)
    ResourceFactory(name="Beamer", kind="equipment", capacity=None, quantity=4, organisation=org_a)

    response = search(client)
    html = response.content.decode()

    assert 'alt="Saal mit Stuhlreihen"' in html
    assert "Der Flur" not in html  # only the first photo in the list
    assert "45" in html
    assert "Stufenloser Zugang" in html
    assert feature_icon_url("step-free") in html
    assert org_a.name in html
    (beamer,) = [r for r in response.context["page"].object_list if r.name == "Beamer"]
    assert beamer.quantity == 4


def test_result_count_is_announced_to_screen_readers(client):
    ResourceFactory.create_batch(3)
    html = search(client).content.decode()
    status = html[html.index('role="status"') :]
    assert 'aria-live="polite"' in status[:200]
    assert "3" in status[: status.index("</h2>")]


def test_results_are_paginated_and_keep_the_filters(client):
    ResourceFactory.create_batch(PAGE_SIZE + 6, capacity=25)

    first = search(client, capacity_min=20)
    second = search(client, capacity_min=20, page=2)

    assert len(listed(first)) == PAGE_SIZE
    assert len(listed(second)) == 6
    assert first.context["result_count"] == PAGE_SIZE + 6
    html = first.content.decode()
    assert "?capacity_min=20&amp;page=2" in html
    assert 'aria-current="page"' in html[html.index('class="pager"') :]
    # A page number out of range shows the last page rather than an error.
    assert listed(search(client, capacity_min=20, page=99)) == listed(second)


def test_feature_icon_without_a_file_falls_back_to_the_generic_symbol():
    assert feature_icon_url("gibts-nicht").endswith("img/features/generic.svg")
    assert feature_icon_url("../../etc/passwd").endswith("img/features/generic.svg")
    assert feature_icon_url("hearing-loop").endswith("img/features/hearing-loop.svg")


# --- Bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "value_in_message"),
    [
        ({"features": "gibts-nicht"}, "features", "gibts-nicht"),
        ({"features": [STEP_FREE, "gibts-nicht"]}, "features", "gibts-nicht"),
        ({"capacity_min": "-1"}, "capacity_min", None),
        ({"capacity_min": "viele"}, "capacity_min", None),
        ({"free_date": "2026-13-45", "free_from": "18:00", "free_until": "21:00"}, "free_date", None),
        ({"free_date": "morgen", "free_from": "18:00", "free_until": "21:00"}, "free_date", None),
        ({"free_date": "9999-12-31", "free_from": "18:00", "free_until": "21:00"}, "free_date", None),
        ({"free_date": "0001-01-01", "free_from": "18:00", "free_until": "21:00"}, "free_date", None),
        ({"free_date": "2027-03-02", "free_from": "21:00", "free_until": "18:00"}, "free_until", None),
        ({"free_date": "2027-03-02", "free_from": "18:00", "free_until": "18:00"}, "free_until", None),
        ({"free_date": "2027-03-02", "free_from": "25:00", "free_until": "26:00"}, "free_from", None),
        ({"free_from": "18:00", "free_until": "21:00"}, "free_date", None),
        ({"free_date": "2027-03-02"}, "free_from", None),
        ({"organisation": "gibts-nicht"}, "organisation", "gibts-nicht"),
        ({"kind": "raumschiff"}, "kind", None),
        ({"sort": "zufall"}, "sort", None),
    ],
)
def test_bad_input_is_refused_with_a_message_and_no_results(client, params, field, value_in_message):
    ResourceFactory(name="Saal", features=[STEP_FREE])

    response = search(client, **params)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert errors[field][0]
    if value_in_message:
        assert value_in_message in errors[field][0]
    assert listed(response) == []
    html = response.content.decode()
    assert 'role="alert"' in html
    assert errors[field][0] in html.replace("&quot;", '"').replace("&#x27;", "'")
    assert ResourceFactory._meta.model.objects.get().get_absolute_url() not in html


def test_a_refusal_of_the_search_itself_lands_on_the_form_field():
    form = ResourceSearchForm({})
    assert form.is_valid()
    form.add_selector_errors(ValidationError({"feature": "Unbekannt", "whatever": "Anders"}))
    assert form.errors["features"] == ["Unbekannt"]
    assert form.non_field_errors() == ["Anders"]


def test_the_search_form_builds_aware_berlin_datetimes():
    form = ResourceSearchForm(
        {"free_date": "2027-03-30", "free_from": "18:00", "free_until": "21:00", "features": [STEP_FREE]}
    )
    assert form.is_valid(), form.errors
    criteria = form.criteria()
    assert criteria.free_from == datetime(2027, 3, 30, 18, tzinfo=BERLIN)
    assert criteria.free_until.utcoffset() == timedelta(hours=2)  # summer time by then
    assert criteria.features == (STEP_FREE,)
    assert criteria.sort == "name"


# --- Query count ----------------------------------------------------------------------------------------


def _network(count: int) -> None:
    """``count`` resources of every kind, with features, photos, opening hours and closures."""
    tuesday = next_weekday(TUESDAY)
    organisations = [OrganisationFactory() for _ in range(3)]
    holder = UserFactory(name="Hanna Halterin")
    for index in range(count):
        organisation = organisations[index % 3]
        kind = ("room", "equipment", "skill")[index % 3]
        resource = ResourceFactory(
            organisation=organisation,
            kind=kind,
            capacity=20 + index if kind == "room" else None,
            quantity=2 if kind == "equipment" else 1,
            holder=holder if kind == "skill" else None,
            features=[STEP_FREE, HEARING_LOOP, "wlan"],
        )
        ResourcePhoto.objects.create(resource=resource, image=f"resources/{index}.jpg", alt_text="Foto")
        OpeningHoursFactory(resource=resource, weekday=TUESDAY, start=time(9), end=time(22))
        if index % 4 == 0:
            Closure.objects.create(
                organisation=organisation,
                resource=resource,
                start=berlin(tuesday, 19),
                end=berlin(tuesday, 20),
                reason="Wartung",
            )
    Closure.objects.create(
        organisation=organisations[0], start=berlin(tuesday, 6), end=berlin(tuesday, 7), reason="Früh"
    )


# Measured: 6 queries for the plain list (features and organisations for the form, the count, the
# page's resources, their features, their photos) and at most 10 with features and a free period (+
# feature check, the buffers, the candidates with their EXISTS probes, opening hours or bookings of the
# unclear ones; the page's resources, features and photos). Logged in adds session and user.
QUERIES = {"plain": 6, "free": 10}


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("variant", ["plain", "free"])
def test_list_page_uses_a_constant_number_of_queries(client, django_assert_max_num_queries, count, variant):
    _network(count)
    params = {}
    if variant == "free":
        params = {
            "features": [STEP_FREE, HEARING_LOOP],
            "free_date": next_weekday(TUESDAY).isoformat(),
            "free_from": "10:00",
            "free_until": "12:00",
        }
    with django_assert_max_num_queries(QUERIES[variant]):
        response = search(client, **params)
    assert response.status_code == 200
    assert response.context["result_count"] == count


def test_detail_page_query_count_does_not_grow_with_features_and_photos(client):
    small = ResourceFactory(features=[STEP_FREE])
    large = ResourceFactory(features=[STEP_FREE, HEARING_LOOP, "wlan", "kueche", "beamer"])
    for index in range(6):
        ResourcePhoto.objects.create(resource=large, image=f"resources/{index}.jpg", alt_text="Foto")
        OpeningHoursFactory(resource=large, weekday=index, start=time(9), end=time(12))
    counts = []
    for resource in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(resource.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Detail: who sees it --------------------------------------------------------------------------------


@pytest.fixture
def inactive_room(org_a):
    return ResourceFactory(name="Alter Saal", organisation=org_a, is_active=False)


@pytest.mark.parametrize("persona", [None, "member_a", "manager_b", "outsider"])
def test_inactive_resource_does_not_exist_for_visitors_and_other_organisations(
    client, request, inactive_room, persona
):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(inactive_room.get_absolute_url()).status_code == 404
    assert listed(search(client)) == []


@pytest.mark.parametrize("persona", ["manager_a", "coordinator"])
def test_inactive_resource_is_shown_to_its_managers_and_the_coordinator(
    client, request, inactive_room, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(inactive_room.get_absolute_url())
    assert response.status_code == 200
    assert response.context["resource"] == inactive_room
    # The public search still leaves it out: it is not in the catalogue.
    assert listed(search(client)) == []


def test_unknown_slug_is_404(client):
    assert (
        client.get(reverse("ressourcen:resource_detail", kwargs={"slug": "gibts-nicht"})).status_code == 404
    )


@pytest.mark.parametrize(
    ("persona", "sees_links"),
    [
        (None, False),
        ("member_a", False),
        ("manager_b", False),
        ("manager_a", True),
        ("coordinator", True),
    ],
)
def test_only_managers_see_the_links_to_edit(client, request, org_a, persona, sees_links):
    room = ResourceFactory(organisation=org_a)
    if persona:
        client.force_login(request.getfixturevalue(persona))
    html = client.get(room.get_absolute_url()).content.decode()
    for name in ("resource_edit", "opening_hours_edit", "photos_edit"):
        url = reverse(f"ressourcen:{name}", kwargs={"slug": room.slug})
        assert (url in html) is sees_links


# --- Detail: what it shows ------------------------------------------------------------------------------


def test_detail_shows_location_features_by_category_photos_and_policy(client, org_a):
    room = ResourceFactory(
        name="Saal",
        organisation=org_a,
        capacity=60,
        capacity_standing=120,
        area_m2="95.5",
        address="Hafenstraße 2\n01662 Meißen",
        building="Haus B",
        floor="1. OG",
        directions="Eingang über den Hof",
        features=[STEP_FREE, HEARING_LOOP, "beamer"],
        requires_approval=True,
        lead_time_hours=48,
        max_advance_days=90,
        min_duration_minutes=60,
        max_duration_minutes=300,
        buffer_before_minutes=30,
        buffer_after_minutes=45,
        quota_hours_per_month=12,
    )
    ResourcePhoto.objects.create(resource=room, image="resources/a.jpg", alt_text="Bühne von vorn")
    ResourcePhoto.objects.create(resource=room, image="resources/b.jpg", alt_text="Foyer", position=1)

    response = client.get(room.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    for text in (
        "60",
        "120",
        "95,5",
        "Haus B",
        "1. OG",
        "Eingang über den Hof",
        "01662 Meißen",
        'alt="Bühne von vorn"',
        'alt="Foyer"',
        org_a.get_absolute_url(),
    ):
        assert text in html, text
    groups = {
        str(label): [f.slug for f in features] for label, features in response.context["feature_groups"]
    }
    assert list(groups.values()) == [[STEP_FREE, HEARING_LOOP], ["beamer"]]
    lines = response.context["policy_lines"]
    assert len(lines) == 8  # audience, approval, lead time, advance, duration, two buffers, quota
    for number in ("2 Tage", "90", "12"):  # lead time 48 h reads as days (German page)
        assert any(number in line for line in lines), number


def test_detail_lists_equipment_details(client):
    beamer = ResourceFactory(
        kind="equipment",
        capacity=None,
        quantity=3,
        condition="good",
        deposit_note="50 € Pfand",
        pickup_place="Büro im Erdgeschoss",
    )
    html = client.get(beamer.get_absolute_url()).content.decode()
    for text in ("50 € Pfand", "Büro im Erdgeschoss", ">3<"):
        assert text in html, text


def test_opening_hours_table_has_every_weekday_with_closed_days(client):
    room = ResourceFactory()
    OpeningHoursFactory(resource=room, weekday=0, start=time(9), end=time(12))
    OpeningHoursFactory(resource=room, weekday=0, start=time(14), end=time(18))
    OpeningHoursFactory(resource=room, weekday=4, start=time(20), end=time(0))

    rows = client.get(room.get_absolute_url()).context["opening_hours_rows"]

    assert [row["ranges"] for row in rows] == [
        ["09:00–12:00", "14:00–18:00"],
        [],
        [],
        [],
        ["20:00–24:00"],
        [],
        [],
    ]


def test_upcoming_closures_of_resource_and_organisation_are_listed(client):
    room = ResourceFactory()
    soon = timezone.now() + timedelta(days=3)
    Closure.objects.create(
        organisation=room.organisation,
        resource=room,
        start=soon,
        end=soon + timedelta(days=1),
        reason="Malerarbeiten",
    )
    Closure.objects.create(
        organisation=room.organisation,
        start=soon + timedelta(days=10),
        end=soon + timedelta(days=11),
        reason="Sommerfest",
    )
    Closure.objects.create(
        organisation=room.organisation,
        resource=room,
        start=soon - timedelta(days=30),
        end=soon - timedelta(days=29),
        reason="Vorbei",
    )
    other = ResourceFactory()
    Closure.objects.create(
        organisation=other.organisation, start=soon, end=soon + timedelta(days=1), reason="Anderes Haus"
    )

    response = client.get(room.get_absolute_url())

    assert [c.reason for c in response.context["closures"]] == ["Malerarbeiten", "Sommerfest"]


# --- Detail: week view ----------------------------------------------------------------------------------


def _spring_change(year: int) -> date:
    """The last Sunday of March: clocks go from 02:00 to 03:00 in Berlin."""
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def _week(client, resource, week: str | None = None):
    url = resource.get_absolute_url() + (f"?woche={week}" if week else "")
    return client.get(url)


def _row(response, day: date) -> dict:
    (row,) = [row for row in response.context["week_rows"] if row["date"] == day]
    return row


def test_week_view_shows_the_same_wall_clock_hours_in_the_dst_week_and_in_winter(client):
    room = ResourceFactory()
    OpeningHoursFactory(resource=room, weekday=TUESDAY, start=time(18), end=time(21))
    OpeningHoursFactory(resource=room, weekday=6, start=time(9), end=time(12))  # Sunday
    year = timezone.localdate().year + 1  # always in the future: no day of these weeks is past
    change = _spring_change(year)
    winter_sunday = next_weekday(6, after=date(year, 1, 10))

    for sunday in (change, winter_sunday):
        response = _week(client, room, iso_week(sunday))
        assert response.status_code == 200
        rows = response.context["week_rows"]
        assert [row["date"].weekday() for row in rows] == list(range(7))
        assert rows[0]["date"] == sunday - timedelta(days=6)
        assert _row(response, sunday - timedelta(days=5))["ranges"] == ["18:00–21:00"]
        assert _row(response, sunday)["ranges"] == ["09:00–12:00"]
        assert [row["ranges"] for row in rows if row["date"].weekday() not in (TUESDAY, 6)] == [[]] * 5
        assert "18:00–21:00" in response.content.decode()


def test_week_view_without_opening_hours_is_bookable_all_day_even_on_the_23_hour_day(client):
    room = ResourceFactory()
    change = _spring_change(timezone.localdate().year + 1)
    response = _week(client, room, iso_week(change))
    assert [row["ranges"] for row in response.context["week_rows"]] == [["00:00–24:00"]] * 7


def test_week_view_cuts_out_closures(client):
    room = ResourceFactory()
    OpeningHoursFactory(resource=room, weekday=TUESDAY, start=time(18), end=time(21))
    tuesday = next_weekday(TUESDAY, after=timezone.localdate() + timedelta(days=14))
    Closure.objects.create(
        organisation=room.organisation,
        resource=room,
        start=berlin(tuesday, 19),
        end=berlin(tuesday, 20),
        reason="Probe",
    )
    response = _week(client, room, iso_week(tuesday))
    assert _row(response, tuesday)["ranges"] == ["18:00–19:00", "20:00–21:00"]


def test_week_view_defaults_to_this_week_and_links_to_the_neighbours(client):
    room = ResourceFactory()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())

    response = _week(client, room)

    assert response.context["week_rows"][0]["date"] == monday
    html = response.content.decode()
    assert f"?woche={iso_week(monday - timedelta(days=7))}#week" in html
    assert f"?woche={iso_week(monday + timedelta(days=7))}#week" in html
    assert [row["is_past"] for row in response.context["week_rows"]] == [
        monday + timedelta(days=i) < today for i in range(7)
    ]


@pytest.mark.parametrize(
    "week", ["2026-W60", "2026-W00", "2021-W53", "gestern", "2026-48", "1999-W10", "2026-W4"]
)
def test_bad_week_is_400_with_a_message(client, week):
    room = ResourceFactory(name="Saal")
    response = _week(client, room, week)
    assert response.status_code == 400
    assert response.context["week_error"]
    assert "week_rows" not in response.context
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Saal" in html


def test_week_53_of_a_long_year_is_a_week(client):
    room = ResourceFactory()
    assert _week(client, room, "2026-W53").status_code == 200


# --- Privacy --------------------------------------------------------------------------------------------


def test_skill_pages_show_the_holders_name_never_their_email(client, org_a):
    holder = MembershipFactory(
        organisation=org_a,
        role=Membership.Role.MEMBER,
        user__email="hanna@example.org",
        user__name="Hanna Halterin",
    ).user
    nameless = MembershipFactory(organisation=org_a, user__email="anonym@example.org", user__name="").user
    skill = ResourceFactory(name="Moderation", kind="skill", capacity=None, holder=holder, organisation=org_a)
    quiet = ResourceFactory(
        name="Gebärdensprache", kind="skill", capacity=None, holder=nameless, organisation=org_a
    )

    pages = [
        search(client).content.decode(),
        client.get(skill.get_absolute_url()).content.decode(),
        client.get(quiet.get_absolute_url()).content.decode(),
    ]

    assert "Hanna Halterin" in pages[0]
    assert "Hanna Halterin" in pages[1]
    for html in pages:
        assert "hanna@example.org" not in html
        assert "anonym@example.org" not in html
        assert "anonym" not in html
    assert org_a.name in pages[2]
