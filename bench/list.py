"""Measure the profile list at scale: keyset pages deep in each order, and the search.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/list_bench \\
        .venv/bin/python manage.py seed_scale --profiles 1000000 --events 0
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/list_bench .venv/bin/python bench/list.py

Run it against a database of its own, loaded by ``seed_scale``. Through the whole Django
stack in-process (a superuser's session), it prints p50/p95 over ``--runs`` runs of the list
page: page 1 and the page 20,000 pages on (its cursor found once, untimed) in each order,
and searches of each kind; then the plan of a deep page and of a substring search.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import warnings

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from core import keyset  # noqa: E402
from core.keyset import encode_cursor  # noqa: E402
from profiles.models import Profile  # noqa: E402
from web.profiles.views.listing import PAGE_SIZE, SORTS  # noqa: E402

DEEP_PAGE = 20_000


def timed(client, params, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get("/profiles/", params)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1 or 0], response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()  # the test client's host, and the pages' context to read
    user, _ = get_user_model().objects.get_or_create(
        username="list-bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    total = Profile.objects.count()
    print(f"{total:,} profiles on {connection.vendor}; p50 / p95 in ms over {args.runs} runs")
    for key, fields in SORTS.items():
        for sort in (key, f"-{key}"):
            ordering = keyset.ordering(fields, descending=sort.startswith("-"))
            names = [keyset.column_name(field) for field in fields]
            queryset = Profile.objects.order_by(*ordering).values_list(*names)
            cursor = encode_cursor(queryset[DEEP_PAGE * PAGE_SIZE])
            p50, p95, _ = timed(client, {"sort": sort}, args.runs)
            deep50, deep95, response = timed(client, {"sort": sort, "after": cursor}, args.runs)
            assert len(response.context["profiles"]) == PAGE_SIZE
            print(
                f"sort={sort:9} page 1: {p50:7.1f} / {p95:7.1f}   "
                f"page {DEEP_PAGE:,}: {deep50:7.1f} / {deep95:7.1f}"
            )
    sample = Profile.objects.order_by("id")[total // 2]
    searches = {
        "part of an email": sample.email[5:17],
        "the email's domain": "scale.example",
        "a whole name": sample.first_name,
        "an id prefix": sample.profile_id[:10],
        "a whole md5": sample.md5,
        "field:value (no such field)": "plan:gold",
        "nothing matches": "zzzzqqqq",
    }
    for label, text in searches.items():
        p50, p95, response = timed(client, {"search": text}, args.runs)
        found = len(response.context["profiles"])
        print(
            f"search {label:30} {text!r:36} {p50:7.1f} / {p95:7.1f}  "
            f"rows {found}, {response.context['total_text']}"
        )
    if connection.vendor == "postgresql":
        queryset = Profile.objects.search(searches["part of an email"]).order_by("-id")[:26]
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
