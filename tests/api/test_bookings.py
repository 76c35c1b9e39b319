"""/api/v1/bookings/: request (201, 400 per field, 403, 409), list, detail and the lifecycle steps."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buchungen.models import Booking, BookingTransition
from ressourcen.models import Closure
from tests.factories import BookingFactory, MembershipFactory, OpeningHoursFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
LIST_URL = "/api/v1/bookings/"

pytestmark = pytest.mark.django_db


def next_tuesday(weeks_ahead: int = 2) -> date:
    """A Tuesday at least ``weeks_ahead`` weeks away: in the future whenever the suite runs."""
    today = timezone.localdate() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(1 - today.weekday()) % 7)


TUESDAY = next_tuesday()


def local(hour: int, minute: int = 0, day: date = TUESDAY) -> str:
    """ISO text without offset: Berlin wall-clock time, as API.md allows."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def berlin(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def offset(day: date = TUESDAY) -> str:
    return datetime.combine(day, time(12), tzinfo=BERLIN).strftime("%z")[:3] + ":00"


@pytest.fixture
def room(org_a):
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")
    OpeningHoursFactory(resource=room, weekday=1, start=time(9), end=time(22))
    return room


@pytest.fixture
def beamers(org_a):
    return ResourceFactory(organisation=org_a, kind="equipment", name="Beamer", capacity=None, quantity=3)


def body(resource, start: str, end: str, organisation=None, **more) -> dict:
    data = {"resource": resource.pk, "start": start, "end": end, **more}
    if organisation is not None:
        data["organisation"] = organisation.pk
    return data


def nothing_written() -> bool:
    return not Booking.objects.exists() and not BookingTransition.objects.exists()


# --- POST: accepted ---------------------------------------------------------------------------------------


def test_member_books_a_room_and_gets_201_with_the_booking(api_as, member_b, org_b, room):
    response = api_as(member_b).post(
        LIST_URL,
        body(room, local(18), local(21), org_b, purpose="Sprachkurs", participants=14),
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    booking = Booking.objects.get()
    assert response["Location"].endswith(f"{LIST_URL}{booking.pk}/")
    assert data["id"] == booking.pk
    assert data["status"] == "confirmed"
    assert data["start"] == f"{TUESDAY.isoformat()}T18:00:00{offset()}"
    assert data["end"] == f"{TUESDAY.isoformat()}T21:00:00{offset()}"
    assert data["resource"] == {
        "id": room.pk,
        "slug": "saal-hafen",
        "name": "Saal Hafen",
        "kind": "room",
        "organisation": {"id": room.organisation.pk, "slug": "hafenstrasse", "name": room.organisation.name},
    }
    assert data["organisation"]["id"] == org_b.pk
    assert data["booked_by"] == {"id": member_b.pk, "name": "Bernd Mitglied"}
    assert data["quantity"] == 1
    assert (data["purpose"], data["participants"]) == ("Sprachkurs", 14)
    assert booking.start == berlin(18)


def test_a_resource_that_needs_approval_answers_requested(api_as, member_b, org_b, room):
    room.requires_approval = True
    room.save()
    response = api_as(member_b).post(LIST_URL, body(room, local(18), local(21), org_b), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "requested"


def test_times_with_an_offset_or_in_utc_are_the_same_instant(api_as, member_a, org_a, room):
    utc_start = berlin(18).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")
    response = api_as(member_a).post(
        LIST_URL, body(room, utc_start, f"{local(21)}{offset()}", org_a), format="json"
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.get().start == berlin(18)


def test_equipment_units(api_as, member_a, org_a, beamers):
    response = api_as(member_a).post(
        LIST_URL, body(beamers, local(10), local(12), org_a, quantity=3), format="json"
    )
    assert response.status_code == 201
    assert response.json()["quantity"] == 3


def test_a_person_books_a_public_resource_without_organisation(api_as, outsider, room):
    room.audience = "public"
    room.save()
    response = api_as(outsider).post(LIST_URL, body(room, local(18), local(21)), format="json")
    assert response.status_code == 201
    assert response.json()["organisation"] is None


# --- POST: refused, writing nothing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": local(17)}, "end"),  # before the start
        ({"end": local(18)}, "end"),  # empty
        ({"start": local(8), "end": local(10)}, "start"),  # before opening
        ({"start": local(21), "end": local(23)}, "start"),  # after closing
        ({"start": local(9), "end": local(21, 30)}, "end"),  # longer than the maximum (12 h)
        ({"end": local(18, 15)}, "end"),  # shorter than the minimum (30 min)
        ({"quantity": 2}, "quantity"),  # a room is booked whole
        ({"start": "morgen"}, "start"),
        ({"end": "2026-02-30T18:00"}, "end"),
        ({"resource": 999999}, "resource"),
        ({"resource": 2**70}, "resource"),
        ({"resource": "saal"}, "resource"),
        ({"organisation": 999999}, "organisation"),
        ({"participants": -1}, "participants"),
        ({"purpose": "x" * 501}, "purpose"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api_as, member_a, org_a, room, change, field):
    room.max_duration_minutes = 12 * 60
    room.save()
    data = {**body(room, local(18), local(20), org_a), **change}

    response = api_as(member_a).post(LIST_URL, data, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert nothing_written()


def test_lead_time_and_maximum_advance_are_400_on_start(api_as, member_a, org_a, room):
    room.lead_time_hours = 24 * 365
    room.save()
    client = api_as(member_a)
    assert client.post(LIST_URL, body(room, local(18), local(20), org_a), format="json").json().keys() == {
        "start"
    }
    room.lead_time_hours = 0
    room.max_advance_days = 3
    room.save()
    assert client.post(LIST_URL, body(room, local(18), local(20), org_a), format="json").json().keys() == {
        "start"
    }
    assert nothing_written()


def test_a_closure_is_400(api_as, member_a, org_a, room):
    Closure.objects.create(organisation=org_a, start=berlin(0), end=berlin(23), reason="Wasserschaden")
    response = api_as(member_a).post(LIST_URL, body(room, local(18), local(20), org_a), format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"start"}


def test_over_the_stock_is_400(api_as, member_a, org_a, beamers):
    response = api_as(member_a).post(
        LIST_URL, body(beamers, local(10), local(12), org_a, quantity=4), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"quantity": ["There are only 3 units."]}


def test_quota_is_400_on_organisation(api_as, member_a, org_a, room):
    room.quota_hours_per_month = 2
    room.save()
    response = api_as(member_a).post(LIST_URL, body(room, local(18), local(21), org_a), format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"organisation"}


def test_an_inactive_resource_is_an_unknown_id_for_others_and_refused_for_its_managers(
    api_as, member_b, manager_a, org_a, org_b, room
):
    room.is_active = False
    room.save()
    outside = api_as(member_b).post(LIST_URL, body(room, local(18), local(20), org_b), format="json")
    assert outside.status_code == 400
    assert "resource" in outside.json()
    inside = api_as(manager_a).post(LIST_URL, body(room, local(18), local(20), org_a), format="json")
    assert inside.json() == {"resource": ["This resource cannot be booked at the moment."]}
    assert nothing_written()


def test_booking_for_an_organisation_one_does_not_belong_to_is_403(api_as, member_b, org_a, room):
    response = api_as(member_b).post(LIST_URL, body(room, local(18), local(20), org_a), format="json")
    assert response.status_code == 403
    assert nothing_written()


def test_own_organisation_only_is_400_for_others(api_as, member_b, org_b, room):
    room.audience = "organisation"
    room.save()
    response = api_as(member_b).post(LIST_URL, body(room, local(18), local(20), org_b), format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"organisation"}


def test_anonymous_is_401(api, org_a, room):
    response = api.post(LIST_URL, body(room, local(18), local(20), org_a), format="json")
    assert response.status_code == 401
    assert nothing_written()


# --- POST: conflicts ----------------------------------------------------------------------------------------


def test_a_taken_slot_is_409_with_the_taken_times_and_never_who(
    api_as, member_a, member_b, org_a, org_b, room
):
    first = api_as(member_b).post(
        LIST_URL, body(room, local(18), local(20), org_b, purpose="Geheimes Treffen"), format="json"
    )
    assert first.status_code == 201

    response = api_as(member_a).post(LIST_URL, body(room, local(19), local(21), org_a), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The resource is already booked at this time.",
        "conflicts": [
            {
                "start": f"{TUESDAY.isoformat()}T18:00:00{offset()}",
                "end": f"{TUESDAY.isoformat()}T20:00:00{offset()}",
            }
        ],
    }
    text = response.content.decode()
    for secret in ("Bernd", "bernd@example.org", "Volkshochschule", "Geheimes", "booked_by"):
        assert secret not in text
    assert Booking.objects.count() == 1


def test_ending_at_ten_and_starting_at_ten_do_not_conflict(api_as, member_a, org_a, room):
    client = api_as(member_a)
    assert client.post(LIST_URL, body(room, local(10), local(12), org_a), format="json").status_code == 201
    assert client.post(LIST_URL, body(room, local(12), local(14), org_a), format="json").status_code == 201


def test_equipment_conflict_names_only_the_full_period(api_as, member_a, org_a, beamers):
    client = api_as(member_a)
    client.post(LIST_URL, body(beamers, local(10), local(12), org_a, quantity=3), format="json")
    response = client.post(LIST_URL, body(beamers, local(11), local(14), org_a), format="json")
    assert response.status_code == 409
    assert response.json()["conflicts"] == [
        {
            "start": f"{TUESDAY.isoformat()}T11:00:00{offset()}",
            "end": f"{TUESDAY.isoformat()}T12:00:00{offset()}",
        }
    ]


# --- POST: clock changes ---------------------------------------------------------------------------------


def _next_change(month: int) -> date:
    """The next last Sunday of ``month`` (3: clocks forward, 10: clocks back) after today."""
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        last = date(year, month, 31)
        sunday = last - timedelta(days=(last.weekday() - 6) % 7)
        if sunday > today + timedelta(days=2):
            return sunday
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("month", "hours"), [(3, 2), (10, 4)])
def test_a_night_across_the_clock_change_has_its_true_duration(api_as, member_a, org_a, month, hours):
    always = ResourceFactory(organisation=org_a, max_advance_days=800)
    day = _next_change(month)

    response = api_as(member_a).post(
        LIST_URL, body(always, local(1, day=day), local(4, day=day), org_a), format="json"
    )

    assert response.status_code == 201, response.content
    booking = Booking.objects.get()
    assert booking.end - booking.start == timedelta(hours=hours)
    assert response.json()["start"].endswith("+01:00" if month == 3 else "+02:00")
    assert response.json()["end"].endswith("+02:00" if month == 3 else "+01:00")


# --- POST: queries ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_booking_post_takes_at_most_twelve_queries(
    api_as, member_a, org_a, room, django_assert_max_num_queries, monkeypatch
):
    """Measured without the test's surrounding transaction (``transaction=True``), as in production:
    token, resource, organisation, BEGIN, membership, opening hours with closures (one query), resource
    lock, conflicts, booking, step, notification, COMMIT — 12 on SQLite and PostgreSQL alike. The
    e-mail is the worker's (here Celery runs eagerly, in the request): only its hand-off is recorded."""
    queued: list[str] = []
    monkeypatch.setattr("buchungen.notifications.queue", queued.extend)
    client = api_as(member_a)
    MembershipFactory.create_batch(5, organisation=org_a)
    for day in range(3):
        BookingFactory(resource=room, start=berlin(10, day=TUESDAY + timedelta(weeks=day + 1)))

    with django_assert_max_num_queries(12):
        response = client.post(LIST_URL, body(room, local(18), local(20), org_a), format="json")

    assert response.status_code == 201
    assert queued == [f"confirmed:b{response.json()['id']}:0:u{member_a.pk}"]


@pytest.mark.django_db(transaction=True)
def test_a_request_that_needs_approval_takes_at_most_twelve_queries_with_the_managers_told(
    api_as, member_a, org_a, room, django_assert_max_num_queries, monkeypatch
):
    """The managers to tell come with the resource lock (``lock_resources``): three managers cost no
    query more than one."""
    queued: list[str] = []
    monkeypatch.setattr("buchungen.notifications.queue", queued.extend)
    room.requires_approval = True
    room.save()
    managers = [MembershipFactory(organisation=org_a, role="manager").user for _ in range(3)]
    MembershipFactory.create_batch(5, organisation=org_a)
    BookingFactory(resource=room, start=berlin(10))
    client = api_as(member_a)

    with django_assert_max_num_queries(12):
        response = client.post(LIST_URL, body(room, local(18), local(20), org_a), format="json")

    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["status"] == "requested"
    assert sorted(queued) == sorted(
        [f"request_received:b{pk}:0:u{member_a.pk}"]
        + [f"approval_needed:b{pk}:0:u{manager.pk}" for manager in managers]
    )


@pytest.mark.django_db(transaction=True)
def test_an_equipment_request_with_a_quantity_takes_at_most_twelve_queries(
    api_as, member_a, org_a, beamers, django_assert_max_num_queries, monkeypatch
):
    """Equipment counts the units in use instead of relying on the exclusion constraint: the same
    queries, however many bookings overlap."""
    queued: list[str] = []
    monkeypatch.setattr("buchungen.notifications.queue", queued.extend)
    for hour in (9, 11, 13):
        BookingFactory(resource=beamers, start=berlin(hour))  # one unit each, overlapping 10–12
    client = api_as(member_a)

    with django_assert_max_num_queries(12):
        response = client.post(
            LIST_URL, body(beamers, local(10), local(12), org_a, quantity=2), format="json"
        )

    assert response.status_code == 201, response.content
    assert (response.json()["quantity"], response.json()["status"]) == (2, "confirmed")
    assert queued == [f"confirmed:b{response.json()['id']}:0:u{member_a.pk}"]


# --- GET: list and detail --------------------------------------------------------------------------------


@pytest.fixture
def scene(org_a, org_b, member_a, member_b, manager_a):
    room_a = ResourceFactory(organisation=org_a, name="Saal Hafen")
    room_b = ResourceFactory(organisation=org_b, name="Raum 101")
    return {
        "b_in_a": BookingFactory(
            resource=room_a, organisation=org_b, booked_by=member_b, start=berlin(10), purpose="Kurs"
        ),
        "a_in_b": BookingFactory(
            resource=room_b, organisation=org_a, booked_by=member_a, start=berlin(12), status="requested"
        ),
        "a_in_a": BookingFactory(
            resource=room_a,
            organisation=org_a,
            booked_by=manager_a,
            start=berlin(14, day=TUESDAY + timedelta(1)),
        ),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("member_a", ["a_in_b", "a_in_a"]),
        ("manager_a", ["b_in_a", "a_in_b", "a_in_a"]),
        ("member_b", ["b_in_a"]),
        ("manager_b", ["b_in_a", "a_in_b"]),
        ("coordinator", ["b_in_a", "a_in_b", "a_in_a"]),
        ("outsider", []),
    ],
)
def test_list_shows_what_each_role_may_see(
    request, api_as, scene, manager_b, coordinator, outsider, persona, expected
):
    response = api_as(request.getfixturevalue(persona)).get(LIST_URL)
    assert ids(response) == [scene[name].pk for name in expected]


def test_an_outsiders_list_contains_no_names_or_addresses(api_as, scene, outsider):
    text = api_as(outsider).get(LIST_URL).content.decode()
    for secret in ("Bernd", "bernd@", "Moritz", "Anna", "Kurs"):
        assert secret not in text


def test_list_filters(api_as, scene, coordinator, org_b):
    client = api_as(coordinator)
    assert ids(client.get(LIST_URL, {"status": "requested"})) == [scene["a_in_b"].pk]
    assert ids(client.get(LIST_URL, {"resource": scene["a_in_b"].resource_id})) == [scene["a_in_b"].pk]
    assert ids(client.get(LIST_URL, {"organisation": org_b.pk})) == [scene["b_in_a"].pk]
    assert ids(client.get(LIST_URL, {"from": local(11), "to": local(13)})) == [
        scene["b_in_a"].pk,
        scene["a_in_b"].pk,
    ]
    assert ids(client.get(LIST_URL, {"from": f"{(TUESDAY + timedelta(1)).isoformat()}"})) == [
        scene["a_in_a"].pk
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "unknown"},
        {"resource": "x"},
        {"resource": "1.0"},  # the schema says integer; REST framework alone would take it
        {"organisation": "-1"},
        {"from": "gestern"},
        {"to": "2026-13-01"},
    ],
)
def test_bad_list_filters_are_400(api_as, member_a, query):
    response = api_as(member_a).get(LIST_URL, query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_anonymous_list_is_401(api):
    assert api.get(LIST_URL).status_code == 401


@pytest.mark.django_db(transaction=False)
def test_list_queries_do_not_grow_with_rows(api_as, coordinator, org_a, org_b):
    client = api_as(coordinator)

    def add(count: int, first_day: int) -> None:
        for index in range(count):
            resource = ResourceFactory(organisation=(org_a, org_b)[index % 2])
            BookingFactory(
                resource=resource,
                organisation=(org_b, org_a)[index % 2],
                start=berlin(10, day=TUESDAY + timedelta(days=first_day + index)),
            )

    add(5, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST_URL).json()["count"] == 5
    add(45, 10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST_URL).json()["count"] == 50
    assert len(many) == len(few) == 3  # token, count, page with resource, organisations and person


def test_detail_with_its_steps(api_as, member_b, manager_a, org_b, room):
    room.requires_approval = True
    room.save()
    created = api_as(member_b).post(LIST_URL, body(room, local(18), local(20), org_b), format="json").json()
    api_as(manager_a).post(f"{LIST_URL}{created['id']}/approve/", {"comment": "Gern"}, format="json")

    data = api_as(member_b).get(f"{LIST_URL}{created['id']}/").json()

    assert data["status"] == "confirmed"
    assert [(t["from_status"], t["to_status"], t["comment"]) for t in data["transitions"]] == [
        ("", "requested", ""),
        ("requested", "confirmed", "Gern"),
    ]
    assert data["transitions"][1]["actor"] == {"id": manager_a.pk, "name": "Anna Manager"}
    assert data["transitions"][1]["at"].endswith(("+01:00", "+02:00"))


@pytest.mark.parametrize("persona", ["member_a", "outsider"])
def test_a_booking_one_may_not_see_is_404(request, api_as, scene, outsider, persona):
    response = api_as(request.getfixturevalue(persona)).get(f"{LIST_URL}{scene['b_in_a'].pk}/")
    assert response.status_code == 404


def test_unknown_booking_is_404_and_anonymous_401(api, api_as, member_a):
    assert api_as(member_a).get(f"{LIST_URL}999999/").status_code == 404
    assert api.get(f"{LIST_URL}999999/").status_code == 401


# --- Lifecycle steps --------------------------------------------------------------------------------------


@pytest.fixture
def pending(api_as, member_b, org_b, room):
    room.requires_approval = True
    room.save()
    response = api_as(member_b).post(LIST_URL, body(room, local(18), local(20), org_b), format="json")
    return Booking.objects.get(pk=response.json()["id"])


def step(client, booking, name: str, data: dict | None = None):
    return client.post(f"{LIST_URL}{booking.pk}/{name}/", data or {}, format="json")


def test_manager_approves(api_as, manager_a, pending):
    response = step(api_as(manager_a), pending, "approve")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"


@pytest.fixture
def skill_holder(org_a):
    """A member of organisation A who lends their own time (a skill of A), not a manager."""
    return MembershipFactory(organisation=org_a, user__name="Sina Skill").user


@pytest.fixture
def skill(org_a, skill_holder):
    skill = ResourceFactory(
        organisation=org_a, kind="skill", name="Tontechnik", capacity=None, holder=skill_holder
    )
    skill.requires_approval = True
    skill.save()
    return skill


@pytest.fixture
def pending_skill(api_as, member_b, org_b, skill):
    response = api_as(member_b).post(LIST_URL, body(skill, local(18), local(20), org_b), format="json")
    assert response.status_code == 201, response.content
    return Booking.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("member_b", 403),
        ("manager_b", 403),
        ("coordinator", 403),
        ("member_a", 404),
        ("outsider", 404),
        # Holding a skill of organisation A gives no say over A's room.
        ("skill_holder", 404),
    ],
)
def test_nobody_approves_for_an_organisation_they_do_not_manage(
    request, api_as, pending, skill, persona, code
):
    response = step(api_as(request.getfixturevalue(persona)), pending, "approve")
    assert response.status_code == code
    pending.refresh_from_db()
    assert pending.status == "requested"
    assert list(pending.transitions.values_list("to_status", flat=True)) == ["requested"]


@pytest.mark.parametrize("persona", ["skill_holder", "manager_a"])
def test_the_skill_holder_and_the_owners_manager_approve_a_skill(request, api_as, pending_skill, persona):
    approver = request.getfixturevalue(persona)
    response = step(api_as(approver), pending_skill, "approve", {"comment": "Passt"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    last = pending_skill.transitions.order_by("pk").last()
    assert (last.from_status, last.to_status, last.actor, last.comment) == (
        "requested",
        "confirmed",
        approver,
        "Passt",
    )


@pytest.mark.parametrize(("persona", "code"), [("member_a", 404), ("outsider", 404), ("manager_b", 403)])
def test_nobody_else_approves_a_skill(request, api_as, pending_skill, persona, code):
    response = step(api_as(request.getfixturevalue(persona)), pending_skill, "approve")
    assert response.status_code == code
    pending_skill.refresh_from_db()
    assert pending_skill.status == "requested"


def test_the_holder_of_another_skill_does_not_approve_this_one(api_as, org_a, pending_skill):
    other_holder = MembershipFactory(organisation=org_a).user
    ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=other_holder)
    response = step(api_as(other_holder), pending_skill, "approve")
    assert response.status_code == 404
    pending_skill.refresh_from_db()
    assert pending_skill.status == "requested"


def test_illegal_step_is_400(api_as, manager_a, pending):
    client = api_as(manager_a)
    step(client, pending, "approve")
    response = step(client, pending, "approve")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_decline_requires_a_reason(api_as, manager_a, pending):
    client = api_as(manager_a)
    assert set(step(client, pending, "decline").json()) == {"comment"}
    assert step(client, pending, "decline", {"comment": " "}).json() == {
        "comment": ["Please give a reason; the borrower reads it."]
    }
    response = step(client, pending, "decline", {"comment": "Renovierung"})
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["transitions"][-1]["comment"] == "Renovierung"


def test_borrower_cancels_and_the_slot_is_free_again(api_as, member_a, member_b, org_a, pending):
    response = step(api_as(member_b), pending, "cancel", {"comment": "Kurs fällt aus"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = api_as(member_a).post(
        LIST_URL, body(pending.resource, local(18), local(20), org_a), format="json"
    )
    assert again.status_code == 201


def test_handover_and_return_of_equipment(api_as, member_b, manager_a, org_b, beamers):
    # Starting within the hour: hand-overs open one day before the start.
    soon = timezone.localtime().replace(second=0, microsecond=0) + timedelta(hours=1)
    until = soon + timedelta(hours=8)
    created = api_as(member_b).post(
        LIST_URL, body(beamers, soon.isoformat(), until.isoformat(), org_b, quantity=2), format="json"
    )
    booking = Booking.objects.get(pk=created.json()["id"])
    manager = api_as(manager_a)

    assert step(api_as(member_b), booking, "check-out").status_code == 403
    assert step(manager, booking, "return").status_code == 400
    assert step(manager, booking, "check-out", {"comment": "Vollständig"}).json()["status"] == "checked_out"
    returned = step(manager, booking, "return", {"comment": "Kabel fehlt"}).json()
    assert returned["status"] == "returned"
    assert returned["transitions"][-1]["comment"] == "Kabel fehlt"


def test_steps_need_a_login(api, pending):
    assert step(api, pending, "cancel").status_code == 401
