"""The Celery application: worker, beat and the web process all load it through config/__init__.py.

Configuration lives in settings.py (``CELERY_*``); the broker is Redis in production and kombu's
SQLAlchemy transport on a SQLite file in the embedded default.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ressourcennetz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
