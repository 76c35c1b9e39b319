"""/api/v1/bookings/{id}/check-out/, return/ and no-show/ with the hand-over notes, per role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buchungen.models import Booking, BookingTransition
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/bookings/{pk}/{step}/"


@pytest.fixture
def beamers(org_a):
    return ResourceFactory(organisation=org_a, kind="equipment", name="Beamer", capacity=None, quantity=3)


@pytest.fixture
def skill_holder(org_a):
    return MembershipFactory(organisation=org_a).user


def booking_of_b(resource, member_b, org_b, *, starts_in: timedelta, status="confirmed", hours=4) -> Booking:
    start = timezone.now().replace(microsecond=0) + starts_in
    return BookingFactory(
        resource=resource,
        organisation=org_b,
        booked_by=member_b,
        start=start,
        end=start + timedelta(hours=hours),
        status=status,
        quantity=2,
    )


@pytest.fixture
def soon(beamers, member_b, org_b):
    """Two projectors for organisation B, starting in an hour (hand-over is open)."""
    return booking_of_b(beamers, member_b, org_b, starts_in=timedelta(hours=1))


@pytest.fixture
def started(beamers, member_b, org_b):
    return booking_of_b(beamers, member_b, org_b, starts_in=-timedelta(hours=1))


def post(client, booking, step, data=None):
    return client.post(URL.format(pk=booking.pk, step=step), data or {}, format="json")


def state(booking) -> tuple:
    booking.refresh_from_db()
    return (booking.status, booking.handed_over_to, booking.damage_report, booking.transitions.count())


def test_check_out_with_who_received_it_and_return_with_a_damage_report(api_as, manager_a, soon):
    client = api_as(manager_a)

    response = post(client, soon, "check-out", {"comment": "Vollständig", "handed_over_to": "Bernd"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["handed_over_to"], data["damage_report"]) == ("checked_out", "Bernd", "")
    assert data["transitions"][-1]["comment"] == "Vollständig"

    response = post(client, soon, "return", {"comment": "Sauber", "damage_report": "Kabel fehlt"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["handed_over_to"], data["damage_report"]) == (
        "returned",
        "Bernd",
        "Kabel fehlt",
    )


@pytest.mark.parametrize("persona", ["member_a", "member_b", "manager_b", "coordinator", "skill_holder"])
def test_others_who_see_the_booking_or_not_may_not_hand_over(request, api_as, soon, persona):
    user = request.getfixturevalue(persona)
    response = post(api_as(user), soon, "check-out", {"handed_over_to": "x"})
    # Those who cannot see it get 404; those who see it (the borrowing organisation, the coordinator) 403.
    assert response.status_code == (403 if persona in {"member_b", "manager_b", "coordinator"} else 404)
    assert state(soon) == ("confirmed", "", "", 0)


def test_check_out_too_early_is_a_400_and_writes_nothing(api_as, manager_a, beamers, member_b, org_b):
    later = booking_of_b(beamers, member_b, org_b, starts_in=timedelta(days=3))
    response = post(api_as(manager_a), later, "check-out", {"handed_over_to": "Bernd"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert state(later) == ("confirmed", "", "", 0)


def test_too_long_handed_over_to_is_a_400_on_the_field(api_as, manager_a, soon):
    response = post(api_as(manager_a), soon, "check-out", {"handed_over_to": "x" * 201})
    assert response.status_code == 400
    assert set(response.json()) == {"handed_over_to"}
    assert state(soon) == ("confirmed", "", "", 0)


def test_damage_report_for_what_was_not_handed_over_is_refused(api_as, manager_a, soon):
    response = post(api_as(manager_a), soon, "return", {"damage_report": "kaputt"})
    assert response.status_code == 400
    assert state(soon) == ("confirmed", "", "", 0)


def test_manager_records_a_no_show(api_as, manager_a, started):
    response = post(api_as(manager_a), started, "no-show", {"comment": "Niemand kam"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "no_show"
    assert (data["transitions"][-1]["to_status"], data["transitions"][-1]["comment"]) == (
        "no_show",
        "Niemand kam",
    )


def test_a_no_show_after_the_end_corrects_what_the_sweep_completed(
    api_as, manager_a, beamers, member_b, org_b
):
    ended = booking_of_b(beamers, member_b, org_b, starts_in=-timedelta(hours=6), status="completed")

    response = post(api_as(manager_a), ended, "no-show", {"comment": "Niemand kam"})

    assert response.status_code == 200, response.content
    step = response.json()["transitions"][-1]
    assert (step["from_status"], step["to_status"]) == ("completed", "no_show")
    assert state(ended)[0] == "no_show"


def test_no_show_before_the_start_is_a_400(api_as, manager_a, soon):
    response = post(api_as(manager_a), soon, "no-show")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert state(soon)[0] == "confirmed"


@pytest.mark.parametrize(
    ("persona", "code"),
    [("member_a", 404), ("member_b", 403), ("manager_b", 403), ("coordinator", 403), ("skill_holder", 404)],
)
def test_nobody_else_records_a_no_show(request, api_as, started, persona, code):
    response = post(api_as(request.getfixturevalue(persona)), started, "no-show")
    assert response.status_code == code
    assert state(started)[0] == "confirmed"
    assert not BookingTransition.objects.exists()


def test_no_show_needs_a_login(api, started):
    assert post(api, started, "no-show").status_code == 401


def test_detail_shows_the_hand_over_notes_to_those_who_see_the_booking(api_as, manager_a, member_b, soon):
    Booking.objects.filter(pk=soon.pk).update(handed_over_to="Bernd", damage_report="Delle")
    for user in (manager_a, member_b):
        data = api_as(user).get(f"/api/v1/bookings/{soon.pk}/").json()
        assert (data["handed_over_to"], data["damage_report"]) == ("Bernd", "Delle")


def test_members_of_other_organisations_do_not_see_the_notes(api_as, member_a, soon):
    # member_a belongs to the owner but does not manage it: the booking (and its notes) are hidden.
    assert api_as(member_a).get(f"/api/v1/bookings/{soon.pk}/").status_code == 404


def test_the_list_leaves_the_notes_out(api_as, manager_a, soon):
    Booking.objects.filter(pk=soon.pk).update(handed_over_to="Bernd", damage_report="Delle")
    item = api_as(manager_a).get("/api/v1/bookings/").json()["results"][0]
    assert "handed_over_to" not in item and "damage_report" not in item


def test_schema_names_the_new_fields_and_the_no_show_step(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/bookings/{id}/no-show/" in schema["paths"]
    components = schema["components"]["schemas"]
    assert {"handed_over_to", "comment"} <= set(components["CheckOutRequest"]["properties"])
    assert {"damage_report", "comment"} <= set(components["ReturnRequest"]["properties"])
    assert {"handed_over_to", "damage_report"} <= set(components["BookingDetail"]["properties"])
