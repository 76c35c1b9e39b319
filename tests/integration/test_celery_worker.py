"""A real Celery worker, in a process of its own, runs our tasks — on Redis and on the embedded broker.

The unit tests run tasks eagerly in-process; these prove the plumbing they cannot: serialisation,
the broker, the worker loading Django, reading rows the web process committed, sending real SMTP.
"""

import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import UserFactory
from tests.integration.conftest import (
    BIN,
    child_env,
    manage,
    require_postgres,
    text_body,
    wait_until,
)

WORKER_TIMEOUT = 60  # seconds for a worker to start and finish a handful of tasks


def _worker_args(*extra: str) -> list[str]:
    # No gossip/mingle/heartbeat: one worker alone starts faster and talks less to the broker.
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--loglevel=info",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *extra,
    ]


def _test_database_url() -> str:
    """The URL of the database this test runs in (pytest-django's test_… database)."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _succeeded(log: str, task: str) -> list[str]:
    """Return values of the successful runs of ``task`` in a worker log."""
    return re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (\S+)", log)


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_sends_the_welcome_email_exactly_once(tmp_path, redis_database, smtp_sink, processes):
    require_postgres()
    if connection.vendor != "postgresql":
        pytest.skip("the worker must share the test database: run with DATABASE_URL=postgres://…")
    user = UserFactory(email="wilma.willkommen@example.org", name="Wilma Willkommen")
    env = child_env(
        DATABASE_URL=_test_database_url(),
        REDIS_URL=redis_database.url,
        DATA_DIR=str(tmp_path / "data"),
        **smtp_sink.env(),
    )
    processes.start("worker", _worker_args("--pool=prefork", "--concurrency=2"), env)

    # Queue the same task twice, as a double click or a retried request would. Sent from a separate
    # process with the real settings, exactly as the web process does it.
    queue = (
        "from konten.tasks import send_welcome_email; "
        f"send_welcome_email.delay({user.pk}); send_welcome_email.delay({user.pk})"
    )
    manage("shell", "--no-imports", "-c", queue, env=env)

    task = "konten.tasks.send_welcome_email"
    processes.wait_for_log("worker", "ready.", timeout=WORKER_TIMEOUT)
    results = _succeeded_within(processes, task, count=2)
    assert sorted(results) == ["False", "True"], "exactly one of the two runs may send"

    messages = smtp_sink.messages(to=user.email)
    assert len(messages) == 1
    assert "Wilma" in text_body(messages[0])
    user.refresh_from_db()
    assert user.welcome_email_sent_at is not None


def _succeeded_within(processes, task: str, *, count: int) -> list[str]:
    def done():
        processes.assert_alive("worker")
        found = _succeeded(processes.log("worker"), task)
        return found if len(found) >= count else None

    return wait_until(done, timeout=WORKER_TIMEOUT, what=f"{count} successful runs of {task}")


@pytest.mark.celery_worker
def test_worker_on_the_embedded_sqlite_broker_runs_a_task(tmp_path, processes):
    """The embedded default of `make run`: SQLite database, kombu's SQLAlchemy broker, mail to files."""
    data = tmp_path / "data"
    env = child_env(DATA_DIR=str(data))  # nothing else set: the development defaults
    manage("migrate", "--no-input", env=env)
    processes.start("worker", _worker_args("--pool=prefork", "--concurrency=1"), env)
    # Only once the worker has declared its queue: kombu's SQLAlchemy transport creates the queue's row
    # without guarding against a second process doing the same at that moment (UNIQUE constraint failed).
    processes.wait_for_log("worker", "ready.", timeout=WORKER_TIMEOUT)

    create_and_queue = (
        "from konten.models import User; from konten.tasks import send_welcome_email; "
        "user = User.objects.create_user('emil.eingebettet@example.org', name='Emil'); "
        "send_welcome_email.delay(user.pk)"
    )
    manage("shell", "--no-imports", "-c", create_and_queue, env=env)

    assert _succeeded_within(processes, "konten.tasks.send_welcome_email", count=1) == ["True"]
    assert (data / "celery-broker.sqlite3").exists()
    mails = list((data / "mail").glob("*.log"))
    assert len(mails) == 1
    assert "To: emil.eingebettet@example.org" in mails[0].read_text()
