"""Scheduled work: what the clock, not a person, makes happen — all read from the database, each once.

Celery beat runs ``sweep`` every minute (settings.CELERY_BEAT_SCHEDULE, ``NOTIFICATION_SWEEP_SECONDS``)
and ``digest_send`` at 07:00 Berlin time. Nothing waits in the broker: a reminder due in three days is
not a task with a countdown (Redis hands such tasks out again after its visibility timeout) but a
booking whose due time the sweep computes from its row every minute. A sweep that runs twice, or two
sweeps at once, write nothing twice: every message is a ``Notification`` row under its unique key
(kind, booking, sequence, recipient), inserted with ``ON CONFLICT DO NOTHING``; the candidate queries
also leave out bookings that already have their row, so a sweep over a quiet minute inserts nothing.

The rules (docs/notifications-schedule.md says why):

* **Reminder** before a confirmed booking, ``resource.reminder_hours`` before its start in Berlin
  *wall-clock* time (24 h before Sunday 09:00 is Saturday 09:00, even across the night the clocks
  change — then 23 or 25 real hours). None when ``reminder_hours`` is 0, none once the booking has
  started, and none for a booking that became confirmed only after its reminder was due: the
  confirmation the person just got says the same, a second mail a minute later is noise.
* **Return due** to the borrower ``RETURN_DUE_BEFORE`` (2 real hours) before the end of handed-over
  equipment — unless it was handed over only after that moment (the receipt names the end).
* **Overdue** from ``OVERDUE_GRACE`` (1 h) after the end while the equipment is still handed over,
  repeated every wall-clock day, ``OVERDUE_CAP`` (3) times at most (sequence 1..3); the last one goes to
  the owner's managers too. After a pause of the sweep only the latest due notice is sent.
* **Expiry** of requests nobody decided on before their start: ``services.booking_expire_unanswered``
  tells both sides in the same transaction.
* **Digest**: once per Berlin day (sequence ``yyyymmdd``) to every manager and skill holder with
  requests waiting for them, listing the requests. Beat's task expires after an hour; if no worker
  ran then, the sweep's ``digest_catch_up`` writes the day's digest later that day (once: same key).

Bulk: the reminders, return and overdue notices are built from one query each and inserted in chunks
(no query per booking); they are not queued one by one after the commit — ``deliver_due``, the sweep's
last step, queues every pending row in batches.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.constants import OnConflict
from django.utils import timezone

from buchungen import notifications, services, waitlist
from buchungen.models import Booking, BookingStatus, BookingTransition, Notification, NotificationKind
from konten.models import Membership, User
from ressourcen.models import Resource
from ressourcen.selectors import local_zone

logger = logging.getLogger(__name__)

K = NotificationKind
S = BookingStatus

RETURN_DUE_BEFORE = timedelta(hours=2)
# People bring things back a little late, and the manager records the return a little after that.
OVERDUE_GRACE = timedelta(hours=1)
OVERDUE_CAP = 3
# Rows per executemany call (SQLite) and per INSERT … SELECT FROM unnest(arrays) (PostgreSQL).
INSERT_CHUNK = 5_000
# What differs between the rows of one bulk insert; every other column is the same for all of them.
BULK_VARYING = frozenset({"key", "recipient", "booking", "sequence", "context"})
# The reminder window is computed in real hours in SQL and refined in wall-clock time in Python: a
# clock change moves a wall-clock due time by up to one hour either way.
DST_SLACK = timedelta(hours=1)
DIGEST_MAX_ITEMS = 50


def wall_clock_shift(moment: datetime, *, hours: int = 0, days: int = 0) -> datetime:
    """``moment`` moved by ``hours``/``days`` on Berlin's wall clock, as a UTC instant.

    Python adds a timedelta to an aware datetime on its wall-clock reading and works out the offset of
    the result afresh — exactly "the same local time, one day earlier". A result inside the hour the
    spring change skips (02:30) is read with the winter offset, i.e. lands at 03:30 summer time."""
    local = moment.astimezone(local_zone())
    return (local + timedelta(hours=hours, days=days)).astimezone(UTC)


def reminder_due(booking_start: datetime, reminder_hours: int) -> datetime:
    return wall_clock_shift(booking_start, hours=-reminder_hours)


def _key(kind: str, booking_id: int | None, sequence: int, user_id: int) -> str:
    """``notifications.notification_key`` without model instances (a test checks they agree)."""
    subject = f"b{booking_id}" if booking_id is not None else "-"
    return f"{kind}:{subject}:{sequence}:u{user_id}"


def _bulk_notify(
    kind: str, items: Iterable[tuple[int, int | None, int, dict[str, Any]]], *, now: datetime
) -> list[str]:
    """Insert one notification per ``(recipient_id, booking_id, sequence, context)``, skipping keys that
    exist (``ON CONFLICT DO NOTHING`` on the unique key). Recipients must be active (the callers filter).
    Returns the keys written or already there. Not queued here: ``deliver_due`` queues pending rows.

    Not ``bulk_create``: it spends most of its time preparing every value of every row (and on SQLite
    splits 100,000 rows into batches of 62); here the values every row shares are prepared once."""
    template = Notification(
        kind=kind, mandatory=kind in notifications.MANDATORY_KINDS, created=now, email_due=now
    )
    varying = BULK_VARYING
    fields = [field for field in Notification._meta.concrete_fields if not field.primary_key]
    shared = {
        field.name: field.get_db_prep_save(getattr(template, field.attname), connection)
        for field in fields
        if field.name not in varying
    }
    context_field = Notification._meta.get_field("context")
    prepared_contexts: dict[str, Any] = {}

    def prepared(context: dict[str, Any]) -> Any:
        text = json.dumps(context, sort_keys=True)
        if text not in prepared_contexts:
            prepared_contexts[text] = context_field.get_db_prep_save(context, connection)
        return prepared_contexts[text]

    keys: list[str] = []
    rows: list[list[Any]] = []
    for user_id, booking_id, sequence, context in items:
        key = _key(kind, booking_id, sequence, user_id)
        keys.append(key)
        row_values = {
            "key": key,
            "recipient": user_id,
            "booking": booking_id,
            "sequence": sequence,
            "context": prepared(context),
        }
        rows.append(
            [row_values[field.name] if field.name in varying else shared[field.name] for field in fields]
        )
    _insert_ignoring_conflicts(fields, rows)
    return keys


def _insert_ignoring_conflicts(fields: list[Any], rows: list[list[Any]]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` of prepared ``rows`` into the notification table, in chunks.
    SQLite: one statement run by ``executemany`` (its C loop is fastest); PostgreSQL: one statement per
    ``INSERT_CHUNK`` rows, the varying columns passed as arrays."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = "({})".format(", ".join(["%s"] * len(fields)))
    conflict = connection.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    table = quote(Notification._meta.db_table)
    # Table and column names come from the model; every value is a parameter.
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sql = f"INSERT INTO {table} ({columns}) VALUES {placeholders} {conflict}"  # noqa: S608
            for start in range(0, len(rows), INSERT_CHUNK):
                cursor.executemany(sql, rows[start : start + INSERT_CHUNK])
            return
        # One statement per chunk with one array per varying column (psycopg dumps arrays in C); the
        # values every row shares are single parameters. Server-side binding: Django's client-side
        # binding cursor would quote every value in Python.
        import psycopg

        varying = [index for index, field in enumerate(fields) if field.name in BULK_VARYING]
        select = ", ".join(
            f"u.c{index}" if index in varying else f"%s::{field.cast_db_type(connection)}"
            for index, field in enumerate(fields)
        )
        arrays = ", ".join(f"%s::{fields[index].cast_db_type(connection)}[]" for index in varying)
        names = ", ".join(f"c{index}" for index in varying)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {select} "  # noqa: S608
            f"FROM unnest({arrays}) AS u({names}) {conflict}"
        )
        shared = [value for index, value in enumerate(rows[0]) if index not in varying] if rows else []
        with psycopg.Cursor(cursor.connection) as raw:
            for start in range(0, len(rows), INSERT_CHUNK):
                chunk = rows[start : start + INSERT_CHUNK]
                raw.execute(sql, [*shared, *([row[index] for row in chunk] for index in varying)])


def _managers_by_organisation(organisation_ids: Iterable[int | None]) -> dict[int, list[int]]:
    """Active managers' ids per organisation, in one query."""
    ids = {pk for pk in organisation_ids if pk is not None}
    managers: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return managers
    for organisation_id, user_id in (
        Membership.objects.managers()
        .filter(organisation_id__in=ids, user__is_active=True)
        .order_by("user_id")
        .values_list("organisation_id", "user_id")
    ):
        managers[organisation_id].append(user_id)
    return managers


def _borrower_ids(row: dict[str, Any], managers: dict[int, list[int]]) -> list[int]:
    """``notifications.borrowers`` for a row of values: the person who booked (if still active), or
    the borrowing organisation's managers when that account is gone."""
    if row["booked_by_id"] is not None:
        return [row["booked_by_id"]] if row["booked_by__is_active"] else []
    return managers.get(row["organisation_id"], [])


def _has(kind: str) -> Exists:
    return Exists(Notification.objects.filter(booking=OuterRef("pk"), kind=kind))


def _moved_at(status: str) -> Subquery:
    """When the booking last entered ``status`` (its transitions)."""
    return Subquery(
        BookingTransition.objects.filter(booking=OuterRef("pk"), to_status=status)
        .order_by("-at")
        .values("at")[:1]
    )


_ROW_FIELDS = ("pk", "start", "end", "created", "booked_by_id", "booked_by__is_active", "organisation_id")


# --- Reminders before the start ---------------------------------------------------------------------------


def reminders_create(*, now: datetime | None = None) -> int:
    """Write the reminders that are due: confirmed bookings whose start minus ``reminder_hours`` (Berlin
    wall clock) has passed and whose start has not. One query for the candidates (a bounded window per
    distinct ``reminder_hours`` value), chunked inserts. Returns how many notifications it wrote."""
    now = now or timezone.now()
    hours = sorted(
        set(Resource.objects.filter(reminder_hours__gt=0).values_list("reminder_hours", flat=True))
    )
    if not hours:
        return 0
    window = Q()
    for value in hours:
        window |= Q(resource__reminder_hours=value, start__lte=now + timedelta(hours=value) + DST_SLACK)
    rows = list(
        Booking.objects.filter(window, status=S.CONFIRMED, start__gt=now)
        .exclude(_has(K.REMINDER))
        .annotate(confirmed_at=_moved_at(S.CONFIRMED))
        .values(*_ROW_FIELDS, "confirmed_at", "resource__reminder_hours")
    )
    due_rows = []
    for row in rows:
        due = reminder_due(row["start"], row["resource__reminder_hours"])
        # Confirmed only after the reminder was due (booked two hours ahead, or approved late): the
        # confirmation itself was the reminder.
        if due <= now and (row["confirmed_at"] or row["created"]) < due:
            due_rows.append(row)
    managers = _managers_by_organisation(
        row["organisation_id"] for row in due_rows if row["booked_by_id"] is None
    )
    items = [
        (user_id, row["pk"], 0, {"hours": row["resource__reminder_hours"]})
        for row in due_rows
        for user_id in _borrower_ids(row, managers)
    ]
    with transaction.atomic():
        return len(_bulk_notify(K.REMINDER, items, now=now))


# --- Equipment: return due and overdue --------------------------------------------------------------------


def _handed_over() -> Any:
    return Booking.objects.filter(status=S.CHECKED_OUT, resource__kind=Resource.Kind.EQUIPMENT)


def return_due_create(*, now: datetime | None = None) -> int:
    """Tell borrowers of handed-over equipment, ``RETURN_DUE_BEFORE`` before the end, that it is due
    back — unless it was handed over after that moment. Returns how many notifications it wrote."""
    now = now or timezone.now()
    rows = list(
        _handed_over()
        .filter(end__gt=now, end__lte=now + RETURN_DUE_BEFORE)
        .exclude(_has(K.RETURN_DUE))
        .annotate(handed_over_at=_moved_at(S.CHECKED_OUT))
        .values(*_ROW_FIELDS, "handed_over_at")
    )
    rows = [row for row in rows if (row["handed_over_at"] or row["created"]) < row["end"] - RETURN_DUE_BEFORE]
    managers = _managers_by_organisation(
        row["organisation_id"] for row in rows if row["booked_by_id"] is None
    )
    items = [(user_id, row["pk"], 0, {}) for row in rows for user_id in _borrower_ids(row, managers)]
    with transaction.atomic():
        return len(_bulk_notify(K.RETURN_DUE, items, now=now))


def overdue_sequence(end: datetime, now: datetime) -> int:
    """Which overdue notice is due at ``now`` for equipment due back at ``end``: 0 (none yet), then 1 from
    ``OVERDUE_GRACE`` after the end, one more per wall-clock day, at most ``OVERDUE_CAP``."""
    first = end + OVERDUE_GRACE
    if now < first:
        return 0
    sequence = 1
    while sequence < OVERDUE_CAP and wall_clock_shift(first, days=sequence) <= now:
        sequence += 1
    return sequence


def overdue_create(*, now: datetime | None = None) -> int:
    """Remind borrowers of equipment still handed over after its end, every day up to ``OVERDUE_CAP``
    times; the last notice also goes to the owner's managers. Returns how many notifications it wrote."""
    now = now or timezone.now()
    last_sent = Subquery(
        Notification.objects.filter(booking=OuterRef("pk"), kind=K.OVERDUE)
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    rows = list(
        _handed_over()
        .filter(end__lte=now - OVERDUE_GRACE)
        .annotate(last_sent=last_sent)
        .filter(Q(last_sent__isnull=True) | Q(last_sent__lt=OVERDUE_CAP))
        .values(*_ROW_FIELDS, "last_sent", "resource__organisation_id")
    )
    due_rows = []
    for row in rows:
        sequence = overdue_sequence(row["end"], now)
        if sequence > (row["last_sent"] or 0):
            due_rows.append((row, sequence))
    managers = _managers_by_organisation(
        [row["organisation_id"] for row, _ in due_rows if row["booked_by_id"] is None]
        + [row["resource__organisation_id"] for row, sequence in due_rows if sequence == OVERDUE_CAP]
    )
    items = []
    for row, sequence in due_rows:
        context = {"final": sequence == OVERDUE_CAP}
        borrower_ids = _borrower_ids(row, managers)
        items += [(user_id, row["pk"], sequence, {**context, "side": "borrower"}) for user_id in borrower_ids]
        if sequence == OVERDUE_CAP:
            items += [
                (user_id, row["pk"], sequence, {**context, "side": "owner"})
                for user_id in managers.get(row["resource__organisation_id"], [])
                if user_id not in borrower_ids
            ]
    with transaction.atomic():
        return len(_bulk_notify(K.OVERDUE, items, now=now))


# --- Daily digest for the deciders ------------------------------------------------------------------------


def digest_moment(now: datetime) -> datetime:
    """When the digest of ``now``'s Berlin day is due: ``NOTIFICATION_DIGEST_HOUR`` o'clock on the wall
    clock (an hour the spring change skips is read with the winter offset, as in ``wall_clock_shift``)."""
    day = now.astimezone(local_zone()).date()
    hour = settings.NOTIFICATION_DIGEST_HOUR
    return datetime(day.year, day.month, day.day, hour, tzinfo=local_zone()).astimezone(UTC)


def digest_sequence(now: datetime) -> int:
    """The digest's sequence: its Berlin day as ``yyyymmdd`` (one digest per person and day)."""
    return int(now.astimezone(local_zone()).strftime("%Y%m%d"))


def digest_send(*, now: datetime | None = None) -> int:
    """The beat task's digest: one message per manager (and skill holder) with requests waiting for
    their decision, once per Berlin day (sequence ``yyyymmdd``), listing the requests (at most
    ``DIGEST_MAX_ITEMS``; the count is complete). Whether it goes out by e-mail is decided at sending
    time (``notify_digest``). Returns how many digests it wrote; a second run on the same day writes
    none. Queued after the commit (the sweep's ``deliver_due`` would also find the rows)."""
    now = now or timezone.now()
    with transaction.atomic():
        keys = _digest_write(now=now)
        transaction.on_commit(lambda: notifications.queue(keys))
    return len(keys)


def digest_catch_up(*, now: datetime | None = None) -> int:
    """The sweep's step for a digest the beat task missed (no worker around its hour: the task
    expires after an hour and is gone). Once the day's digest moment has passed, write the digest
    each decider would have got then — the requests already waiting at that moment and waiting still —
    to those who have none for today yet. Nobody gets a second one: the day's row exists (unique
    key). Requests made after the moment are left out, so a manager who had nothing waiting at seven
    does not get a "digest" of one new request in the afternoon — its "approval needed" mail said it.
    Not queued here: ``deliver_due``, the sweep's last step, queues the rows. Returns how many it wrote."""
    now = now or timezone.now()
    moment = digest_moment(now)
    if now < moment:
        return 0
    # Asked every minute: one indexed look-up instead of loading the waiting requests. Beat's task and
    # this step write the whole day's digest in one transaction, and everyone with a request waiting at
    # the moment got one then (beat ran at or after it), so any row of today's means nothing is missing.
    if Notification.objects.filter(kind=K.DIGEST, sequence=digest_sequence(now)).exists():
        return 0
    with transaction.atomic():
        return len(_digest_write(now=now, waiting_since=moment))


def _digest_write(*, now: datetime, waiting_since: datetime | None = None) -> list[str]:
    """Write today's digest rows for the deciders who have none yet; returns their keys. With
    ``waiting_since``, only requests made by then count."""
    sequence = digest_sequence(now)
    pending_requests = Booking.objects.filter(status=S.REQUESTED, start__gt=now)
    if waiting_since is not None:
        pending_requests = pending_requests.filter(created__lte=waiting_since)
    pending = list(pending_requests.select_related("resource", "organisation").order_by("start", "pk"))
    if not pending:
        return []
    managers = _managers_by_organisation(booking.resource.organisation_id for booking in pending)
    holder_ids = {
        booking.resource.holder_id
        for booking in pending
        if booking.resource.kind == Resource.Kind.SKILL and booking.resource.holder_id
    }
    active_holders = (
        set(User.objects.filter(pk__in=holder_ids, is_active=True).values_list("pk", flat=True))
        if holder_ids
        else set()
    )
    requests: dict[int, list[Booking]] = defaultdict(list)
    for booking in pending:
        people = list(managers.get(booking.resource.organisation_id, []))
        if booking.resource.kind == Resource.Kind.SKILL and booking.resource.holder_id in active_holders:
            people.append(booking.resource.holder_id)
        for user_id in dict.fromkeys(people):
            requests[user_id].append(booking)
    already = set(
        Notification.objects.filter(kind=K.DIGEST, sequence=sequence, recipient_id__in=requests).values_list(
            "recipient_id", flat=True
        )
    )
    items = [
        (user_id, None, sequence, _digest_context(bookings, now))
        for user_id, bookings in sorted(requests.items())
        if user_id not in already
    ]
    if not items:
        return []
    return _bulk_notify(K.DIGEST, items, now=now)


def _digest_context(bookings: list[Booking], now: datetime) -> dict[str, Any]:
    return {
        "day": now.astimezone(local_zone()).date().isoformat(),
        "count": len(bookings),
        "requests": [
            {
                "booking": booking.pk,
                "resource": booking.resource.name,
                "organisation": booking.organisation.name if booking.organisation else "",
                "start": booking.start.isoformat(),
                "end": booking.end.isoformat(),
                "purpose": booking.purpose,
            }
            for booking in bookings[:DIGEST_MAX_ITEMS]
        ],
    }


# --- The sweep --------------------------------------------------------------------------------------------


def _steps() -> list[tuple[str, Callable[..., int]]]:
    """The sweep's steps in order, looked up at call time. Each is its own transaction."""
    return [
        ("complete_past", services.booking_complete_past),
        ("expire_unanswered", services.booking_expire_unanswered),
        ("reminders", reminders_create),
        ("return_due", return_due_create),
        ("overdue", overdue_create),
        ("waitlist_lapse", waitlist.waitlist_lapse_offers),
        ("digest", digest_catch_up),
        ("deliver", notifications.deliver_due),
    ]


def sweep(*, now: datetime | None = None) -> dict[str, int | None]:
    """Run every scheduled step once, each in its own transaction; a step that fails is logged and the
    others still run (its work is picked up by the next sweep). Returns each step's count (``None`` for
    a failed step)."""
    now = now or timezone.now()
    results: dict[str, int | None] = {}
    for name, step in _steps():
        try:
            with transaction.atomic():
                results[name] = step(now=now)
        except Exception:  # one broken step must not stop the others
            logger.exception("sweep step %s failed", name)
            results[name] = None
    return results
