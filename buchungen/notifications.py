"""Notifications: the outbox the services write, and the e-mail delivery that reads it — each message once.

Writing (``notify``): inside the transaction of the change it tells about, one ``Notification`` row per
recipient, inserted with ``ON CONFLICT DO NOTHING`` on its unique ``key`` — the same event (or a sweep
running twice) cannot make a second row. After the commit the rows' keys are queued for sending; if the
broker is down then, nothing is lost: the per-minute sweep (``deliver_due``) finds rows still pending.

Sending (``deliver``): claim the row with a conditional UPDATE (pending → sending), render it in the
recipient's language, send, mark it sent. Only the worker whose UPDATE changed the row sends. A failure
puts the row back to pending with ``email_due`` pushed out (backoff, in the database — no countdown task
waits in the broker); after ``MAX_ATTEMPTS`` it is ``failed`` and shown to the coordinator, who can send
it again. A worker killed while sending leaves its row ``sending``; after ``CLAIM_TIMEOUT`` the sweep
hands it out again (at least once; the window for a double is the instant between the mail server's
"accepted" and our UPDATE — the message then carries the same Message-ID, so mail clients show it once).

Whether a row goes out by e-mail is decided at sending time (preferences may change meanwhile):
mandatory kinds always, reminders by ``notify_reminders``, the digest by ``notify_digest``, the rest by
``notify_by_email``. The notification centre shows every row regardless.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from buchungen.models import Booking, DeliveryState, Notification, NotificationKind, WaitlistEntry
from konten.models import Membership, User
from konten.services import require_perm
from ressourcen.models import Resource

logger = logging.getLogger(__name__)

K = NotificationKind

# Messages a booking cannot do without: a decision, a cancellation, an offer with a deadline, the
# owner's request to decide, property to bring back. The person's e-mail preferences do not stop them.
MANDATORY_KINDS = frozenset(
    {
        K.APPROVAL_NEEDED,
        K.CONFIRMED,
        K.DECLINED,
        K.CANCELLED,
        K.EXPIRED,
        K.WAITLIST_OFFER,
        K.RETURN_DUE,
        K.OVERDUE,
    }
)
MAX_ATTEMPTS = 8
# Backoff between attempts: 1, 2, 4 … minutes, at most 30.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(minutes=30)
# How long a queued row waits for its task before the sweep queues it again (the task got lost).
QUEUE_LEASE = timedelta(minutes=2)
# Keys per delivery task: a sweep over many due rows queues few, short tasks.
BATCH_SIZE = 100


def claim_timeout() -> timedelta:
    """How long a row may stay ``sending`` before it is taken to be abandoned (worker killed)."""
    return timedelta(seconds=getattr(settings, "NOTIFICATION_CLAIM_TIMEOUT", 300))


def notification_key(
    kind: str,
    recipient: User,
    *,
    booking: Booking | None = None,
    entry: WaitlistEntry | None = None,
    sequence: int = 0,
) -> str:
    subject = f"b{booking.pk}" if booking is not None else f"w{entry.pk}" if entry is not None else "-"
    return f"{kind}:{subject}:{sequence}:u{recipient.pk}"


# --- Writing ------------------------------------------------------------------------------------------


def notify(
    kind: str,
    recipients: Iterable[User | None],
    *,
    booking: Booking | None = None,
    entry: WaitlistEntry | None = None,
    sequence: int = 0,
    context: dict[str, Any] | None = None,
) -> list[str]:
    """Write one notification per (active) recipient, in the caller's transaction, and queue them after
    the commit. One INSERT; repeating the same call writes nothing new. Returns the keys written or
    already there."""
    return notify_many(
        [(kind, recipients, {"booking": booking, "entry": entry, "sequence": sequence, "context": context})]
    )


_silenced: ContextVar[bool] = ContextVar("notifications_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Write no notifications inside the block — for loading demo history, which nobody should be told
    about. Never used by the services themselves."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def notify_many(calls: Iterable[tuple[str, Iterable[User | None], dict[str, Any]]]) -> list[str]:
    """Several ``notify`` calls — ``(kind, recipients, {booking, entry, sequence, context})`` each — in
    one INSERT (a booking that needs approval tells the borrower and the deciders in one statement)."""
    if _silenced.get():
        return []
    rows = []
    for kind, recipients, options in calls:
        booking, entry = options.get("booking"), options.get("entry")
        sequence, context = options.get("sequence", 0), options.get("context")
        people = {person.pk: person for person in recipients if person is not None and person.is_active}
        rows += [
            Notification(
                key=notification_key(kind, person, booking=booking, entry=entry, sequence=sequence),
                recipient=person,
                kind=kind,
                booking=booking,
                waitlist_entry=entry,
                sequence=sequence,
                mandatory=kind in MANDATORY_KINDS,
                context=context or {},
            )
            for person in people.values()
        ]
    # One person on both sides (a manager booking their own room) gets the first call's row.
    unique: dict[str, Notification] = {}
    for row in rows:
        unique.setdefault(row.key, row)
    rows = list(unique.values())
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [row.key for row in rows]
    transaction.on_commit(lambda: queue(keys))
    return keys


def queue(keys: list[str]) -> None:
    """Hand ``keys`` to the workers, in batches. A broker that is down is logged, not raised: the rows
    are in the database and the sweep sends them once it is back."""
    from buchungen.tasks import send_notifications

    for start in range(0, len(keys), BATCH_SIZE):
        batch = keys[start : start + BATCH_SIZE]
        try:
            send_notifications.delay(batch)
        except Exception:  # the broker's errors differ by transport; the sweep catches up
            logger.warning("could not queue %d notification(s); the sweep will send them", len(batch))
            return


# --- Recipients -----------------------------------------------------------------------------------------


def _managers(organisation_id: int) -> list[User]:
    return [
        membership.user
        for membership in Membership.objects.managers()
        .filter(organisation_id=organisation_id)
        .select_related("user")
    ]


def deciders(resource: Resource) -> list[User]:
    """Who decides on requests for ``resource``: its organisation's managers and, for a skill, its holder."""
    people = _managers(resource.organisation_id)
    if resource.kind == Resource.Kind.SKILL and resource.holder_id:
        people.append(resource.holder)
    return people


def borrowers(booking: Booking) -> list[User]:
    """Who hears about a booking on the borrowing side: the person who made it. When that account is
    gone (erased), the borrowing organisation's managers instead, so the message reaches someone."""
    if booking.booked_by_id is not None:
        return [booking.booked_by]
    if booking.organisation_id is None:
        return []
    return _managers(booking.organisation_id)


# --- Sending --------------------------------------------------------------------------------------------


def wants_email(notification: Notification) -> bool:
    person = notification.recipient
    if not person.is_active or not person.email:
        return False
    if notification.mandatory:
        return True
    if notification.kind == K.REMINDER:
        return person.notify_reminders
    if notification.kind == K.DIGEST:
        return person.notify_digest
    return person.notify_by_email


def _claim(key: str, now: datetime) -> bool:
    return bool(
        Notification.objects.filter(key=key, email_state=DeliveryState.PENDING).update(
            email_state=DeliveryState.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1
        )
    )


def _backoff(attempts: int) -> timedelta:
    base = timedelta(seconds=getattr(settings, "NOTIFICATION_BACKOFF_BASE", BACKOFF_BASE.total_seconds()))
    return min(BACKOFF_MAX, base * 2 ** max(0, attempts - 1))


def queue_lease() -> timedelta:
    """How long a row the sweep queued waits for its task before the sweep queues it again."""
    return timedelta(seconds=getattr(settings, "NOTIFICATION_QUEUE_LEASE", QUEUE_LEASE.total_seconds()))


def deliver(key: str, *, now: datetime | None = None) -> bool:
    """Send the notification ``key`` by e-mail if it is pending and wanted. Returns whether this call
    sent it. Never raises for a mail failure: it is recorded on the row and retried by the sweep."""
    from buchungen.messages import notification_send

    now = now or timezone.now()
    if not _claim(key, now):
        return False
    notification = (
        Notification.objects.select_related(
            "recipient",
            "booking__resource__organisation",
            "booking__organisation",
            "waitlist_entry__resource",
        )
        .filter(key=key)
        .first()
    )
    if notification is None:  # deleted meanwhile (account erased)
        return False
    if not wants_email(notification):
        Notification.objects.filter(pk=notification.pk).update(email_state=DeliveryState.SKIPPED)
        return False
    try:
        notification_send(notification)
    except Exception as error:  # SMTP, DNS, a template bug: record it, try again later
        attempts = notification.email_attempts
        failed = attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            email_state=DeliveryState.FAILED if failed else DeliveryState.PENDING,
            # Counted from the attempt's start (its claim), so the wait is the same whether the mail
            # server refused at once or after its timeout.
            email_due=now + _backoff(attempts),
            email_error=f"{type(error).__name__}: {error}"[:2000],
        )
        logger.warning("notification %s: attempt %d failed: %s", key, attempts, error)
        return False
    Notification.objects.filter(pk=notification.pk).update(
        email_state=DeliveryState.SENT, email_sent_at=timezone.now(), email_error=""
    )
    return True


def deliver_due(*, now: datetime | None = None, limit: int = 100_000) -> int:
    """The sweep's part for e-mail: give abandoned claims back, then queue every pending row that is due
    (pushing its ``email_due`` ahead by ``QUEUE_LEASE``). Returns how many rows were queued."""
    now = now or timezone.now()
    Notification.objects.filter(
        email_state=DeliveryState.SENDING, email_claimed_at__lt=now - claim_timeout()
    ).update(email_state=DeliveryState.PENDING, email_due=now)
    with transaction.atomic():
        keys = list(
            Notification.objects.filter(email_state=DeliveryState.PENDING, email_due__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("email_due", "pk")
            .values_list("key", flat=True)[:limit]
        )
        if keys:
            for start in range(0, len(keys), 5_000):
                Notification.objects.filter(key__in=keys[start : start + 5_000]).update(
                    email_due=now + queue_lease()
                )
            transaction.on_commit(lambda: queue(keys))
    return len(keys)


def resend(*, actor: User, notification: Notification) -> None:
    """Send a failed (or sent) message again — the coordinator's button in the admin."""
    require_perm(actor, "konten.access_admin")
    Notification.objects.filter(pk=notification.pk).update(
        email_state=DeliveryState.PENDING, email_attempts=0, email_due=timezone.now(), email_error=""
    )
    transaction.on_commit(lambda: queue([notification.key]))


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user: User, notification: Notification | None = None) -> int:
    """Mark one (or, without ``notification``, all) of ``user``'s notifications read."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        rows = rows.filter(pk=notification.pk)
    return rows.update(read_at=timezone.now())
