"""Measure the history at scale: the API's first page and page 50, the History tab, EXPLAIN.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/history_bench \\
        .venv/bin/python bench/history.py --events 10000000 --busiest 100000 --profiles 10000

Run it against a database of its own. When the benchmark's profile database
(``--database``) has no busiest profile yet, it is loaded first with
``manage.py seed_scale`` (``--seed`` loads more anyway). Then, for the busiest profile,
it prints p50/p95 over ``--runs`` runs of:

- the main query at the database: page 1, page 50 via the cursor, a rare type (on
  PostgreSQL both the execution time the server reports and the round trip from Python);
- the API ``profiles/{id}/history/``: first page (all time, and the 7-day default) and
  page 50 via the cursor, through the whole Django stack in-process;
- the History tab: the section as htmx swaps it in, and the full profile page;

and the EXPLAIN of the main query for page 1 and page 50.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The API's load guard would throttle the benchmark's own requests.
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")

import warnings

import django

django.setup()
# Whitenoise warns that collectstatic has not run; the benchmark serves no static files.
warnings.filterwarnings("ignore", message="No directory at")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from demo.management.commands.seed_scale import BUSIEST_EMAIL  # noqa: E402
from history import paging  # noqa: E402
from history.filters import EventFilter  # noqa: E402
from history.models import Event  # noqa: E402
from profiles.models import Profile  # noqa: E402

ALL_TIME = "since=2000-01-01T00:00:00Z"


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


def timed(measurements, runs, warmup=3):
    """Return {name: (p50, p95)} in milliseconds over ``runs`` rounds.

    Each round calls every measurement once, in turn: a burst of load elsewhere on the
    machine then touches all of them alike instead of skewing one.
    """
    samples = {name: [] for name, _ in measurements}
    for round_ in range(warmup + runs):
        for name, func in measurements:
            started = time.perf_counter()
            func()
            if round_ >= warmup:
                samples[name].append((time.perf_counter() - started) * 1000)
    return {name: percentiles(values) for name, values in samples.items()}


def history_filter(profile, query):
    filterset = EventFilter(QueryDict(query), queryset=Event.objects.filter(profile=profile))
    if not filterset.is_valid():
        raise SystemExit(f"Bad filter {query!r}: {filterset.errors}")
    return filterset


def main_query(profile, query, cursor=None):
    """Return the SQL and parameters of one history page, as the API builds it."""
    queryset = paging.older_than(history_filter(profile, query).qs, cursor)
    queryset = queryset.order_by("-occurred_at", "-id")[: paging.PAGE_SIZE + 1]
    return queryset.query.sql_with_params()


def cursor_of_page(profile, query, number):
    """Follow the keyset from page 1 and return the cursor that opens page ``number``."""
    cursor = None
    for _ in range(number - 1):
        _, cursor = paging.page(history_filter(profile, query).qs, cursor)
        if cursor is None:
            raise SystemExit(f"The profile has fewer than {number} pages for {query!r}.")
    return cursor


def at_database(sql, params):
    def execute():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return execute


def server_execution(sql, params, runs):
    """Return (p50, p95) of the Execution Time PostgreSQL reports (no round trip, no Python)."""
    samples = []
    with connection.cursor() as cursor:
        for _ in range(runs + 3):
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            samples.append(plan[0]["Execution Time"])
    return percentiles(samples[3:])


def explain(sql, params):
    if connection.vendor == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) "
    else:
        prefix = "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join("    " + str(row[-1]) for row in cursor.fetchall())


def get(client, url, **headers):
    def request():
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    return request


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="events in the table")
    parser.add_argument("--busiest", type=int, default=100_000, help="events of the profile")
    parser.add_argument("--profiles", type=int, default=10_000, help="profiles to create")
    parser.add_argument("--database", default="History benchmark", help="profile database")
    parser.add_argument("--runs", type=int, default=200, help="runs per measurement")
    parser.add_argument("--seed", action="store_true", help="load data even if present")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    busiest = Profile.objects.filter(database__name=args.database, email=BUSIEST_EMAIL).first()
    if busiest is None or args.seed:
        call_command(
            "seed_scale",
            profiles=args.profiles,
            events=args.events,
            busiest=args.busiest,
            database=args.database,
        )
        busiest = Profile.objects.get(database__name=args.database, email=BUSIEST_EMAIL)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                [Event._meta.db_table],
            )
            table_rows = cursor.fetchone()[0]
            version = connection.pg_version
        else:
            cursor.execute(f"SELECT max(id) FROM {Event._meta.db_table}")  # noqa: S608
            table_rows = cursor.fetchone()[0] or 0
            version = connection.Database.sqlite_version
    profile_rows = Event.objects.filter(profile=busiest).count()  # once, for the report
    print(
        f"{connection.vendor} {version}: {table_rows:,} events in the table (estimate), "
        f"profile {busiest.profile_id} has {profile_rows:,}; {args.runs} runs each.\n"
    )

    page_50 = cursor_of_page(busiest, ALL_TIME, 50)
    rare = "type=hard_bounce&" + ALL_TIME
    queries = {
        "page 1": main_query(busiest, ALL_TIME),
        "page 50": main_query(busiest, ALL_TIME, page_50),
        "page 1, type=hard_bounce": main_query(busiest, rare),
    }
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    api = f"/api/v1/profiles/{busiest.profile_id}/history/"
    page = f"/profiles/{busiest.profile_id}/history/"
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}
    measurements = [
        ("database: main query, page 1", at_database(*queries["page 1"])),
        ("database: main query, page 50 (cursor)", at_database(*queries["page 50"])),
        ("database: page 1, type=hard_bounce", at_database(*queries["page 1, type=hard_bounce"])),
        ("API: first page, all time", get(client, f"{api}?{ALL_TIME}")),
        ("API: first page, default 7 days", get(client, api)),
        ("API: page 50 (cursor)", get(client, f"{api}?{ALL_TIME}&cursor={page_50}")),
        ("History tab: section (htmx)", get(client, page, **htmx)),
        ("History tab: full profile page", get(client, page)),
    ]
    print(f"{'measurement':<42} {'p50 ms':>8} {'p95 ms':>8}")
    if connection.vendor == "postgresql":
        for name, (sql, params) in queries.items():
            p50, p95 = server_execution(sql, params, args.runs)
            print(f"{'server execution: ' + name:<42} {p50:8.3f} {p95:8.3f}")
    for name, (p50, p95) in timed(measurements, args.runs).items():
        print(f"{name:<42} {p50:8.2f} {p95:8.2f}")
    with CaptureQueriesContext(connection) as captured:
        get(client, f"{api}?{ALL_TIME}&cursor={page_50}")()
    print(f"\nQueries per API page: {len(captured.captured_queries)}")
    for name, (sql, params) in queries.items():
        print(f"\nEXPLAIN, {name}:\n{explain(sql, params)}")


if __name__ == "__main__":
    main()
