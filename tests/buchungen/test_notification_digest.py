"""The daily digest when its beat task is missed (buchungen/reminders.py ``digest_catch_up``): beat's task
expires an hour after 07:00 (config/settings.py), so a day without a worker around seven would lose the
digest. The per-minute sweep catches it up later that day — once per person and day, never twice, and
never before its hour."""

from datetime import datetime, timedelta

import pytest
from django.core import mail

from buchungen import reminders
from buchungen.models import Booking, Notification
from tests.buchungen.conftest import BERLIN, at
from tests.factories import BookingFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.sweep(now=now)

    return run


@pytest.fixture
def digest_task(django_capture_on_commit_callbacks):
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.digest_send(now=now)

    return run


def request(resource, start, *, created, **kwargs):
    made = BookingFactory(resource=resource, start=start, status="requested", **kwargs)
    Booking.objects.filter(pk=made.pk).update(created=created)
    return made


@pytest.fixture
def waiting(org_a, org_b, member_b, manager_a):
    """A request for A's room, made the evening before (2 June), waiting for Anna on 3 June."""
    manager_a.language = "en"
    manager_a.save()
    room = ResourceFactory(organisation=org_a, name="Saal Hafen", requires_approval=True)
    return request(room, at(5, 18), created=at(2, 20), booked_by=member_b, organisation=org_b)


def digests():
    return list(Notification.objects.filter(kind="digest").order_by("sequence", "recipient_id"))


def digest_mails():
    return [message for message in mail.outbox if "waiting for your decision" in message.subject]


def test_a_digest_missed_at_its_hour_is_sent_later_the_same_day_exactly_once(sweep, waiting, manager_a):
    # No worker around seven: beat's task expired unrun. The sweeps before seven send nothing.
    assert sweep(at(3, 6, 59))["digest"] == 0
    assert digests() == []

    # The worker is back at 09:30: the first sweep writes and sends the day's digest.
    assert sweep(at(3, 9, 30))["digest"] == 1
    (row,) = digests()
    assert (row.recipient, row.sequence, row.context["count"]) == (manager_a, 20260603, 1)
    assert [item["booking"] for item in row.context["requests"]] == [waiting.pk]
    (message,) = digest_mails()
    assert message.to == ["anna@example.org"]
    assert message.subject == "[Ressourcennetz] 1 request is waiting for your decision"
    assert "http://testserver/buchungen/anfragen/" in message.body

    # Every later sweep that day, and beat's task should it still run: nothing more.
    for moment in (at(3, 9, 30), at(3, 9, 31), at(3, 15), at(3, 23, 59)):
        assert sweep(moment)["digest"] == 0
    assert len(digests()) == 1
    assert len(digest_mails()) == 1


def test_beat_on_time_then_the_sweep_sends_no_second_digest(sweep, digest_task, waiting):
    assert digest_task(at(3, 7)) == 1
    for moment in (at(3, 7), at(3, 7, 1), at(3, 12)):
        assert sweep(moment)["digest"] == 0
    assert digest_task(at(3, 7, 30)) == 0  # a repeated beat task
    assert len(digests()) == 1
    assert len(digest_mails()) == 1


def test_once_the_days_digest_is_written_the_minutely_check_is_one_query(
    digest_task, waiting, django_assert_num_queries
):
    """The sweep asks every minute from seven until midnight: after the day's digest it must not load the
    waiting requests again (one indexed look-up, ``notification_digest_day``)."""
    assert digest_task(at(3, 7)) == 1
    with django_assert_num_queries(1):
        assert reminders.digest_catch_up(now=at(3, 15)) == 0
    assert len(digests()) == 1


def test_the_sweep_catches_up_first_then_beat_runs_late_and_sends_nothing(sweep, digest_task, waiting):
    assert sweep(at(3, 7))["digest"] == 1  # the sweep ran first at seven
    assert digest_task(at(3, 7, 1)) == 0  # beat's task, a minute late
    assert len(digest_mails()) == 1


def test_the_next_day_has_its_own_digest(sweep, waiting):
    assert sweep(at(3, 10))["digest"] == 1
    assert sweep(at(4, 6, 59))["digest"] == 0
    assert sweep(at(4, 7))["digest"] == 1
    assert [row.sequence for row in digests()] == [20260603, 20260604]
    assert len(digest_mails()) == 2


def test_the_catch_up_lists_what_waited_at_the_hour_not_what_came_after(
    sweep, org_a, org_b, member_b, manager_a, manager_b, waiting
):
    """A request made in the afternoon is told by its "approval needed" message; the late digest is the
    one of seven o'clock. A manager with nothing waiting at seven gets none."""
    room_b = ResourceFactory(organisation=org_b, name="Raum 101", requires_approval=True)
    request(room_b, at(6, 10), created=at(3, 14), booked_by=member_b, organisation=org_b)

    assert sweep(at(3, 15))["digest"] == 1
    (row,) = digests()
    assert row.recipient == manager_a
    assert [item["booking"] for item in row.context["requests"]] == [waiting.pk]
    assert not Notification.objects.filter(kind="digest", recipient=manager_b).exists()


def test_the_digest_hour_comes_from_the_settings(settings, sweep, waiting):
    settings.NOTIFICATION_DIGEST_HOUR = 10
    assert reminders.digest_moment(at(3, 9)) == at(3, 10)
    assert sweep(at(3, 9, 59))["digest"] == 0
    assert sweep(at(3, 10))["digest"] == 1


def test_the_digest_moment_is_berlin_wall_clock_across_the_clock_change():
    summer = datetime(2026, 10, 24, 12, tzinfo=BERLIN)
    winter = datetime(2026, 10, 26, 12, tzinfo=BERLIN)
    assert reminders.digest_moment(summer) == datetime(2026, 10, 24, 7, tzinfo=BERLIN)
    assert reminders.digest_moment(winter) == datetime(2026, 10, 26, 7, tzinfo=BERLIN)
    assert reminders.digest_moment(winter) - reminders.digest_moment(summer) == timedelta(hours=49)
