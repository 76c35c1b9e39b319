"""Recurring bookings: an RFC 5545 rule expanded in Berlin wall-clock time, each date an ordinary Booking.

Expansion (``series_expand``)
    The first start and end are read as Berlin wall-clock times (naive), the rule is expanded by
    python-dateutil with that naive start as DTSTART, and Europe/Berlin is attached to every date
    afterwards. So a weekly 18:00–20:00 series stays at 18:00–20:00 on every date across the clock
    changes (its UTC hour moves from 17 to 16 and back), and a date spanning the night of a change gets
    its true length (01:00–04:00 is 2 h on the spring night, 4 h on the autumn night).

    A wall-clock time the clocks skip (spring, 02:00–03:00) does not exist: that date is reported as a
    conflict with a reason, never silently moved. A repeated one (autumn, 02:00–03:00) is ambiguous:
    the first of the two (summer time, ``fold=0``) is taken.

    Accepted rule parts: FREQ (DAILY, WEEKLY, MONTHLY), INTERVAL, BYDAY (with an ordinal such as 2TU or
    -1FR only for MONTHLY), BYMONTHDAY (not with WEEKLY), WKST, and exactly one of COUNT or UNTIL; at
    most ``MAX_OCCURRENCES`` dates. A leading ``RRULE:`` is allowed; DTSTART is ours, BYHOUR/BYMINUTE/
    BYSECOND are refused (the time of day is the first date's). UNTIL is a Berlin date (inclusive) or a
    date and time (Berlin, or UTC with ``Z``). A date the rule does not match is not part of the series,
    even if it is the first one (RFC 5545 leaves that case undefined; this is dateutil's reading).

Services (``booking_series_preview``, ``booking_series_create``, ``booking_series_cancel_rest``)
    Every date goes through the same rules as a single booking (``buchungen.services.request_check`` and
    ``request_place``). The preview runs exactly the create path under the resource lock and rolls the
    transaction back: what it shows as free is what booking would book, including the quota counted
    date by date and dates of the same series that would overlap each other.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import islice

from dateutil.rrule import rrulestr
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from buchungen.errors import BookingConflict, Interval
from buchungen.models import Booking, BookingSeries, BookingStatus
from buchungen.services import (
    booking_cancel,
    booking_notify_cancelled,
    booking_notify_placed,
    exclusion_guard,
    lock_resources,
    request_check,
    request_place,
)
from konten.models import Membership, Organisation, User
from konten.services import require_perm
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

MAX_OCCURRENCES = 100
MAX_INTERVAL = 52
FREE = "free"
CONFLICT = "conflict"

# Errors of ``request_check`` that are the same for every date: they refuse the whole series.
WHOLE_REQUEST_FIELDS = frozenset({"organisation", "resource", "quantity", "purpose", "participants", "end"})

_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"(?P<ordinal>[+-]?\d{1,2})?(?P<day>MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(?P<date>\d{8})(?:T(?P<time>\d{6})(?P<utc>Z?))?")
_NUMBER = re.compile(r"[+-]?\d{1,3}")


# --- The rule --------------------------------------------------------------------------------------------


def _rule_error(message: str) -> ValidationError:
    return ValidationError({"rrule": message})


def _positive(name: str, value: str, maximum: int) -> int:
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise _rule_error(
            _("%(part)s must be a whole number from 1 to %(maximum)d.") % {"part": name, "maximum": maximum}
        )
    return int(value)


def _parse_until(value: str) -> datetime:
    """UNTIL as a naive Berlin wall-clock time: a date means the whole day (inclusive), a time with
    ``Z`` is UTC and converted, a time without it is Berlin time."""
    match = _UNTIL.fullmatch(value)
    if match is None:
        raise _rule_error(_("UNTIL must be a date like 20261231 or a date and time like 20261231T235959Z."))
    try:
        digits = match["date"]
        day = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        clock = match["time"]
        at = time(int(clock[:2]), int(clock[2:4]), int(clock[4:])) if clock else time(23, 59, 59)
    except ValueError:
        raise _rule_error(_("UNTIL is not a valid date.")) from None
    until = datetime.combine(day, at)
    if match["utc"]:
        until = until.replace(tzinfo=UTC).astimezone(local_zone()).replace(tzinfo=None)
    return until


def normalise_rrule(text: str) -> tuple[str, dict[str, str]]:
    """Check a rule's text and return it in canonical form (upper case, no ``RRULE:``) with its parts.

    Raises ``ValidationError`` on ``rrule`` naming what is wrong; dateutil is asked only afterwards."""
    rule = (text or "").strip().upper()
    if rule.startswith("RRULE:"):
        rule = rule[len("RRULE:") :].strip()
    if not rule:
        raise _rule_error(_("Enter a recurrence rule, e.g. FREQ=WEEKLY;COUNT=10."))
    if any(char in rule for char in "\r\n") or "DTSTART" in rule:
        raise _rule_error(_("Give only the rule (FREQ=…); the first date sets the start."))
    parts: dict[str, str] = {}
    for piece in rule.rstrip(";").split(";"):
        name, sep, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise _rule_error(_("“%(part)s” is not of the form NAME=VALUE.") % {"part": piece})
        if name in parts:
            raise _rule_error(_("%(part)s appears twice.") % {"part": name})
        parts[name] = value
    allowed = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}
    unknown = [name for name in parts if name not in allowed]
    if unknown:
        if any(name in {"BYHOUR", "BYMINUTE", "BYSECOND"} for name in unknown):
            raise _rule_error(
                _("The time of day comes from the first date; leave out BYHOUR, BYMINUTE, BYSECOND.")
            )
        raise _rule_error(
            _("%(parts)s cannot be used here. Allowed: FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL.")
            % {"parts": ", ".join(unknown)}
        )
    frequency = parts.get("FREQ")
    if frequency not in _FREQUENCIES:
        raise _rule_error(_("FREQ must be DAILY, WEEKLY or MONTHLY."))
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise _rule_error(
            _("End the series with either COUNT (number of dates) or UNTIL (last day), not both.")
        )
    if "INTERVAL" in parts:
        _positive("INTERVAL", parts["INTERVAL"], MAX_INTERVAL)
    if "COUNT" in parts and parts["COUNT"].isdigit() and int(parts["COUNT"]) > MAX_OCCURRENCES:
        raise _too_many()
    if "COUNT" in parts:
        _positive("COUNT", parts["COUNT"], MAX_OCCURRENCES)
    if "UNTIL" in parts:
        _parse_until(parts["UNTIL"])
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise _rule_error(_("WKST must be a weekday: MO, TU, WE, TH, FR, SA or SU."))
    if "BYDAY" in parts:
        for day in parts["BYDAY"].split(","):
            match = _BYDAY.fullmatch(day.strip())
            if match is None:
                raise _rule_error(_("BYDAY takes weekdays such as MO,TH or, monthly, 2TU or -1FR."))
            if match["ordinal"] is not None:
                ordinal = int(match["ordinal"])
                if frequency != "MONTHLY":
                    raise _rule_error(_("A numbered weekday (like 2TU) needs FREQ=MONTHLY."))
                if ordinal == 0 or abs(ordinal) > 5:
                    raise _rule_error(_("The number before a weekday must be 1 to 5 or -1 to -5."))
    if "BYMONTHDAY" in parts:
        if frequency == "WEEKLY":
            raise _rule_error(_("BYMONTHDAY cannot be combined with FREQ=WEEKLY."))
        for day in parts["BYMONTHDAY"].split(","):
            day = day.strip()
            if not _NUMBER.fullmatch(day) or int(day) == 0 or abs(int(day)) > 31:
                raise _rule_error(_("BYMONTHDAY takes days of the month from 1 to 31 (or -1 to -31)."))
    canonical = ";".join(f"{name}={value}" for name, value in parts.items())
    return canonical, parts


def _too_many() -> ValidationError:
    return _rule_error(
        _("A series has at most %(count)d dates; shorten it or split it in two.") % {"count": MAX_OCCURRENCES}
    )


@dataclass(frozen=True)
class WallClockDate:
    """One date of a series in Berlin wall-clock time (naive)."""

    start: datetime
    end: datetime


def series_expand(*, start: datetime, end: datetime, rrule: str) -> list[WallClockDate]:
    """The dates of ``rrule`` from the first date ``[start, end)`` (aware; read as Berlin wall-clock
    time), as naive Berlin wall-clock intervals of the first date's wall-clock length. Raises
    ``ValidationError`` on ``rrule`` (invalid, no end, more than ``MAX_OCCURRENCES`` or no date at all)."""
    canonical, parts = normalise_rrule(rrule)
    zone = local_zone()
    first_start = start.astimezone(zone).replace(tzinfo=None)
    first_end = end.astimezone(zone).replace(tzinfo=None)
    length = first_end - first_start
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"])
        canonical = canonical.replace(f"UNTIL={parts['UNTIL']}", f"UNTIL={until:%Y%m%dT%H%M%S}")
    try:
        rule = rrulestr(canonical, dtstart=first_start)
        starts = list(islice(iter(rule), MAX_OCCURRENCES + 1))
    except (ValueError, TypeError, OverflowError):
        raise _rule_error(_("This recurrence rule cannot be read.")) from None
    if len(starts) > MAX_OCCURRENCES:
        raise _too_many()
    if not starts:
        raise _rule_error(_("This rule gives no date from the first date on."))
    return [WallClockDate(moment, moment + length) for moment in starts]


def localise(wall_clock: datetime) -> datetime | None:
    """A naive Berlin wall-clock time as an aware UTC instant; ``None`` when the clocks skip it (spring).
    An ambiguous time (autumn) is its first occurrence (summer time, ``fold=0``)."""
    zone = local_zone()
    aware = wall_clock.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall_clock:
        return None
    return instant


def _error_dict(error: ValidationError) -> dict[str, list]:
    """A ValidationError's messages by field (``__all__`` for those without one)."""
    return error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}


# --- Occurrences -----------------------------------------------------------------------------------------


@dataclass
class Occurrence:
    """One date of a series and whether it can be booked. ``start``/``end`` are aware (UTC);
    ``reason`` says which rule stands in the way, ``conflicts`` the taken periods (never who)."""

    start: datetime
    end: datetime
    status: str = FREE
    reason: str = ""
    conflicts: list[Interval] = field(default_factory=list)
    booking: Booking | None = None

    @property
    def is_free(self) -> bool:
        return self.status == FREE


class SeriesConflict(BookingConflict):
    """Some dates are taken (and ``skip_conflicts`` was not given, or no date is free): nothing was
    booked. ``conflicts`` are the taken periods, ``occurrences`` every date with its status."""

    def __init__(self, conflicts: list[Interval], occurrences: list[Occurrence]) -> None:
        super().__init__(
            conflicts, _("Some dates of the series are already booked. Nothing has been booked.")
        )
        self.occurrences = occurrences


class SeriesRefused(ValidationError):
    """Some dates break a booking rule (and ``skip_conflicts`` was not given, or no date is free):
    nothing was booked. The messages list the dates (on ``start``); ``occurrences`` every date."""

    def __init__(self, occurrences: list[Occurrence]) -> None:
        messages = [
            _("%(date)s: %(reason)s") % {"date": _date_text(occurrence.start), "reason": occurrence.reason}
            for occurrence in occurrences
            if not occurrence.is_free
        ]
        super().__init__({"start": messages})
        self.occurrences = occurrences


def _date_text(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment, local_zone()), "SHORT_DATETIME_FORMAT")


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(message for messages in error.message_dict.values() for message in messages)
    return " ".join(error.messages)


def _check_whole_request(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    quantity: int,
    organisation: Organisation | None,
    purpose: str,
    participants: int | None,
    now: datetime | None,
) -> None:
    """The rules that are the same for every date — login, who may book, membership (PermissionDenied),
    resource active, quantity, purpose, participants, the first date's length — fail the whole series.
    Rules of one date (lead time, maximum advance, opening hours) are left to the dates."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Please log in to book."))
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("booking times must be timezone-aware")
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    try:
        request_check(
            actor=actor,
            resource=resource,
            start=start,
            end=end,
            quantity=quantity,
            organisation=organisation,
            purpose=purpose,
            participants=participants,
            now=now,
        )
    except ValidationError as error:
        whole = {
            name: messages
            for name, messages in _error_dict(error).items()
            if name in WHOLE_REQUEST_FIELDS or name == NON_FIELD_ERRORS
        }
        if whole:
            raise ValidationError(whole) from None


def _book_dates(
    *,
    actor: User,
    resource: Resource,
    dates: list[WallClockDate],
    quantity: int,
    organisation: Organisation | None,
    purpose: str,
    participants: int | None,
    series: BookingSeries,
    now: datetime | None,
) -> list[Occurrence]:
    """Under the lock of ``resource``: book every date that passes the rules; the others become
    occurrences with status ``conflict`` and their reason. Earlier dates count for the later ones
    (quota, overlaps), because they are written as they go."""
    occurrences = []
    for wall in dates:
        start, end = localise(wall.start), localise(wall.end)
        if start is None or end is None:
            missing = wall.start if start is None else wall.end
            occurrences.append(
                Occurrence(
                    start=(start or wall.start.replace(tzinfo=local_zone()).astimezone(UTC)),
                    end=(end or wall.end.replace(tzinfo=local_zone()).astimezone(UTC)),
                    status=CONFLICT,
                    reason=_(
                        "%(time)s does not exist on this day: the clocks go forward from 02:00 to 03:00."
                    )
                    % {"time": formats.time_format(missing.time(), "H:i")},
                )
            )
            continue
        occurrence = Occurrence(start=start, end=end)
        occurrences.append(occurrence)
        try:
            request_check(
                actor=actor,
                resource=resource,
                start=start,
                end=end,
                quantity=quantity,
                organisation=organisation,
                purpose=purpose,
                participants=participants,
                now=now,
            )
            occurrence.booking = request_place(
                actor=actor,
                resource=resource,
                start=start,
                end=end,
                quantity=quantity,
                organisation=organisation,
                purpose=purpose,
                participants=participants,
                series=series,
            )
        except BookingConflict as conflict:
            occurrence.status = CONFLICT
            occurrence.reason = conflict.message
            occurrence.conflicts = conflict.conflicts
        except ValidationError as error:
            occurrence.status = CONFLICT
            occurrence.reason = _messages(error)
    return occurrences


def _run(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    rrule: str,
    organisation: Organisation | None,
    quantity: int,
    purpose: str,
    participants: int | None,
    now: datetime | None,
) -> tuple[BookingSeries, list[Occurrence]]:
    """Check, lock, write the series and book its free dates (inside the caller's transaction)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("booking times must be timezone-aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    dates = series_expand(start=start, end=end, rrule=rrule) if end > start else []
    _check_whole_request(
        actor=actor,
        resource=resource,
        start=start,
        end=end,
        quantity=quantity,
        organisation=organisation,
        purpose=purpose,
        participants=participants,
        now=now,
    )
    locked = lock_resources([resource])[resource.pk]
    series = BookingSeries.objects.create(
        resource=locked,
        organisation=organisation,
        booked_by=actor,
        rrule=normalise_rrule(rrule)[0],
        first_start=start,
        first_end=end,
        quantity=quantity,
        purpose=purpose.strip(),
        participants=participants,
    )
    occurrences = _book_dates(
        actor=actor,
        resource=locked,
        dates=dates,
        quantity=quantity,
        organisation=organisation,
        purpose=purpose,
        participants=participants,
        series=series,
        now=now,
    )
    return series, occurrences


def booking_series_preview(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    rrule: str,
    organisation: Organisation | None = None,
    quantity: int = 1,
    purpose: str = "",
    participants: int | None = None,
    now: datetime | None = None,
) -> list[Occurrence]:
    """Every date of the series with ``free`` or ``conflict`` and the reason; writes nothing.

    Runs the booking path of ``booking_series_create`` (with conflicts skipped) and rolls it back, so
    the answer is exactly what booking would do now. Rules of the whole request raise as there:
    ``PermissionDenied`` (not a member), ``ValidationError`` (rule, audience, quantity, purpose…)."""
    with exclusion_guard(), transaction.atomic():
        _series, occurrences = _run(
            actor=actor,
            resource=resource,
            start=start,
            end=end,
            rrule=rrule,
            organisation=organisation,
            quantity=quantity,
            purpose=purpose,
            participants=participants,
            now=now,
        )
        transaction.set_rollback(True)
    for occurrence in occurrences:
        occurrence.booking = None
    return occurrences


def booking_series_create(
    *,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    rrule: str,
    organisation: Organisation | None = None,
    quantity: int = 1,
    purpose: str = "",
    participants: int | None = None,
    skip_conflicts: bool = False,
    now: datetime | None = None,
) -> tuple[BookingSeries, list[Occurrence]]:
    """Book the dates of ``rrule`` from the first date ``[start, end)``: one transaction, the resource
    locked, every date through ``request_check`` and ``request_place``.

    ``skip_conflicts=False``: all or nothing — any date taken raises ``SeriesConflict`` (a
    ``BookingConflict`` with the taken periods), any date breaking a rule ``SeriesRefused`` (a
    ``ValidationError`` listing the dates). ``skip_conflicts=True``: the free dates are booked (the
    quota counted date by date); if none is free, the same errors. Nothing is written on refusal.
    Returns the series and every occurrence (free ones carry their ``booking``)."""
    with exclusion_guard(), transaction.atomic():
        series, occurrences = _run(
            actor=actor,
            resource=resource,
            start=start,
            end=end,
            rrule=rrule,
            organisation=organisation,
            quantity=quantity,
            purpose=purpose,
            participants=participants,
            now=now,
        )
        refused = [occurrence for occurrence in occurrences if not occurrence.is_free]
        if refused and (not skip_conflicts or len(refused) == len(occurrences)):
            for occurrence in occurrences:
                occurrence.booking = None
            taken = [interval for occurrence in refused for interval in occurrence.conflicts]
            if taken:
                raise SeriesConflict(taken, occurrences)
            raise SeriesRefused(occurrences)
        # One message for the whole series (not one per date): the borrower's names every date, each
        # decider's every request (see booking_notify_placed).
        booking_notify_placed(
            [occurrence.booking for occurrence in occurrences if occurrence.booking is not None],
            context={"series": series.pk},
        )
    return series, occurrences


def booking_series_cancel_rest(
    *,
    actor: User,
    series: BookingSeries,
    from_start: datetime,
    comment: str = "",
    now: datetime | None = None,
) -> list[Booking]:
    """Cancel every still active (requested or confirmed, not yet ended) booking of ``series`` that
    starts at or after ``from_start``, each through ``booking_cancel`` (permission per booking). One
    transaction: one refusal cancels none. Returns the cancelled bookings (empty when none was left)."""
    now = now or timezone.now()
    with transaction.atomic():
        require_perm(actor, "buchungen.cancel_booking", series)
        bookings = list(
            series.bookings.filter(
                status__in=(BookingStatus.REQUESTED, BookingStatus.CONFIRMED),
                start__gte=from_start,
                end__gt=now,
            ).order_by("start", "pk")
        )
        cancelled = [
            booking_cancel(actor=actor, booking=booking, comment=comment, now=now, notify=False)
            for booking in bookings
        ]
        booking_notify_cancelled(cancelled, actor=actor, comment=comment, context={"series": series.pk})
        return cancelled


# --- Reads -----------------------------------------------------------------------------------------------


def series_visible_to(user: User) -> QuerySet[BookingSeries]:
    """Series whose bookings ``user`` may see: made by them, for an organisation they belong to, of a
    resource of an organisation they manage, of a skill they hold; the coordinator sees all."""
    if not user.is_authenticated:
        return BookingSeries.objects.none()
    if user.is_coordinator:
        return BookingSeries.objects.all()
    member_of = Membership.objects.filter(user=user).values("organisation_id")
    manager_of = Membership.objects.managers().filter(user=user).values("organisation_id")
    return BookingSeries.objects.filter(
        Q(booked_by=user)
        | Q(organisation_id__in=member_of)
        | Q(resource__organisation_id__in=manager_of)
        | Q(resource__holder=user)
    )


def series_bookings(series: BookingSeries) -> QuerySet[Booking]:
    return series.bookings.order_by("start", "pk")
