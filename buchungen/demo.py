"""The bookings of the demo network: a few weeks of lending between its organisations, so that a newcomer
who logs in finds filled calendars, requests in the managers' inboxes and entries under "Meine Buchungen".

``manage.py demo_network`` calls :func:`demo_bookings_load` after the people (``konten.demo``) and the
catalogue (``ressourcen.demo``). Every booking is made **through the services** — ``booking_request``,
``booking_approve``, ``booking_decline``, ``booking_cancel``, ``booking_check_out``,
``booking_series_create``, ``booking_request_bundle``, ``waitlist_join`` — by the person who would make it
in real life, so every rule holds (membership, audience, opening hours, closures, lead time, maximum
advance, quotas, conflicts) and every step is recorded as a transition.

Times are Berlin wall-clock times relative to the day of the run ("Tuesday in two weeks, 18:30"). For
each wish the loader tries that time and, if it does not pass the resource's rules or is taken, the same
time a week later (a few times). Should a service still refuse, the refusal is logged and the loader goes
on: the demo never fails on a rule (a closure over Christmas simply moves or skips a date).

Idempotent: when the demo people already have bookings (or a waitlist entry), nothing is added and the
log says so. Bookings are not "updated" like the catalogue: they have a history, and a second run on
another day would otherwise pile up new ones next to the old.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen.bundles import booking_request_bundle
from buchungen.errors import BookingConflict
from buchungen.models import Booking, WaitlistEntry
from buchungen.series import booking_series_create
from buchungen.services import (
    booking_approve,
    booking_cancel,
    booking_check_out,
    booking_decline,
    booking_request,
    request_conflicts,
)
from buchungen.waitlist import waitlist_join
from konten.demo import PEOPLE, DemoAccounts
from konten.models import Organisation, User
from ressourcen.models import Resource
from ressourcen.selectors import covers, local_zone, resource_bookable_intervals

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
# How many later weeks are tried when the wished date does not pass (closure, lead time, taken).
WEEKS_TO_TRY = 6
# Refusals the loader expects and logs instead of failing.
REFUSALS = (ValidationError, PermissionDenied, BookingConflict)


@dataclass
class DemoBookings:
    """What :func:`demo_bookings_load` did: the bookings by status, series, bundles, waitlist entries."""

    skipped: bool = False
    statuses: Counter = field(default_factory=Counter)
    series: int = 0
    bundles: int = 0
    waitlist: int = 0
    refused: int = 0

    @property
    def bookings(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> str:
        if self.skipped:
            return "Bookings: the demo people already have bookings; none added."
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
        return (
            f"Bookings: {self.bookings} ({statuses}) incl. {self.series} weekly series, "
            f"{self.bundles} bundle; {self.waitlist} waitlist entry"
            + (f"; {self.refused} wish(es) refused by the rules, see above" if self.refused else "")
        )


def demo_bookings_load(
    *,
    accounts: DemoAccounts,
    resources: Iterable[Resource],
    log: Callable[[str], None],
    now: datetime | None = None,
) -> DemoBookings:
    """Make the demo's bookings through the services (see the module's docstring); ``log`` gets a line
    per booking or refusal. Runs in the caller's transaction, after the catalogue. ``now`` defaults to
    the current time (tests pass other days)."""
    people = list(PEOPLE)
    if (
        Booking.objects.filter(booked_by__email__in=people).exists()
        or WaitlistEntry.objects.filter(person__email__in=people).exists()
    ):
        log("Bookings: the demo people already have bookings; nothing added (delete them to reload).")
        return DemoBookings(skipped=True)
    loader = _Loader(
        accounts=accounts,
        resources={resource.slug: resource for resource in resources},
        log=log,
        now=now or timezone.now(),
    )
    loader.run()
    result = loader.result
    # The final state of everything made (a request approved later counts as confirmed).
    result.statuses = Counter(
        Booking.objects.filter(pk__in=loader.made).values_list("status", flat=True).order_by()
    )
    return result


# --- Times -----------------------------------------------------------------------------------------------


def weekly(now: datetime, *, weekday: int, at: str, week: int = 0) -> Iterator[datetime]:
    """``weekday`` at ``at`` (Berlin wall-clock, "HH:MM"): first in ``week`` (0 = the next such day after
    today, 1 = a week later …), then every following week, ``WEEKS_TO_TRY`` more times."""
    zone = local_zone()
    today = now.astimezone(zone).date()
    first = today + timedelta(days=(weekday - today.weekday()) % 7 or 7, weeks=week)
    clock = time.fromisoformat(at)
    for extra in range(WEEKS_TO_TRY + 1):
        yield datetime.combine(first + timedelta(weeks=extra), clock, tzinfo=zone)


def soon(now: datetime, *, hours: int = 1) -> Iterator[datetime]:
    """The next full hour plus ``hours`` (for what is handed over today), then a few hours later."""
    start = now.astimezone(local_zone()).replace(minute=0, second=0, microsecond=0)
    for extra in range(4):
        yield start + timedelta(hours=hours + extra)


def _fits(resource: Resource, start: datetime, end: datetime, quantity: int, now: datetime) -> bool:
    """Whether ``[start, end)`` passes the resource's time rules and is free right now (a quick look
    before asking the service, which checks everything again under its lock)."""
    if start < now + timedelta(hours=resource.lead_time_hours, minutes=30):
        return False
    if start > now + timedelta(days=resource.max_advance_days):
        return False
    if not covers(resource_bookable_intervals(resource=resource, start=start, end=end), start, end):
        return False
    return not request_conflicts(resource=resource, start=start, end=end, quantity=quantity)


# --- The loader ------------------------------------------------------------------------------------------


@dataclass
class _Loader:
    accounts: DemoAccounts
    resources: dict[str, Resource]
    log: Callable[[str], None]
    now: datetime
    result: DemoBookings = field(default_factory=DemoBookings)
    made: list[int] = field(default_factory=list)
    # The board meeting whose slot the waitlist entry waits for.
    vorstandssitzung: Booking | None = None

    # Who is who -------------------------------------------------------------------------------------------

    def person(self, name: str) -> User:
        return self.accounts.people[f"{name}@example.org"]

    def org(self, slug: str) -> Organisation:
        return self.accounts.organisations[slug]

    # Steps ------------------------------------------------------------------------------------------------

    def _refused(self, what: str, error: Exception) -> None:
        self.result.refused += 1
        message = getattr(error, "message_dict", None) or getattr(error, "messages", None) or str(error)
        self.log(f"  refused: {what} — {message}")

    def _when(self, start: datetime) -> str:
        return f"{start.astimezone(local_zone()):%a %d.%m. %H:%M}"

    def slot(
        self, slug: str, starts: Iterable[datetime], *, minutes: int, quantity: int = 1
    ) -> tuple[datetime, datetime] | None:
        """The first of ``starts`` at which ``slug`` can be had for ``minutes``."""
        resource = self.resources[slug]
        for start in starts:
            end = start + timedelta(minutes=minutes)
            if _fits(resource, start, end, quantity, self.now):
                return start, end
        return None

    def book(
        self,
        who: str,
        slug: str,
        starts: Iterable[datetime],
        *,
        minutes: int,
        purpose: str,
        organisation: str | None,
        participants: int | None = None,
        quantity: int = 1,
    ) -> Booking | None:
        """``who`` books ``slug`` for ``organisation`` (None: for themselves) at the first time that fits."""
        resource = self.resources[slug]
        what = f"{purpose} ({resource.name})"
        found = self.slot(slug, starts, minutes=minutes, quantity=quantity)
        if found is None:
            self.result.refused += 1
            self.log(f"  refused: {what} — no free time within the resource's rules in the weeks tried")
            return None
        start, end = found
        try:
            booking = booking_request(
                actor=self.person(who),
                resource=resource,
                start=start,
                end=end,
                quantity=quantity,
                organisation=self.org(organisation) if organisation else None,
                purpose=purpose,
                participants=participants,
                now=self.now,
            )
        except REFUSALS as error:
            self._refused(what, error)
            return None
        self.made.append(booking.pk)
        self.log(f"  {booking.status}: {what}, {self._when(start)}")
        return booking

    def step(self, label: str, service: Callable[..., Booking], booking: Booking | None, **kwargs) -> None:
        """A lifecycle step (approve, decline, cancel, check out) on ``booking``, if it was made."""
        if booking is None:
            return
        try:
            service(booking=booking, **kwargs)
        except REFUSALS as error:
            self._refused(f"{label}: {booking.purpose}", error)
            return
        self.log(f"    → {label}: {booking.purpose}")

    # The story --------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.log("Bookings:")
        self.confirmed_across_the_network()
        self.approved_requests()
        self.requests_waiting()
        self.declined_and_cancelled()
        self.handed_over()
        self.choir_series()
        self.bundle()
        self.waitlist()

    def confirmed_across_the_network(self) -> None:
        """Resources without approval: confirmed at once."""
        now = self.now
        self.book(
            "dieter.hartmann",
            "vhs-seminarraum-1",
            weekly(now, weekday=MON, at="18:00", week=1),
            minutes=150,
            purpose="Bildbesprechung Fotoclub: Herbstlicht an der Elbe",
            organisation="fotoclub-albrechtsburg",
            participants=14,
        )
        self.book(
            "christine.meyer",
            "buergerstiftung-beamer",
            weekly(now, weekday=SAT, at="09:00", week=1),
            minutes=9 * 60,
            purpose="Probentag Chor Elbklang: Noten an die Wand",
            organisation="chor-elbklang",
            participants=38,
        )
        self.book(
            "lena.hoffmann",
            "vhs-seminarraum-2",
            weekly(now, weekday=WED, at="17:00", week=0),
            minutes=120,
            purpose="Sprachcafé Deutsch–Ukrainisch",
            organisation="hafenstrasse",
            participants=10,
        )
        self.book(
            "lena.hoffmann",
            "buergerstiftung-lastenrad",
            weekly(now, weekday=SAT, at="10:00", week=0),
            minutes=4 * 60,
            purpose="Einkauf für den Flohmarkt im Hof",
            organisation=None,
        )
        self.vorstandssitzung = self.book(
            "martin.schulze",
            "buergerstiftung-besprechungsraum",
            weekly(now, weekday=TUE, at="16:00", week=1),
            minutes=120,
            purpose="Vorstandssitzung Soziokulturelles Zentrum Hafenstraße",
            organisation="hafenstrasse",
            participants=7,
        )
        self.book(
            "mia.weber",
            "hafenstrasse-bandprobenraum",
            weekly(now, weekday=FRI, at="18:00", week=0),
            minutes=3 * 60,
            purpose="Bandprobe der Jugendband „Triebwerk“",
            organisation="jugendinitiative-triebischtal",
            participants=5,
        )
        self.book(
            "thomas.richter",
            "coelln-familienraum",
            weekly(now, weekday=THU, at="09:30", week=1),
            minutes=150,
            purpose="VHS-Kurs Erste Hilfe am Kind",
            organisation="vhs-meissen",
            participants=12,
        )
        self.book(
            "frank.zimmermann",
            "triebischtal-videoschnitt",
            weekly(now, weekday=WED, at="15:00", week=2),
            minutes=3 * 60,
            purpose="Kurzes Imagevideo für die Bürgerstiftung",
            organisation="buergerstiftung",
        )

    def approved_requests(self) -> None:
        """Requests the owners' managers confirmed: the VHS in the Hafenstraße's hall, the foundation in
        the VHS lecture hall."""
        now = self.now
        hall = self.book(
            "sabine.krause",
            "hafenstrasse-saal",
            weekly(now, weekday=FRI, at="19:00", week=2),
            minutes=3 * 60,
            purpose="VHS-Lesung mit Musik: „Meißen erzählt“",
            organisation="vhs-meissen",
            participants=90,
        )
        self.step(
            "approved",
            booking_approve,
            hall,
            actor=self.person("martin.schulze"),
            comment="Gern! Paul ist ab 18 Uhr für den Soundcheck da.",
        )
        forum = self.book(
            "ursula.becker",
            "vhs-vortragssaal",
            weekly(now, weekday=THU, at="18:00", week=1),
            minutes=150,
            purpose="Stifterforum: Projekte für Meißen vorstellen",
            organisation="buergerstiftung",
            participants=70,
        )
        self.step("approved", booking_approve, forum, actor=self.person("sabine.krause"))

    def requests_waiting(self) -> None:
        """Requests nobody has decided on yet: martin.schulze, sabine.krause and ursula.becker each find
        something in their inbox."""
        now = self.now
        self.book(
            "lena.hoffmann",
            "hafenstrasse-cafe",
            weekly(now, weekday=SUN, at="15:00", week=1),
            minutes=3 * 60,
            purpose="Offenes Singen mit Kaffee und Kuchen (Chor Elbklang)",
            organisation="chor-elbklang",
            participants=35,
        )
        self.book(
            "uwe.schroeder",
            "vhs-edv-raum",
            weekly(now, weekday=TUE, at="17:00", week=1),
            minutes=150,
            purpose="Einführung in die Bildbearbeitung mit GIMP",
            organisation="fotoclub-albrechtsburg",
            participants=10,
        )
        self.book(
            "jonas.fischer",
            "vhs-lehrkueche",
            weekly(now, weekday=THU, at="17:00", week=2),
            minutes=3 * 60,
            purpose="Kochabend der Jugendinitiative: Gerichte aus aller Welt",
            organisation="jugendinitiative-triebischtal",
            participants=12,
        )
        self.book(
            "paul.neumann",
            "buergerstiftung-musikanlage",
            weekly(now, weekday=SAT, at="14:00", week=2),
            minutes=8 * 60,
            purpose="Flohmarkt mit Musik im Café der Hafenstraße",
            organisation="hafenstrasse",
            participants=150,
        )

    def declined_and_cancelled(self) -> None:
        now = self.now
        film = self.book(
            "leon.schaefer",
            "hafenstrasse-cafe",
            weekly(now, weekday=FRI, at="18:00", week=1),
            minutes=4 * 60,
            purpose="Filmabend der Jugendinitiative",
            organisation="jugendinitiative-triebischtal",
            participants=30,
        )
        self.step(
            "declined",
            booking_decline,
            film,
            actor=self.person("martin.schulze"),
            comment=(
                "An diesem Abend ist im Café eine geschlossene Feier. Der Saal wäre eine Woche später "
                "frei – fragen Sie gern dort an."
            ),
        )
        trip = self.book(
            "dieter.hartmann",
            "buergerstiftung-leinwand",
            weekly(now, weekday=SAT, at="10:00", week=2),
            minutes=6 * 60,
            purpose="Diaabend nach der Exkursion in die Sächsische Schweiz",
            organisation="fotoclub-albrechtsburg",
        )
        self.step(
            "cancelled",
            booking_cancel,
            trip,
            actor=self.person("dieter.hartmann"),
            comment="Die Exkursion fällt aus – zu wenige Anmeldungen.",
            now=now,
        )

    def handed_over(self) -> None:
        """Two pavilions picked up today for a weekend stall: handed over, due back in two days."""
        pavilions = self.book(
            "jonas.fischer",
            "buergerstiftung-pavillon",
            soon(self.now),
            minutes=2 * 24 * 60,
            quantity=2,
            purpose="Infostand der Jugendinitiative auf dem Wochenmarkt",
            organisation="jugendinitiative-triebischtal",
        )
        self.step(
            "handed over",
            booking_check_out,
            pavilions,
            actor=self.person("ursula.becker"),
            handed_over_to="Mia Weber",
            comment="Beide Pavillons vollständig, mit Seitenwänden und acht Gewichten.",
            now=self.now,
        )

    def choir_series(self) -> None:
        """The choir's women's voices rehearse weekly in the VHS: eight Tuesdays (a date in the VHS's
        holidays is skipped, as the series service allows)."""
        found = self.slot("vhs-seminarraum-1", weekly(self.now, weekday=TUE, at="18:30", week=0), minutes=120)
        purpose = "Chorprobe Elbklang (Frauenstimmen)"
        if found is None:
            self.result.refused += 1
            self.log(f"  refused: {purpose} — no first date within the resource's rules")
            return
        start, end = found
        try:
            _series, occurrences = booking_series_create(
                actor=self.person("christine.meyer"),
                resource=self.resources["vhs-seminarraum-1"],
                start=start,
                end=end,
                rrule="FREQ=WEEKLY;COUNT=8",
                organisation=self.org("chor-elbklang"),
                purpose=purpose,
                participants=18,
                skip_conflicts=True,
                now=self.now,
            )
        except REFUSALS as error:
            self._refused(purpose, error)
            return
        booked = [occurrence.booking.pk for occurrence in occurrences if occurrence.booking]
        self.made.extend(booked)
        self.result.series += 1
        self.log(
            f"  series: {purpose}, {len(booked)} of {len(occurrences)} Tuesdays from {self._when(start)}"
        )
        for occurrence in occurrences:
            if not occurrence.is_free:
                self.log(f"    skipped {self._when(occurrence.start)}: {occurrence.reason}")

    def bundle(self) -> None:
        """Three organisations in one request: the Hafenstraße's café, a projector of the foundation and
        the VHS's sign language interpreter, for the parents' café of the Eltern-Kind-Treff. The
        interpreter agrees; the café is still to be decided by martin.schulze."""
        purpose = "Elterncafé mit Gebärdensprache: Infonachmittag zur Kita-Anmeldung"
        items = [("hafenstrasse-cafe", 1), ("buergerstiftung-beamer", 1), ("vhs-gebaerdensprache", 1)]
        for start in weekly(self.now, weekday=WED, at="15:00", week=1):
            end = start + timedelta(hours=2)
            if all(_fits(self.resources[slug], start, end, quantity, self.now) for slug, quantity in items):
                break
        else:
            self.result.refused += 1
            self.log(f"  refused: {purpose} — no time when all three are free")
            return
        try:
            request = booking_request_bundle(
                actor=self.person("anne.koehler"),
                items=[
                    {"resource": self.resources[slug], "start": start, "end": end, "quantity": quantity}
                    for slug, quantity in items
                ],
                organisation=self.org("eltern-kind-treff-coelln"),
                purpose=purpose,
                participants=25,
                now=self.now,
            )
        except REFUSALS as error:
            self._refused(purpose, error)
            return
        parts = list(request.items.select_related("resource"))
        self.made.extend(part.pk for part in parts)
        self.result.bundles += 1
        self.log(f"  bundle: {purpose}, {self._when(start)} ({len(parts)} parts)")
        interpreter = next((p for p in parts if p.resource.slug == "vhs-gebaerdensprache"), None)
        self.step(
            "approved by the interpreter",
            booking_approve,
            interpreter,
            actor=self.person("ines.vogel"),
            comment="Ich komme gern, bitte Unterlagen vorab schicken.",
        )

    def waitlist(self) -> None:
        """The youth initiative wanted the foundation's meeting room at the time of the Hafenstraße's
        board meeting and waits for it."""
        taken = self.vorstandssitzung
        purpose = "Planungstreffen Sommerfest"
        if taken is None:
            self.log(f"  refused: waitlist {purpose} — the board meeting it waits for was not booked")
            self.result.refused += 1
            return
        try:
            waitlist_join(
                actor=self.person("jonas.fischer"),
                resource=self.resources["buergerstiftung-besprechungsraum"],
                start=taken.start,
                end=taken.end,
                organisation=self.org("jugendinitiative-triebischtal"),
                purpose=purpose,
                participants=8,
                now=self.now,
            )
        except REFUSALS as error:
            self._refused(f"waitlist {purpose}", error)
            return
        self.result.waitlist += 1
        self.log(f"  waitlist: {purpose} ({taken.resource.name}), {self._when(taken.start)}")
