# The production image: gunicorn serving Django (static files through whitenoise); the same image runs
# the Celery worker and beat (docker-compose.yml). Build: docker compose build
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production

WORKDIR /app

# An unprivileged user runs everything; /data (uploads, and mails when no SMTP server is set) is the
# only place it writes to, kept in a volume.
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/media /data/mail \
    && chown -R app:app /data

# Dependencies first: this layer is rebuilt only when the lock file changes. psycopg[binary] and
# Pillow come as wheels, so no compiler is needed.
COPY requirements/lock.txt requirements/lock.txt
RUN pip install -r requirements/lock.txt

COPY . .

# Translations are compiled with Babel (no GNU gettext in the image). collectstatic needs settings,
# and production settings need a SECRET_KEY: a throw-away one, set for this RUN line only, never
# stored in the image. Static files land in /app/var/static, inside the image.
RUN python bin/compile_translations.py \
    && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       python manage.py collectstatic --no-input --verbosity 0

USER app
ENV MEDIA_ROOT=/data/media \
    EMAIL_FILE_PATH=/data/mail
EXPOSE 8000

# --no-control-socket: gunicorn's admin socket would need a writable home directory.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--no-control-socket"]
