"""The delivery engine when things go wrong (buchungen/notifications.py ``deliver``/``deliver_due``): a mail
server that refuses — retries waiting in the database with backoff, then ``failed``, found by the
coordinator and sent again —, a worker killed while sending — its claim handed back after the claim
timeout, the message sent once —, and the Celery settings that make a lost task run again.

Real delivery throughout: the services write the rows, the sweep's ``deliver_due`` queues them, Celery
(eager in tests) runs ``send_notifications``, and the mail goes to the configured backend — here a test
backend that raises, as Django's SMTP backend does when the server is down.
"""

import smtplib
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from buchungen import notifications, services, tasks
from buchungen.models import DeliveryState, Notification
from config.celery import app
from tests.buchungen.conftest import BERLIN

pytestmark = pytest.mark.django_db

REFUSING = "tests.buchungen.test_notification_delivery.RefusingBackend"
DYING = "tests.buchungen.test_notification_delivery.DyingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
CHANGELIST = reverse("admin:buchungen_notification_changelist")


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: every send raises, as ``smtplib`` does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class WorkerKilled(BaseException):
    """Stands for the worker process dying mid-send (``kill -9``): nothing after it runs — not even the
    ``except Exception`` that would record a failure."""


class DyingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise WorkerKilled


def slot(hour: int, *, days: int = 10) -> datetime:
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture
def confirmed(room, member_b, org_b, django_capture_on_commit_callbacks):
    """``confirmed(execute=True)``: member_b books A's room (confirmed at once); with ``execute`` the
    confirmation is delivered after the commit (the first attempt), without it the broker "lost" it.
    Returns the confirmation's notification."""

    def make(*, execute: bool = True) -> Notification:
        with django_capture_on_commit_callbacks(execute=execute):
            services.booking_request(
                actor=member_b, resource=room, start=slot(18), end=slot(20), organisation=org_b
            )
        return Notification.objects.get(kind="confirmed")

    return make


@pytest.fixture
def sweep_delivery(django_capture_on_commit_callbacks):
    """``sweep_delivery(now)``: the sweep's delivery step at ``now``, its tasks run (eager)."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return notifications.deliver_due(now=now)

    return run


def minutes(*values: int) -> list[timedelta]:
    return [timedelta(minutes=value) for value in values]


# --- Backoff --------------------------------------------------------------------------------------------


def test_the_backoff_doubles_from_one_minute_up_to_thirty():
    assert notifications.MAX_ATTEMPTS == 8
    assert [notifications._backoff(attempt) for attempt in range(1, 9)] == minutes(1, 2, 4, 8, 16, 30, 30, 30)


def test_a_refusing_mail_server_is_retried_with_backoff_then_the_message_is_failed(
    settings, confirmed, sweep_delivery
):
    settings.EMAIL_BACKEND = REFUSING
    notification = confirmed()  # the first attempt, straight after the booking's commit

    waits = []
    for attempt in range(1, notifications.MAX_ATTEMPTS):
        notification.refresh_from_db()
        assert (notification.email_state, notification.email_attempts) == (DeliveryState.PENDING, attempt)
        assert notification.email_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        waits.append(notification.email_due - notification.email_claimed_at)
        # The retry waits in the database: a sweep before its time queues nothing, one at it does.
        assert sweep_delivery(notification.email_due - timedelta(seconds=1)) == 0
        assert Notification.objects.get(pk=notification.pk).email_attempts == attempt
        assert sweep_delivery(notification.email_due) == 1

    assert waits == minutes(1, 2, 4, 8, 16, 30, 30)
    notification.refresh_from_db()
    assert (notification.email_state, notification.email_attempts) == (
        DeliveryState.FAILED,
        notifications.MAX_ATTEMPTS,
    )
    assert "SMTPServerDisconnected" in notification.email_error
    assert mail.outbox == []

    # Failed is final: no sweep and no stray task tries again.
    assert sweep_delivery(timezone.now() + timedelta(days=30)) == 0
    assert tasks.send_notifications.apply(args=[[notification.key]]).get() == 0
    notification.refresh_from_db()
    assert (notification.email_state, notification.email_attempts) == (DeliveryState.FAILED, 8)


def test_a_failed_message_shows_up_for_the_coordinator_who_sends_it_again(
    settings, confirmed, sweep_delivery, client, coordinator, member_b, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    notification = confirmed()
    for _attempt in range(1, notifications.MAX_ATTEMPTS):
        notification.refresh_from_db()
        sweep_delivery(notification.email_due)
    notification.refresh_from_db()
    assert notification.email_state == DeliveryState.FAILED

    client.force_login(coordinator)
    listed = client.get(CHANGELIST, {"email_state__exact": "failed"})
    assert list(listed.context["cl"].result_list) == [notification]
    assert "SMTPServerDisconnected" in listed.content.decode()

    settings.EMAIL_BACKEND = LOCMEM  # the mail server is back
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            CHANGELIST,
            {"action": "send_again", "_selected_action": [notification.pk], "index": 0},
            follow=True,
        )

    assert [message.to for message in mail.outbox] == [[member_b.email]]
    notification.refresh_from_db()
    assert (notification.email_state, notification.email_attempts, notification.email_error) == (
        DeliveryState.SENT,
        1,
        "",
    )
    assert client.get(CHANGELIST, {"email_state__exact": "failed"}).context["cl"].result_count == 0
    assert sweep_delivery(timezone.now() + timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


# --- A worker killed while sending ------------------------------------------------------------------------


def test_a_claim_left_by_a_killed_worker_is_handed_back_after_the_claim_timeout(
    settings, confirmed, sweep_delivery
):
    notification = confirmed(execute=False)  # written; its task never ran
    settings.EMAIL_BACKEND = DYING
    claimed = timezone.now()
    with pytest.raises(WorkerKilled):
        notifications.deliver(notification.key, now=claimed)
    notification.refresh_from_db()
    assert (notification.email_state, notification.email_attempts) == (DeliveryState.SENDING, 1)
    timeout = notifications.claim_timeout()
    assert timeout == timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT) == timedelta(minutes=5)

    settings.EMAIL_BACKEND = LOCMEM
    # While the claim may still be alive, nobody else sends it: not a second task, not the sweep.
    assert notifications.deliver(notification.key) is False
    assert sweep_delivery(claimed + timeout - timedelta(seconds=1)) == 0
    assert Notification.objects.get(pk=notification.pk).email_state == DeliveryState.SENDING
    assert mail.outbox == []

    # After the timeout the sweep gives the row back and it goes out — once.
    assert sweep_delivery(claimed + timeout + timedelta(seconds=1)) == 1
    notification.refresh_from_db()
    assert (notification.email_state, notification.email_attempts) == (DeliveryState.SENT, 2)
    assert len(mail.outbox) == 1
    assert sweep_delivery(claimed + timeout + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


# --- Celery: a lost task runs again -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "buchungen.tasks.send_notifications",
        "buchungen.tasks.deliver_due",
        "buchungen.tasks.sweep",
        "buchungen.tasks.digest",
    ],
)
def test_notification_tasks_are_acknowledged_late_and_requeued_when_the_worker_is_lost(name):
    """A worker killed mid-task must leave the task in the queue (acks_late), and a task whose worker
    process died must be rejected back to the queue, not acknowledged (reject_on_worker_lost); one
    task at a time per process, so a killed process strands at most one."""
    import config.settings as production

    assert production.CELERY_TASK_ACKS_LATE is True
    assert production.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert production.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    app.loader.import_default_modules()
    task = app.tasks[name]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
