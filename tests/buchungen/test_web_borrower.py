"""The borrower's pages: booking form (every rule surfaced as a form error, 409 with alternatives),
booking page and cancellation, for each persona.

The pages run on the real clock (the services' ``now`` is not a page parameter), so the dates are
relative to today. Assertions are on data (status codes, form error keys, rows, URLs), not on prose.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen import services
from buchungen.forms import BookingForm, parse_local_input
from buchungen.models import Booking, BookingStatus, BookingTransition
from buchungen.views import borrower
from ressourcen.models import Closure, Resource
from tests.factories import BookingFactory, MembershipFactory, OpeningHoursFactory, ResourceFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def soon(days: int = 3) -> date:
    return timezone.localdate() + timedelta(days=days)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def text(day: date, hour: int, minute: int = 0) -> str:
    return f"{day:%Y-%m-%d}T{hour:02d}:{minute:02d}"


def form_url(resource: Resource) -> str:
    return reverse("buchungen:booking_create", args=[resource.slug])


def post_booking(client, resource, day, start_hour, end_hour, **more):
    data = {"start": text(day, start_hour), "end": text(day, end_hour), "purpose": "Chorprobe", **more}
    return client.post(form_url(resource), data)


# --- Booking form: access and prefill -------------------------------------------------------------------


def test_anonymous_is_sent_to_login_with_next(client, room):
    response = client.get(form_url(room))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert "next=" in response["Location"]


def test_member_gets_form_prefilled_from_query_string(client, member_a, room):
    client.force_login(member_a)
    response = client.get(form_url(room), {"start": "2026-12-01T10:00", "end": "2026-12-01T12:00"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="2026-12-01T10:00"' in html
    assert 'value="2026-12-01T12:00"' in html
    assert 'type="datetime-local"' in html
    assert "quantity" not in response.context["form"].fields  # a room is booked whole
    assert response.context["policy_lines"]


def test_unparseable_prefill_is_left_out(client, member_a, room):
    client.force_login(member_a)
    response = client.get(form_url(room), {"start": "gestern", "end": "2026-13-01T10:00"})
    assert response.status_code == 200
    assert response.context["form"].initial.get("start") is None
    assert response.context["form"].initial.get("end") is None


def test_equipment_form_has_quantity(client, member_a, beamers):
    client.force_login(member_a)
    response = client.get(form_url(beamers))
    assert response.context["form"].fields["quantity"].initial == 1


def test_inactive_resource_is_404_for_members_and_shown_to_its_manager(client, member_b, manager_a, org_a):
    hidden = ResourceFactory(organisation=org_a, is_active=False)
    client.force_login(member_b)
    assert client.get(form_url(hidden)).status_code == 404
    client.force_login(manager_a)
    assert client.get(form_url(hidden)).status_code == 200


def test_organisation_choices_follow_the_audience(member_a, member_b, org_a, outsider):
    own_only = ResourceFactory(organisation=org_a, audience=Resource.Audience.ORGANISATION)
    public = ResourceFactory(organisation=org_a, audience=Resource.Audience.PUBLIC)
    network = ResourceFactory(organisation=org_a)

    def choices(user, resource):
        form = BookingForm(resource=resource, organisations=borrower.organisations_for(user, resource))
        return [value for value, _label in form.fields["organisation"].choices], form.may_book

    assert choices(member_a, own_only) == ([org_a.pk], True)
    assert choices(member_b, own_only) == ([], False)
    assert choices(member_b, network)[1] is True
    assert choices(outsider, network) == ([], False)
    assert choices(outsider, public) == ([""], True)  # "as a private person" only
    assert choices(member_a, public)[0] == ["", org_a.pk]


# --- Booking form: success ----------------------------------------------------------------------------


def test_member_books_and_is_sent_to_the_booking_with_a_confirmation(client, member_a, org_a, room):
    client.force_login(member_a)
    day = soon()
    response = post_booking(client, room, day, 10, 12, organisation=org_a.pk, participants=12)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("buchungen:booking_detail", args=[booking.pk])
    assert booking.start == local(day, 10)
    assert booking.end == local(day, 12)
    assert booking.organisation == org_a
    assert booking.booked_by == member_a
    assert booking.participants == 12
    assert booking.status == BookingStatus.CONFIRMED
    page = client.get(response["Location"])
    assert [m.level_tag for m in page.context["messages"]] == ["success"]


def test_request_waiting_for_approval_says_so(client, member_b, org_a, org_b):
    approval = ResourceFactory(organisation=org_a, requires_approval=True)
    client.force_login(member_b)
    response = post_booking(client, approval, soon(), 10, 12, organisation=org_b.pk)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED
    page = client.get(response["Location"])
    (message,) = list(page.context["messages"])
    assert message.level_tag == "success"
    assert str(message) != "Your booking is confirmed."


def test_outsider_books_a_public_resource_as_a_private_person(client, outsider, org_a):
    public = ResourceFactory(organisation=org_a, audience=Resource.Audience.PUBLIC)
    client.force_login(outsider)
    response = post_booking(client, public, soon(), 10, 12, organisation="")
    assert response.status_code == 302
    assert Booking.objects.get().organisation is None


def test_equipment_quantity_is_booked(client, member_a, org_a, beamers):
    client.force_login(member_a)
    post_booking(client, beamers, soon(), 10, 12, organisation=org_a.pk, quantity=2)
    assert Booking.objects.get().quantity == 2


# --- Booking form: every rule as a form error --------------------------------------------------------------


def assert_rejected(response, *fields):
    assert response.status_code == 400
    form = response.context["form"]
    for name in fields:
        assert name in form.errors, form.errors
    assert Booking.objects.count() == 0
    # The summary at the top links to the fields.
    html = response.content.decode()
    assert 'role="alert"' in html
    for name in fields:
        if name != "__all__":
            assert f'href="#id_{name}"' in html


def test_end_before_start_is_an_error_on_end(client, member_a, org_a, room):
    client.force_login(member_a)
    assert_rejected(post_booking(client, room, soon(), 12, 10, organisation=org_a.pk), "end")


def test_missing_and_malformed_times_are_errors(client, member_a, org_a, room):
    client.force_login(member_a)
    response = client.post(form_url(room), {"start": "", "end": "morgen", "organisation": org_a.pk})
    assert_rejected(response, "start", "end")
    assert response.context["form"].errors.as_data()["end"][0].code == "invalid"


def test_time_in_the_spring_gap_is_a_clear_error(client, member_a, org_a, room):
    gap_day = next(
        day
        for day in (date(timezone.localdate().year + offset, 3, 31) for offset in (0, 1))
        if day > timezone.localdate()
    )
    sunday = gap_day - timedelta(days=(gap_day.weekday() - 6) % 7)  # last Sunday of March
    client.force_login(member_a)
    response = client.post(
        form_url(room),
        {"start": text(sunday, 2, 30), "end": text(sunday, 5), "organisation": org_a.pk},
    )
    assert_rejected(response, "start")
    assert response.context["form"].errors.as_data()["start"][0].code == "nonexistent"


def test_parse_local_input_takes_the_first_of_the_repeated_autumn_hour():
    assert parse_local_input("2026-10-25T02:30").isoformat() == "2026-10-25T00:30:00+00:00"
    assert parse_local_input("2026-12-01T10:00").isoformat() == "2026-12-01T09:00:00+00:00"
    with pytest.raises(ValueError, match="nonexistent"):
        parse_local_input("2026-03-29T02:30")
    with pytest.raises(ValueError, match="invalid"):
        parse_local_input("1999-01-01T10:00")


def test_past_start_and_lead_time_are_errors_on_start(client, member_a, org_a):
    client.force_login(member_a)
    yesterday = timezone.localdate() - timedelta(days=1)
    room = ResourceFactory(organisation=org_a)
    assert_rejected(post_booking(client, room, yesterday, 10, 12, organisation=org_a.pk), "start")
    needs_notice = ResourceFactory(organisation=org_a, lead_time_hours=24 * 10)
    assert_rejected(post_booking(client, needs_notice, soon(), 10, 12, organisation=org_a.pk), "start")


def test_too_far_ahead_is_an_error_on_start(client, member_a, org_a):
    near = ResourceFactory(organisation=org_a, max_advance_days=2)
    client.force_login(member_a)
    assert_rejected(post_booking(client, near, soon(10), 10, 12, organisation=org_a.pk), "start")


def test_duration_limits_are_errors_on_end(client, member_a, org_a):
    strict = ResourceFactory(organisation=org_a, min_duration_minutes=120, max_duration_minutes=180)
    client.force_login(member_a)
    assert_rejected(post_booking(client, strict, soon(), 10, 11, organisation=org_a.pk), "end")
    assert_rejected(post_booking(client, strict, soon(), 10, 14, organisation=org_a.pk), "end")


def test_outside_opening_hours_and_closure_are_errors_on_start(client, member_a, org_a):
    day = soon()
    evenings = ResourceFactory(organisation=org_a)
    OpeningHoursFactory(resource=evenings, weekday=day.weekday(), start=time(17), end=time(22))
    client.force_login(member_a)
    assert_rejected(post_booking(client, evenings, day, 10, 12, organisation=org_a.pk), "start")
    closed = ResourceFactory(organisation=org_a)
    Closure.objects.create(
        organisation=org_a, resource=closed, start=local(day, 0), end=local(day, 23), reason="Reparatur"
    )
    assert_rejected(post_booking(client, closed, day, 10, 12, organisation=org_a.pk), "start")


def test_quantity_over_stock_is_an_error_on_quantity(client, member_a, org_a, beamers):
    client.force_login(member_a)
    assert_rejected(
        post_booking(client, beamers, soon(), 10, 12, organisation=org_a.pk, quantity=4), "quantity"
    )
    assert_rejected(
        post_booking(client, beamers, soon(), 10, 12, organisation=org_a.pk, quantity=0), "quantity"
    )


def test_purpose_too_long_and_negative_participants_are_errors(client, member_a, org_a, room):
    client.force_login(member_a)
    response = post_booking(
        client, room, soon(), 10, 12, organisation=org_a.pk, purpose="x" * 501, participants=-1
    )
    assert_rejected(response, "purpose", "participants")


def test_organisation_outside_the_audience_is_an_error(client, member_b, org_a, org_b, outsider):
    own_only = ResourceFactory(organisation=org_a, audience=Resource.Audience.ORGANISATION)
    client.force_login(member_b)
    assert_rejected(post_booking(client, own_only, soon(), 10, 12, organisation=org_b.pk), "organisation")
    network = ResourceFactory(organisation=org_a)
    client.force_login(outsider)
    assert_rejected(post_booking(client, network, soon(), 10, 12, organisation=""), "organisation")


def test_someone_elses_organisation_is_an_error(client, member_a, org_b, room):
    client.force_login(member_a)
    assert_rejected(post_booking(client, room, soon(), 10, 12, organisation=org_b.pk), "organisation")


def test_quota_is_an_error_on_organisation(client, member_a, org_a):
    limited = ResourceFactory(organisation=org_a, quota_hours_per_month=1)
    client.force_login(member_a)
    assert_rejected(post_booking(client, limited, soon(), 10, 12, organisation=org_a.pk), "organisation")


def test_inactive_resource_is_a_non_field_error_for_its_manager(client, manager_a, org_a):
    hidden = ResourceFactory(organisation=org_a, is_active=False)
    client.force_login(manager_a)
    assert_rejected(post_booking(client, hidden, soon(), 10, 12, organisation=org_a.pk), "__all__")


def test_permission_denied_by_the_service_is_403(client, member_a, org_b, room, monkeypatch):
    """The form offers only the person's organisations; should that ever disagree with the service (a
    membership removed meanwhile), the service's refusal is a 403 and nothing is written."""
    monkeypatch.setattr(borrower, "organisations_for", lambda user, resource: [org_b])
    client.force_login(member_a)
    response = post_booking(client, room, soon(), 10, 12, organisation=org_b.pk)
    assert response.status_code == 403
    assert Booking.objects.count() == 0


# --- Booking form: conflict and alternatives ---------------------------------------------------------------


def test_conflict_answers_409_with_taken_time_and_alternatives(client, member_a, member_b, org_a, org_b):
    day = soon()
    hall = ResourceFactory(organisation=org_a, name="Saal Hafen", capacity=30, features=["beamer"])
    twin = ResourceFactory(organisation=org_b, name="Saal VHS", capacity=40, features=["beamer"])
    ResourceFactory(organisation=org_b, name="Raum schlicht", capacity=40)
    ResourceFactory(organisation=org_b, name="Zu klein", capacity=5)
    ResourceFactory(organisation=org_b, name="Nur VHS", audience=Resource.Audience.ORGANISATION)
    ResourceFactory(organisation=org_b, kind="equipment", capacity=None, name="Kein Raum")
    taken_twin = ResourceFactory(organisation=org_b, name="Auch belegt", capacity=40)
    BookingFactory(
        resource=hall, start=local(day, 10), purpose="Geheim", organisation=org_b, booked_by=member_b
    )
    BookingFactory(resource=taken_twin, start=local(day, 11))
    client.force_login(member_a)
    response = post_booking(client, hall, day, 11, 13, organisation=org_a.pk, participants=20)
    assert response.status_code == 409
    assert Booking.objects.filter(booked_by=member_a).count() == 0
    conflict = response.context["conflict"]
    assert len(conflict["taken"]) == 1
    html = response.content.decode()
    assert "Geheim" not in html and org_b.name not in conflict["taken"][0]
    # (a) next free slots: right after the booking, then the same time on the following days.
    first = conflict["slots"][0]["url"]
    assert f"start={text(day, 12).replace(':', '%3A')}" in first
    assert f"end={text(day, 14).replace(':', '%3A')}" in first
    assert len(conflict["slots"]) == 5
    # (b) similar rooms: free, big enough, bookable by this person; more shared features first.
    names = [item["resource"].name for item in conflict["similar"]]
    assert names == ["Saal VHS", "Raum schlicht"]
    assert conflict["similar"][0]["url"].startswith(form_url(twin) + "?")
    # The waitlist form carries the request (rendered only where the waitlist exists).
    assert conflict["waitlist"]["start"] == text(day, 11)
    assert conflict["waitlist"]["organisation"] == org_a.pk
    assert f'action="{reverse("buchungen:waitlist_join")}"' in html
    assert f'name="resource" value="{hall.pk}"' in html


def test_next_free_slots_honour_buffers_and_opening_hours(org_a):
    day = soon()
    room = ResourceFactory(organisation=org_a, buffer_before_minutes=30, buffer_after_minutes=30)
    OpeningHoursFactory(resource=room, weekday=day.weekday(), start=time(9), end=time(18))
    BookingFactory(resource=room, start=local(day, 10))  # blocked 09:30–12:30
    slots = borrower.next_free_slots(
        resource=room, start=local(day, 11), end=local(day, 13), quantity=1, now=timezone.now()
    )
    # 12:30 is free, but the set-up buffer needs 30 minutes: 13:00–15:00; then the next opening day at
    # opening time (buffers may reach outside the opening hours).
    assert slots[0] == (local(day, 13), local(day, 15))
    assert slots[1] == (local(day + timedelta(days=7), 9), local(day + timedelta(days=7), 11))
    assert all(start.astimezone(BERLIN).weekday() == day.weekday() for start, _end in slots)


def test_next_free_slots_count_equipment_units(org_a, beamers):
    day = soon()
    BookingFactory(resource=beamers, start=local(day, 10), quantity=2)
    slots = borrower.next_free_slots(
        resource=beamers, start=local(day, 10), end=local(day, 12), quantity=2, now=timezone.now()
    )
    assert slots[0] == (local(day, 12), local(day, 14))


def test_conflict_for_equipment_keeps_quantity_in_alternatives(client, member_a, org_a, beamers):
    day = soon()
    BookingFactory(resource=beamers, start=local(day, 10), quantity=2)
    client.force_login(member_a)
    response = post_booking(client, beamers, day, 10, 12, organisation=org_a.pk, quantity=2)
    assert response.status_code == 409
    assert "quantity=2" in response.context["conflict"]["slots"][0]["url"]
    assert response.context["conflict"]["waitlist"]["quantity"] == 2


# --- Booking page ---------------------------------------------------------------------------------------


@pytest.fixture
def booking(member_a, org_a, org_b):
    """A booking of org B's room, made by member A for organisation A (two organisations meet)."""
    hall = ResourceFactory(organisation=org_b, name="VHS Saal")
    made = services.booking_request(
        actor=member_a,
        resource=hall,
        start=local(soon(), 10),
        end=local(soon(), 12),
        organisation=org_a,
        purpose="Lesung",
    )
    return made


@pytest.mark.parametrize(
    ("persona", "status", "may_cancel"),
    [
        ("member_a", 200, True),  # booked it
        ("manager_a", 200, True),  # borrowing organisation
        ("manager_b", 200, True),  # owner's manager
        ("coordinator", 200, False),  # sees, decides nothing
        ("member_b", 404, False),  # owner's plain member: not theirs to see
        ("outsider", 404, False),
    ],
)
def test_booking_page_per_persona(client, booking, request, persona, status, may_cancel):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("buchungen:booking_detail", args=[booking.pk]))
    assert response.status_code == status
    if status == 200:
        assert response.context["may_cancel"] is may_cancel
        html = response.content.decode()
        assert "Lesung" in html
        assert (reverse("buchungen:booking_cancel", args=[booking.pk]) in html) is may_cancel
        assert len(response.context["transitions"]) == 1


def test_booking_page_needs_login(client, booking):
    response = client.get(reverse("buchungen:booking_detail", args=[booking.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_booking_page_lists_every_step(client, booking, member_a, manager_b):
    services.booking_cancel(actor=manager_b, booking=booking, comment="Wasserschaden")
    client.force_login(member_a)
    response = client.get(reverse("buchungen:booking_detail", args=[booking.pk]))
    steps = [(t.from_status, t.to_status, t.comment) for t in response.context["transitions"]]
    assert steps == [("", "confirmed", ""), ("confirmed", "cancelled", "Wasserschaden")]
    assert "Wasserschaden" in response.content.decode()
    assert response.context["may_cancel"] is False


# --- Cancellation ----------------------------------------------------------------------------------------


def cancel_url(booking) -> str:
    return reverse("buchungen:booking_cancel", args=[booking.pk])


def test_borrower_cancels_with_a_comment(client, booking, manager_a):
    client.force_login(manager_a)
    assert client.get(cancel_url(booking)).status_code == 200
    response = client.post(cancel_url(booking), {"comment": "Krank"})
    assert response.status_code == 302
    assert response["Location"] == reverse("buchungen:booking_detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert BookingTransition.objects.filter(booking=booking, to_status="cancelled", comment="Krank").exists()


def test_cancelling_twice_is_an_error_and_writes_nothing(client, booking, member_a):
    client.force_login(member_a)
    client.post(cancel_url(booking), {})
    steps = BookingTransition.objects.count()
    response = client.post(cancel_url(booking), {})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert BookingTransition.objects.count() == steps


def test_coordinator_may_not_cancel_and_strangers_get_404(client, booking, coordinator, member_b):
    client.force_login(coordinator)
    assert client.get(cancel_url(booking)).status_code == 403
    assert client.post(cancel_url(booking), {}).status_code == 403
    client.force_login(member_b)
    assert client.post(cancel_url(booking), {}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_ended_booking_cannot_be_cancelled(client, member_a, org_a, room):
    past = BookingFactory(
        resource=room,
        organisation=org_a,
        booked_by=member_a,
        start=timezone.now() - timedelta(hours=5),
    )
    client.force_login(member_a)
    response = client.post(cancel_url(past), {})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    past.refresh_from_db()
    assert past.status == BookingStatus.CONFIRMED


def test_membership_for_more_organisations_is_listed_in_the_form(client, member_a, org_b, room):
    MembershipFactory(user=member_a, organisation=org_b)
    client.force_login(member_a)
    response = client.get(form_url(room))
    assert len(response.context["form"].fields["organisation"].choices) == 2
