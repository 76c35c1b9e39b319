"""SQLite, the embedded default: the booking services are safe because every transaction is IMMEDIATE.

``config/settings.py`` opens SQLite transactions with ``BEGIN IMMEDIATE`` (``transaction_mode``): the
write lock is taken at the start, so a second writer waits at its BEGIN (up to the busy timeout) until
the first has committed — it never reads the old state. With SQLite's default (DEFERRED) both would read
"free", and one of them would then fail on its write with "database is locked" (or, without the
``select_for_update`` that SQLite ignores, book the slot twice).

Both tests use a database *file*: pytest-django's SQLite test database lives in memory with a shared
cache, which locks tables instead of the file and never waits (busy timeout) — not what runs in
production. The first test needs no Django database at all (both passes run it); the second copies
the test database into a file and runs the real services from threads, so it runs in the SQLite pass.
"""

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper

from config.settings import SQLITE_OPTIONS
from tests.buchungen.test_race import (  # noqa: F401
    first_slot,
    hourly_booking,
    queued_notifications,
    race,
)
from tests.factories import MembershipFactory, ResourceFactory

ACTIVE = ("requested", "confirmed", "checked_out")
# SQLite lets one writer in at a time and the others poll for the lock (busy timeout): a round takes far
# longer than on PostgreSQL, and it is the same lock every round — a few rounds show it.
THREADS = 8
ROUNDS = 10


@contextmanager
def sqlite_connection(alias: str, path: Path, **options) -> Iterator[DatabaseWrapper]:
    """A Django connection to the SQLite file ``path`` with the settings' ``SQLITE_OPTIONS`` (``options``
    override single ones), usable as ``transaction.atomic(using=alias)`` in this thread."""
    settings_dict = connections.configure_settings(
        {
            "default": {},  # (configure_settings insists on one; it is not used here)
            alias: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": SQLITE_OPTIONS | options,
            },
        }
    )[alias]
    wrapper = DatabaseWrapper(settings_dict, alias)
    connections[alias] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[alias]


@pytest.fixture
def own_files(django_db_blocker):
    """Connections to the test's own SQLite files (pytest-django guards only the test database)."""
    with django_db_blocker.unblock():
        yield


def impatient(**options) -> dict:
    """The settings' options with a busy timeout of 50 ms instead of 5 s (SQLite's and Python's): the
    test sees "database is locked" at once instead of waiting for it."""
    init_command = SQLITE_OPTIONS["init_command"].replace("busy_timeout=5000", "busy_timeout=50")
    assert init_command != SQLITE_OPTIONS["init_command"]
    return {"init_command": init_command, "timeout": 0.05, **options}


def test_settings_open_sqlite_transactions_as_immediate():
    assert SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"


def test_a_second_transaction_waits_at_its_begin_while_a_booking_transaction_is_open(tmp_path, own_files):
    path = tmp_path / "locks.sqlite3"
    with (
        sqlite_connection("holder", path) as holder,
        sqlite_connection("second", path, **impatient()) as second,
    ):
        with holder.cursor() as cursor:
            cursor.execute("CREATE TABLE slot (id INTEGER PRIMARY KEY, taken_by TEXT)")
        reached = []

        with transaction.atomic(using="holder"):
            # The booking service's first steps only read (rules, then what is taken): even so, its
            # transaction already holds the write lock.
            with holder.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM slot")
            with (
                pytest.raises(OperationalError, match="database is locked"),
                transaction.atomic(using="second"),
            ):
                reached.append("after BEGIN")  # never: the BEGIN itself is refused
            assert reached == []
            with holder.cursor() as cursor:
                cursor.execute("INSERT INTO slot (taken_by) VALUES ('holder')")

        # Once the first has committed, the second begins and sees its row.
        with transaction.atomic(using="second"), second.cursor() as cursor:
            cursor.execute("SELECT taken_by FROM slot")
            assert cursor.fetchall() == [("holder",)]


def test_without_immediate_both_would_read_and_one_would_fail_on_its_write(tmp_path, own_files):
    """The contrast (SQLite's DEFERRED default): what the setting prevents."""
    path = tmp_path / "deferred.sqlite3"
    deferred = impatient(transaction_mode=None)
    with (
        sqlite_connection("first", path, **deferred) as first,
        sqlite_connection("late", path, **deferred) as late,
    ):
        with first.cursor() as cursor:
            cursor.execute("CREATE TABLE slot (id INTEGER PRIMARY KEY, taken_by TEXT)")
        with transaction.atomic(using="first"), first.cursor() as first_cursor:
            first_cursor.execute("SELECT COUNT(*) FROM slot")
            with (
                pytest.raises(OperationalError, match="database is locked"),
                transaction.atomic(using="late"),
                late.cursor() as late_cursor,
            ):
                late_cursor.execute("SELECT COUNT(*) FROM slot")
                assert late_cursor.fetchone() == (0,)  # it read "free" …
                first_cursor.execute("INSERT INTO slot (taken_by) VALUES ('first')")
                late_cursor.execute("INSERT INTO slot (taken_by) VALUES ('late')")  # … and fails here


# --- The services racing on a SQLite file ----------------------------------------------------------------


@contextmanager
def copied_to_file(path: Path) -> Iterator[None]:
    """Copy the test database (with what the test created so far) into ``path`` and point every
    connection opened from now on — the race's threads — at it; afterwards back to the original."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    settings_dict = connection.settings_dict  # shared by every thread's connection to "default"
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        settings_dict["NAME"] = original


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_eight_threads_book_the_same_slot_on_sqlite_and_exactly_one_wins_each_round(
    tmp_path,
    org_a,
    queued_notifications,  # noqa: F811
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's transaction mode; PostgreSQL races in tests/buchungen/test_race.py")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    clients = [MembershipFactory(organisation=org_a).user for _ in range(THREADS)]
    room = ResourceFactory(organisation=org_a)
    base = first_slot()
    path = tmp_path / "race.sqlite3"

    attempt = hourly_booking(clients, room, org_a, base)

    with copied_to_file(path):
        rounds = race(ROUNDS, attempt, clients=THREADS)

    assert rounds == [Counter(booked=1, conflict=THREADS - 1)] * ROUNDS
    with sqlite3.connect(path) as database:
        held = database.execute(
            "SELECT start, COUNT(*) FROM buchungen_booking"
            " WHERE resource_id = ? AND status IN (?, ?, ?) GROUP BY start",
            [room.pk, *ACTIVE],
        ).fetchall()
    assert len(held) == ROUNDS
    assert {count for _start, count in held} == {1}
