"""The coordinator's figures (buchungen.reports) on a small data set computed by hand.

March 2026 in Berlin has 743 true hours (the clock skips 02:00–03:00 on Sunday 29 March).

* Saal Hafen (A, room, no opening hours, closed 24 h on 10 March): bookable 719 h; counted bookings
  2 h (DST night 01:00–04:00 on 29 March, B) + 2 h (Monday 2 March 10–12, A) + 2 h (28 Feb 22:00 – 1 March
  02:00, a private person, clipped) + 1 h (31 March 23:00 – 1 April 01:00, B, no-show, clipped) = 7 h.
* Beamer (A, 3 units): bookable 3 × 743 = 2229 unit-hours; 2 units × 3 h (Tuesday 3 March 14–17, B) = 6.
* Kursraum (B, room, open Mondays 9–17): five Mondays × 8 h = 40 h, no booking: idle.
* Not counted: a cancelled (once confirmed), a cancelled request, a declined, a requested and an expired
  booking in March, and a confirmed one in April.
* Lending flows: only Hafenstraße → VHS (3 bookings, 2 + 6 + 1 = 9 h); Hafenstraße's own use of its hall
  (1 booking, 2 h) and the private person (1 booking, 2 h) are reported apart.
* Reach: participants 10 (DST night) + 5 (own use) = 15 — the no-show's 7 reached nobody; borrowing
  organisations: the VHS only (Hafenstraße using its own hall does not borrow, the private person is none).
"""

from datetime import time, timedelta

import pytest

from buchungen import reports
from buchungen.models import Booking, BookingTransition
from ressourcen.models import Closure
from tests.buchungen.conftest import at
from tests.factories import BookingFactory, OpeningHoursFactory, ResourceFactory

MARCH = {"start": at(1, 0, month=3), "end": at(1, 0, month=4)}
HAFEN, VHS = "Soziokulturelles Zentrum Hafenstraße e.V.", "Volkshochschule im Landkreis Meißen e.V."


@pytest.fixture
def scene(org_a, org_b, room, beamers, member_a, member_b, outsider):
    kursraum = ResourceFactory(organisation=org_b, name="Kursraum", slug="kursraum")
    OpeningHoursFactory(resource=kursraum, weekday=0, start=time(9), end=time(17))
    ResourceFactory(organisation=org_a, name="Alte Bühne", slug="alte-buehne", is_active=False)
    Closure.objects.create(
        organisation=org_a, resource=room, start=at(10, 0, month=3), end=at(11, 0, month=3), reason="Putz"
    )

    def booking(resource, start, end, *, status="confirmed", organisation=org_b, by=member_b, **kwargs):
        return BookingFactory(
            resource=resource,
            start=start,
            end=end,
            status=status,
            organisation=organisation,
            booked_by=by,
            **kwargs,
        )

    counted = [
        booking(room, at(29, 1, month=3), at(29, 4, month=3), participants=10),
        booking(
            room,
            at(2, 10, month=3),
            at(2, 12, month=3),
            status="completed",
            organisation=org_a,
            by=member_a,
            participants=5,
        ),
        booking(beamers, at(3, 14, month=3), at(3, 17, month=3), status="returned", quantity=2),
        booking(room, at(28, 22, month=2), at(1, 2, month=3), organisation=None, by=outsider),
        booking(room, at(31, 23, month=3), at(1, 1, month=4), status="no_show", participants=7),
    ]
    once_confirmed = booking(room, at(20, 8, month=3), at(20, 10, month=3), status="cancelled")
    BookingTransition.objects.create(booking=once_confirmed, from_status="requested", to_status="confirmed")
    booking(room, at(20, 10, month=3), at(20, 12, month=3), status="cancelled")
    booking(room, at(20, 12, month=3), at(20, 14, month=3), status="declined")
    booking(room, at(20, 14, month=3), at(20, 16, month=3), status="requested")
    booking(room, at(20, 16, month=3), at(20, 18, month=3), status="expired")
    booking(room, at(2, 10, month=4), at(2, 12, month=4))
    return counted


def test_utilisation_by_resource(scene):
    rows = reports.utilisation(**MARCH)
    assert rows == [
        {"key": "beamer", "name": "Beamer", "booked_hours": 6.0, "bookable_hours": 2229.0,
         "occupancy": round(6 / 2229, 4)},
        {"key": "kursraum", "name": "Kursraum", "booked_hours": 0.0, "bookable_hours": 40.0,
         "occupancy": 0.0},
        {"key": "saal-hafen", "name": "Saal Hafen", "booked_hours": 7.0, "bookable_hours": 719.0,
         "occupancy": round(7 / 719, 4)},
    ]  # fmt: skip


def test_utilisation_by_organisation_and_kind(scene):
    by_organisation = reports.utilisation(**MARCH, group_by="organisation")
    assert [(r["key"], r["booked_hours"], r["bookable_hours"]) for r in by_organisation] == [
        ("hafenstrasse", 13.0, 2948.0),
        ("vhs", 0.0, 40.0),
    ]
    by_kind = reports.utilisation(**MARCH, group_by="kind")
    assert [(r["key"], r["booked_hours"], r["bookable_hours"]) for r in by_kind] == [
        ("equipment", 6.0, 2229.0),
        ("room", 7.0, 759.0),
    ]
    with pytest.raises(ValueError):
        reports.utilisation(**MARCH, group_by="colour")


def test_utilisation_filtered_by_kind(scene):
    assert [r["key"] for r in reports.utilisation(**MARCH, kind="equipment")] == ["beamer"]
    by_organisation = reports.utilisation(**MARCH, group_by="organisation", kind="room")
    assert [(r["key"], r["booked_hours"], r["bookable_hours"]) for r in by_organisation] == [
        ("hafenstrasse", 7.0, 719.0),  # the hall alone, not the projectors
        ("vhs", 0.0, 40.0),
    ]
    assert reports.utilisation(**MARCH, kind="skill") == []
    with pytest.raises(ValueError):
        reports.utilisation(**MARCH, kind="vehicle")


def test_reach_does_not_count_no_shows_or_own_use(org_a, org_b, room, member_b):
    """Hand-computed: 12 + 30 participants reached; the no-show's 50 did not come; the VHS borrowed
    twice, Hafenstraße used its own hall (not borrowing), a private person booked once."""
    BookingFactory(resource=room, organisation=org_b, start=at(2, 10), participants=12)
    BookingFactory(resource=room, organisation=org_b, start=at(3, 10), participants=50, status="no_show")
    BookingFactory(resource=room, organisation=org_a, start=at(4, 10), participants=30, status="completed")
    BookingFactory(resource=room, organisation=None, booked_by=member_b, start=at(5, 10), participants=None)
    june = {"start": at(1, 0), "end": at(1, 0, month=7)}
    assert reports.reach(**june) == {"participants": 42, "borrowing_organisations": 1, "bookings": 4}
    assert reports.reach(**june, organisation=org_b)["bookings"] == 0  # owns nothing that was booked


# Autumn 2025: Sunday 26 October has 25 hours (02:00–03:00 comes twice); spring 2026: Sunday 29 March
# has 23 (02:00–03:00 is skipped). The "Nachtcafé" opens Sundays 01:00–04:00 — across both changes.
OCTOBER_2025 = {"start": at(1, 0, month=10, year=2025), "end": at(1, 0, month=11, year=2025)}


def test_bookable_hours_and_occupancy_across_the_autumn_change(org_a, room, beamers):
    night = ResourceFactory(organisation=org_a, name="Nachtcafé", slug="nachtcafe")
    OpeningHoursFactory(resource=night, weekday=6, start=time(1), end=time(4))
    # 26 October 01:00 CEST – 04:00 CET: four true hours, the whole opening that night.
    BookingFactory(resource=night, start=at(26, 1, month=10, year=2025), end=at(26, 4, month=10, year=2025))
    BookingFactory(
        resource=beamers,
        quantity=2,
        start=at(25, 23, month=10, year=2025),
        end=at(26, 3, month=10, year=2025),
    )
    rows = {row["key"]: row for row in reports.utilisation(**OCTOBER_2025)}
    # Sundays 5, 12, 19 October: 3 h each; 26 October: 4 h.
    assert rows["nachtcafe"]["bookable_hours"] == 13.0
    assert rows["nachtcafe"]["booked_hours"] == 4.0
    assert rows["nachtcafe"]["occupancy"] == round(4 / 13, 4)
    # Open around the clock: 31 × 24 + 1 hours; equipment × 3 units.
    assert rows["saal-hafen"]["bookable_hours"] == 745.0
    assert rows["beamer"]["bookable_hours"] == 3 * 745.0
    # 25 Oct 23:00 CEST – 26 Oct 03:00 CET is 5 true hours, × 2 projectors.
    assert rows["beamer"]["booked_hours"] == 10.0
    (kind_room,) = reports.utilisation(**OCTOBER_2025, group_by="kind", kind="room")
    assert (kind_room["booked_hours"], kind_room["bookable_hours"]) == (4.0, 745.0 + 13.0)


def test_bookable_hours_across_the_spring_change(org_a):
    night = ResourceFactory(organisation=org_a, name="Nachtcafé", slug="nachtcafe")
    OpeningHoursFactory(resource=night, weekday=6, start=time(1), end=time(4))
    BookingFactory(resource=night, start=at(29, 1, month=3), end=at(29, 4, month=3))
    (row,) = reports.utilisation(**MARCH)
    # Sundays 1, 8, 15, 22 March: 3 h each; 29 March: 2 h (02:00–03:00 never happened).
    assert (row["bookable_hours"], row["booked_hours"], row["occupancy"]) == (14.0, 2.0, round(2 / 14, 4))


def test_closure_reduces_bookable_hours(org_a, room):
    week = {"start": at(1, 0), "end": at(8, 0)}
    assert reports.utilisation(**week)[0]["bookable_hours"] == 168.0
    Closure.objects.create(organisation=org_a, start=at(2, 9), end=at(2, 14), reason="Betriebsausflug")
    assert reports.utilisation(**week)[0]["bookable_hours"] == 163.0


def test_zero_bookable_gives_no_occupancy(org_a, room):
    Closure.objects.create(organisation=org_a, start=at(1, 0), end=at(2, 0), reason="zu")
    (row,) = reports.utilisation(start=at(1, 0), end=at(2, 0))
    assert row["bookable_hours"] == 0.0 and row["occupancy"] is None


def test_idle_resources(scene):
    assert reports.idle_resources(**MARCH) == [
        {
            "key": "kursraum",
            "name": "Kursraum",
            "organisation_name": VHS,
            "kind": "room",
            "bookable_hours": 40.0,
        }
    ]


def test_lending_flows_are_between_organisations(scene):
    assert reports.lending_flows(**MARCH) == [
        {"owner": "hafenstrasse", "owner_name": HAFEN, "borrower": "vhs", "borrower_name": VHS,
         "bookings": 3, "hours": 9.0},
    ]  # fmt: skip


def test_own_use_and_private_persons_are_reported_apart(scene, org_a, org_b):
    expected = [
        {"owner": "hafenstrasse", "owner_name": HAFEN, "own_bookings": 1, "own_hours": 2.0,
         "private_bookings": 1, "private_hours": 2.0},
    ]  # fmt: skip
    assert reports.own_and_private_use(**MARCH) == expected
    assert reports.own_and_private_use(**MARCH, organisation=org_a) == expected
    assert reports.own_and_private_use(**MARCH, organisation=org_b) == []  # VHS only borrows
    assert reports.flows_and_own_use(**MARCH) == (reports.lending_flows(**MARCH), expected)


def test_busiest_times_split_per_hour_across_the_spring_change(scene):
    grid = reports.busiest_times(**MARCH)
    assert len(grid) == 7 and all(len(day) == 24 for day in grid)
    assert grid[6][0] == 1.0  # Sunday 1 March 00–01 (clipped private booking)
    assert grid[6][1] == 2.0  # its 01–02 and the DST night's 01–02
    assert grid[6][2] == 0.0  # 29 March 02:00–03:00 never happened
    assert grid[6][3] == 1.0
    assert grid[0][10] == grid[0][11] == 1.0
    assert grid[1][14] == grid[1][15] == grid[1][16] == 2.0  # two projectors
    assert grid[1][23] == 1.0  # the no-show, clipped at midnight
    assert sum(map(sum, grid)) == 13.0


def test_busiest_times_autumn_change_counts_the_repeated_hour_twice(org_a, room):
    BookingFactory(resource=room, start=at(25, 1, month=10), end=at(25, 4, month=10))
    grid = reports.busiest_times(start=at(1, 0, month=10), end=at(1, 0, month=11))
    assert (grid[6][1], grid[6][2], grid[6][3]) == (1.0, 2.0, 1.0)
    assert sum(map(sum, grid)) == 4.0


def test_busiest_times_long_booking_in_a_period_starting_midweek(org_a, room):
    BookingFactory(resource=room, start=at(3, 12), end=at(17, 12))  # two weeks from a Wednesday noon
    grid = reports.busiest_times(start=at(5, 0), end=at(12, 0))  # Friday to Friday
    assert all(hours == 1.0 for day in grid for hours in day)


def test_decision_times(org_a, room, manager_a):
    created = at(10, 8, month=3)
    for waited, to_status in ((1, "confirmed"), (4, "declined"), (10, "confirmed")):
        booking = BookingFactory(resource=room, start=at(20, 8, month=3) + timedelta(hours=waited))
        Booking.objects.filter(pk=booking.pk).update(created=created)
        BookingTransition.objects.create(
            booking=booking,
            from_status="requested",
            to_status=to_status,
            actor=manager_a,
            at=created + timedelta(hours=waited),
        )
    assert reports.decision_times(**MARCH) == {"decided": 3, "median_hours": 4.0, "average_hours": 5.0}
    assert reports.decision_times(start=at(1, 0, month=4), end=at(1, 0, month=5))["median_hours"] is None


def test_rates_reach_and_trend(scene):
    assert reports.rates(**MARCH) == {
        "bookings": 5,
        "cancelled": 1,
        "no_show": 1,
        "cancellation_rate": round(1 / 6, 4),
        "no_show_rate": 0.2,
    }
    assert reports.reach(**MARCH) == {"participants": 15, "borrowing_organisations": 1, "bookings": 5}
    assert reports.monthly_trend(start=at(1, 0, month=2), end=at(1, 0, month=4)) == [
        {"month": "2026-02", "bookings": 1, "hours": 4.0},  # the private booking, 28 Feb 22:00 – 02:00
        {"month": "2026-03", "bookings": 4, "hours": 11.0},
    ]
    assert reports.monthly_trend(**MARCH) == [{"month": "2026-03", "bookings": 5, "hours": 13.0}]


def test_organisation_scope(scene, org_b):
    assert [r["key"] for r in reports.utilisation(**MARCH, organisation=org_b)] == ["kursraum"]
    assert [(r["owner"], r["borrower"]) for r in reports.lending_flows(**MARCH, organisation=org_b)] == [
        ("hafenstrasse", "vhs")
    ]
    assert sum(map(sum, reports.busiest_times(**MARCH, organisation=org_b))) == 0.0
    assert reports.reach(**MARCH, organisation=org_b)["bookings"] == 0
    assert reports.rates(**MARCH, organisation=org_b)["cancellation_rate"] is None


def test_report_has_every_figure(scene):
    result = reports.report(**MARCH)
    assert set(result) == {
        "utilisation_by_resource",
        "utilisation_by_organisation",
        "utilisation_by_kind",
        "lending_flows",
        "own_and_private_use",
        "idle",
        "busiest",
        "decision_times",
        "rates",
        "reach",
        "trend",
    }
    assert result["utilisation_by_resource"] == reports.utilisation(**MARCH)
    assert result["busiest"] == reports.busiest_times(**MARCH)
    assert result["lending_flows"] == reports.lending_flows(**MARCH)
    assert result["own_and_private_use"] == reports.own_and_private_use(**MARCH)
    assert result["reach"] == reports.reach(**MARCH)


@pytest.mark.parametrize("extra", [0, 29])
def test_report_query_count_is_constant(org_a, org_b, room, beamers, django_assert_max_num_queries, extra):
    BookingFactory(resource=room, start=at(2, 10, month=3), end=at(2, 12, month=3))
    for day in range(extra):
        BookingFactory(resource=beamers, organisation=org_b, start=at(1 + day, 9, month=3), quantity=2)
    with django_assert_max_num_queries(12):
        result = reports.report(**MARCH)
    assert result["reach"]["bookings"] == 1 + extra


def test_naive_or_empty_period_is_refused(db):
    with pytest.raises(ValueError):
        reports.report(start=at(2, 0).replace(tzinfo=None), end=at(3, 0).replace(tzinfo=None))
    with pytest.raises(ValueError):
        reports.report(start=at(2, 0), end=at(2, 0))


@pytest.mark.parametrize(
    ("persona", "organisation", "allowed"),
    [
        ("coordinator", None, True),
        ("coordinator", "org_b", True),
        ("manager_a", None, True),
        ("manager_a", "org_a", True),
        ("manager_a", "org_b", False),
        ("member_a", None, False),
        ("member_a", "org_a", False),
        ("outsider", None, False),
    ],
)
def test_view_reports_permission(request, persona, organisation, allowed):
    user = request.getfixturevalue(persona)
    obj = request.getfixturevalue(organisation) if organisation else None
    assert user.has_perm("buchungen.view_reports", obj) is allowed


def test_anonymous_may_not_view_reports(db, org_a):
    from django.contrib.auth.models import AnonymousUser

    assert not AnonymousUser().has_perm("buchungen.view_reports")
    assert not AnonymousUser().has_perm("buchungen.view_reports", org_a)
