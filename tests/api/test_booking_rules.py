"""Every booking rule, accepted and rejected, through the service and through the API.

One table: each rule sets up its policy, names a request that just passes and one that just fails, and
where the failure shows (a field of a 400, or 409 for a conflict). Both channels run each case; a
rejected request writes nothing, an accepted one writes exactly one booking with its first step.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen import services
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingTransition
from ressourcen.models import Closure
from tests.factories import OpeningHoursFactory, ResourceFactory

BERLIN = ZoneInfo("Europe/Berlin")
LIST_URL = "/api/v1/bookings/"

pytestmark = pytest.mark.django_db


def _tuesday(weeks_ahead: int = 2) -> date:
    day = timezone.localdate() + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(1 - day.weekday()) % 7)


DAY = _tuesday()


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@dataclass
class Case:
    """A request: Berlin start and end hours (as (h, m)), quantity, and who it is for."""

    start: tuple[int, int]
    end: tuple[int, int]
    quantity: int = 1
    day: date = DAY
    for_organisation: str = "own"  # "own" (the booker's), "none" (as a private person)


@dataclass
class Rule:
    name: str
    setup: dict = field(default_factory=dict)  # resource fields
    accepted: Case = field(default_factory=lambda: Case((18, 0), (20, 0)))
    rejected: Case = field(default_factory=lambda: Case((18, 0), (20, 0)))
    error: str = ""  # the field of the 400; "409" for a conflict; "403" for a refusal of the person
    equipment: bool = False
    borrower: str = "member_b"  # a member of the other organisation, unless the rule needs the owner's
    extra: str = ""  # a further arrangement: "opening_hours", "closure", "booked_before"


RULES = [
    Rule(
        "who may book: own organisation only",
        setup={"audience": "organisation"},
        borrower="member_a",
        accepted=Case((18, 0), (20, 0)),
        # A member of another organisation is refused (see the second case of the test below).
        rejected=Case((18, 0), (20, 0)),
        error="organisation",
    ),
    Rule(
        "who may book: a person without organisation only where public",
        setup={"audience": "public"},
        accepted=Case((18, 0), (20, 0), for_organisation="none"),
        rejected=Case((18, 0), (20, 0), for_organisation="none"),
        error="organisation",
    ),
    Rule(
        "opening hours",
        extra="opening_hours",
        accepted=Case((9, 0), (22, 0)),
        rejected=Case((8, 30), (10, 0)),
        error="start",
    ),
    Rule(
        "closures",
        extra="closure",
        accepted=Case((17, 0), (19, 0)),
        rejected=Case((17, 0), (19, 1)),
        error="start",
    ),
    Rule(
        "lead time",
        setup={"lead_time_hours": 24},
        accepted=Case((18, 0), (20, 0), day=timezone.localdate() + timedelta(days=2)),
        rejected=Case((18, 0), (20, 0), day=timezone.localdate()),
        error="start",
    ),
    Rule(
        "maximum advance",
        setup={"max_advance_days": 30},
        accepted=Case((18, 0), (20, 0), day=timezone.localdate() + timedelta(days=29)),
        rejected=Case((18, 0), (20, 0), day=timezone.localdate() + timedelta(days=31)),
        error="start",
    ),
    Rule(
        "minimum duration",
        setup={"min_duration_minutes": 60},
        accepted=Case((18, 0), (19, 0)),
        rejected=Case((18, 0), (18, 59)),
        error="end",
    ),
    Rule(
        "maximum duration",
        setup={"max_duration_minutes": 120},
        accepted=Case((18, 0), (20, 0)),
        rejected=Case((18, 0), (20, 1)),
        error="end",
    ),
    Rule(
        "buffers",
        setup={"buffer_before_minutes": 15, "buffer_after_minutes": 30},
        extra="booked_before",  # 14:00–16:00 is booked: blocked 13:45–16:30
        accepted=Case((16, 45), (18, 0)),  # its own blocked time starts 16:30
        rejected=Case((16, 40), (18, 0)),
        error="409",
    ),
    Rule(
        "quota",
        setup={"quota_hours_per_month": 4},
        extra="booked_before",  # 2 of the 4 hours are used (by the same organisation)
        accepted=Case((18, 0), (20, 0)),
        rejected=Case((18, 0), (20, 1)),
        error="organisation",
    ),
    Rule(
        "quantity within the stock",
        equipment=True,
        accepted=Case((18, 0), (20, 0), quantity=3),
        rejected=Case((18, 0), (20, 0), quantity=4),
        error="quantity",
    ),
    Rule(
        "units in use",
        equipment=True,
        extra="booked_before",  # 1 of 3 units out 14:00–16:00
        accepted=Case((15, 0), (17, 0), quantity=2),
        rejected=Case((15, 0), (17, 0), quantity=3),
        error="409",
    ),
]


@pytest.fixture
def arrange(request, org_a, org_b):
    """Build the resource of a rule and return (resource, borrower, organisation for "own")."""

    def build(rule: Rule):
        if rule.equipment:
            resource = ResourceFactory(
                organisation=org_a, kind="equipment", name="Mikrofon", capacity=None, quantity=3, **rule.setup
            )
        else:
            resource = ResourceFactory(organisation=org_a, name="Saal", **rule.setup)
        borrower = request.getfixturevalue(rule.borrower)
        organisation = org_a if rule.borrower.endswith("_a") else org_b
        if rule.extra == "opening_hours":
            OpeningHoursFactory(resource=resource, weekday=DAY.weekday(), start=time(9), end=time(22))
        elif rule.extra == "closure":
            Closure.objects.create(organisation=org_a, start=at(19, 0), end=at(23, 0), reason="Konzert")
        elif rule.extra == "booked_before":
            services.booking_request(
                actor=borrower, resource=resource, start=at(14), end=at(16), organisation=organisation
            )
        return resource, borrower, organisation

    return build


def _times(case: Case) -> tuple[datetime, datetime]:
    return at(*case.start, day=case.day), at(*case.end, day=case.day)


def _counts() -> tuple[int, int]:
    return Booking.objects.count(), BookingTransition.objects.count()


def _via_service(resource, borrower, organisation, case: Case):
    start, end = _times(case)
    return services.booking_request(
        actor=borrower,
        resource=resource,
        start=start,
        end=end,
        quantity=case.quantity,
        organisation=organisation if case.for_organisation == "own" else None,
    )


def _via_api(api_as, resource, borrower, organisation, case: Case):
    start, end = _times(case)
    data = {
        "resource": resource.pk,
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": end.strftime("%Y-%m-%dT%H:%M"),
        "quantity": case.quantity,
    }
    if case.for_organisation == "own":
        data["organisation"] = organisation.pk
    return api_as(borrower).post(LIST_URL, data, format="json")


def _rejected_borrower(rule: Rule, request, resource, borrower, organisation):
    """Who makes the rejected request: for the audience rules somebody else than the accepted one."""
    if rule.name.startswith("who may book: own"):
        return request.getfixturevalue("member_b"), request.getfixturevalue("org_b")
    if rule.name.startswith("who may book: a person"):
        resource.audience = "network"
        resource.save()
    return borrower, organisation


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_accepted_through_the_service(rule, arrange):
    resource, borrower, organisation = arrange(rule)
    before = _counts()
    booking = _via_service(resource, borrower, organisation, rule.accepted)
    assert booking.pk is not None
    assert _counts() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_accepted_through_the_api(rule, arrange, api_as):
    resource, borrower, organisation = arrange(rule)
    before = _counts()
    response = _via_api(api_as, resource, borrower, organisation, rule.accepted)
    assert response.status_code == 201, response.content
    assert _counts() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_rejected_through_the_service_writes_nothing(rule, arrange, request):
    resource, borrower, organisation = arrange(rule)
    borrower, organisation = _rejected_borrower(rule, request, resource, borrower, organisation)
    before = _counts()
    expected = BookingConflict if rule.error == "409" else ValidationError
    with pytest.raises(expected) as raised:
        _via_service(resource, borrower, organisation, rule.rejected)
    if expected is ValidationError:
        assert set(raised.value.message_dict) == {rule.error}
    else:
        assert raised.value.conflicts
    assert _counts() == before


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_rejected_through_the_api_writes_nothing(rule, arrange, request, api_as):
    resource, borrower, organisation = arrange(rule)
    borrower, organisation = _rejected_borrower(rule, request, resource, borrower, organisation)
    before = _counts()
    response = _via_api(api_as, resource, borrower, organisation, rule.rejected)
    if rule.error == "409":
        assert response.status_code == 409, response.content
        assert response.json()["conflicts"]
    else:
        assert response.status_code == 400, response.content
        assert set(response.json()) == {rule.error}
    assert _counts() == before


def test_booking_for_an_organisation_one_is_not_a_member_of(org_a, org_b, member_b, api_as):
    """Membership: a person books only for their own organisations (403, nothing written)."""
    resource = ResourceFactory(organisation=org_a, name="Saal")
    start, end = at(18), at(20)
    with pytest.raises(PermissionDenied):
        services.booking_request(actor=member_b, resource=resource, start=start, end=end, organisation=org_a)
    response = api_as(member_b).post(
        LIST_URL,
        {
            "resource": resource.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "organisation": org_a.pk,
        },
        format="json",
    )
    assert response.status_code == 403
    assert _counts() == (0, 0)
