"""Settings of the benchmark's gunicorn: the application's own (``config.settings``, production mode from
the environment) plus ``bench/urls.py``, which adds the bare-insert floor of the booking benchmark. Never
used outside ``bench/``: the bare-insert URL does not exist in the application's URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
