"""Shared fixtures: fixed personas for permission tests (like healthchecks' alice/bob/charlie).

Organisation A is the Hafenstraße centre, B the Volkshochschule. ``manager_a`` manages A, ``member_a``
belongs to A, ``manager_b``/``member_b`` likewise to B, ``coordinator`` coordinates the network and
``outsider`` has an account but no organisation.
"""

import importlib
import os
import socket
from pathlib import Path

import pytest
from django.core.cache import cache

from konten.models import Membership
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Compile translations before the run (once, on the xdist controller), so a bare `pytest` tests
    the German pages as `make test` does. Written atomically: workers never read half a file.
    In every process: restore the seeded data after each flush (``_seed_again_after_flush``)."""
    from django.db.models.signals import post_migrate

    post_migrate.connect(_seed_again_after_flush, dispatch_uid="tests-seed-again-after-flush")
    if hasattr(config, "workerinput"):
        return
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po_paths = [
        *ROOT.glob("locale/*/LC_MESSAGES/django.po"),
        *ROOT.glob("locale-allauth/*/LC_MESSAGES/django.po"),
    ]
    for po_path in po_paths:
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        tmp_path = mo_path.with_suffix(".mo.tmp")
        with tmp_path.open("wb") as handle:
            write_mo(handle, catalog)
        tmp_path.replace(mo_path)
        # Django may have loaded the catalogues while starting up; make it read the fresh files (the
        # gettext module keeps its own cache of parsed .mo files, by path).
        import gettext

        from django.utils.translation import trans_real

        gettext._translations.clear()
        trans_real._translations = {}
        trans_real._default = None


def require_service(what: str, host: str, port: int) -> None:
    """Skip when a service is missing on a laptop; fail loudly in CI, where it must be there."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        message = f"{what} is not reachable at {host}:{port} ({exc})"
        if IN_CI:
            pytest.fail(message + " — CI must run this test", pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits (allauth) live in the cache; one test's failed logins must not throttle the next.
    cache.clear()
    yield
    cache.clear()


def seed_features() -> None:
    """The features migration 0002 seeds (idempotent: it uses update_or_create)."""
    from django.apps import apps

    importlib.import_module("ressourcen.migrations.0002_seed_features").seed(apps, None)


def _seed_again_after_flush(sender, **kwargs) -> None:
    """A transactional test (browser, races, real workers) empties every table when it ends; Django's
    flush then sends post_migrate, on which django.contrib.sites puts back its "example.com". What our
    data migrations seed — the features, the site's name — comes back the same way here, so no test
    depends on what ran before it on its xdist worker (the order differs from run to run)."""
    if sender.label != "buchungen":  # once per flush: the last of our apps
        return
    from django.apps import apps

    seed_features()
    importlib.import_module("konten.migrations.0002_site_name").name_site(apps, None)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Soziokulturelles Zentrum Hafenstraße e.V.", slug="hafenstrasse")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Volkshochschule im Landkreis Meißen e.V.", slug="vhs")


@pytest.fixture
def manager_a(org_a):
    return MembershipFactory(
        organisation=org_a,
        role=Membership.Role.MANAGER,
        user__email="anna@example.org",
        user__name="Anna Manager",
    ).user


@pytest.fixture
def member_a(org_a):
    return MembershipFactory(
        organisation=org_a, user__email="moritz@example.org", user__name="Moritz Mitglied"
    ).user


@pytest.fixture
def manager_b(org_b):
    return MembershipFactory(
        organisation=org_b,
        role=Membership.Role.MANAGER,
        user__email="berta@example.org",
        user__name="Berta Managerin",
    ).user


@pytest.fixture
def member_b(org_b):
    return MembershipFactory(
        organisation=org_b, user__email="bernd@example.org", user__name="Bernd Mitglied"
    ).user


@pytest.fixture
def coordinator(db):
    return UserFactory(
        email="koordination@example.org",
        name="Kora Koordination",
        is_coordinator=True,
        is_staff=True,
    )


@pytest.fixture
def outsider(db):
    return UserFactory(email="otto@example.org", name="Otto Außen")
