"""Health check for the web container: exit 0 when gunicorn answers /healthz/ with 200.

Django answers only for names in ALLOWED_HOSTS, so the request carries the first of them as its Host
header, and ``X-Forwarded-Proto: https`` as the reverse proxy would send it (production redirects plain
HTTP). Standard library only.

Usage (docker-compose.yml): python bin/healthcheck.py [PORT]      (default 8000)
"""

import http.client
import os
import sys


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz/", headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(f"healthz: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
