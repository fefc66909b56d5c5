"""Each benchmark owns one "## " section of bench/RESULTS.md and replaces only that section."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, section: str, path: Path = RESULTS_PATH) -> None:
    """Replace the section that starts with `heading` (or append it); other sections stay.
    Sub-headings inside a section use "### "."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def environment() -> dict[str, str]:
    """The machine and versions a result was measured on (Django must be set up)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = str(cursor.fetchone()[0])
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "model": model,
        "memory": f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB",
        "postgresql": pg,
        "python": platform.python_version(),
        "database": connection.vendor,
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ensure_database() -> None:
    """CREATE DATABASE when DATABASE_URL names a PostgreSQL database that does not exist yet:
    each bench has a database of its own, which a fresh machine does not have."""
    url = urlsplit(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres"):
        return
    name = url.path.lstrip("/")
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
