"""The deployment files agree with the settings: every variable documented, compose and Procfile sane.

No Docker engine runs in CI; the processes of docker-compose.yml are proven natively by
test_production_smoke.py. These checks keep the files themselves from drifting.
"""

import re

import yaml
from django.conf import settings

ROOT = settings.BASE_DIR


def _settings_variables() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', source))


def test_every_settings_variable_is_documented():
    variables = _settings_variables()
    assert {"APP_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= variables
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(v for v in variables if f"`{v}`" not in documented)
    assert not missing, f"docs/configuration.md does not describe {missing}"


def test_env_example_sets_what_production_needs():
    example = (ROOT / ".env.example").read_text()
    for variable in [
        "APP_ENV",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "SITE_URL",
        "TRUST_X_FORWARDED_PROTO",
        "POSTGRES_PASSWORD",
        "EMAIL_HOST",
        "DEFAULT_FROM_EMAIL",
    ]:
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable
    # Its placeholder key must be one production refuses, so nobody runs with it by accident.
    key = re.search(r"^SECRET_KEY=(.*)$", example, re.MULTILINE)[1]
    assert len(key) < 50


def test_compose_runs_migrate_before_web_worker_and_beat():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert services["migrate"]["command"][-2:] == ["migrate", "--no-input"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert services[name]["environment"]["APP_ENV"] == "production", name
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["healthcheck"]["test"][2:4] == ["bin/healthcheck.py", "8000"]
    assert "beat" in services["beat"]["command"]


def test_procfile_starts_web_worker_and_beat_on_port_8000():
    lines = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(lines) == {"web", "worker", "beat"}
    assert "runserver 127.0.0.1:${WEB_PORT:-8000}" in lines["web"]
    assert "celery -A config worker" in lines["worker"]
    assert "celery -A config beat" in lines["beat"]
