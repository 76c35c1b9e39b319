"""The bundle pages: create (rows, prefill, per-row errors, conflicts), detail with every part's state,
cancelling the whole request."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buchungen import bundles, services
from buchungen.models import Booking, BookingRequest, BookingTransition
from tests.factories import BookingFactory, MembershipFactory, OrganisationFactory, ResourceFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
CREATE = reverse("buchungen:bundle_create")


def _day() -> date:
    return timezone.localdate() + timedelta(days=14)


DAY = _day()


def local(hour: int, day: date = DAY) -> str:
    return f"{day.isoformat()}T{hour:02d}:00"


def berlin(hour: int, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


@pytest.fixture
def room(org_a):
    return ResourceFactory(organisation=org_a, name="Saal Hafen", slug="saal-hafen")


@pytest.fixture
def projector(org_b):
    return ResourceFactory(
        organisation=org_b,
        kind="equipment",
        name="Beamer VHS",
        slug="beamer-vhs",
        capacity=None,
        quantity=2,
        requires_approval=True,
    )


@pytest.fixture
def technician(db):
    org_c = OrganisationFactory(name="Technikverein", slug="technik")
    holder = MembershipFactory(organisation=org_c).user
    return ResourceFactory(
        organisation=org_c,
        kind="skill",
        name="Tontechnik",
        capacity=None,
        holder=holder,
        requires_approval=True,
    )


def post_data(organisation, rows, total: int = 3, **more) -> dict:
    """The form as a browser sends it: ``total`` rows, the first ones filled with ``rows``."""
    data = {
        "organisation": organisation.pk if organisation else "",
        "purpose": more.pop("purpose", ""),
        "participants": more.pop("participants", ""),
        "items-TOTAL_FORMS": str(total),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "10",
    }
    for index in range(total):
        resource, start, end, quantity = rows[index] if index < len(rows) else ("", "", "", "1")
        data.update(
            {
                f"items-{index}-resource": getattr(resource, "pk", resource),
                f"items-{index}-start": start,
                f"items-{index}-end": end,
                f"items-{index}-quantity": str(quantity),
            }
        )
    return data


def nothing_written(before: int = 0) -> bool:
    return not BookingRequest.objects.exists() and Booking.objects.count() == before


# --- The form -------------------------------------------------------------------------------------------


def test_the_form_needs_a_login(client):
    response = client.get(CREATE)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_form_offers_three_rows_with_resources_grouped_by_kind(
    client, member_a, org_a, room, projector, technician
):
    inactive = ResourceFactory(organisation=org_a, name="Altbau", is_active=False)
    own_only_b = ResourceFactory(
        organisation=projector.organisation, name="Büro VHS", audience="organisation"
    )
    client.force_login(member_a)

    response = client.get(CREATE)

    assert response.status_code == 200
    html = response.content.decode()
    assert len(re.findall(r'name="items-\d-', html)) == 3 * 4  # resource, start, end, quantity per row
    select = re.search(r'<select name="items-0-resource".*?</select>', html, re.S).group(0)
    assert len(re.findall(r"<optgroup ", select)) == 3  # rooms, equipment, skills
    assert "Saal Hafen" in select and "Beamer VHS" in select and "Tontechnik" in select
    assert inactive.name not in select and own_only_b.name not in select
    assert 'type="datetime-local"' in html
    assert 'href="?zeilen=6"' in html


def test_more_rows_by_link_up_to_ten(client, member_a):
    client.force_login(member_a)
    assert client.get(CREATE, {"zeilen": 6}).content.decode().count('name="items-5-resource"') == 1
    html = client.get(CREATE, {"zeilen": 99}).content.decode()
    assert 'name="items-9-resource"' in html and 'name="items-10-resource"' not in html
    assert 'href="?zeilen=' not in html


def test_the_first_row_is_prefilled_from_the_link(client, member_a, room):
    client.force_login(member_a)
    response = client.get(CREATE, {"resource": room.pk, "start": local(18), "end": local(21)})
    html = response.content.decode()
    assert f'<option value="{room.pk}" selected>' in html
    assert f'value="{local(18)}"' in html and f'value="{local(21)}"' in html


# --- Sending it ------------------------------------------------------------------------------------------


def test_a_request_with_three_owners_is_booked_and_empty_rows_are_ignored(
    client, member_a, org_a, room, projector, technician
):
    client.force_login(member_a)
    data = post_data(
        org_a,
        [
            (room, local(18), local(22), 1),
            (projector, local(18), local(22), 2),
            (technician, local(19), local(21), 1),
        ],
        total=5,
        purpose="Konzert",
        participants="80",
    )

    response = client.post(CREATE, data)

    request = BookingRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("buchungen:bundle_detail", kwargs={"pk": request.pk})
    parts = list(request.items.order_by("pk"))
    assert [part.resource for part in parts] == [room, projector, technician]
    assert parts[0].start == berlin(18)
    assert parts[1].quantity == 2
    assert (request.purpose, request.participants, request.organisation) == ("Konzert", 80, org_a)


def test_a_rule_broken_by_one_row_is_shown_next_to_that_row_and_nothing_is_booked(
    client, member_a, org_a, room, projector
):
    client.force_login(member_a)
    data = post_data(org_a, [(room, local(18), local(20), 1), (projector, local(18), local(20), 5)])

    response = client.post(CREATE, data)

    assert response.status_code == 400
    html = response.content.decode()
    assert nothing_written()
    row_2 = html.split('id="row-2"')[1].split("</fieldset>")[0]
    assert "There are only 2 units." in row_2 or "Es gibt nur 2 Stück." in row_2
    assert 'aria-invalid="true"' in row_2
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_items-1-quantity"' in summary


def test_an_incomplete_row_is_an_error_of_that_row(client, member_a, org_a, room):
    client.force_login(member_a)
    data = post_data(org_a, [(room, local(18), local(20), 1), (room, "", "", 1)])

    response = client.post(CREATE, data)

    assert response.status_code == 400
    assert 'href="#id_items-1-start"' in response.content.decode()
    assert nothing_written()


def test_all_rows_empty_is_an_error(client, member_a, org_a):
    client.force_login(member_a)
    response = client.post(CREATE, post_data(org_a, []))
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert nothing_written()


def test_a_taken_row_is_409_and_says_what_is_taken_never_who(
    client, member_a, member_b, org_a, room, projector
):
    BookingFactory(resource=room, start=berlin(17), end=berlin(19), booked_by=member_b, purpose="Geheimprobe")
    client.force_login(member_a)

    response = client.post(
        CREATE, post_data(org_a, [(projector, local(18), local(20), 1), (room, local(18), local(20), 1)])
    )

    assert response.status_code == 409
    html = response.content.decode()
    row_2 = html.split('id="row-2"')[1].split("</fieldset>")[0]
    assert "17:00" in row_2 and "19:00" in row_2
    assert "17:00" not in html.split('id="row-1"')[1].split("</fieldset>")[0]
    assert member_b.name not in html and "Geheimprobe" not in html
    assert 'href="#row-2"' in html
    assert nothing_written(before=1)


def test_a_member_cannot_book_for_another_organisation(client, member_b, org_a, room):
    client.force_login(member_b)
    response = client.post(CREATE, post_data(org_a, [(room, local(18), local(20), 1)]))
    assert response.status_code == 400  # org A is not among the choices
    assert nothing_written()


# --- The request's page ----------------------------------------------------------------------------------


@pytest.fixture
def concert(member_a, org_a, room, projector, technician):
    return bundles.booking_request_bundle(
        actor=member_a,
        organisation=org_a,
        purpose="Konzert",
        items=[
            {"resource": room, "start": berlin(18), "end": berlin(22)},
            {"resource": projector, "start": berlin(18), "end": berlin(22)},
            {"resource": technician, "start": berlin(19), "end": berlin(21)},
        ],
    )


def detail(request):
    return reverse("buchungen:bundle_detail", kwargs={"pk": request.pk})


def test_the_detail_shows_every_part_with_owner_time_status_and_the_overall_state(
    client, member_a, concert, manager_b
):
    services.booking_decline(
        actor=manager_b, booking=concert.items.get(resource__kind="equipment"), comment="kaputt"
    )
    client.force_login(member_a)

    response = client.get(detail(concert))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="partly_declined"' in html
    for part in concert.items.select_related("resource__organisation"):
        assert part.resource.name in html
        assert part.resource.organisation.name in html
        assert f'data-status="{part.status}"' in html
    assert "18:00" in html and "22:00" in html
    assert reverse("buchungen:bundle_cancel", kwargs={"pk": concert.pk}) in html


def test_the_detail_costs_the_same_queries_for_any_number_of_parts(client, member_a, org_a, org_b):
    client.force_login(member_a)
    resources = [ResourceFactory(organisation=org_b, kind="equipment", capacity=None) for _ in range(6)]
    counts = []
    for size in (1, 6):
        request = bundles.booking_request_bundle(
            actor=member_a,
            organisation=org_a,
            items=[{"resource": r, "start": berlin(10), "end": berlin(12)} for r in resources[:size]],
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(request)).status_code == 200
        counts.append(len(queries))
        Booking.objects.filter(request=request).update(status="cancelled")
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("persona", "status"), [("manager_b", 404), ("outsider", 404), ("coordinator", 200), ("member_a", 200)]
)
def test_who_sees_the_request_page(request, client, concert, persona, status):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(detail(concert))
    assert response.status_code == status
    if persona == "coordinator":
        assert reverse("buchungen:bundle_cancel", kwargs={"pk": concert.pk}) not in response.content.decode()


# --- Cancelling ------------------------------------------------------------------------------------------


def cancel_url(request):
    return reverse("buchungen:bundle_cancel", kwargs={"pk": request.pk})


def test_cancelling_needs_the_confirmation(client, member_a, concert):
    client.force_login(member_a)
    response = client.post(cancel_url(concert), {"comment": "fällt aus"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Booking.objects.filter(status="cancelled").exists()


def test_the_borrower_cancels_the_whole_request(client, member_a, concert):
    client.force_login(member_a)
    response = client.post(cancel_url(concert), {"confirm": "on", "comment": "fällt aus"})
    assert response.status_code == 302
    assert set(concert.items.values_list("status", flat=True)) == {"cancelled"}
    assert BookingTransition.objects.filter(to_status="cancelled", comment="fällt aus").count() == 3
    page = client.get(detail(concert)).content.decode()
    assert 'data-state="cancelled"' in page
    assert cancel_url(concert) not in page


def test_cancel_is_post_only_and_scoped(client, member_a, manager_b, coordinator, concert):
    client.force_login(member_a)
    assert client.get(cancel_url(concert)).status_code == 405
    client.force_login(manager_b)
    assert client.post(cancel_url(concert), {"confirm": "on"}).status_code == 404
    client.force_login(coordinator)
    assert client.post(cancel_url(concert), {"confirm": "on"}).status_code == 403
    assert not Booking.objects.filter(status="cancelled").exists()
