"""Measure importing 100,000 new profiles into a database that holds 1,000,000, three ways.

    createdb -h 127.0.0.1 -U postgres import_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/import_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/import.py [--rows 100000] [--existing 1000000] [--parts abc]
                                     [--batch 1000] [--clients 1] [--cleanup]

PostgreSQL only. The first run fills the database "Import benchmark" (5 custom fields) with
``--existing`` profiles by ``COPY`` (under two minutes for a million); later runs find them and
go straight to the measures. Each part then creates ``--rows`` new profiles of its own
(a run tag in every email), each with an email, a phone, first and last names and the 5
custom values:

    (a) ``profiles/import/`` in-process (as a gunicorn worker runs it), ``--batch`` rows a
        call, matched by email: rows/s, and the p50/p95 seconds of a call (the bodies are
        built first: the rows' dicts are not held while it runs);
    (b) the file import: a CSV with a header row, stored as an upload and imported by its
        job, run inline (in this process, as the worker runs it), from the upload to the
        job's success;
    (c) the physical limit: ``COPY`` into a temporary staging table, then one
        ``INSERT … ON CONFLICT (database_id, email) DO NOTHING`` into the profiles.

With ``--clients N``, (a) and (c) run in N forked processes at once, each its share of the
rows (a web server's N workers, each posting its calls; N staging tables merged at once),
timed from their common start to the last one's end: the rows/s of the machine rather than
of one worker, which leaves the other core idle while it waits for the database.

Before the measures the process freezes what it holds once loaded, as the web and the
background workers do (``config.wsgi.settle``).

It prints rows/s of each, and whether the targets of issue 13 hold: (b) ≥ 25,000 rows/s and
≥ 50 % of (c); (a) ≥ 10,000 rows/s with p95 ≤ 0.25 s. The created profiles stay (run it
again as often as you like) unless ``--cleanup`` deletes them at the end; the prefilled
million always stays.
"""

import argparse
import csv
import hashlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")  # the load guard would interfere
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

import xxhash  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import JSONField  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg import sql  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from audit.models import AuditEntry  # noqa: E402
from config.wsgi import settle  # noqa: E402
from core.status import Status  # noqa: E402
from jobs.models import Job  # noqa: E402
from operations.file_imports import start_file_import, store_upload  # noqa: E402
from profiles.models import CustomField, Profile, ProfileDatabase, new_profile_id  # noqa: E402

USERNAME = "import-bench"
DATABASE_NAME = "Import benchmark"
EXISTING_PREFIX = "existing-"  # the prefilled profiles' emails; every other one is the bench's
FIELDS = [
    ("plan", "enum", ["gold", "silver", "bronze"]),
    ("score", "number", []),
    ("ltv", "float", []),
    ("crm_id", "line", []),
    ("signup", "date", []),
]
# The columns of a new profile that differ from row to row; every other NOT NULL column
# takes the same value in every row (fixed_values).
ROW_COLUMNS = [
    "profile_id",
    "md5",
    "xxh",
    "email",
    "phones",
    "first_name",
    "last_name",
    "custom_values",
]
# The CSV's columns, each mapped to the file import target of the same meaning.
CSV_MAPPING = {
    "email": "email",
    "phone": "phones",
    "first_name": "first_name",
    "last_name": "last_name",
    "plan": "fields.plan",
    "score": "fields.score",
    "ltv": "fields.ltv",
    "crm_id": "fields.crm_id",
    "signup": "fields.signup",
}
TARGETS = {"b_rate": 25_000, "b_share": 0.5, "a_rate": 10_000, "a_p95": 0.25}


@dataclass
class Measure:
    label: str
    rows: int
    seconds: float
    created: int
    calls: list = field(default_factory=list)  # seconds of each call, for (a)
    failure: str = ""

    @property
    def rate(self):
        return self.rows / self.seconds if self.seconds else 0.0

    def quantile(self, percent):
        if not self.calls:
            return None
        if len(self.calls) == 1:
            return self.calls[0]
        return statistics.quantiles(self.calls, n=100, method="inclusive")[percent - 1]


# -- Preparing ---------------------------------------------------------------------------


def prepare(existing):
    """Return (user, database): the bench's superuser, and its database holding at least
    ``existing`` prefilled profiles."""
    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    database, _ = ProfileDatabase.objects.get_or_create(name=DATABASE_NAME)
    for position, (name, field_type, options) in enumerate(FIELDS):
        CustomField.objects.get_or_create(
            database=database,
            name=name,
            defaults={"type": field_type, "options": options, "position": position},
        )
    have = prefilled(database)
    if have < existing:
        started = time.perf_counter()
        fill(database, have, existing)
        print(f"Filled {existing - have:,} profiles in {time.perf_counter() - started:.1f} s.")
    return user, database


def prefilled(database):
    return Profile.objects.filter(database=database, email__startswith=EXISTING_PREFIX).count()


def fill(database, start, stop):
    """Add the prefilled profiles numbered start..stop-1 by COPY, with their phone index
    rows, then ANALYZE so the measures see the planner's statistics of a full table."""
    fixed = fixed_values(database)
    columns = ROW_COLUMNS + list(fixed)
    constants = tuple(fixed.values())
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute("SELECT coalesce(max(id), 0) FROM profiles_profile")
        (last_id,) = cursor.fetchone()
        with cursor.copy(copy_statement("profiles_profile", columns)) as copy:
            for n in range(start, stop):
                copy.write_row(profile_row(existing_row(n)) + constants)
        cursor.execute(
            "INSERT INTO profiles_profilephone (number, database_id, profile_id)"
            " SELECT phones->>0, database_id, id FROM profiles_profile"
            " WHERE database_id = %s AND id > %s",
            (database.pk, last_id),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE profiles_profile")
        cursor.execute("ANALYZE profiles_profilephone")


def fixed_values(database):
    """Return {column: value} for the NOT NULL columns a new profile row takes the same in
    every row: its database, status and times, and each other one's model default (the
    table has no defaults of its own: Django gives every value)."""
    now = timezone.now()
    values = {
        "database_id": database.pk,
        "status": Status.SUBSCRIBED.value,
        "created_at": now,
        "updated_at": now,
    }
    for model_field in Profile._meta.concrete_fields:
        column = model_field.column
        if model_field.primary_key or model_field.null or column in values:
            continue
        if column in ROW_COLUMNS:
            continue
        default = model_field.get_default()
        values[column] = json.dumps(default) if isinstance(model_field, JSONField) else default
    return values


def copy_statement(table, columns):
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def existing_row(n):
    # Exchanges 200-299 of area 212: a million distinct valid US numbers.
    return {
        "email": f"{EXISTING_PREFIX}{n}@bench.example",
        "phone": f"+1212{200 + n // 10_000:03d}{n % 10_000:04d}",
        "first_name": "Existing",
        "last_name": f"Profile{n % 1000}",
        "values": custom_values(n),
    }


def profile_row(row):
    """Return the ROW_COLUMNS values of a new profile, identifiers made as Profile.save
    makes them."""
    profile_id = new_profile_id()
    encoded = profile_id.encode()
    return (
        profile_id,
        hashlib.md5(encoded, usedforsecurity=False).hexdigest(),
        xxhash.xxh64_hexdigest(encoded),
        row["email"],
        json.dumps([row["phone"]]),
        row["first_name"],
        row["last_name"],
        json.dumps(row["values"]),
    )


def custom_values(n):
    """The 5 custom values, as stored (the validators' normal forms)."""
    return {
        "plan": FIELDS[0][2][n % 3],
        "score": n % 1000,
        "ltv": round(n % 10_000 / 7, 2),
        "crm_id": f"CRM-{n:08d}",
        "signup": f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}T00:00:00.000Z",
    }


# -- The new rows ------------------------------------------------------------------------


def new_rows(tag, count):
    """Return ``count`` new profiles, unique to ``tag``."""
    # Exchanges 200-299 of area 415: valid US numbers, shared between runs (a phone may be
    # held by several profiles; the rows match by email).
    return [
        {
            "email": f"{tag}-{n}@bench.example",
            "phone": f"+1415{200 + n // 10_000 % 100:03d}{n % 10_000:04d}",
            "first_name": "Bench",
            "last_name": f"Row{n % 1000}",
            "values": custom_values(n),
        }
        for n in range(count)
    ]


def run_tag(part):
    return f"r{uuid.uuid4().hex[:8]}{part}"


# -- Clients at once ---------------------------------------------------------------------

_shared = None  # (work, shares, barrier): what the forked processes inherit


def _run_share(number):
    work, shares, barrier = _shared
    connection.ensure_connection()  # this process's own, opened before the common start
    barrier.wait()
    started = time.perf_counter()  # CLOCK_MONOTONIC: one clock for every process
    measure = work(shares[number])
    return started, time.perf_counter(), measure


def at_once(label, work, shares):
    """Run ``work(share)`` for each share in a forked process of its own, all starting
    together; return one Measure of them all, timed from their common start to the last
    one's end."""
    global _shared
    context = multiprocessing.get_context("fork")
    _shared = (work, shares, context.Barrier(len(shares)))
    connections.close_all()  # each process opens its own connection
    with context.Pool(len(shares)) as pool:
        timed = pool.map(_run_share, range(len(shares)))
    _shared = None
    measures = [measure for _, _, measure in timed]
    return Measure(
        f"{label}, {len(shares)} at once",
        sum(measure.rows for measure in measures),
        max(ended for _, ended, _ in timed) - min(started for started, _, _ in timed),
        sum(measure.created for measure in measures),
        [seconds for measure in measures for seconds in measure.calls],
        "; ".join(measure.failure for measure in measures if measure.failure),
    )


# -- (a) the API -------------------------------------------------------------------------


def api_bodies(database, rows, batch):
    """The request bodies of (a), ``batch`` rows each: built before the timing, so that the
    rows' dicts are not held while it runs (a server does not hold its clients' rows, and
    every full collection of the garbage collector would walk them)."""
    return [
        json.dumps(
            {
                "database": database.pk,
                "match": "email",
                "profiles": [api_row(row) for row in rows[start : start + batch]],
            }
        ).encode()
        for start in range(0, len(rows), batch)
    ]


def via_api(user, bodies, count):
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_authenticate(user)
    calls, statuses, done = [], Counter(), 0
    for body in bodies:
        started = time.perf_counter()
        response = client.post("/api/v1/profiles/import/", body, content_type="application/json")
        calls.append(time.perf_counter() - started)
        if response.status_code != 200:
            failure = f"HTTP {response.status_code}: {response.content[:500]!r}"
            return Measure("(a) API", done, sum(calls), statuses["created"], calls, failure)
        results = response.json()["results"]
        statuses.update(result["status"] for result in results)
        done += len(results)
    return Measure("(a) API", count, sum(calls), statuses["created"], calls)


def api_row(row):
    values = dict(row["values"], signup=row["values"]["signup"][:10])
    return {
        "email": row["email"],
        "phones": [row["phone"]],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "fields": values,
    }


# -- (b) the file import -----------------------------------------------------------------


def write_csv(rows, path):
    """Write the rows as the CSV a person would upload (not timed: their file exists)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_MAPPING)
        for row in rows:
            values = row["values"]
            writer.writerow(
                [row["email"], row["phone"], row["first_name"], row["last_name"]]
                + [values[name] for name, _, _ in FIELDS]
            )


def via_file(user, database, path, count):
    """Import the CSV file through the file import engine, timed from the upload to the
    job's success."""
    started = time.perf_counter()
    with path.open("rb") as handle:
        token = store_upload(File(handle, name=path.name))
    job = start_file_import(
        user, database, token, mapping=CSV_MAPPING, match="email", header=True, inline=True
    )
    job.refresh_from_db()
    seconds = time.perf_counter() - started
    result = job.result or {}
    failure = "" if job.status == Job.Status.SUCCEEDED else f"job {job.status}: {job.failure}"
    if result.get("errors"):
        failure = f"{result['errors']} rows in error, e.g. {job.error_samples[:3]}"
    return Measure("(b) file import", count, seconds, result.get("created", 0), [], failure)


# -- (c) raw COPY and one merge ----------------------------------------------------------


def via_copy(database, rows):
    """COPY the rows into a temporary staging table, then merge them with one INSERT … ON
    CONFLICT: the physical limit of creating profiles (without their phone index rows,
    events or audit entries)."""
    fixed = fixed_values(database)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            "CREATE TEMP TABLE bench_staging (profile_id text, md5 text, xxh text, email text,"
            " phones jsonb, first_name text, last_name text, custom_values jsonb)"
            " ON COMMIT DROP"
        )
        with cursor.copy(copy_statement("bench_staging", ROW_COLUMNS)) as copy:
            for row in rows:
                copy.write_row(profile_row(row))
        cursor.execute(merge_statement(list(fixed)), tuple(fixed.values()))
        created = cursor.rowcount
    seconds = time.perf_counter() - started
    return Measure("(c) COPY + INSERT … ON CONFLICT", len(rows), seconds, created)


def merge_statement(fixed_columns):
    return sql.SQL(
        "INSERT INTO profiles_profile ({columns}) SELECT {row_columns}, {constants}"
        " FROM bench_staging ON CONFLICT (database_id, email) DO NOTHING"
    ).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, ROW_COLUMNS + fixed_columns)),
        row_columns=sql.SQL(", ").join(map(sql.Identifier, ROW_COLUMNS)),
        constants=sql.SQL(", ").join(sql.Placeholder() * len(fixed_columns)),
    )


# -- Cleaning up -------------------------------------------------------------------------


def cleanup(database):
    """Delete the profiles the measures created (every profile of the bench's database
    but the prefilled ones), with the rows that refer to them and their audit entries."""
    created = Profile.objects.filter(database=database).exclude(email__startswith=EXISTING_PREFIX)
    ids = sql.SQL("SELECT id FROM profiles_profile WHERE database_id = %s AND email NOT LIKE %s")
    params = (database.pk, f"{EXISTING_PREFIX}%")
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        AuditEntry.objects.filter(profile_id__in=created.values("profile_id")).delete()
        for relation in Profile._meta.related_objects:
            if relation.many_to_many:
                continue
            statement = sql.SQL("DELETE FROM {} WHERE {} IN ({})").format(
                sql.Identifier(relation.related_model._meta.db_table),
                sql.Identifier(relation.field.column),
                ids,
            )
            cursor.execute(statement, params)
        cursor.execute(sql.SQL("DELETE FROM profiles_profile WHERE id IN ({})").format(ids), params)
        deleted = cursor.rowcount
    with connection.cursor() as cursor:  # the next run measures a table without dead rows
        for table in (
            "profiles_profile",
            "profiles_profilephone",
            "history_event",
            "audit_auditentry",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return deleted


# -- Reporting ---------------------------------------------------------------------------


def seconds_text(value):
    return "" if value is None else f"{value:.3f}"


def report(measures):
    if not measures:
        return
    print()
    print(f"{'path':<34} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'p50 s':>7} {'p95 s':>7}")
    for measure in measures.values():
        print(
            f"{measure.label:<34} {measure.rows:>8,} {measure.seconds:>8.2f} "
            f"{measure.rate:>9,.0f} {seconds_text(measure.quantile(50)):>7} "
            f"{seconds_text(measure.quantile(95)):>7}   created {measure.created:,}"
        )
        if measure.failure:
            print(f"    FAILED: {measure.failure}")
    a, b, c = (measures.get(part) for part in "abc")
    checks = []
    if b and c and c.rate:
        print(f"(b)/(c) = {b.rate / c.rate:.0%}")
    if b:
        checks.append((f"(b) ≥ {TARGETS['b_rate']:,} rows/s", b.rate >= TARGETS["b_rate"]))
        if c:
            share = b.rate >= TARGETS["b_share"] * c.rate
            checks.append((f"(b) ≥ {TARGETS['b_share']:.0%} of (c)", share))
    if a:
        checks.append((f"(a) ≥ {TARGETS['a_rate']:,} rows/s", a.rate >= TARGETS["a_rate"]))
        p95 = a.quantile(95)
        checks.append((f"(a) p95 ≤ {TARGETS['a_p95']} s", p95 is not None and p95 <= 0.25))
    for label, holds in checks:
        print(f"  {label:<26} {'holds' if holds else 'MISSED'}")


def machine():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return f"{os.cpu_count()} cores, PostgreSQL {version}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="new profiles per part")
    parser.add_argument("--existing", type=int, default=1_000_000, help="profiles already held")
    parser.add_argument("--batch", type=int, default=1000, help="rows per API call in (a)")
    parser.add_argument("--parts", default="abc", help="which of a, b, c to run (default abc)")
    parser.add_argument("--clients", type=int, default=1, help="processes at once in (a), (c)")
    parser.add_argument("--cleanup", action="store_true", help="delete the created profiles")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(
            "Run it on PostgreSQL: set DATABASE_URL=postgres://… (see the docstring). "
            "On SQLite COPY does not exist and one writer at a time would measure nothing."
        )
    print(f"Machine: {machine()}")
    user, database = prepare(options.existing)
    held = Profile.objects.filter(database=database).count()
    print(f"Database “{database}”: {held:,} profiles ({prefilled(database):,} prefilled).")
    settle()  # as a web or background worker does once loaded (core.startup)
    measures = {}
    count = options.rows
    for part in "abc":
        if part not in options.parts:
            continue
        rows = new_rows(run_tag(part), count)
        print(f"Running ({part}) with {count:,} new rows…", flush=True)
        clients = options.clients
        if part == "a":
            bodies = api_bodies(database, rows, options.batch)
            sizes = [min(options.batch, count - start) for start in range(0, count, options.batch)]
            del rows
            if clients == 1:
                measures[part] = via_api(user, bodies, count)
            else:
                shares = [
                    (bodies[number::clients], sum(sizes[number::clients]))
                    for number in range(clients)
                ]
                del bodies
                measures[part] = at_once("(a) API", lambda s: via_api(user, *s), shares)
        elif part == "b":
            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory) / "bench.csv"
                write_csv(rows, path)
                del rows
                measures[part] = via_file(user, database, path, count)
        elif clients == 1:
            measures[part] = via_copy(database, rows)
        else:
            shares = [rows[number::clients] for number in range(clients)]
            measures[part] = at_once("(c) COPY", lambda s: via_copy(database, s), shares)
    report(measures)
    if options.cleanup:
        print(f"\nCleanup: deleted the {cleanup(database):,} profiles the measures created.")
    else:
        print("\nThe created profiles stay (--cleanup deletes them; the prefill stays).")


if __name__ == "__main__":
    main()
