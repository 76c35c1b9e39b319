"""Bundles (buchungen/bundles.py): several resources in one request, all or nothing; each owner decides
on its own part; the request's state follows from its parts."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from buchungen import bundles, services
from buchungen.bundles import BundleConflict, BundleItemsInvalid, RequestStateCode
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingRequest, BookingTransition
from konten.models import Membership
from tests.buchungen.conftest import NOW, at
from tests.factories import BookingFactory, MembershipFactory, OrganisationFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_c(db):
    return OrganisationFactory(name="Technikverein Meißen e.V.", slug="technik")


@pytest.fixture
def technician_holder(org_c):
    return MembershipFactory(organisation=org_c, user__name="Theo Technik").user


@pytest.fixture
def manager_c(org_c):
    return MembershipFactory(organisation=org_c, role=Membership.Role.MANAGER).user


@pytest.fixture
def projector(org_b):
    """One projector of organisation B, lent only after approval."""
    return ResourceFactory(
        organisation=org_b,
        kind="equipment",
        name="Beamer VHS",
        slug="beamer-vhs",
        capacity=None,
        quantity=1,
        requires_approval=True,
    )


@pytest.fixture
def technician(org_c, technician_holder):
    """A technician (skill) of organisation C, booked after approval."""
    return ResourceFactory(
        organisation=org_c,
        kind="skill",
        name="Tontechnik",
        slug="tontechnik",
        capacity=None,
        holder=technician_holder,
        requires_approval=True,
    )


@pytest.fixture
def three_owners(room, projector, technician):
    """Room of A (approval needed), projector of B, technician of C."""
    room.requires_approval = True
    room.save()
    return [room, projector, technician]


def item(resource, start, end, quantity=1):
    return {"resource": resource, "start": start, "end": end, "quantity": quantity}


def bundle(actor, items, organisation=None, **kwargs):
    kwargs.setdefault("now", NOW)
    return bundles.booking_request_bundle(actor=actor, items=items, organisation=organisation, **kwargs)


def nothing_written(before: int = 0) -> bool:
    return (
        not BookingRequest.objects.exists()
        and Booking.objects.count() == before
        and BookingTransition.objects.filter(booking__request__isnull=False).count() == 0
    )


# --- Placing a bundle -------------------------------------------------------------------------------------


def test_a_bundle_of_three_owners_becomes_one_request_with_a_booking_per_item(member_a, org_a, three_owners):
    room, projector, technician = three_owners
    request = bundle(
        member_a,
        [
            item(room, at(2, 18), at(2, 22)),
            item(projector, at(2, 18), at(2, 22)),
            item(technician, at(2, 19), at(2, 21)),
        ],
        org_a,
        purpose=" Konzert ",
        participants=80,
    )

    parts = list(request.items.order_by("pk"))
    assert [part.resource for part in parts] == [room, projector, technician]
    assert [part.status for part in parts] == ["requested"] * 3
    assert (request.organisation, request.booked_by, request.purpose, request.participants) == (
        org_a,
        member_a,
        "Konzert",
        80,
    )
    for part in parts:
        assert (part.organisation, part.booked_by, part.purpose, part.participants) == (
            org_a,
            member_a,
            "Konzert",
            80,
        )
        assert part.transitions.get().to_status == "requested"
    assert (parts[2].start, parts[2].end) == (at(2, 19), at(2, 21))
    state = bundles.booking_request_state(request)
    assert (state.code, state.waiting, state.total) == (RequestStateCode.WAITING, 3, 3)


def test_each_item_follows_its_own_resources_policy(member_a, org_a, room, projector):
    request = bundle(
        member_a, [item(room, at(2, 18), at(2, 20)), item(projector, at(2, 18), at(2, 20))], org_a
    )

    assert [part.status for part in request.items.order_by("pk")] == ["confirmed", "requested"]
    assert bundles.booking_request_state(request).label == "Waiting for 1 decision"


def test_a_bundle_of_confirmed_parts_is_confirmed(member_a, org_a, room, beamers):
    request = bundle(
        member_a, [item(room, at(2, 18), at(2, 20)), item(beamers, at(2, 18), at(2, 20), 2)], org_a
    )

    state = bundles.booking_request_state(request)
    assert (state.code, state.label) == (RequestStateCode.CONFIRMED, "All parts confirmed")
    assert request.items.get(resource=beamers).quantity == 2


# --- All or nothing -----------------------------------------------------------------------------------


def test_one_conflicting_item_books_nothing_and_names_the_item(member_a, org_a, room, beamers, projector):
    BookingFactory(resource=projector, start=at(2, 17), end=at(2, 19))

    with pytest.raises(BundleConflict) as excinfo:
        bundle(
            member_a,
            [
                item(room, at(2, 18), at(2, 20)),
                item(projector, at(2, 18), at(2, 20)),
                item(beamers, at(2, 18), at(2, 20)),
            ],
            org_a,
        )

    assert isinstance(excinfo.value, BookingConflict)
    # Equipment: the period in which too few units are left, within the wanted time.
    assert excinfo.value.items == [(1, at(2, 18), at(2, 19))]
    assert excinfo.value.conflicts == [(at(2, 18), at(2, 19))]
    assert nothing_written(before=1)


def test_every_conflicting_item_is_reported_with_its_taken_time(member_a, org_a, room, projector, beamers):
    BookingFactory(resource=room, start=at(2, 16), end=at(2, 19))
    BookingFactory(resource=projector, start=at(2, 19), end=at(2, 21))

    with pytest.raises(BundleConflict) as excinfo:
        bundle(
            member_a,
            [
                item(room, at(2, 18), at(2, 20)),
                item(beamers, at(2, 18), at(2, 20)),
                item(projector, at(2, 18), at(2, 20)),
            ],
            org_a,
        )

    # The room: the whole booking in the way; the projector: the part of the wanted time it is out.
    assert excinfo.value.items == [(0, at(2, 16), at(2, 19)), (2, at(2, 19), at(2, 20))]
    assert excinfo.value.intervals_of(2) == [(at(2, 19), at(2, 20))]
    assert nothing_written(before=2)


def test_one_rule_breaking_item_books_nothing_and_the_errors_come_per_item(
    member_a, org_a, room, beamers, projector
):
    with pytest.raises(BundleItemsInvalid) as excinfo:
        bundle(
            member_a,
            [
                item(room, at(2, 18), at(2, 20)),
                item(beamers, at(1, 6), at(1, 7)),  # before NOW
                item(projector, at(2, 18), at(2, 20), quantity=2),  # only one unit
            ],
            org_a,
        )

    errors = excinfo.value.item_errors
    assert errors[0] == {}
    assert set(errors[1]) == {"start"}
    assert errors[2] == {"quantity": ["There is only 1 unit."]}
    assert isinstance(excinfo.value, ValidationError)
    assert excinfo.value.message_dict["items"][0].startswith("Item 2: ")
    assert nothing_written()


def test_a_quota_broken_by_the_bundle_itself_books_nothing(member_a, org_a, room):
    room.quota_hours_per_month = 3
    room.save()

    with pytest.raises(BundleItemsInvalid) as excinfo:
        bundle(member_a, [item(room, at(2, 10), at(2, 12)), item(room, at(3, 10), at(3, 12))], org_a)

    assert excinfo.value.item_errors[0] == {}
    assert set(excinfo.value.item_errors[1]) == {"organisation"}
    assert nothing_written()


# --- Items of one bundle see each other ---------------------------------------------------------------


def test_two_items_overlapping_on_the_same_room_conflict_with_each_other(member_a, org_a, room):
    with pytest.raises(BundleConflict) as excinfo:
        bundle(member_a, [item(room, at(2, 10), at(2, 12)), item(room, at(2, 11), at(2, 13))], org_a)

    assert excinfo.value.items == [(1, at(2, 10), at(2, 12))]
    assert nothing_written()


def test_two_items_one_after_the_other_on_the_same_room_are_fine(member_a, org_a, room):
    request = bundle(member_a, [item(room, at(2, 10), at(2, 12)), item(room, at(2, 12), at(2, 14))], org_a)

    assert request.items.count() == 2


def test_equipment_items_of_one_bundle_add_up_against_the_stock(member_a, org_a, beamers):
    with pytest.raises(BundleConflict):
        bundle(
            member_a, [item(beamers, at(2, 10), at(2, 12), 2), item(beamers, at(2, 11), at(2, 13), 2)], org_a
        )
    assert nothing_written()

    request = bundle(
        member_a, [item(beamers, at(2, 10), at(2, 12), 2), item(beamers, at(2, 11), at(2, 13), 1)], org_a
    )
    assert request.items.count() == 2


# --- Sizes and the request's own fields ---------------------------------------------------------------


def test_a_request_needs_at_least_one_item(member_a, org_a):
    with pytest.raises(ValidationError) as excinfo:
        bundle(member_a, [], org_a)
    assert set(excinfo.value.message_dict) == {"items"}
    assert nothing_written()


def test_a_request_holds_at_most_ten_items(member_a, org_a, beamers):
    items = [item(beamers, at(2 + day, 10), at(2 + day, 11)) for day in range(11)]

    with pytest.raises(ValidationError) as excinfo:
        bundle(member_a, items, org_a)
    assert set(excinfo.value.message_dict) == {"items"}
    assert nothing_written()

    assert bundle(member_a, items[:10], org_a).items.count() == 10


def test_a_too_long_purpose_is_reported_once_for_the_request(member_a, org_a, room):
    with pytest.raises(ValidationError) as excinfo:
        bundle(member_a, [item(room, at(2, 10), at(2, 12))], org_a, purpose="x" * 501)
    assert set(excinfo.value.message_dict) == {"purpose"}
    assert nothing_written()


# --- Who may book ----------------------------------------------------------------------------------------


def test_a_member_books_for_their_own_organisation_only(member_b, org_a, room):
    with pytest.raises(PermissionDenied):
        bundle(member_b, [item(room, at(2, 10), at(2, 12))], org_a)
    assert nothing_written()


def test_anonymous_visitors_cannot_book(room):
    with pytest.raises(PermissionDenied):
        bundle(AnonymousUser(), [item(room, at(2, 10), at(2, 12))])
    assert nothing_written()


def test_an_outsider_needs_an_organisation_for_network_resources(outsider, room, org_a):
    public = ResourceFactory(organisation=org_a, audience="public", name="Bühne", slug="buehne")

    with pytest.raises(BundleItemsInvalid) as excinfo:
        bundle(outsider, [item(public, at(2, 10), at(2, 12)), item(room, at(2, 10), at(2, 12))])
    assert excinfo.value.item_errors[0] == {}
    assert set(excinfo.value.item_errors[1]) == {"organisation"}
    assert nothing_written()

    request = bundle(outsider, [item(public, at(2, 10), at(2, 12))])
    assert request.organisation is None


def test_an_inactive_resource_is_refused_for_its_item(member_a, org_a, room, beamers):
    beamers.is_active = False
    beamers.save()

    with pytest.raises(BundleItemsInvalid) as excinfo:
        bundle(member_a, [item(room, at(2, 10), at(2, 12)), item(beamers, at(2, 10), at(2, 12))], org_a)
    assert set(excinfo.value.item_errors[1]) == {"resource"}
    assert nothing_written()


# --- Each owner decides on its own part -----------------------------------------------------------------


@pytest.fixture
def concert(member_b, org_b, three_owners):
    """A request of organisation B: room of A, projector of B, technician of C — all waiting."""
    room, projector, technician = three_owners
    return bundle(
        member_b,
        [
            item(room, at(2, 18), at(2, 22)),
            item(projector, at(2, 18), at(2, 22)),
            item(technician, at(2, 19), at(2, 21)),
        ],
        org_b,
    )


def parts(request):
    return list(request.items.order_by("pk"))


def test_three_owners_each_decide_their_own_part(concert, manager_a, manager_b, technician_holder):
    room_part, projector_part, technician_part = parts(concert)

    services.booking_approve(actor=manager_a, booking=room_part)
    assert [part.status for part in parts(concert)] == ["confirmed", "requested", "requested"]
    state = bundles.booking_request_state(concert)
    assert (state.code, state.waiting, state.label) == ("waiting", 2, "Waiting for 2 decisions")

    services.booking_decline(actor=manager_b, booking=projector_part, comment="Beamer in Reparatur")
    services.booking_approve(actor=technician_holder, booking=technician_part)

    assert [part.status for part in parts(concert)] == ["confirmed", "declined", "confirmed"]
    state = bundles.booking_request_state(concert)
    assert state.code == RequestStateCode.PARTLY_DECLINED
    assert state.label == "Partly declined: 1 of 3 parts declined or expired"


def test_an_owner_cannot_decide_another_owners_part(concert, manager_a, manager_b):
    room_part, projector_part, _technician_part = parts(concert)

    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=manager_a, booking=projector_part)
    with pytest.raises(PermissionDenied):
        services.booking_decline(actor=manager_b, booking=room_part, comment="nein")
    assert [part.status for part in parts(concert)] == ["requested"] * 3


def test_a_request_declined_everywhere_is_declined(concert, manager_a, manager_b, manager_c):
    for part, manager in zip(parts(concert), [manager_a, manager_b, manager_c], strict=True):
        services.booking_decline(actor=manager, booking=part, comment="belegt")
    state = bundles.booking_request_state(concert, now=NOW)
    assert (state.code, state.label, state.can_cancel) == (RequestStateCode.DECLINED, "Declined", False)


def test_a_partly_cancelled_request(member_a, org_a, room, beamers):
    request = bundle(member_a, [item(room, at(2, 18), at(2, 20)), item(beamers, at(2, 18), at(2, 20))], org_a)
    services.booking_cancel(actor=member_a, booking=request.items.get(resource=beamers), now=NOW)

    state = bundles.booking_request_state(request, now=NOW)
    assert (state.code, state.label, state.cancellable) == (
        RequestStateCode.PARTLY_CANCELLED,
        "Partly cancelled",
        1,
    )


# --- Cancelling the whole request -----------------------------------------------------------------------


def test_the_borrower_cancels_every_open_part_at_once(concert, member_b, manager_b):
    projector_part = parts(concert)[1]
    services.booking_decline(actor=manager_b, booking=projector_part, comment="kaputt")

    bundles.booking_request_cancel(actor=member_b, request=concert, comment="Konzert fällt aus", now=NOW)

    assert [part.status for part in parts(concert)] == ["cancelled", "declined", "cancelled"]
    assert parts(concert)[0].transitions.last().comment == "Konzert fällt aus"
    # Nothing is held any more and the borrower called it off: cancelled.
    assert bundles.booking_request_state(concert).code == RequestStateCode.CANCELLED
    assert not bundles.booking_request_state(concert, now=NOW).can_cancel


def test_another_member_of_the_borrowing_organisation_may_cancel(concert, org_b):
    colleague = MembershipFactory(organisation=org_b).user
    bundles.booking_request_cancel(actor=colleague, request=concert, now=NOW)
    assert bundles.booking_request_state(concert).code == RequestStateCode.CANCELLED


@pytest.mark.parametrize("persona", ["manager_a", "coordinator", "outsider", "member_a"])
def test_others_cannot_cancel_the_request_and_nothing_changes(request, concert, persona):
    with pytest.raises(PermissionDenied):
        bundles.booking_request_cancel(actor=request.getfixturevalue(persona), request=concert, now=NOW)
    assert [part.status for part in parts(concert)] == ["requested"] * 3


def test_nothing_left_to_cancel_is_refused(concert, member_b):
    bundles.booking_request_cancel(actor=member_b, request=concert, now=NOW)
    with pytest.raises(ValidationError):
        bundles.booking_request_cancel(actor=member_b, request=concert, now=NOW)


def test_a_cancelled_bundle_frees_its_slots(concert, member_b, member_a, org_a, room):
    bundles.booking_request_cancel(actor=member_b, request=concert, now=NOW)
    assert bundle(member_a, [item(room, at(2, 18), at(2, 22))], org_a).items.count() == 1


# --- Who sees which request --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("member_b", True),  # made it
        ("manager_b", True),  # member of the borrowing organisation
        ("coordinator", True),
        ("manager_a", False),  # owns a part: sees that booking, not the request
        ("technician_holder", False),
        ("outsider", False),
    ],
)
def test_who_sees_a_request(request, concert, persona, sees):
    user = request.getfixturevalue(persona)
    assert bundles.booking_requests_visible_to(user).filter(pk=concert.pk).exists() is sees
    assert not bundles.booking_requests_visible_to(AnonymousUser()).exists()


def test_the_list_costs_the_same_few_queries_for_any_number_of_requests(
    django_assert_max_num_queries, member_a, org_a, room, beamers
):
    for day in range(2, 6):
        bundle(
            member_a, [item(room, at(day, 10), at(day, 12)), item(beamers, at(day, 10), at(day, 12))], org_a
        )

    with django_assert_max_num_queries(3):
        listed = list(bundles.booking_requests_list(user=member_a))
        states = [bundles.booking_request_state(request, list(request.items.all())) for request in listed]
        names = [part.resource.organisation.name for request in listed for part in request.items.all()]
    assert len(listed) == 4 and len(names) == 8
    assert {state.code for state in states} == {"confirmed"}


def test_resources_offered_for_a_bundle_follow_the_audience(member_a, outsider, org_a, org_b, room):
    own_only = ResourceFactory(organisation=org_a, audience="organisation", name="Büro A")
    other_only = ResourceFactory(organisation=org_b, audience="organisation", name="Büro B")
    public = ResourceFactory(organisation=org_b, audience="public", name="Bühne")
    ResourceFactory(organisation=org_a, is_active=False, name="Alt")

    assert set(bundles.bundle_resources_bookable_by(member_a)) == {room, own_only, public}
    assert set(bundles.bundle_resources_bookable_by(outsider)) == {public}
    assert other_only not in bundles.bundle_resources_bookable_by(member_a)
