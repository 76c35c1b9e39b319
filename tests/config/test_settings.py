"""Settings are read from the environment and refuse nonsense (run in a fresh interpreter each)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3y-" + "x7Yq" * 15


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_", "SECRET"))}
    clean.pop("DEBUG", None)
    clean.pop("DATABASE_URL", None)
    clean.update(env)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.PRODUCTION, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL.split(':')[0])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_embedded_default_needs_no_servers(tmp_path):
    result = load_settings(DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "django.db.backends.sqlite3", "sqla+sqlite"]


def test_production_refuses_to_start_without_secret_key():
    result = load_settings(APP_ENV="production", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = load_settings(APP_ENV="production", SECRET_KEY="django-insecure-short")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = load_settings(APP_ENV="production", SECRET_KEY=GOOD_KEY, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_starts_with_real_key():
    result = load_settings(
        APP_ENV="production",
        SECRET_KEY=GOOD_KEY,
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "django.db.backends.postgresql", "redis"]


def test_unknown_app_env_is_refused():
    result = load_settings(APP_ENV="prod")
    assert result.returncode != 0
    assert "APP_ENV" in result.stderr


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("0", False), ("Off", False), ("", True)])
def test_env_bool_reads_clear_values(monkeypatch, raw, value):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", default=True) is value


@pytest.mark.parametrize("raw", ["ture", "2", "maybe"])
def test_env_bool_rejects_nonsense(monkeypatch, raw):
    monkeypatch.setenv("SOME_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", default=False)


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("SOME_INT", "12")
    monkeypatch.setenv("SOME_LIST", " a.example, b.example ,,")
    assert env_int("SOME_INT", 1) == 12
    assert env_list("SOME_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("SOME_INT", "zwölf")
    with pytest.raises(ImproperlyConfigured):
        env_int("SOME_INT", 1)
