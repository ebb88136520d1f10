"""Measure profiles/import/ at its documented maximum: alone, as updates, and four at once.

    createdb -h 127.0.0.1 -U postgres import_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/import_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/imports.py [--rows 1000] [--parallel 4]

Run it against a database of its own. Each import goes through the whole Django stack
in-process (as a gunicorn worker runs it); "at once" runs one process per import, as
gunicorn's workers do. Every row carries an email, a phone and a custom value; it prints
the seconds each import took, rows per second, and what the rows answered.
"""

import argparse
import multiprocessing
import os
import sys
import time
import uuid
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")  # the load guard would interfere
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

from collections import Counter  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from profiles.models import CustomField, ProfileDatabase  # noqa: E402

USERNAME = "import-bench"


def prepare():
    get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    database, _ = ProfileDatabase.objects.get_or_create(name="Import benchmark")
    CustomField.objects.get_or_create(
        database=database, name="plan", defaults={"type": "enum", "options": ["gold", "silver"]}
    )
    return database.pk


def rows(tag, batch, count):
    return [
        {
            "email": f"{tag}-{batch}-{n}@example.com",
            "phones": [f"+1415{200 + batch:03d}{n:04d}"],
            "first_name": "Bench",
            "fields": {"plan": "gold"},
        }
        for n in range(count)
    ]


def run_import(arguments):
    """Post one import; return (seconds, HTTP status, statuses of the rows)."""
    database, body_rows = arguments
    connection.close()  # a process of its own takes a connection of its own
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_authenticate(get_user_model().objects.get(username=USERNAME))
    body = {"database": database, "match": "email", "profiles": body_rows}
    started = time.perf_counter()
    response = client.post("/api/v1/profiles/import/", body, format="json")
    seconds = time.perf_counter() - started
    statuses = Counter(row["status"] for row in response.json().get("results", []))
    return seconds, response.status_code, dict(statuses)


def report(label, results, count):
    for seconds, status, statuses in results:
        rate = count / seconds
        print(f"{label:<28} {seconds:7.2f} s {rate:9.0f} rows/s  HTTP {status}  {statuses}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        print("Run it on PostgreSQL (DATABASE_URL): SQLite runs one writer at a time.")
    database = prepare()
    tag = uuid.uuid4().hex[:8]
    alone = rows(tag, 0, options.rows)
    report("one import, new profiles", [run_import((database, alone))], options.rows)
    report("the same rows again", [run_import((database, alone))], options.rows)
    batches = [(database, rows(tag, n + 1, options.rows)) for n in range(options.parallel)]
    with multiprocessing.get_context("fork").Pool(options.parallel) as pool:
        started = time.perf_counter()
        results = pool.map(run_import, batches)
        wall = time.perf_counter() - started
    report(f"{options.parallel} at once", results, options.rows)
    total = options.parallel * options.rows
    print(f"{options.parallel} at once, wall clock {wall:.2f} s: {total / wall:.0f} rows/s in all")


if __name__ == "__main__":
    main()
