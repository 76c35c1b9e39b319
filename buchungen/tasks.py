"""Celery tasks of the booking engine. Thin: take keys, let ``buchungen.notifications`` and the services
do the work. Nothing is parked in the broker: due work lives in the database and the per-minute sweep
(``sweep``, scheduled by beat — settings.CELERY_BEAT_SCHEDULE) claims it."""

from celery import shared_task

from buchungen import notifications, reminders


@shared_task
def send_notifications(keys: list[str]) -> int:
    """Send the given notifications (each claimed first, so a repeated or parallel task sends nothing
    twice). Returns how many this run sent."""
    return sum(notifications.deliver(key) for key in keys)


@shared_task
def deliver_due() -> int:
    """Queue every pending notification that is due (and give abandoned claims back)."""
    return notifications.deliver_due()


# Beat's tasks (settings.CELERY_BEAT_SCHEDULE). They carry no arguments: what is due is read from the
# database when they run, so a late, repeated or parallel run does the same work once.


@shared_task
def sweep() -> dict[str, int | None]:
    """The per-minute sweep: complete past bookings, expire unanswered requests, write due reminders,
    return-due and overdue notices, lapse waitlist offers, queue pending e-mails."""
    return reminders.sweep()


@shared_task
def digest() -> int:
    """The managers' daily digest of requests waiting for them (07:00 Berlin time)."""
    return reminders.digest_send()
