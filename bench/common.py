"""What the benchmark scripts share: the database they work on, Django set-up, figures and progress.

The benchmark works on one PostgreSQL database (``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/ressourcen_bench``), created and migrated when missing. The generated
network is recorded in the table ``bench_dataset`` (not a Django model: it belongs to the benchmark, not
to the application), so a second run finds it and only measures.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ressourcen_bench"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def psycopg_url(url: str | None = None) -> str:
    """``DATABASE_URL`` in the form psycopg accepts (``postgres://`` → ``postgresql://``)."""
    url = url or database_url()
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL is {parts.scheme}://…")
    return urlunsplit(("postgresql", *parts[1:]))


def ensure_database(url: str | None = None) -> bool:
    """Create the database of ``url`` when it does not exist; True when it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(psycopg_url(url))
    name = parts.path.lstrip("/")
    server = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(server, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def django_setup(settings_module: str = "config.settings") -> None:
    """Set Django up on the benchmark's database (call before importing models)."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def progress(label: str, done: int, total: int, began: float) -> None:
    """One line on stderr, rewritten in place: ``label  45 %  450,000 / 1,000,000  12.3 s``."""
    percent = 100 * done // max(total, 1)
    end = "\n" if done >= total else "\r"
    print(
        f"  {label:<22} {percent:3d} %  {done:>11,} / {total:,}  {time.perf_counter() - began:6.1f} s",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 for p95) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def latency_summary(seconds: list[float], wall: float | None = None) -> dict:
    """p50/p95/max in milliseconds, and requests per second when the wall time is given."""
    figures = {
        "requests": len(seconds),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2) if seconds else None,
        "mean_ms": round(statistics.fmean(seconds) * 1000, 2) if seconds else None,
    }
    if wall:
        figures["per_second"] = round(len(seconds) / wall, 1)
    return figures


def dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)
