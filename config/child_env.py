"""The environment of a child process that runs this application — the integration tests' workers and
servers, the benchmark's gunicorn, the load test's stack: the caller's environment without any variable
the settings read (a developer's shell or pytest-django may hold some), plus what the caller names."""

import os

# Variables that would leak from the caller into the child's settings (docs/configuration.md lists all).
APP_VARIABLES = frozenset(
    {
        "APP_ENV",
        "DEBUG",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_BACKEND",
        "EMAIL_FILE_PATH",
        "DATA_DIR",
        "MEDIA_ROOT",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "TRUST_X_FORWARDED_PROTO",
        "TRUSTED_PROXY_COUNT",
        "SECURE_SSL_REDIRECT",
        "DJANGO_SETTINGS_MODULE",
        # Set by the browser tests' conftest for Playwright; `check --deploy` rightly refuses it.
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
)


def child_env(settings_module: str = "config.settings", **variables: str) -> dict[str, str]:
    """The caller's environment without the application's variables, then ``variables``."""
    env = {key: value for key, value in os.environ.items() if key not in APP_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, PYTHONUNBUFFERED="1", **variables)
    return env
