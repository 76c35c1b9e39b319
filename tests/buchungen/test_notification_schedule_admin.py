"""Beat's schedule in the admin (docs/notifications-schedule.md, "Schedule, admin, knobs"): the coordinator
opens the periodic tasks and their schedules and sees the sweep and the digest, but cannot change,
add, delete, switch off or run them (konten/rules.py grants view only; buchungen/admin_schedule.py
withholds django_celery_beat's actions from whoever may not change). Managers do not get in at all."""

import pytest
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app
from tests.factories import UserFactory

# transaction=True: the scheduler closes "old" connections (see test_beat_schedule.py).
pytestmark = pytest.mark.django_db(transaction=True)

TASKS = reverse("admin:django_celery_beat_periodictask_changelist")


@pytest.fixture
def schedule(coordinator):
    """What `celery beat` writes at start; the coordinator reads the admin in English."""
    DatabaseScheduler(app=app)
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    return {task.name: task for task in PeriodicTask.objects.filter(name__startswith="buchungen-")}


def _state() -> list[tuple]:
    return list(
        PeriodicTask.objects.order_by("name").values_list(
            "name", "task", "enabled", "interval_id", "crontab_id", "expire_seconds", "description"
        )
    )


def test_the_coordinator_sees_the_sweep_and_the_digest(client, coordinator, schedule):
    client.force_login(coordinator)

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert TASKS in index.content.decode()  # the app is listed on the admin's start page

    response = client.get(TASKS)
    assert response.status_code == 200
    listed = {task.name for task in response.context["cl"].result_list}
    assert {"buchungen-sweep", "buchungen-digest"} <= listed
    html = response.content.decode()
    assert "buchungen-sweep" in html and "buchungen-digest" in html
    # Nothing to act with: the enable/disable/toggle/run actions are not offered.
    for action in ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks", "delete_selected"):
        assert action not in html
    assert reverse("admin:django_celery_beat_periodictask_add") not in html

    digest = client.get(
        reverse("admin:django_celery_beat_periodictask_change", args=[schedule["buchungen-digest"].pk])
    )
    assert digest.status_code == 200
    page = digest.content.decode()
    assert "buchungen.tasks.digest" in page
    assert 'name="_save"' not in page  # read-only

    crontab = schedule["buchungen-digest"].crontab
    assert (
        client.get(reverse("admin:django_celery_beat_crontabschedule_change", args=[crontab.pk])).status_code
        == 200
    )
    intervals = client.get(reverse("admin:django_celery_beat_intervalschedule_changelist"))
    assert intervals.status_code == 200
    assert schedule["buchungen-sweep"].interval in intervals.context["cl"].result_list


def test_the_coordinator_cannot_change_the_schedule(client, coordinator, schedule):
    client.force_login(coordinator)
    before = _state()
    sweep = schedule["buchungen-sweep"]
    crontab_count, interval_count = CrontabSchedule.objects.count(), IntervalSchedule.objects.count()

    change = reverse("admin:django_celery_beat_periodictask_change", args=[sweep.pk])
    edited = client.post(
        change,
        {
            "name": "buchungen-sweep",
            "task": "buchungen.tasks.sweep",
            "enabled": "",
            "interval": sweep.interval_id,
        },
    )
    assert edited.status_code == 403
    for action in ("disable_tasks", "toggle_tasks", "enable_tasks", "run_tasks", "delete_selected"):
        client.post(TASKS, {"action": action, "_selected_action": [sweep.pk], "index": 0, "post": "yes"})
        assert _state() == before, action
    added = client.post(
        reverse("admin:django_celery_beat_periodictask_add"),
        {"name": "extra", "task": "buchungen.tasks.sweep", "interval": sweep.interval_id},
    )
    assert added.status_code == 403
    deleted = client.post(
        reverse("admin:django_celery_beat_periodictask_delete", args=[sweep.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    crontab = reverse(
        "admin:django_celery_beat_crontabschedule_change", args=[schedule["buchungen-digest"].crontab_id]
    )
    assert client.post(crontab, {"minute": "30", "hour": "3"}).status_code == 403

    assert _state() == before
    assert PeriodicTask.objects.get(pk=sweep.pk).enabled
    assert (CrontabSchedule.objects.count(), IntervalSchedule.objects.count()) == (
        crontab_count,
        interval_count,
    )
    assert str(PeriodicTask.objects.get(name="buchungen-digest").crontab.hour) == "7"


def test_a_superuser_keeps_the_actions(client, schedule):
    """Withholding the actions is about permission, not a blanket removal."""
    admin_user = UserFactory(is_staff=True, is_superuser=True, is_coordinator=True)
    client.force_login(admin_user)
    html = client.get(TASKS).content.decode()
    assert "disable_tasks" in html


def test_a_manager_does_not_see_the_schedule(client, manager_a, schedule):
    manager_a.is_staff = True
    manager_a.save()
    client.force_login(manager_a)
    assert client.get(TASKS).status_code in (302, 403)
    assert client.post(
        TASKS, {"action": "disable_tasks", "_selected_action": [schedule["buchungen-sweep"].pk], "index": 0}
    ).status_code in (302, 403)
    assert PeriodicTask.objects.get(name="buchungen-sweep").enabled
