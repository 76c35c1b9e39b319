"""``check --deploy --fail-level WARNING`` is clean with production settings — no servers needed.

Each run is a fresh ``manage.py`` process with production environment variables, as an operator's. The
system checks do not connect to the database or Redis (no ``--database``), so the addresses are dummies.
The production smoke test (tests/integration) runs the same check against the real services.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "APP_ENV": "production",
    "SECRET_KEY": "k3y-" + "x7Yq" * 15,
    "DATABASE_URL": "postgres://ressourcen@127.0.0.1:5432/ressourcen",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "ressourcen.example.org",
    "SITE_URL": "https://ressourcen.example.org",
}


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "APP_", "SECRET", "SECURE_", "CSP_"))
        and k not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CELERY_BROKER_URL"}
    }
    clean.update(PRODUCTION_ENV, DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)


def test_deploy_check_is_clean_at_warning_level_with_production_defaults(tmp_path):
    result = deploy_check(tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "no issues (0 silenced)" in report
    assert not re.findall(r"\((\w+\.[WE]\d+)\)", report)


def test_turning_hsts_preload_off_is_a_decision_the_check_respects(tmp_path):
    result = deploy_check(tmp_path, SECURE_HSTS_PRELOAD="false")
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "(1 silenced)" in report


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
    ],
)
def test_the_check_still_catches_a_weakened_production(tmp_path, env, warning):
    result = deploy_check(tmp_path, **env)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_settings_send_hsts_preload_and_enforce_the_csp(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, bool(s.SECURE_CSP), bool(s.SECURE_CSP_REPORT_ONLY))"
    )
    result = run(["-c", code], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "True", "True", "True", "True", "True", "False"]
    report_only = run(["-c", code], tmp_path, CSP_REPORT_ONLY="true")
    assert report_only.returncode == 0, report_only.stderr
    assert report_only.stdout.split()[-2:] == ["False", "True"]
