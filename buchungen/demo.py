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

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buchungen import notifications
from buchungen.bundles import booking_request_bundle
from buchungen.errors import BookingConflict
from buchungen.models import Booking, BookingStatus, BookingTransition, WaitlistEntry
from buchungen.selectors import usage_profile
from buchungen.series import booking_series_create
from buchungen.services import (
    booking_approve,
    booking_cancel,
    booking_check_out,
    booking_complete_past,
    booking_decline,
    booking_expire_unanswered,
    booking_no_show,
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
    # The history (past habits by final status) and the habits' bookings in the month ahead.
    history: Counter = field(default_factory=Counter)
    ahead: int = 0
    skipped_weeks: int = 0

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

    def history_summary(self) -> str:
        """The command's line about the history (empty when it was skipped or not loaded)."""
        if self.skipped or not self.history:
            return ""
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.history.items()))
        return (
            f"History: {sum(self.history.values())} past bookings over {HISTORY_WEEKS} weeks ({statuses}) "
            f"and {self.ahead} more in the next {AHEAD_DAYS} days; {self.skipped_weeks} week(s) of a habit "
            "skipped (taken); no notifications for them."
        )


def demo_bookings_load(
    *,
    accounts: DemoAccounts,
    resources: Iterable[Resource],
    log: Callable[[str], None],
    now: datetime | None = None,
    history: bool = True,
) -> DemoBookings:
    """Make the demo's bookings through the services (see the module's docstring); ``log`` gets a line
    per booking or refusal. Runs in the caller's transaction, after the catalogue. ``now`` defaults to
    the current time (tests pass other days). ``history``: also play the habits of :data:`HABITS` over
    the past ``HISTORY_WEEKS`` weeks and the next ``AHEAD_DAYS`` days (after the story, without
    notifications)."""
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
    if history:
        played = _History(loader=loader, now=loader.now)
        with notifications.silenced():
            played.run()
        mine = played._mine()
        result.history = Counter(
            mine.filter(start__lt=loader.now).values_list("status", flat=True).order_by()
        )
        result.ahead = played.ahead
        result.skipped_weeks = played.taken
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


# --- History: six months of past lending and a month of the same habits ahead -----------------------------
#
# The coordinator's dashboard (issue 6) needs a past: weekly habits of the network's organisations, made
# through the services with a past ``now`` (``booking_request(now=…)``, ``booking_cancel(now=…)``,
# ``booking_check_out(now=…)``, ``booking_no_show(now=…)``, ``booking_complete_past(now=…)``) so the rules
# hold and every step is a transition. ``booking_approve``/``booking_decline``/``booking_return`` take no
# ``now``: their steps are written at the real time and moved to their story time afterwards
# (``_History.backdate``: one ``bulk_update`` of ``BookingTransition.at`` plus ``Booking.created`` —
# demo only). The history is loaded inside ``notifications.silenced()``: nobody should get 800 messages
# about last spring. Most plain past bookings are bulk-written after the same checks the services make
# (opening hours, conflicts, quotas), because the services would take ~14 s for them (docs/booking-demo.md).

HISTORY_WEEKS = 26
AHEAD_DAYS = 28
# Saxony's summer holidays, roughly: habits marked ``summer=False`` pause (the summer dip).
SUMMER = ((7, 1), (8, 15))
# Resources nobody borrowed in the history, on purpose (the dashboard's "idle" list has something to say).
IDLE = (
    "vhs-moderation",
    "coelln-leichte-sprache",
    "fotoclub-studio-set",
    "elbklang-e-piano",
    "buergerstiftung-foerdermittelantraege",
    "triebischtal-jugendraum",
)
# Who decides, hands over and records no-shows for an owner's resources.
MANAGERS = {
    "vhs-meissen": "sabine.krause",
    "hafenstrasse": "martin.schulze",
    "buergerstiftung": "ursula.becker",
    "chor-elbklang": "christine.meyer",
    "jugendinitiative-triebischtal": "jonas.fischer",
    "eltern-kind-treff-coelln": "anne.koehler",
    "fotoclub-albrechtsburg": "dieter.hartmann",
}
# Out of 100 (drawn from a fixed seed, so every run tells the same story).
CANCEL_PERCENT = 6
NO_SHOW_PERCENT = 4
DECLINE_PERCENT = 8
UNANSWERED_PERCENT = 3


@dataclass(frozen=True)
class Habit:
    """``who`` books ``slug`` for ``org`` every ``every`` weeks on ``weekday`` at ``at`` (Berlin)."""

    who: str
    slug: str
    org: str | None
    weekday: int
    at: str
    minutes: int
    purpose: str
    participants: int | None = None
    quantity: int = 1
    every: int = 1
    offset: int = 0  # shifts the weeks of a habit that is not weekly
    summer: bool = True  # False: pauses in the summer holidays


HABITS: tuple[Habit, ...] = (
    # Evening rooms busy Tuesday to Thursday.
    Habit(
        "christine.meyer", "vhs-seminarraum-1", "chor-elbklang", TUE, "18:30", 120, "Chorprobe Elbklang", 28
    ),
    Habit(
        "lena.hoffmann",
        "vhs-seminarraum-2",
        "hafenstrasse",
        WED,
        "17:00",
        120,
        "Sprachcafé",
        10,
        summer=False,
    ),
    Habit(
        "thomas.richter",
        "hafenstrasse-cafe",
        "vhs-meissen",
        WED,
        "18:30",
        120,
        "VHS-Kurs Deutsch im Café",
        14,
        summer=False,
    ),
    Habit(
        "thomas.richter",
        "elbklang-proberaum",
        "vhs-meissen",
        MON,
        "18:00",
        90,
        "VHS-Gitarrenkurs",
        8,
        summer=False,
    ),
    Habit(
        "thomas.richter",
        "coelln-familienraum",
        "vhs-meissen",
        THU,
        "09:30",
        150,
        "VHS-Kurs Erste Hilfe am Kind",
        12,
        every=2,
        summer=False,
    ),
    Habit(
        "jana.wolf",
        "buergerstiftung-beamer",
        "vhs-meissen",
        TUE,
        "17:00",
        4 * 60,
        "VHS-Vortragsreihe",
        25,
        summer=False,
    ),
    Habit(
        "jana.wolf",
        "buergerstiftung-leinwand",
        "vhs-meissen",
        THU,
        "17:00",
        4 * 60,
        "VHS-Filmkurs",
        18,
        summer=False,
    ),
    Habit(
        "dieter.hartmann",
        "buergerstiftung-beamer",
        "fotoclub-albrechtsburg",
        THU,
        "18:00",
        3 * 60,
        "Bildbesprechung Fotoclub",
        14,
        every=2,
    ),
    Habit(
        "dieter.hartmann",
        "vhs-seminarraum-1",
        "fotoclub-albrechtsburg",
        MON,
        "18:00",
        150,
        "Clubabend Fotoclub",
        12,
        every=2,
        offset=1,
    ),
    Habit(
        "mia.weber",
        "hafenstrasse-bandprobenraum",
        "jugendinitiative-triebischtal",
        FRI,
        "18:00",
        120,
        "Bandprobe „Triebwerk“",
        5,
    ),
    Habit(
        "heike.schmidt",
        "hafenstrasse-bandprobenraum",
        "chor-elbklang",
        TUE,
        "19:00",
        90,
        "Stimmbildung Chor Elbklang",
        4,
        summer=False,
    ),
    Habit(
        "martin.schulze",
        "buergerstiftung-besprechungsraum",
        "hafenstrasse",
        TUE,
        "16:00",
        120,
        "Vorstandssitzung Hafenstraße",
        7,
        every=4,
    ),
    Habit(
        "anne.koehler",
        "buergerstiftung-besprechungsraum",
        "eltern-kind-treff-coelln",
        WED,
        "10:00",
        90,
        "Teamtreffen Eltern-Kind-Treff",
        5,
        every=2,
    ),
    Habit(
        "ursula.becker",
        "vhs-seminarraum-2",
        "buergerstiftung",
        THU,
        "16:00",
        120,
        "Sprechstunde Stiftung",
        6,
        every=2,
        offset=1,
    ),
    Habit(
        "jana.wolf", "elbklang-proberaum", "vhs-meissen", THU, "18:00", 90, "VHS-Kurs Yoga", 12, summer=False
    ),
    Habit(
        "leon.schaefer",
        "vhs-seminarraum-2",
        "jugendinitiative-triebischtal",
        MON,
        "16:00",
        120,
        "Hausaufgabenhilfe",
        9,
        summer=False,
    ),
    Habit(
        "thomas.richter",
        "buergerstiftung-funkmikrofone",
        "vhs-meissen",
        THU,
        "18:00",
        3 * 60,
        "VHS-Vortrag im großen Kreis",
        40,
    ),
    Habit(
        "thomas.richter",
        "hafenstrasse-galerie",
        "vhs-meissen",
        WED,
        "14:00",
        3 * 60,
        "VHS-Malkurs",
        10,
        summer=False,
    ),
    Habit("frank.zimmermann", "hafenstrasse-cafe", "buergerstiftung", THU, "10:00", 120, "Seniorencafé", 20),
    Habit(
        "paul.neumann", "coelln-familienraum", "hafenstrasse", FRI, "10:00", 120, "Repair-Café", 15, every=2
    ),
    # Weekend events.
    Habit(
        "sabine.krause",
        "hafenstrasse-saal",
        "vhs-meissen",
        SAT,
        "19:00",
        3 * 60,
        "VHS-Lesung mit Musik",
        80,
        every=4,
        summer=False,
    ),
    Habit(
        "christine.meyer",
        "hafenstrasse-saal",
        "chor-elbklang",
        SUN,
        "17:00",
        3 * 60,
        "Konzert Chor Elbklang",
        120,
        every=8,
        offset=2,
    ),
    Habit(
        "christine.meyer",
        "buergerstiftung-funkmikrofone",
        "chor-elbklang",
        SAT,
        "09:00",
        9 * 60,
        "Probentag Chor Elbklang",
        38,
        quantity=2,
        every=4,
        offset=1,
    ),
    Habit(
        "anne.koehler",
        "hafenstrasse-cafe",
        "eltern-kind-treff-coelln",
        SUN,
        "15:00",
        3 * 60,
        "Familiencafé",
        30,
        every=2,
    ),
    Habit(
        "dieter.hartmann",
        "hafenstrasse-galerie",
        "fotoclub-albrechtsburg",
        SAT,
        "12:00",
        7 * 60,
        "Fotoausstellung Fotoclub",
        60,
        every=4,
        offset=2,
    ),
    Habit(
        "jonas.fischer",
        "hafenstrasse-tontechnik",
        "jugendinitiative-triebischtal",
        FRI,
        "18:00",
        5 * 60,
        "Konzertabend Jugendinitiative",
        90,
        every=4,
        offset=3,
    ),
    Habit(
        "jonas.fischer",
        "hafenstrasse-hof",
        "jugendinitiative-triebischtal",
        SAT,
        "14:00",
        6 * 60,
        "Hoffest Jugendinitiative",
        150,
        every=6,
        offset=1,
    ),
    Habit(
        "paul.neumann",
        "buergerstiftung-musikanlage",
        "hafenstrasse",
        SAT,
        "10:00",
        8 * 60,
        "Flohmarkt mit Musik",
        200,
        every=4,
        offset=3,
    ),
    # Equipment lent for days.
    Habit(
        "jonas.fischer",
        "buergerstiftung-pavillon",
        "jugendinitiative-triebischtal",
        SAT,
        "09:00",
        2 * 24 * 60,
        "Infostand am Wochenende",
        quantity=2,
        every=3,
    ),
    Habit(
        "mia.weber",
        "buergerstiftung-festzeltgarnitur",
        "jugendinitiative-triebischtal",
        FRI,
        "10:00",
        3 * 24 * 60,
        "Straßenfest Triebischtal",
        120,
        quantity=6,
        every=6,
        offset=2,
    ),
    Habit(
        "thomas.richter",
        "buergerstiftung-laptop",
        "vhs-meissen",
        MON,
        "09:00",
        5 * 24 * 60,
        "VHS-Kurs Tabellenkalkulation",
        10,
        every=3,
        summer=False,
    ),
    Habit(
        "sarah.walter",
        "coelln-bollerwagen",
        "eltern-kind-treff-coelln",
        SAT,
        "09:00",
        24 * 60,
        "Ausflug mit den Kindern",
        every=2,
    ),
    Habit(
        "lena.hoffmann",
        "buergerstiftung-lastenrad",
        None,
        SAT,
        "10:00",
        4 * 60,
        "Einkauf mit dem Lastenrad",
        every=2,
        offset=1,
    ),
    Habit(
        "heike.schmidt",
        "elbklang-notenstaender",
        "chor-elbklang",
        FRI,
        "15:00",
        3 * 24 * 60,
        "Notenständer fürs Wochenendkonzert",
        quantity=8,
        every=8,
        offset=5,
    ),
    # Skills and the foundation's guests.
    Habit(
        "frank.zimmermann",
        "triebischtal-videoschnitt",
        "buergerstiftung",
        WED,
        "15:00",
        3 * 60,
        "Imagevideo Bürgerstiftung",
        every=4,
    ),
    Habit(
        "ursula.becker",
        "vhs-vortragssaal",
        "buergerstiftung",
        THU,
        "18:00",
        150,
        "Stifterforum",
        70,
        every=8,
        offset=4,
    ),
    Habit(
        "sarah.walter",
        "fotoclub-fotografie",
        "eltern-kind-treff-coelln",
        SAT,
        "10:00",
        3 * 60,
        "Familienfotos im Park",
        8,
        every=4,
        offset=2,
    ),
    Habit("sabine.krause", "vhs-lehrkueche", "vhs-meissen", WED, "17:00", 3 * 60, "Kochkurs VHS", 12),
    Habit(
        "jonas.fischer",
        "vhs-lehrkueche",
        "jugendinitiative-triebischtal",
        THU,
        "17:00",
        3 * 60,
        "Kochabend",
        10,
        every=2,
        summer=False,
    ),
    Habit(
        "uwe.schroeder",
        "vhs-edv-raum",
        "fotoclub-albrechtsburg",
        TUE,
        "17:00",
        120,
        "Einführung Bildbearbeitung",
        10,
        every=2,
        offset=1,
    ),
)


@dataclass
class _Lent:
    """A past occurrence that went the ordinary way (confirmed → completed, or lent and returned): written
    in bulk by ``_History.place`` after the same checks the services make."""

    habit: Habit
    resource: Resource
    start: datetime
    end: datetime
    asked: datetime
    decided: datetime | None  # when a request was approved; None: confirmed at once
    returned: datetime | None  # equipment: handed over an hour before, back at this time


# Statuses in which a past booking held its slot (for the checks of the bulk path).
HELD = (
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_OUT,
    BookingStatus.COMPLETED,
    BookingStatus.RETURNED,
    BookingStatus.NO_SHOW,
)


@dataclass
class _History:
    """Plays :data:`HABITS` from ``HISTORY_WEEKS`` weeks back to ``AHEAD_DAYS`` ahead (see the section's
    comment).

    Two paths, because ``booking_request`` costs ~15–40 ms (its checks and ORM work) and 800 of them would
    make ``make demo`` slow: what has a story of its own — declined, unanswered (expires), cancelled,
    no-show — and everything in the month ahead goes through the services with a past ``now``; the
    ordinary past occurrences (~85 %) are written in bulk (``place``) after the services' checks done in
    memory: opening hours (``resource_bookable_intervals`` once per resource), conflicts with everything
    that held its slot, quotas per Berlin month; lead time and maximum advance hold by construction."""

    loader: "_Loader"
    now: datetime
    ahead: int = 0
    taken: int = 0
    made: list[int] = field(default_factory=list)
    lent: list[_Lent] = field(default_factory=list)
    created_at: dict[int, datetime] = field(default_factory=dict)
    moments: dict[tuple[int, str], datetime] = field(default_factory=dict)

    def dates(self, habit: Habit) -> Iterator[datetime]:
        zone = local_zone()
        today = self.now.astimezone(zone).date()
        monday = today - timedelta(days=today.weekday(), weeks=HISTORY_WEEKS)
        clock = time.fromisoformat(habit.at)
        weeks = HISTORY_WEEKS + AHEAD_DAYS // 7 + 1
        for week in range(habit.offset % habit.every, weeks, habit.every):
            day = monday + timedelta(weeks=week, days=habit.weekday)
            if not habit.summer and SUMMER[0] <= (day.month, day.day) <= SUMMER[1]:
                continue
            start = datetime.combine(day, clock, tzinfo=zone)
            if start <= self.now + timedelta(days=AHEAD_DAYS):
                yield start

    def run(self) -> None:
        draw = random.Random(6).randrange  # noqa: S311 (a fixed seed: the same story on every run)
        for habit in HABITS:
            resource = self.loader.resources[habit.slug]
            for start in self.dates(habit):
                self.occurrence(habit, resource, start, draw)
        # Whatever was confirmed and is over is completed, as the nightly sweep would have done; what
        # nobody answered expires.
        booking_complete_past(now=self.now)
        booking_expire_unanswered(now=self.now)
        self.place()
        self.backdate()

    def request(self, habit: Habit, resource: Resource, start: datetime, end: datetime, asked: datetime):
        try:
            booking = booking_request(
                actor=self.loader.person(habit.who),
                resource=resource,
                start=start,
                end=end,
                quantity=habit.quantity,
                organisation=self.loader.org(habit.org) if habit.org else None,
                purpose=habit.purpose,
                participants=habit.participants,
                now=asked,
            )
        except REFUSALS:
            self.taken += 1  # taken by the story's bookings or an earlier habit; a habit skips a week
            return None
        self.made.append(booking.pk)
        self.created_at[booking.pk] = asked
        self.moments[(booking.pk, booking.status)] = asked
        return booking

    def occurrence(
        self, habit: Habit, resource: Resource, start: datetime, draw: Callable[[int], int]
    ) -> None:
        end = start + timedelta(minutes=habit.minutes)
        lead = timedelta(hours=resource.lead_time_hours)
        if start > self.now:  # the month ahead: asked today, nothing decided yet
            if start >= self.now + lead + timedelta(minutes=30) and self.request(
                habit, resource, start, end, self.now
            ):
                self.ahead += 1
            return
        asked = start - lead - timedelta(days=2 + draw(12), hours=draw(10))
        decided = (
            asked + timedelta(hours=2 + draw(40), minutes=draw(60)) if resource.requires_approval else None
        )
        roll, later = draw(100), draw(100)
        ended = end + timedelta(minutes=resource.buffer_after_minutes) <= self.now
        if decided is not None and (roll < UNANSWERED_PERCENT or decided >= start):
            self.request(habit, resource, start, end, asked)  # nobody answered: expires at its start
            return
        if decided is not None and roll < UNANSWERED_PERCENT + DECLINE_PERCENT:
            booking = self.request(habit, resource, start, end, asked)
            if booking is not None:
                manager = self.loader.person(MANAGERS[resource.organisation.slug])
                booking_decline(actor=manager, booking=booking, comment="Leider schon anderweitig zugesagt.")
                self.moments[(booking.pk, BookingStatus.DECLINED)] = decided
            return
        if later >= CANCEL_PERCENT + NO_SHOW_PERCENT and ended:
            lending = resource.kind == Resource.Kind.EQUIPMENT
            returned = end + timedelta(hours=draw(5)) if lending else None
            self.lent.append(_Lent(habit, resource, start, end, asked, decided, returned))
            return
        booking = self.request(habit, resource, start, end, asked)
        if booking is None:
            return
        manager = self.loader.person(MANAGERS[resource.organisation.slug])
        if decided is not None:
            booking_approve(actor=manager, booking=booking)
            self.moments[(booking.pk, BookingStatus.CONFIRMED)] = decided
            asked = decided
        if later < CANCEL_PERCENT:
            cancelled = asked + (start - asked) * draw(90) / 100
            booking_cancel(
                actor=booking.booked_by, booking=booking, comment="Fällt aus, Krankheit.", now=cancelled
            )
            self.moments[(booking.pk, BookingStatus.CANCELLED)] = cancelled
        elif later < CANCEL_PERCENT + NO_SHOW_PERCENT:
            booking_no_show(actor=manager, booking=booking, now=end)
            self.moments[(booking.pk, BookingStatus.NO_SHOW)] = start + timedelta(minutes=30)

    def place(self) -> None:
        """Write the ordinary past occurrences in bulk, each after the services' checks (in memory)."""
        if not self.lent:
            return
        zone = local_zone()
        first = min(item.start for item in self.lent) - timedelta(days=7)
        resources = {item.resource.pk: item.resource for item in self.lent}
        held: dict[int, list[tuple[datetime, datetime, int]]] = {pk: [] for pk in resources}
        used: Counter = Counter()  # (resource, organisation, Berlin month) → hours
        for row in Booking.objects.filter(
            resource__in=list(resources), status__in=HELD, blocked_end__gt=first
        ).values(
            "resource_id", "organisation_id", "start", "end", "blocked_start", "blocked_end", "quantity"
        ):
            held[row["resource_id"]].append((row["blocked_start"], row["blocked_end"], row["quantity"]))
            month = row["start"].astimezone(zone).strftime("%Y-%m")
            used[(row["resource_id"], row["organisation_id"], month)] += (
                row["end"] - row["start"]
            ) / timedelta(hours=1)
        open_hours = {
            pk: resource_bookable_intervals(resource=resource, start=first, end=self.now + timedelta(days=1))
            for pk, resource in resources.items()
        }
        bookings, items = [], []
        for item in self.lent:
            resource, habit = item.resource, item.habit
            organisation = self.loader.org(habit.org) if habit.org else None
            blocked = (
                item.start - timedelta(minutes=resource.buffer_before_minutes),
                item.end + timedelta(minutes=resource.buffer_after_minutes),
            )
            hours = (item.end - item.start) / timedelta(hours=1)
            month = (
                resource.pk,
                organisation.pk if organisation else None,
                item.start.astimezone(zone).strftime("%Y-%m"),
            )
            overlapping = [
                piece for piece in held[resource.pk] if piece[0] < blocked[1] and blocked[0] < piece[1]
            ]
            peak = max((units for _s, _e, units in usage_profile(overlapping, *blocked)), default=0)
            if (
                not covers(open_hours[resource.pk], item.start, item.end)
                or (resource.is_exclusive and overlapping)
                or peak + habit.quantity > resource.quantity
                or (
                    organisation is not None
                    and resource.quota_hours_per_month is not None
                    and used[month] + hours > resource.quota_hours_per_month
                )
            ):
                self.taken += 1
                continue
            held[resource.pk].append((*blocked, habit.quantity))
            used[month] += hours
            status = BookingStatus.RETURNED if item.returned else BookingStatus.COMPLETED
            bookings.append(
                Booking(
                    resource=resource,
                    organisation=organisation,
                    booked_by=self.loader.person(habit.who),
                    start=item.start,
                    end=item.end,
                    blocked_start=blocked[0],
                    blocked_end=blocked[1],
                    quantity=habit.quantity,
                    purpose=habit.purpose,
                    participants=habit.participants,
                    status=status,
                    exclusive=resource.is_exclusive,
                    handed_over_to=self.loader.person(habit.who).display_name if item.returned else "",
                )
            )
            items.append(item)
        Booking.objects.bulk_create(bookings, batch_size=300)
        steps = []
        for booking, item in zip(bookings, items, strict=True):
            self.made.append(booking.pk)
            self.created_at[booking.pk] = item.asked
            manager = self.loader.person(MANAGERS[item.resource.organisation.slug])
            S = BookingStatus
            path = [
                ("", S.REQUESTED, booking.booked_by, item.asked),
                (S.REQUESTED, S.CONFIRMED, manager, item.decided),
            ]
            if item.decided is None:
                path = [("", S.CONFIRMED, booking.booked_by, item.asked)]
            if item.returned:
                handed = item.start - timedelta(hours=1)
                path += [
                    (S.CONFIRMED, S.CHECKED_OUT, manager, handed),
                    (S.CHECKED_OUT, S.RETURNED, manager, item.returned),
                ]
            else:
                path += [(S.CONFIRMED, S.COMPLETED, None, booking.blocked_end)]
            steps += [
                BookingTransition(booking=booking, from_status=old, to_status=new, actor=actor, at=at)
                for old, new, actor, at in path
            ]
        BookingTransition.objects.bulk_create(steps, batch_size=500)

    def backdate(self) -> None:
        """Move the steps of the services' path to their story time: the services record the real time
        where they take no ``now`` (approve, decline, the sweeps). One ``bulk_update`` per table (in
        batches), demo only."""
        mine = self._mine()
        steps = list(BookingTransition.objects.filter(booking__in=mine).only("pk", "booking", "to_status"))
        times = {pk: (start, end) for pk, start, end in mine.values_list("pk", "start", "blocked_end")}
        changed = []
        for step in steps:
            moment = self.moments.get((step.booking_id, step.to_status))
            if moment is None and step.to_status in (BookingStatus.EXPIRED, BookingStatus.COMPLETED):
                start, end = times[step.booking_id]  # a sweep's step: at the start (expired) or the end
                moment = start if step.to_status == BookingStatus.EXPIRED else end
            if moment is not None:
                step.at = moment
                changed.append(step)
        BookingTransition.objects.bulk_update(changed, ["at"], batch_size=500)
        bookings = [Booking(pk=pk, created=moment) for pk, moment in self.created_at.items()]
        Booking.objects.bulk_update(bookings, ["created"], batch_size=500)

    def _mine(self):
        """The history's bookings: made after the story, so one range of ids (no list of 1,000 ids)."""
        return Booking.objects.filter(pk__gte=min(self.made, default=0), pk__lte=max(self.made, default=0))
