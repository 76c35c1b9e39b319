"""The owners' pages: inbox (several at once), one decision, hand-overs, check-out, return, no-show."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buchungen.models import Booking, BookingTransition
from tests.factories import BookingFactory, MembershipFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def skill_holder(org_a):
    return MembershipFactory(organisation=org_a, user__name="Sina Skill").user


def request_of_b(resource, member_b, org_b, *, days=3, status="requested", **more) -> Booking:
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return BookingFactory(
        resource=resource, organisation=org_b, booked_by=member_b, start=start, status=status, **more
    )


@pytest.fixture
def pending(room, member_b, org_b):
    return request_of_b(room, member_b, org_b, purpose="Sprachkurs")


def as_user(client, user):
    client.force_login(user)
    return client


def statuses(*bookings) -> list[str]:
    return [Booking.objects.get(pk=b.pk).status for b in bookings]


# --- Inbox -----------------------------------------------------------------------------------------------


def test_manager_sees_the_request_in_the_inbox(client, manager_a, pending):
    response = as_user(client, manager_a).get(reverse("buchungen:inbox"))
    assert response.status_code == 200
    assert list(response.context["bookings"]) == [pending]
    assert "Sprachkurs" in response.content.decode()


@pytest.mark.parametrize("persona", ["member_a", "manager_b", "member_b", "coordinator"])
def test_others_have_nothing_to_decide(request, client, pending, persona):
    response = as_user(client, request.getfixturevalue(persona)).get(reverse("buchungen:inbox"))
    assert response.status_code == 200
    assert response.context["bookings"] == []


def test_coordinator_reads_an_explanation(client, coordinator, pending):
    response = as_user(client, coordinator).get(reverse("buchungen:inbox"))
    assert 'id="coordinator-note"' in response.content.decode()


def test_skill_holder_sees_requests_for_their_skill(client, org_a, skill_holder, member_b, org_b):
    skill = ResourceFactory(organisation=org_a, kind="skill", capacity=None, holder=skill_holder)
    booking = request_of_b(skill, member_b, org_b)
    response = as_user(client, skill_holder).get(reverse("buchungen:inbox"))
    assert response.context["bookings"] == [booking]


def test_inbox_filters_by_managed_organisation(client, manager_a, org_a, org_b, room, member_b):
    MembershipFactory(organisation=org_b, user=manager_a, role="manager")
    room_b = ResourceFactory(organisation=org_b)
    mine_a = request_of_b(room, member_b, org_b)
    mine_b = request_of_b(room_b, member_b, org_b)
    client = as_user(client, manager_a)
    assert client.get(reverse("buchungen:inbox")).context["bookings"] == [mine_a, mine_b]
    response = client.get(reverse("buchungen:inbox"), {"organisation": org_b.pk})
    assert response.context["bookings"] == [mine_b]


def test_inbox_query_count_is_constant(
    client, manager_a, room, member_b, org_b, django_assert_max_num_queries
):
    for day in range(2, 22):
        request_of_b(room, member_b, org_b, days=day)
    client = as_user(client, manager_a)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("buchungen:inbox"))
    assert len(response.context["bookings"]) == 20


def test_approve_several_at_once_with_mixed_permissions(client, manager_a, pending, room, member_b, org_b):
    second = request_of_b(room, member_b, org_b, days=4)
    foreign = request_of_b(ResourceFactory(organisation=org_b), member_b, org_b)
    data = {"bookings": [pending.pk, second.pk, foreign.pk, 999999], "decision": "approve", "comment": ""}
    response = as_user(client, manager_a).post(reverse("buchungen:inbox"), data, follow=True)
    assert response.status_code == 200
    assert statuses(pending, second, foreign) == ["confirmed", "confirmed", "requested"]
    texts = [str(message) for message in response.context["messages"]]
    assert sum(text.startswith("Genehmigt") or text.startswith("Approved") for text in texts) == 2
    assert len(texts) == 4


def test_decline_several_needs_a_reason_and_changes_nothing_without(client, manager_a, pending):
    client = as_user(client, manager_a)
    response = client.post(reverse("buchungen:inbox"), {"bookings": [pending.pk], "decision": "decline"})
    assert response.status_code == 400
    assert response.context["form"].errors["comment"]
    assert statuses(pending) == ["requested"]
    response = client.post(
        reverse("buchungen:inbox"),
        {"bookings": [pending.pk], "decision": "decline", "comment": "Renovierung"},
    )
    assert response.status_code == 302
    assert statuses(pending) == ["declined"]
    assert pending.transitions.last().comment == "Renovierung"


def test_nothing_selected_is_a_form_error(client, manager_a, pending):
    response = as_user(client, manager_a).post(reverse("buchungen:inbox"), {"decision": "approve"})
    assert response.status_code == 400
    assert response.context["form"].errors["bookings"]


def test_coordinator_posting_ids_changes_nothing(client, coordinator, pending):
    as_user(client, coordinator).post(
        reverse("buchungen:inbox"), {"bookings": [pending.pk], "decision": "approve"}
    )
    assert statuses(pending) == ["requested"]


# --- One decision ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "code"), [("member_a", 404), ("manager_b", 403), ("member_b", 403), ("coordinator", 403)]
)
def test_decide_page_is_hidden_or_forbidden(request, client, pending, persona, code):
    client = as_user(client, request.getfixturevalue(persona))
    assert client.get(reverse("buchungen:booking_decide", args=[pending.pk])).status_code == code
    client.post(reverse("buchungen:booking_decide", args=[pending.pk]), {"decision": "approve"})
    assert statuses(pending) == ["requested"]


def test_manager_approves_on_the_decide_page(client, manager_a, pending):
    client = as_user(client, manager_a)
    url = reverse("buchungen:booking_decide", args=[pending.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"decision": "decline", "comment": " "}).status_code == 400
    assert statuses(pending) == ["requested"]
    assert client.post(url, {"decision": "approve", "comment": "Gern"}).status_code == 302
    assert statuses(pending) == ["confirmed"]


# --- Handover --------------------------------------------------------------------------------------------


@pytest.fixture
def today(room, member_b, org_b):
    """A confirmed booking of A's room that started an hour ago."""
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return BookingFactory(
        resource=room, organisation=org_b, booked_by=member_b, start=start, status="confirmed"
    )


def test_handover_page_lists_due_and_overdue(client, manager_a, today, room, member_b, org_b):
    late = BookingFactory(
        resource=ResourceFactory(organisation=room.organisation, kind="equipment", capacity=None, quantity=2),
        organisation=org_b,
        booked_by=member_b,
        start=timezone.now() - timedelta(days=2),
        status="checked_out",
    )
    response = as_user(client, manager_a).get(reverse("buchungen:handover"))
    assert [row["booking"] for row in response.context["due"]] == [today]
    assert [row["overdue"] for row in response.context["out"]] == [True]
    assert late.resource.name in response.content.decode()
    assert "badge-overdue" in response.content.decode()


def test_handover_page_of_another_manager_is_empty(client, manager_b, today):
    response = as_user(client, manager_b).get(reverse("buchungen:handover"))
    assert response.context["due"] == [] and response.context["out"] == []


@pytest.mark.parametrize(
    ("persona", "code"),
    [("member_a", 404), ("manager_b", 403), ("member_b", 403), ("coordinator", 403), ("skill_holder", 404)],
)
@pytest.mark.parametrize("name", ["booking_check_out", "booking_no_show"])
def test_steps_are_hidden_or_forbidden_for_others(request, client, today, persona, code, name):
    client = as_user(client, request.getfixturevalue(persona))
    assert client.get(reverse(f"buchungen:{name}", args=[today.pk])).status_code == code
    assert (
        client.post(reverse(f"buchungen:{name}", args=[today.pk]), {"handed_over_to": "x"}).status_code
        == code
    )
    assert statuses(today) == ["confirmed"]


def test_manager_hands_over_and_takes_back(client, manager_a, today):
    client = as_user(client, manager_a)
    response = client.post(
        reverse("buchungen:booking_check_out", args=[today.pk]),
        {"handed_over_to": "Bernd", "comment": "Schlüssel 3"},
    )
    assert response.status_code == 302
    today.refresh_from_db()
    assert (today.status, today.handed_over_to) == ("checked_out", "Bernd")
    response = client.post(
        reverse("buchungen:booking_return", args=[today.pk]), {"comment": "ok", "damage_report": "Fleck"}
    )
    assert response.status_code == 302
    today.refresh_from_db()
    assert (today.status, today.damage_report) == ("returned", "Fleck")


def test_check_out_too_early_shows_the_error_and_writes_nothing(client, manager_a, pending):
    Booking.objects.filter(pk=pending.pk).update(status="confirmed")
    url = reverse("buchungen:booking_check_out", args=[pending.pk])
    client = as_user(client, manager_a)
    assert "<form" not in client.get(url).content.decode().split('id="main"')[1]
    response = client.post(url, {"handed_over_to": "Bernd"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert statuses(pending) == ["confirmed"]
    assert not BookingTransition.objects.filter(booking=pending).exists()


def test_manager_records_a_no_show(client, manager_a, today):
    response = as_user(client, manager_a).post(
        reverse("buchungen:booking_no_show", args=[today.pk]), {"comment": "Niemand da"}
    )
    assert response.status_code == 302
    assert statuses(today) == ["no_show"]


def test_actions_on_the_detail_page_follow_the_perms(client, manager_a, member_b, today):
    detail = reverse("buchungen:booking_detail", args=[today.pk])
    page = as_user(client, manager_a).get(detail).content.decode()
    assert reverse("buchungen:booking_check_out", args=[today.pk]) in page
    assert reverse("buchungen:booking_no_show", args=[today.pk]) in page
    page = as_user(client, member_b).get(detail).content.decode()
    assert reverse("buchungen:booking_check_out", args=[today.pk]) not in page


def test_nav_shows_requests_to_managers_only(client, manager_a, member_a):
    inbox = reverse("buchungen:inbox")
    assert inbox in as_user(client, manager_a).get(reverse("konten:dashboard")).content.decode()
    assert inbox not in as_user(client, member_a).get(reverse("konten:dashboard")).content.decode()
