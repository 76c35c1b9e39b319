"""Settings, read from environment variables.

Two modes, chosen by ``APP_ENV``:

* ``development`` (the default, the "embedded default"): no servers needed. SQLite in ``var/``, a Celery
  broker on its own SQLite file (kombu's SQLAlchemy transport), e-mails written to ``var/mail/``.
* ``production``: refuses to start without a real ``SECRET_KEY`` or with ``DEBUG`` on; expects
  ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` / ``CELERY_BROKER_URL``.

Every variable is listed in README.md and docs/configuration.md.
"""

import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

APP_ENV = env_str("APP_ENV", "development")
if APP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"APP_ENV must be development or production, not {APP_ENV!r}")
PRODUCTION = APP_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
# Production runs behind one TLS-terminating reverse proxy (docs/production.md).
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", default=PRODUCTION)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if TRUST_X_FORWARDED_PROTO else 0)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if PRODUCTION:
        if len(key) < 50 or key.startswith("django-insecure") or len(set(key)) < 5:
            raise ImproperlyConfigured(
                "Production needs SECRET_KEY: at least 50 random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
            )
        return key
    if key:
        return key
    # `make run` writes a development key here once, so sessions survive restarts. Without it (a bare
    # `manage.py` call) each process gets a throw-away key: nothing secret ever lives in the repository.
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    return secrets.token_urlsafe(50)


SECRET_KEY = _secret_key()
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (APP_ENV=production).")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "konten",
    "ressourcen",
    "buchungen",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "konten.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "konten.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# The embedded default is one SQLite file shared by web, worker and beat. WAL plus a busy timeout keep
# them from tripping over each other ("database is locked"); IMMEDIATE transactions take the write lock
# at BEGIN, which is what makes our lock-then-check-then-write services safe on SQLite too.
SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; "
        "PRAGMA foreign_keys=ON;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
        DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # The embedded default: SQLite cannot create the folder of its file, and the system checks already
    # connect (JSONField support) before `migrate` would — so a fresh DATA_DIR is made here.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login rate limits live here) ----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by every process of the embedded default, so rate limits hold across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

# --- Accounts ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "konten.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "konten:dashboard"

ACCOUNT_ADAPTER = "konten.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "konten.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_CHANGE_EMAIL = True
# A clear "this address is already registered" on sign-up and password reset matters more to a small
# community network than hiding which addresses have accounts (docs/security.md explains the trade-off).
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Ressourcennetz] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# allauth's defaults already throttle failed logins per IP and per account; we keep them explicit
# so the operator sees them (docs/security.md).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}

# allauth's rate limits identify clients by address, like DRF's throttles above.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
# Ours first (highest precedence), then formal "Sie" overrides of allauth's "du"; apps' own catalogues last.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-allauth"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_IMAGE_UPLOAD_BYTES = env_int("MAX_IMAGE_UPLOAD_BYTES", 2 * 1024 * 1024)

# --- E-mail -------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ressourcennetz Meißen <noreply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    # Without a mail server every message is written to a file in var/mail/ (README: "Where mails go").
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))

# --- Celery ---------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL", REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# A task is acknowledged only after it ran: a worker killed mid-task leaves it in the queue for the next.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Notification e-mail delivery (buchungen/notifications.py), in seconds: how long a claimed message may
# stay "sending" before the sweep takes its worker for dead; the first retry's wait after a mail failure
# (doubling, at most 30 min); how long a queued message waits for its task before it is queued again.
# The defaults suit production; the real-parts tests shorten them (docs/notifications-operations.md).
NOTIFICATION_CLAIM_TIMEOUT = env_int("NOTIFICATION_CLAIM_TIMEOUT", 300)
NOTIFICATION_BACKOFF_BASE = env_int("NOTIFICATION_BACKOFF_BASE", 60)
NOTIFICATION_QUEUE_LEASE = env_int("NOTIFICATION_QUEUE_LEASE", 120)
# Scheduled work (buchungen/reminders.py, docs/notifications-schedule.md). Beat's DatabaseScheduler copies
# this schedule into django_celery_beat's PeriodicTask table at start, so the coordinator sees it in the
# admin (read-only: konten/rules.py, buchungen/admin_schedule.py). The sweep claims everything that is
# due from the database; its task expires after one interval, at least a minute (a backlog of sweeps
# behind a busy or stopped worker is pointless: the next one does the same work). The integration tests
# shorten the interval to seconds.
NOTIFICATION_SWEEP_SECONDS = env_int("NOTIFICATION_SWEEP_SECONDS", 60)
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7)
if NOTIFICATION_SWEEP_SECONDS < 1 or not 0 <= NOTIFICATION_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("NOTIFICATION_SWEEP_SECONDS must be ≥ 1 and NOTIFICATION_DIGEST_HOUR 0–23.")
CELERY_BEAT_SCHEDULE = {
    "buchungen-sweep": {
        "task": "buchungen.tasks.sweep",
        "schedule": float(NOTIFICATION_SWEEP_SECONDS),
        "options": {"expire_seconds": max(NOTIFICATION_SWEEP_SECONDS, 60)},
    },
    # A crontab in CELERY_TIMEZONE (Europe/Berlin): 07:00 local in summer and in winter. Expired after an
    # hour without a worker, it is caught up by the sweep later that day (reminders.digest_catch_up).
    "buchungen-digest": {
        "task": "buchungen.tasks.digest",
        "schedule": crontab(minute="0", hour=str(NOTIFICATION_DIGEST_HOUR)),
        "options": {"expire_seconds": 3600},
    },
}

# --- REST API ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
    # How many reverse proxies stand in front: rate limits then read the client's address from the
    # right end of X-Forwarded-For instead of trusting whatever a client puts there.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ressourcennetz Soziokultur Meißen API",
    "DESCRIPTION": "Rooms, equipment and skills of Meißen's socio-cultural network. See API.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
}

# --- Security -------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (config/security.py; Django 6.0's setting names). Scripts and styles only from
# files of our own origin: no inline <script>, style="…" or on…= handler anywhere (a test scans the
# templates), no eval. Sent in development too, so a violation shows up before production.
# CSP_REPORT_ONLY=true sends it as Content-Security-Policy-Report-Only: the browser reports, blocks nothing.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", default=False)
SECURE_CSP = {} if CSP_REPORT_ONLY else CONTENT_SECURITY_POLICY
SECURE_CSP_REPORT_ONLY = CONTENT_SECURITY_POLICY if CSP_REPORT_ONLY else {}
if TRUST_X_FORWARDED_PROTO:
    # Behind the TLS-terminating reverse proxy (docs/production.md); it must set this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preload on by default, so `check --deploy --fail-level WARNING` is clean with the defaults. The
    # directive only consents to a listing; includeSubDomains already binds every subdomain to HTTPS for
    # a year. An operator who cannot promise that sets SECURE_HSTS_PRELOAD=false — a decision, so the
    # check's reminder about it (W021) is silenced then (docs/security.md).
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
