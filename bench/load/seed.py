"""The network the load test runs against, written into the (migrated, empty) database DATABASE_URL.

Six organisations, each with one manager and eight members, all with API tokens (and no password).
Each owns three rooms (open 08:00–22:00 every day; one of them needs approval and keeps 15 minutes of
set-up and tidy-up buffer) and two pieces of equipment with units (4 units confirmed at once, 2 units
needing approval; no opening hours); forty more rooms only make the search realistic. A few hundred
confirmed bookings in the weeks before the load window give the checks and the search something to read.

Writes a JSON fixture for the locustfile (tokens, resource ids, the window in which the load books) to
the path given as the only argument. Called by ``bench/load/run.py``; it can be run alone:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ressourcen_load .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python bench/load/seed.py var/load/fixture.json
"""

import json
import os
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from buchungen.models import Booking, BookingStatus, BookingTransition  # noqa: E402
from konten.models import Membership, Organisation, User  # noqa: E402
from ressourcen.models import Feature, OpeningHours, Resource  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
PREFIX = "last-"  # slugs and e-mail addresses of everything the load test made
ORGANISATIONS = 6
MEMBERS_PER_ORGANISATION = 8
EXTRA_ROOMS = 40
OPEN_FROM, OPEN_UNTIL = 8, 22  # the rooms' opening hours, every day
# The load books in [WINDOW_START_DAYS, WINDOW_START_DAYS + WINDOW_DAYS) days from today (Berlin dates).
WINDOW_START_DAYS = 21
WINDOW_DAYS = 14
HISTORY_DAYS = 14  # background bookings in the two weeks before the window


def _local(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


@transaction.atomic
def seed() -> dict:
    features = list(Feature.objects.order_by("slug"))
    organisations, borrowers, managers, resources = [], [], [], []
    users = []
    for n in range(ORGANISATIONS):
        organisation = Organisation.objects.create(
            name=f"Lasttest Verein {n} e.V.",
            slug=f"{PREFIX}verein-{n}",
            contact_email=f"kontakt{n}@{PREFIX}verein.example.org",
        )
        organisations.append(organisation)
        manager = User.objects.create_user(
            email=f"{PREFIX}leitung{n}@example.org", password=None, name=f"Leitung {n}"
        )
        Membership.objects.create(user=manager, organisation=organisation, role=Membership.Role.MANAGER)
        users.append(manager)
        managers.append({"user": manager.pk, "organisation": organisation.pk})
        for m in range(MEMBERS_PER_ORGANISATION):
            member = User.objects.create_user(
                email=f"{PREFIX}mitglied{n}-{m}@example.org", password=None, name=f"Mitglied {n}-{m}"
            )
            Membership.objects.create(user=member, organisation=organisation, role=Membership.Role.MEMBER)
            users.append(member)
            borrowers.append({"user": member.pk, "organisation": organisation.pk})

        def room(name: str, **policy) -> Resource:
            return Resource.objects.create(
                organisation=organisation,  # noqa: B023 (used at once)
                kind=Resource.Kind.ROOM,
                name=f"{name} (Verein {n})",  # noqa: B023
                slug=f"{PREFIX}{name.lower().replace(' ', '-')}-{n}",  # noqa: B023
                description="Ein Raum für den Lasttest.",
                capacity=20 + 10 * n,  # noqa: B023
                **policy,
            )

        booked = [
            room("Saal"),
            room("Werkstatt", requires_approval=True, buffer_before_minutes=15, buffer_after_minutes=15),
            room("Seminarraum"),
        ]
        for resource in booked:
            resource.features.set(features[n % len(features) :: 3][:4])
        booked += [
            Resource.objects.create(
                organisation=organisation,
                kind=Resource.Kind.EQUIPMENT,
                name=f"Beamer (Verein {n})",
                slug=f"{PREFIX}beamer-{n}",
                quantity=4,
            ),
            Resource.objects.create(
                organisation=organisation,
                kind=Resource.Kind.EQUIPMENT,
                name=f"Lautsprecher (Verein {n})",
                slug=f"{PREFIX}lautsprecher-{n}",
                quantity=2,
                requires_approval=True,
            ),
        ]
        resources += booked
    for n in range(EXTRA_ROOMS):
        extra = Resource.objects.create(
            organisation=organisations[n % ORGANISATIONS],
            kind=Resource.Kind.ROOM,
            name=f"Raum {n}",
            slug=f"{PREFIX}raum-{n}",
            capacity=10 + n,
        )
        extra.features.set(features[n % len(features) :: 5][:3])
        resources.append(extra)
    rooms = [r for r in resources if r.kind == Resource.Kind.ROOM]
    OpeningHours.objects.bulk_create(
        OpeningHours(resource=r, weekday=day, start=time(OPEN_FROM), end=time(OPEN_UNTIL))
        for r in rooms
        for day in range(7)
    )
    tokens = {user.pk: Token.objects.create(user=user).key for user in users}

    today = timezone.localdate(timezone=BERLIN)
    window_start = today + timedelta(days=WINDOW_START_DAYS)
    # Background: confirmed bookings 10–12 and 14–16 on every booked resource in the two weeks before
    # the window (never overlapping by construction), written straight to the table.
    history = []
    for resource in resources[: ORGANISATIONS * 5]:
        for d in range(HISTORY_DAYS):
            day = window_start - timedelta(days=HISTORY_DAYS - d)
            for hour in (10, 14):
                start, end = _local(day, hour), _local(day, hour + 2)
                history.append(
                    Booking(
                        resource=resource,
                        organisation=organisations[(resource.organisation_id + d) % ORGANISATIONS],
                        booked_by=users[(resource.pk + d) % len(users)],
                        start=start,
                        end=end,
                        blocked_start=start - timedelta(minutes=resource.buffer_before_minutes),
                        blocked_end=end + timedelta(minutes=resource.buffer_after_minutes),
                        quantity=1,
                        purpose="Vorbelegung",
                        status=BookingStatus.CONFIRMED,
                        exclusive=resource.is_exclusive,
                    )
                )
    Booking.objects.bulk_create(history)
    BookingTransition.objects.bulk_create(
        BookingTransition(booking=b, from_status="", to_status=BookingStatus.CONFIRMED) for b in history
    )

    def resource_data(resource: Resource) -> dict:
        return {
            "id": resource.pk,
            "slug": resource.slug,
            "kind": resource.kind,
            "organisation": resource.organisation_id,
            "quantity": resource.quantity,
            "requires_approval": resource.requires_approval,
        }

    return {
        "organisations": [{"id": o.pk, "slug": o.slug} for o in organisations],
        "borrowers": [{**b, "token": tokens[b["user"]]} for b in borrowers],
        "managers": [{**m, "token": tokens[m["user"]]} for m in managers],
        "booked_resources": [resource_data(r) for r in resources[: ORGANISATIONS * 5]],
        "all_resources": [resource_data(r) for r in resources],
        "features": [feature.slug for feature in features],
        "window": {
            "first_day": window_start.isoformat(),
            "days": WINDOW_DAYS,
            "open_from": OPEN_FROM,
            "open_until": OPEN_UNTIL,
        },
        "history_bookings": len(history),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: seed.py FIXTURE.json")
    if Organisation.objects.filter(slug__startswith=PREFIX).exists():
        sys.exit("the database already holds a load-test network; bench/load/run.py starts from a fresh one")
    fixture = seed()
    Path(sys.argv[1]).write_text(json.dumps(fixture, indent=1))
    print(
        f"seeded {len(fixture['organisations'])} organisations, {len(fixture['borrowers'])} borrowers, "
        f"{len(fixture['managers'])} managers, {len(fixture['all_resources'])} resources, "
        f"{fixture['history_bookings']} background bookings"
    )
