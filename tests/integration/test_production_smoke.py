"""Production-mode smoke run: the processes of docker-compose.yml, started natively.

gunicorn with ``APP_ENV=production`` against a fresh PostgreSQL database and Redis, a Celery worker on
Redis, real SMTP to a sink. A person signs up over HTTP (behind a pretend TLS proxy that sets
``X-Forwarded-Proto: https``), confirms the address from the e-mail, and the worker — not the web
process — sends the welcome e-mail. Static files come from whitenoise, as in the Docker image.
"""

import http.client
import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg
import pytest

from tests.integration.conftest import (
    BIN,
    PG_HOST,
    PG_PORT,
    ROOT,
    child_env,
    free_port,
    manage,
    require_postgres,
    text_body,
    wait_until,
)

pytestmark = [pytest.mark.smoke, pytest.mark.postgres, pytest.mark.celery_worker]

STARTUP_TIMEOUT = 30
WELCOME_TIMEOUT = 30


@pytest.fixture
def smoke_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this run, dropped afterwards."""
    require_postgres()
    name = f"ressourcen_smoke_{secrets.token_hex(4)}"
    admin_url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Browser:
    """Just enough of a browser behind a TLS-terminating proxy: cookies, CSRF, no redirects followed.

    The proxy is pretended by the ``X-Forwarded-Proto: https`` header (settings trust it in production).
    Production cookies are ``Secure``, so they are kept and sent back by hand.
    """

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, *, https: bool = True
    ) -> tuple[int, http.client.HTTPMessage, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "de"}
        if https:
            # What the TLS proxy adds (TRUST_X_FORWARDED_PROTO, TRUSTED_PROXY_COUNT=1).
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-For"] = "127.0.0.1"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.csrf_token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if "csrfmiddlewaretoken" in text:
            self.csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]
        return response.status, response.headers, text

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, str]):
        return self.request("POST", path, form)


def _http_ok(port: int) -> bool:
    try:
        status, _, _ = Browser(port).get("/healthz/")
    except OSError:
        return False
    return status == 200


def test_production_stack_signs_a_person_up_and_the_worker_welcomes_them(
    tmp_path, smoke_database, redis_database, smtp_sink, processes
):
    port = free_port()
    data = tmp_path / "data"
    env = child_env(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=smoke_database,
        REDIS_URL=redis_database.url,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"https://127.0.0.1:{port}",
        DATA_DIR=str(data),
        **smtp_sink.env(),
    )

    # --- what the image build and the migrate service do ---
    manage("migrate", "--no-input", env=env)
    manage("collectstatic", "--no-input", env=env)
    deploy_check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = deploy_check.stdout + deploy_check.stderr
    # Clean at warning level with the production defaults: no accepted warnings (docs/security.md).
    assert deploy_check.returncode == 0, report
    assert not re.findall(r"\((\w+\.[WE]\d+)\)", report), report

    # --- what the web and worker services run ---
    processes.start(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "--no-control-socket",
        ],
        env,
    )
    processes.start(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel=info",
            "--pool=prefork",
            "--concurrency=1",
        ],
        env,
    )

    def web_up() -> bool:
        processes.assert_alive("gunicorn")
        return _http_ok(port)

    wait_until(web_up, timeout=STARTUP_TIMEOUT, what="gunicorn to answer /healthz/")
    processes.wait_for_log("worker", "ready.", timeout=STARTUP_TIMEOUT)

    browser = Browser(port)
    status, _, body = browser.get("/healthz/")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    # The health check of the web container in docker-compose.yml.
    healthcheck = subprocess.run(
        [sys.executable, "bin/healthcheck.py", str(port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert healthcheck.returncode == 0, healthcheck.stdout + healthcheck.stderr

    # Plain HTTP is sent to HTTPS; the home page answers behind the proxy.
    status, headers, _ = browser.get("/", https=False)
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{port}/"
    status, headers, _ = browser.get("/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self';" in headers["Content-Security-Policy"]

    # Static files: whitenoise serves the hashed names collectstatic wrote, cached for ever.
    manifest = json.loads((data / "static" / "staticfiles.json").read_text())
    status, headers, css = browser.get("/static/" + manifest["paths"]["css/site.css"])
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert css.strip()

    # --- sign up, confirm, be welcomed ---
    email = "paula.produktion@example.org"
    status, _, _ = browser.get("/accounts/signup/")
    assert status == 200
    status, headers, body = browser.post(
        "/accounts/signup/",
        {
            "email": email,
            "name": "Paula Produktion",
            "password1": "Elbe-Fähre-1839",
            "password2": "Elbe-Fähre-1839",
        },
    )
    assert status == 302, body[:2000]

    # allauth sends the confirmation from the web process itself; the link points at https.
    (confirmation,) = smtp_sink.wait_for(email, 1, timeout=WELCOME_TIMEOUT)
    link = re.search(r"https://127\.0\.0\.1:\d+(/accounts/confirm-email/[^/\s]+/)", text_body(confirmation))
    assert link, text_body(confirmation)
    status, _, _ = browser.get(link[1])
    assert status == 200  # CONFIRM_EMAIL_ON_GET is off: GET shows the button …
    status, headers, _ = browser.post(link[1], {})
    assert status == 302  # … and POST confirms (and logs in)

    # The welcome e-mail is queued on confirmation and sent by the worker over Redis.
    messages = smtp_sink.wait_for(email, 2, timeout=WELCOME_TIMEOUT)
    welcome = messages[1]
    assert "Paula" in text_body(welcome)
    processes.wait_for_log("worker", "welcome e-mail sent to user", timeout=WELCOME_TIMEOUT)
    assert "succeeded" in processes.log("worker")
    assert "welcome e-mail sent" not in processes.log("gunicorn")
    with psycopg.connect(smoke_database.replace("postgres://", "postgresql://", 1)) as conn:
        sent_at = conn.execute(
            "SELECT welcome_email_sent_at FROM konten_user WHERE email = %s", [email]
        ).fetchone()[0]
    assert sent_at is not None

    # The person is logged in after confirming.
    status, _, _ = browser.get("/konto/")
    assert status == 200
