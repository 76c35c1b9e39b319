"""Beat's schedule is code (settings.CELERY_BEAT_SCHEDULE); the DatabaseScheduler copies it into
django_celery_beat's tables when beat starts, which is where the coordinator sees it in the admin."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


# transaction=True: the scheduler closes "old" connections, which inside a test's transaction on
# PostgreSQL means closing the test's own connection.
@pytest.mark.django_db(transaction=True)
def test_beat_writes_the_schedule_into_the_periodic_task_table():
    DatabaseScheduler(app=app)  # what `celery beat` does at start (setup_schedule)

    sweep = PeriodicTask.objects.select_related("interval").get(name="buchungen-sweep")
    assert sweep.task == "buchungen.tasks.sweep"
    assert (sweep.interval.every, sweep.interval.period) == (60, "seconds")
    assert sweep.expire_seconds == 60  # a sweep that waited a whole interval is dropped, not run late
    assert sweep.enabled

    digest = PeriodicTask.objects.select_related("crontab").get(name="buchungen-digest")
    assert digest.task == "buchungen.tasks.digest"
    assert (digest.crontab.minute, digest.crontab.hour) == ("0", "7")
    assert (digest.crontab.day_of_week, digest.crontab.day_of_month, digest.crontab.month_of_year) == (
        "*",
        "*",
        "*",
    )
    assert str(digest.crontab.timezone) == "Europe/Berlin"

    # Starting beat again (a restart, a second deploy) keeps one row per entry.
    DatabaseScheduler(app=app)
    assert PeriodicTask.objects.filter(name__startswith="buchungen-").count() == 2


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_the_sweep_interval_and_digest_hour_come_from_the_environment():
    code = (
        "import json; from django.conf import settings; s = settings.CELERY_BEAT_SCHEDULE; "
        "print(json.dumps([s['buchungen-sweep']['schedule'], s['buchungen-sweep']['options'], "
        "sorted(s['buchungen-digest']['schedule'].hour)]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "NOTIFICATION_SWEEP_SECONDS": "5",
        "NOTIFICATION_DIGEST_HOUR": "6",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [5.0, {"expire_seconds": 60}, [6]]


def test_a_nonsense_interval_is_refused():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "NOTIFICATION_SWEEP_SECONDS": "0"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "NOTIFICATION_SWEEP_SECONDS must be ≥ 1" in result.stderr
