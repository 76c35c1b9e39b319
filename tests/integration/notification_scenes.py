"""Scenes for the real-parts notification tests and the benchmark, run INSIDE a child process.

The test process talks to its own pytest database; the worker, beat and the "web" process of the
real-parts tests share a dedicated PostgreSQL database instead. These functions set the scene there:
``manage.py shell -c "from tests.integration.notification_scenes import …; …"`` with the real
settings (config.settings) and the dedicated DATABASE_URL. Each prints one JSON line after ``SCENE:``.
"""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from buchungen import notifications
from buchungen.models import NotificationKind
from tests.factories import (
    BookingFactory,
    MembershipFactory,
    OrganisationFactory,
    ResourceFactory,
)

MARK = "SCENE:"


def _emit(value) -> None:
    print(MARK + json.dumps(value), flush=True)


def _people(prefix: str, count: int, *, language: str = "de") -> list:
    """``count`` active accounts in one INSERT (no password: hashing one with the production hasher
    takes a noticeable fraction of a second each)."""
    from konten.models import User

    people = [
        User(email=f"{prefix}-{number:04d}@example.org", name=f"Person {number}", language=language)
        for number in range(count)
    ]
    for person in people:
        person.set_unusable_password()
    return User.objects.bulk_create(people)


def notified_bookings(prefix: str, count: int, *, kind: str = NotificationKind.CONFIRMED) -> None:
    """``count`` bookings, each by a person of its own, and one notification ``kind`` to each booker,
    written as the services do (``notify`` inside the transaction, queued after the commit)."""
    owner = OrganisationFactory(name=f"Verleih {prefix}", slug=f"verleih-{prefix}")
    stock = ResourceFactory(
        organisation=owner,
        kind="equipment",
        name=f"Stuhl {prefix}",
        slug=f"stuhl-{prefix}",
        capacity=None,
        quantity=count,
    )
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    people = _people(prefix, count)
    with transaction.atomic():
        for person in people:
            booking = BookingFactory(resource=stock, organisation=None, booked_by=person, start=start)
            notifications.notify(kind, [person], booking=booking)
    _emit([person.email for person in people])


def booking_through_the_service(prefix: str) -> None:
    """One booking through ``booking_request`` (what the web form and the API call); the service itself
    writes the confirmation in the booking's transaction and queues it after the commit — nothing here
    helps it, so a service that stopped notifying fails the tests built on this scene."""
    from buchungen.services import booking_request
    from konten.models import Membership

    borrower_org = OrganisationFactory(name=f"Chor {prefix}", slug=f"chor-{prefix}")
    owner = OrganisationFactory(name=f"Zentrum {prefix}", slug=f"zentrum-{prefix}")
    room = ResourceFactory(organisation=owner, name=f"Saal {prefix}", slug=f"saal-{prefix}")
    (person,) = _people(prefix, 1)
    MembershipFactory(user=person, organisation=borrower_org, role=Membership.Role.MEMBER)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    with transaction.atomic():
        booking = booking_request(
            actor=person,
            resource=room,
            start=start,
            end=start + timedelta(hours=2),
            organisation=borrower_org,
        )
    _emit({"booking": booking.pk, "status": booking.status, "email": person.email})


def bookings_due_for_a_reminder(prefix: str, count: int, *, due_in: int) -> None:
    """``count`` confirmed bookings whose reminder falls due in about ``due_in`` seconds: resources with a
    reminder 1 hour before the start, each booking starting 1 hour + ``due_in`` s from now (one room and
    one borrower per booking, so a recipient names its booking)."""
    owner = OrganisationFactory(name=f"Haus {prefix}", slug=f"haus-{prefix}")
    start = timezone.now() + timedelta(hours=1, seconds=due_in)
    people = _people(prefix, count)
    bookings = []
    for number, person in enumerate(people):
        room = ResourceFactory(
            organisation=owner,
            name=f"Raum {prefix} {number}",
            slug=f"raum-{prefix}-{number}",
            reminder_hours=1,
        )
        bookings.append(BookingFactory(resource=room, organisation=None, booked_by=person, start=start))
    _emit({person.email: booking.pk for person, booking in zip(people, bookings, strict=True)})
