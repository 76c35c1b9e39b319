"""The fixture world both walks run in: organisation A lends to a third organisation, C, whose member
Zacharias Geheimbucher books A's resources in every state, in a series, a bundle and on the waitlist.

The borrower is in a third organisation on purpose: so the "manager of another organisation" persona
(``manager_b``) is not a party to any booking in the walk, and whatever of the borrower reaches them is
a leak. Organisation B's member has one booking of their own (the slot the borrower waits for).

Everything is written through the services (as pages and the API would), on the real clock: the
views compare with ``timezone.now()``. ``text(label)`` supplies every free text the services take —
plain German for the access walk, planted markup for the escaping test.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from PIL import Image
from rest_framework.authtoken.models import Token

from buchungen import bundles, feeds, series, services, waitlist
from buchungen.models import Booking, BookingStatus, Notification
from konten import services as konten_services
from konten.models import Membership
from ressourcen import services as ressourcen_services
from ressourcen.models import Resource
from tests.factories import (
    BookingFactory,
    MembershipFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    ResourceFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")

# The borrower whose identity must not reach those who may not see who booked (docs/permissions.md).
BORROWER_NAME = "Zacharias Geheimbucher"
BORROWER_EMAIL = "zacharias.geheimbucher@example.org"
BORROWER_ORGANISATION = "Geheimzirkel Zwickau e.V."

ROLES = ("visitor", "member", "other_manager", "manager", "coordinator")


@dataclass
class World:
    """The objects of the walk, by name; ``persona`` maps a role of the walk table to its user."""

    objects: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    persona: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)  # placeholders of routes.QUERY

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("foto.png", buffer.getvalue(), content_type="image/png")


def _at(day: datetime, hour: int) -> datetime:
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def plain_text(label: str) -> str:
    return f"Walk {label}"


def build_world(
    *, org_a, org_b, manager_a, member_a, manager_b, member_b, coordinator, text: Callable[[str], str]
) -> World:
    """Create the world (needs database access) and return it. ``text(label)``: the free texts."""
    w = World()
    now = timezone.now()
    # A week ahead at local midnight; every booking below lies at a different day or hour.
    week = (now.astimezone(BERLIN) + timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)
    soon = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)

    w.query = {
        "from": (now - timedelta(days=30)).date().isoformat(),
        "to": (now + timedelta(days=60)).date().isoformat(),
        "start": week.strftime("%Y-%m-%dT%H:%M"),
        "end": (week + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "week": "{}-W{:02d}".format(*week.isocalendar()[:2]),
        "month": week.strftime("%Y-%m"),
    }
    org_c = OrganisationFactory(name=BORROWER_ORGANISATION, slug="geheimzirkel")
    borrower = MembershipFactory(
        organisation=org_c, user__email=BORROWER_EMAIL, user__name=BORROWER_NAME
    ).user
    MembershipFactory(organisation=org_c, role=Membership.Role.MANAGER)
    holder = MembershipFactory(organisation=org_a, user__name="Hanna Halterin").user
    w.objects.update(
        org_a=org_a,
        org_b=org_b,
        org_c=org_c,
        borrower=borrower,
        holder=holder,
        manager_a=manager_a,
        member_a=member_a,
        manager_b=manager_b,
        member_b=member_b,
        coordinator=coordinator,
    )
    w.persona = {
        "visitor": None,
        "member": member_a,
        "other_manager": manager_b,
        "manager": manager_a,
        "coordinator": coordinator,
    }

    # --- Organisation A's resources: each kind, approval, inactive, own organisation only, public ---
    room = ResourceFactory(
        organisation=org_a,
        name="Saal Hafen",
        slug="saal-hafen",
        requires_approval=True,
        description=text("room description"),
    )
    room2 = ResourceFactory(organisation=org_a, name="Probenraum", slug="probenraum")
    beamer = ResourceFactory(
        organisation=org_a,
        kind=Resource.Kind.EQUIPMENT,
        name="Beamer",
        slug="beamer",
        capacity=None,
        quantity=3,
        deposit_note=text("deposit"),
        pickup_place=text("pick-up"),
    )
    skill = ResourceFactory(
        organisation=org_a,
        kind=Resource.Kind.SKILL,
        name="Tontechnik",
        slug="tontechnik",
        capacity=None,
        holder=holder,
        languages="de, en",
    )
    hidden = ResourceFactory(organisation=org_a, name="Altes Lager", slug="altes-lager", is_active=False)
    own_only = ResourceFactory(
        organisation=org_a, name="Büro", slug="buero", audience=Resource.Audience.ORGANISATION
    )
    public = ResourceFactory(organisation=org_a, name="Hof", slug="hof", audience=Resource.Audience.PUBLIC)
    other_room = ResourceFactory(organisation=org_b, name="Kursraum", slug="kursraum")
    OpeningHoursFactory(resource=hidden)
    w.objects.update(
        room=room,
        room2=room2,
        beamer=beamer,
        skill=skill,
        hidden=hidden,
        own_only=own_only,
        public=public,
        other_room=other_room,
    )
    w.objects["photo"] = ressourcen_services.photo_add(
        actor=manager_a, resource=room, image=_png(), alt_text=text("photo alt")
    )
    w.objects["closure"] = ressourcen_services.closure_create(
        actor=manager_a,
        organisation=org_a,
        start=week + timedelta(days=60),
        end=week + timedelta(days=61),
        reason=text("closure org"),
    )
    w.objects["resource_closure"] = ressourcen_services.closure_create(
        actor=manager_a,
        organisation=org_a,
        resource=room,
        start=week + timedelta(days=62),
        end=week + timedelta(days=63),
        reason=text("closure room"),
    )

    # --- The borrower's bookings on A's room (approval required) in every state ---
    def request(resource, start, hours=2, actor=borrower, organisation=org_c, label="purpose"):
        return services.booking_request(
            actor=actor,
            resource=resource,
            start=start,
            end=start + timedelta(hours=hours),
            organisation=organisation,
            purpose=text(label),
            participants=12,
        )

    day = week
    w.objects["requested"] = request(room, _at(day, 10), label="purpose requested")
    confirmed = request(room, _at(day + timedelta(days=1), 10), label="purpose confirmed")
    w.objects["confirmed"] = services.booking_approve(
        actor=manager_a, booking=confirmed, comment=text("approve comment")
    )
    declined = request(room, _at(day + timedelta(days=2), 10), label="purpose declined")
    w.objects["declined"] = services.booking_decline(
        actor=manager_a, booking=declined, comment=text("decline reason")
    )
    cancelled = request(room, _at(day + timedelta(days=3), 10), label="purpose cancelled")
    w.objects["cancelled"] = services.booking_cancel(
        actor=borrower, booking=cancelled, comment=text("cancel comment")
    )
    # On the projectors, starting soon: one to hand over, one handed over, one returned.
    w.objects["handover_due"] = request(beamer, soon, label="purpose handover due")
    checked_out = request(beamer, soon + timedelta(hours=3), label="purpose checked out")
    w.objects["checked_out"] = services.booking_check_out(
        actor=manager_a,
        booking=checked_out,
        comment=text("check-out comment"),
        handed_over_to=text("handed over to"),
    )
    returned = services.booking_check_out(
        actor=manager_a,
        booking=request(beamer, soon + timedelta(hours=6), label="purpose returned"),
    )
    w.objects["returned"] = services.booking_return(
        actor=manager_a,
        booking=returned,
        comment=text("return comment"),
        damage_report=text("damage report"),
    )
    # Started an hour ago and nobody came yet (written directly: the service refuses the past).
    w.objects["started"] = BookingFactory(
        resource=room2,
        organisation=org_c,
        booked_by=borrower,
        start=now - timedelta(hours=1),
        purpose=text("purpose started"),
    )
    w.objects["skill_booking"] = request(skill, _at(day + timedelta(days=4), 14), label="purpose skill")
    w.objects["public_booking"] = request(public, _at(day + timedelta(days=4), 10), label="purpose public")

    # A weekly series, a bundle (room 2 and a projector) and a place on the waitlist.
    w.objects["series"], _occurrences = series.booking_series_create(
        actor=borrower,
        resource=room2,
        start=_at(day + timedelta(days=7), 18),
        end=_at(day + timedelta(days=7), 20),
        rrule="FREQ=WEEKLY;COUNT=3",
        organisation=org_c,
        purpose=text("series purpose"),
    )
    bundle_day = day + timedelta(days=30)
    w.objects["bundle"] = bundles.booking_request_bundle(
        actor=borrower,
        organisation=org_c,
        purpose=text("bundle purpose"),
        items=[
            {"resource": room2, "start": _at(bundle_day, 9), "end": _at(bundle_day, 12)},
            {"resource": beamer, "start": _at(bundle_day, 9), "end": _at(bundle_day, 12)},
        ],
    )
    # Organisation B's member holds the room on day 5; the borrower waits for that slot.
    taken = _at(day + timedelta(days=5), 10)
    w.objects["b_booking"] = request(room, taken, actor=member_b, organisation=org_b, label="purpose of B")
    w.objects["waitlist_entry"] = waitlist.waitlist_join(
        actor=borrower,
        resource=room,
        start=taken,
        end=taken + timedelta(hours=2),
        organisation=org_c,
        purpose=text("waitlist purpose"),
    )

    # A notification of A's manager about the borrower's request; an invitation; a calendar feed.
    w.objects["notification"] = Notification.objects.filter(
        recipient=manager_a, booking=w.objects["requested"]
    ).first()
    invitation, w.tokens["invitation"] = konten_services.invitation_create(
        actor=manager_a, organisation=org_a, email="neu@example.org"
    )
    w.objects["invitation"] = invitation
    w.tokens["feed"] = feeds.feed_issue(actor=borrower)
    w.objects["membership"] = Membership.objects.get(user=member_a, organisation=org_a)
    w.objects["feedback"] = konten_services.feedback_submit(
        name=text("feedback name"),
        email="leser@example.org",
        page=text("feedback page"),
        message=text("feedback message"),
    )
    # One row for each of the admin's remaining models, so their change pages can be walked too.
    Group.objects.create(name=text("group"))
    Token.objects.get_or_create(user=manager_a)
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude="51.16", longitude="13.47")
    ClockedSchedule.objects.create(clocked_time=now + timedelta(days=1))
    PeriodicTask.objects.create(name=text("periodic task"), task="buchungen.tasks.sweep", interval=interval)
    assert w.notification is not None, "the borrower's request must notify A's manager"
    assert Booking.objects.filter(status=BookingStatus.REQUESTED).exists()
    return w
