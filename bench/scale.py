"""Measure every page and endpoint at a million profiles and 20 million events (issue 15).

    createdb -h 127.0.0.1 -U postgres sc_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/scale.py [--runs 20] [--maintenance]

PostgreSQL only, against a database of its own. The first run loads it (``seed_scale``,
COPY, indexes built after): 1,000,000 profiles with custom values of five types,
2,000,000 subscriptions, 20,000,000 events over a year, and one busiest profile (100,000
events, 200 subscriptions); later runs find it and skip the load. Then, warm, through the
whole Django stack in-process (a superuser's session), it prints one markdown table of
p50/p95 and query counts:

- the profile page: the whole page, each section as htmx swaps it in, each data tab, and
  the query count of each for the busiest profile against a typical one (a few events in
  the default 7 days, two subscriptions) and an empty one (it must not grow);
- the list: page 1 and page 20,000 via its keyset cursor, each kind of search, each filter;
- the admin changelists of profiles, subscriptions and events: page 1, page 10,000 via its
  keyset link (and by number, as an older link reaches it), a search;
- the API: a profile list page, one profile, a subscription list, history page 1 and
  page 50, and the personal-data export of the busiest profile.

Beside each figure its target, and the ratio where one fits: a list or changelist page's
own SQL (every LIMITed SELECT it runs on its table, re-run alone) against the bare keyset
SQL of the same rows, side by side; the API list against ``.values()`` plus orjson of the
same rows. The whole request is not compared with its SQL: rendering 25 to 100 rows costs
tens of milliseconds where a keyset query costs one. The SQL of every measured request is
captured and any ``COUNT(`` over profiles, subscriptions or events that no ``LIMIT`` bounds
is flagged. ``--maintenance`` adds the partitioning study: VACUUM, VACUUM ANALYZE, the build
time of each index of the event table (plain and CONCURRENTLY) and the sizes
(``--maintenance-only``: that alone). At the end, ``bench/events.py``'s
``measure_ingestion`` when it exists (``--no-ingestion`` leaves it out). ``--scale 0.001``
runs the whole script on a small load, to check it.
"""

import argparse
import os
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")  # the load guard would interfere
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

import orjson  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from config.wsgi import settle  # noqa: E402
from core import keyset  # noqa: E402
from core.admin import DEEPEST_BY_NUMBER  # noqa: E402
from core.keyset import encode_cursor  # noqa: E402
from demo.management.commands.seed_scale import BUSIEST_EMAIL  # noqa: E402
from history.models import Event  # noqa: E402
from profiles.models import Profile, ProfileDatabase  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402
from web.profiles.sections import sections  # noqa: E402
from web.profiles.views.listing import PAGE_SIZE, SORTS  # noqa: E402

DATABASE = "Scale test"
EMPTY_EMAIL = "empty@scale.example"
LOAD = {
    "profiles": 1_000_000,
    "events": 20_000_000,
    "busiest": 100_000,
    "subscriptions": 2_000_000,
    "busiest_subscriptions": 200,
}
DEEP_PAGE = 20_000
ADMIN_DEEP_PAGE = 10_000
BIG_TABLES = ("profiles_profile", "subscriptions_subscription", "history_event")
COUNT_RE = re.compile(r"COUNT\(", re.I)
PROFILE_SUBSCRIPTIONS_RE = re.compile(
    r'FROM "subscriptions_subscription".*"profiles?_profile"\."(profile_)?id" = ', re.S
)
PAGE_P95 = 150  # ms: a list or changelist page
PROFILE_P95 = 80  # ms: the profile page, each section and tab
RATIO_MAX = 2.0
TIMES = "\u00d7"  # the multiplication sign


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


class Measure:
    """One request measured: its timings, the SQL of one run, the bare SQL to compare."""

    def __init__(
        self, group, name, url, *, headers=None, target=None, keyset=None, bare=None, runs=None
    ):
        self.group, self.name, self.url = group, name, url
        self.headers = headers or {}
        self.target = target  # p95 in ms, or None
        # Callables timed side by side with the request, each round: the page's own main
        # query (found in its captured SQL), the bare keyset SQL of the same rows, and a
        # bare equivalent of the whole request (the API list: .values() and orjson).
        self.page_sql = None
        self.keyset = keyset
        self.bare = bare
        self.runs = runs
        self.samples = {"request": [], "page_sql": [], "keyset": [], "bare": []}
        self.queries = []
        self.status = None

    def p50(self, key):
        return statistics.median(self.samples[key]) if self.samples[key] else None

    def request(self, client):
        response = client.get(self.url, headers=self.headers)
        self.status = response.status_code
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        else:
            response.content  # noqa: B018 (the body is built)
        return response


def page_queries(queries, table):
    """Return the SQL of a request's page queries on ``table``: its LIMITed SELECTs (the
    rows, and where a deep admin page starts)."""
    return [
        q["sql"]
        for q in queries
        if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"] and not COUNT_RE.search(q["sql"])
    ]


def run_sql(statements):
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def unbounded_counts(queries):
    """Return the SQL of each COUNT over a big table that no LIMIT bounds."""
    found = []
    for query in queries:
        sql = query["sql"]
        if not COUNT_RE.search(sql) or not any(f'"{table}"' in sql for table in BIG_TABLES):
            continue
        if "LIMIT" in sql.upper():
            continue  # a count that stops at a bound (SELECT COUNT(*) FROM (… LIMIT n))
        if PROFILE_SUBSCRIPTIONS_RE.search(sql) and '"deleted_at" IS NULL' in sql:
            continue  # one profile's live subscriptions: at most PROFILE_LIMIT (200)
        found.append(sql)
    return found


def timed(client, measures, runs, warmup=2):
    """Round-robin: each round requests every measure once, so a burst of load elsewhere on
    the machine touches all alike. Each measure's SQL is captured on its first warm-up."""
    for round_ in range(warmup + runs):
        if round_ == warmup:
            settle()  # as a gunicorn worker does once loaded (config/wsgi.py)
        for measure in measures:
            if measure.runs is not None and round_ >= warmup + measure.runs:
                continue
            if round_ == 0:
                with CaptureQueriesContext(connection) as captured:
                    measure.request(client)
                measure.queries = list(captured.captured_queries)
                continue
            for key, func in (
                ("request", lambda m=measure: m.request(client)),
                ("page_sql", measure.page_sql),
                ("keyset", measure.keyset),
                ("bare", measure.bare),
            ):
                if func is None:
                    continue
                started = time.perf_counter()
                func()
                elapsed = (time.perf_counter() - started) * 1000
                if round_ >= warmup:
                    measure.samples[key].append(elapsed)


def scaled(scale):
    """Shrink the load and the deep pages by ``scale`` (a quick check of the script)."""
    global DEEP_PAGE, ADMIN_DEEP_PAGE
    for key, value in LOAD.items():
        LOAD[key] = max(1, int(value * scale)) if key != "busiest_subscriptions" else value
    DEEP_PAGE = max(2, int(DEEP_PAGE * scale))
    ADMIN_DEEP_PAGE = max(2, int(ADMIN_DEEP_PAGE * scale))


def ensure_loaded():
    database = ProfileDatabase.objects.filter(name=DATABASE).first()
    if database and Profile.objects.filter(database=database, email=BUSIEST_EMAIL).exists():
        return database
    print("Loading (once): " + ", ".join(f"{k} {v:,}" for k, v in LOAD.items()), flush=True)
    started = time.monotonic()
    call_command(
        "seed_scale",
        profiles=LOAD["profiles"],
        events=LOAD["events"],
        busiest=LOAD["busiest"],
        custom_fields=True,
        subscriptions=LOAD["subscriptions"],
        busiest_subscriptions=LOAD["busiest_subscriptions"],
        database=DATABASE,
    )
    print(f"Loaded in {time.monotonic() - started:.0f} s", flush=True)
    return ProfileDatabase.objects.get(name=DATABASE)


def keyset_bare(queryset, size):
    """Return a callable running ``queryset[:size]`` as bare SQL (no model instances)."""
    sql, params = queryset[:size].query.sql_with_params()

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def profile_page_measures(busiest, typical, empty):
    """The profile page of the busiest profile: whole, each section, each data tab; and
    the same requests for a typical profile (a few events and subscriptions) and an empty
    one, to compare query counts."""
    found = {}
    for label, profile in (("busiest", busiest), ("typical", typical), ("empty", empty)):
        measures = []
        first = sections()[0].url(profile)
        measures.append(Measure("profile page", "whole page", first, target=PROFILE_P95))
        for section in sections():
            measures.append(
                Measure(
                    "profile page",
                    f"section {section.slug}",
                    section.url(profile),
                    headers={"HX-Request": "true", "HX-Target": "section"},
                    target=PROFILE_P95,
                )
            )
        for tab in profile.database.tabs():
            measures.append(
                Measure(
                    "profile page",
                    f"tab {tab.slug}",
                    f"{first}?tab={tab.slug}",
                    headers={"HX-Request": "true", "HX-Target": "tab-content"},
                    target=PROFILE_P95,
                )
            )
        found[label] = measures
    return found["busiest"], found["typical"], found["empty"]


def list_measures(database, busiest):
    measures = []
    queryset = Profile.objects.order_by("-id")
    deep_id = queryset.values_list("id", flat=True)[DEEP_PAGE * PAGE_SIZE]
    cursor = encode_cursor([deep_id])
    page_rows = PAGE_SIZE + 1  # a keyset page reads one row more: is there a next page?
    measures.append(
        Measure(
            "list",
            "page 1",
            "/profiles/",
            target=PAGE_P95,
            keyset=keyset_bare(queryset.select_related("database"), page_rows),
        )
    )
    measures.append(
        Measure(
            "list",
            f"page {DEEP_PAGE:,} (keyset cursor)",
            f"/profiles/?after={cursor}",
            target=PAGE_P95,
            keyset=keyset_bare(
                queryset.select_related("database").filter(id__lt=deep_id), page_rows
            ),
        )
    )
    by_name = Profile.objects.order_by(*keyset.ordering(SORTS["name"]))
    names = [keyset.column_name(field) for field in SORTS["name"]]
    deep_row = by_name.values_list(*names)[DEEP_PAGE * PAGE_SIZE]
    measures.append(
        Measure(
            "list",
            f"sort=name, page {DEEP_PAGE:,}",
            f"/profiles/?sort=name&after={encode_cursor(list(deep_row))}",
            target=PAGE_P95,
        )
    )
    sample = Profile.objects.filter(database=database).order_by("id")[LOAD["profiles"] // 2]
    contact = Subscription.objects.filter(profile=sample).values_list("contact", flat=True)[0]
    searches = {
        "part of an email": sample.email[3:15],
        "an email's domain": "scale.example",
        "a whole first name": sample.first_name,
        "first and last name": f"{sample.first_name.split()[1]} {sample.last_name}",
        "a profile ID prefix": sample.profile_id[:10],
        "a whole MD5": sample.md5,
        "a whole XXH": sample.xxh,
        "a phone prefix": "+336123",
        "a subscription's contact": contact,
        "field:enum (plan:gold)": "plan:gold",
        "field:number (score:500)": "score:500",
        "field:boolean (vip:true)": "vip:true",
        "field:date (joined:2015-06-06)": "joined:2015-06-06",
        "field:tags (interests:books)": "interests:books",
        "nothing matches": "zzzzqqqq",
    }
    for label, text in searches.items():
        measures.append(
            Measure(
                "list search",
                label,
                "/profiles/?" + _query({"search": text}),
                target=PAGE_P95,
            )
        )
    filters = {
        "database": {"database": database.pk},
        "status=subscribed": {"status": "subscribed"},
        "status=hard_bounced (none)": {"status": "hard_bounced"},
        "email=": {"email": sample.email},
        "phone=": {"phone": "+33612345678"},
        "md5=": {"md5": sample.md5},
        "xxh=": {"xxh": sample.xxh},
        "profile_id=": {"profile_id": sample.profile_id},
    }
    for label, params in filters.items():
        measures.append(
            Measure(
                "list filter",
                label,
                "/profiles/?" + _query(params),
                target=PAGE_P95,
            )
        )
    return measures, sample


def _query(params):
    from django.utils.http import urlencode

    return urlencode(params)


def ordered_for(model):
    """The rows of a changelist, newest first by the primary key's index (no joins)."""
    from django.contrib import admin

    manager = Subscription.all_objects if model is Subscription else model._default_manager
    related = admin.site._registry[model].list_select_related
    return manager.select_related(*related).order_by("-pk")


def admin_measures(sample, busiest):
    measures = []
    specs = [
        (Profile, "profiles/profile", 50, ADMIN_DEEP_PAGE, sample.email[3:15]),
        (Subscription, "subscriptions/subscription", 100, ADMIN_DEEP_PAGE, sample.email[:24]),
        (Event, "history/event", 100, ADMIN_DEEP_PAGE, busiest.profile_id),
    ]
    for model, path, per_page, deep, search in specs:
        name = model._meta.verbose_name_plural
        base = f"/admin/{path}/"
        measures.append(
            Measure(
                "admin",
                f"{name}: page 1",
                base,
                target=PAGE_P95,
                keyset=keyset_bare(ordered_for(model), per_page),
            )
        )
        ordered = ordered_for(model)
        # The last row before page ``deep``: its "Older" link carries this id.
        cursor = ordered.values_list("pk", flat=True)[deep * per_page - 1]
        measures.append(
            Measure(
                "admin",
                f"{name}: page {deep:,} (keyset ?after=, {deep * per_page:,} rows in)",
                f"{base}?after={cursor}",
                target=PAGE_P95,
                # A keyset page reads one row more: is there an older page?
                keyset=keyset_bare(ordered.filter(pk__lt=cursor), per_page + 1),
            )
        )
        # An old link by number deeper than pages go by number shows the deepest one.
        deepest = min(deep, DEEPEST_BY_NUMBER // per_page)
        before = ordered.values_list("pk", flat=True)[(deepest - 1) * per_page - 1]
        measures.append(
            Measure(
                "admin",
                f"{name}: an old link ?p={deep:,} (shows page {deepest:,}, "
                f"{(deepest - 1) * per_page:,} rows in)",
                f"{base}?p={deep}",
                target=PAGE_P95,
                keyset=keyset_bare(ordered.filter(pk__lt=before), per_page),
            )
        )
        measures.append(
            Measure(
                "admin",
                f"{name}: search {search[:16]}…",
                f"{base}?" + _query({"q": search}),
                target=PAGE_P95,
            )
        )
        measures += sorted_admin_measures(model, base, per_page, deep, busiest)
    return measures


def sorted_admin_measures(model, base, per_page, deep, busiest):
    """Each column the changelist may be sorted by (every order its admin offers; events:
    one profile's, the busiest): page 1, and ``deep`` pages in each way by the keyset link,
    against the bare keyset SQL of the same rows."""
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
    from django.test import RequestFactory

    from core.admin import cursor_of

    model_admin = admin.site._registry[model]
    params = {"profile": busiest.pk} if model is Event else {}
    request = RequestFactory().get(base, params)
    request.user, request.session = _bench_user(), {}
    request._messages = FallbackStorage(request)
    changelist = model_admin.get_changelist_instance(request)
    name = model._meta.verbose_name_plural
    rows = ordered_for(model).filter(**params)
    # One profile's events: half of the busiest profile's way in.
    rows_in = LOAD["busiest"] // 2 if params else deep * per_page
    measures = []
    for column, columns in model_admin.get_keyset_orders(request).items():
        number = changelist.list_display.index(column)
        fields = [model._meta.get_field(keyset.column_name(c)) for c in columns[:-1]]
        label = f"{name}{' of the busiest profile' if params else ''}: sorted by {column}"
        # Led by a relation's column, the page reads its rows without the join (the related
        # rows by their ids: core.admin.KeysetChangeList._page_queryset); so does the bare SQL.
        bare = rows.select_related(None) if fields and fields[0].is_relation else rows
        url = f"{base}?" + _query({**params, "o": number})
        measures.append(
            Measure(
                "admin sorted",
                f"{label}: page 1",
                url,
                target=PAGE_P95,
                keyset=keyset_bare(rows.order_by(*keyset.ordering(columns)), per_page),
            )
        )
        for descending in (False, True):
            order = keyset.ordering(columns, descending)
            row = rows.order_by(*order)[rows_in - 1]
            cursor = cursor_of([*fields, model._meta.pk], row)  # as its "Next" link has it
            after = (TupleLessThan if descending else TupleGreaterThan)(
                Tuple(*(keyset.expression(c) for c in columns)),
                [getattr(row, f.attname) for f in fields] + [row.pk],
            )
            sign = "-" if descending else ""
            measures.append(
                Measure(
                    "admin sorted",
                    f"{label}{', descending' if descending else ''}: {rows_in:,} rows in (keyset)",
                    f"{base}?" + _query({**params, "o": f"{sign}{number}", "after": cursor}),
                    target=PAGE_P95,
                    keyset=keyset_bare(bare.filter(after).order_by(*order), per_page + 1),
                )
            )
    return measures


def api_measures(busiest, sample, runs):
    measures = []
    api = "/api/v1"

    def values_orjson():
        rows = list(Profile.objects.order_by("-id").values()[:50])
        orjson.dumps({"results": rows}, default=str)

    measures.append(
        Measure("api", "profiles/ list page (50)", f"{api}/profiles/", bare=values_orjson)
    )
    # What any authenticated API request costs before it reads a row (session, user,
    # middleware, DRF's dispatch and rendering): the floor under the list's ratio.
    measures.append(Measure("api", "the stack alone: API root, no rows", f"{api}/"))
    # As another system calls the API: a token (one query) instead of a browser's session
    # (the session's row, then the user's).
    token = {"Authorization": f"Token {Token.objects.get_or_create(user=_bench_user())[0].key}"}
    measures.append(
        Measure(
            "api",
            "profiles/ list page (50), with a token",
            f"{api}/profiles/",
            headers=token,
            bare=values_orjson,
        )
    )
    measures.append(
        Measure("api", "the stack alone, with a token: API root", f"{api}/", headers=token)
    )
    measures.append(
        Measure("api", "profiles/{id}/ one profile", f"{api}/profiles/{sample.profile_id}/")
    )
    one = Subscription.objects.filter(profile=busiest).values_list("public_id", flat=True)[0]
    measures.append(
        Measure("api", "subscriptions/{id}/ one subscription", f"{api}/subscriptions/{one}/")
    )
    measures.append(
        Measure(
            "api",
            "profiles/{id}/subscriptions/ (busiest, 200)",
            f"{api}/profiles/{busiest.profile_id}/subscriptions/",
        )
    )
    history = f"{api}/profiles/{busiest.profile_id}/history/?since=2000-01-01T00:00:00Z"
    measures.append(Measure("api", "history page 1 (busiest)", history))
    client = _client()
    url, number = history, 1
    while number < 50 and (following := client.get(url).json()["next"]):
        url, number = following.replace("http://testserver", ""), number + 1
    measures.append(Measure("api", f"history page {number} (cursor)", url))
    measures.append(
        Measure(
            "export",
            "personal-data export of the busiest profile",
            f"/profiles/{busiest.profile_id}/export/",
            runs=max(3, runs // 5),
        )
    )
    return measures


_user = None


def _bench_user():
    """The superuser every measured request is made as."""
    global _user
    if _user is None:
        _user, _ = get_user_model().objects.get_or_create(
            username="scale-bench", defaults={"is_superuser": True, "is_staff": True}
        )
    return _user


def _client():
    client = Client()
    client.force_login(_bench_user())
    return client


def fmt(value):
    return "—" if value is None else f"{value:,.1f}"


def report(measures, counts_of):
    """Print the markdown table; return the misses."""
    misses = []
    print()
    print(
        "| measurement | p50 ms | p95 ms | queries | page SQL p50 ms | keyset SQL p50 ms "
        "| ratio | target | met |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for m in measures:
        p50 = m.p50("request")
        p95 = percentiles(m.samples["request"])[1] if m.samples["request"] else None
        page_sql, keyset, bare = m.p50("page_sql"), m.p50("keyset"), m.p50("bare")
        targets, ok, ratio = [], True, None
        if m.target is not None:
            targets.append(f"p95 ≤ {m.target} ms")
            ok &= p95 is not None and p95 <= m.target
        if page_sql is not None and keyset:
            ratio = page_sql / keyset
            targets.append(f"page SQL ≤ {RATIO_MAX:g}{TIMES} keyset")
            ok &= ratio <= RATIO_MAX
        elif bare:
            ratio = p50 / bare
            targets.append(f"≤ {RATIO_MAX:g}{TIMES} .values()+orjson")
            ok &= ratio <= RATIO_MAX
        queries = len(m.queries)
        note = str(queries)
        others = counts_of.get(m.name) if m.group == "profile page" else None
        if others:
            note += f" (typical {others['typical']}, empty {others['empty']})"
            targets.append("queries constant")
            ok &= queries <= others["typical"]
        unbounded = unbounded_counts(m.queries)
        if unbounded:
            ok = False
            targets.append("**COUNT over a big table**")
        if m.status != 200:
            ok = False
            targets.append(f"HTTP {m.status}")
        met = ("yes" if ok else "**no**") if targets else "—"
        ratio_text = "—" if ratio is None else f"{ratio:.1f}{TIMES}"
        print(
            f"| {m.group}: {m.name} | {fmt(p50)} | {fmt(p95)} | {note} | {fmt(page_sql)} "
            f"| {fmt(keyset)} | {ratio_text} | {'; '.join(targets) or '—'} | {met} |"
        )
        if not ok:
            misses.append((m, unbounded))
    return misses


def maintenance():
    """The partitioning study: vacuum, index builds and sizes of the event table."""
    table = Event._meta.db_table
    print("\n### Maintenance of history_event (the partitioning study)\n")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        print(f"rows (planner estimate): {cursor.fetchone()[0]:,}")
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size(%s)), pg_size_pretty(pg_indexes_size(%s)), "
            "pg_size_pretty(pg_total_relation_size(%s))",
            [table, table, table],
        )
        size, indexes, total = cursor.fetchone()
        print(f"table {size}, indexes {indexes}, total {total}")
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)), "
            "pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
            [table],
        )
        indexes = cursor.fetchall()
        print("| step | seconds |")
        print("|---|---:|")
        for label, sql in (
            ("VACUUM", f"VACUUM {table}"),
            ("VACUUM ANALYZE", f"VACUUM ANALYZE {table}"),
            ("VACUUM (FREEZE), as against wraparound", f"VACUUM (FREEZE) {table}"),
        ):
            started = time.monotonic()
            cursor.execute(sql)
            print(f"| {label} | {time.monotonic() - started:.1f} |")
        for name, index_size, definition in indexes:
            for concurrently in (False, True):
                scratch = f"{name[:40]}_bench"
                sql = definition.replace(f"INDEX {name} ON", f"INDEX {scratch} ON", 1)
                if concurrently:
                    sql = sql.replace("INDEX ", "INDEX CONCURRENTLY ", 1)
                started = time.monotonic()
                cursor.execute(sql)
                elapsed = time.monotonic() - started
                cursor.execute(f'DROP INDEX "{scratch}"')
                how = "CREATE INDEX CONCURRENTLY" if concurrently else "CREATE INDEX"
                print(f"| {how} {name} ({index_size}) | {elapsed:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--maintenance", action="store_true", help="the partitioning study")
    parser.add_argument("--maintenance-only", action="store_true", help="that study alone")
    parser.add_argument(
        "--no-ingestion", action="store_true", help="leave out bench/events.py's measurement"
    )
    parser.add_argument("--only", default="", help="measure only groups containing this text")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="shrink the load (0.001: a quick check)"
    )
    args = parser.parse_args()
    if args.scale != 1.0:
        scaled(args.scale)
    if args.maintenance_only:
        maintenance()
        return
    if connection.vendor != "postgresql":
        sys.exit("bench/scale.py measures PostgreSQL: set DATABASE_URL to a database of its own.")
    # No setup_test_environment(): its instrumented template rendering (a signal and a
    # copy of the context per template) would add to every page's time.
    database = ensure_loaded()
    busiest = Profile.objects.get(database=database, email=BUSIEST_EMAIL)
    empty, _ = Profile.objects.get_or_create(
        database=database, email=EMPTY_EMAIL, defaults={"first_name": "Empty"}
    )
    client = _client()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [list(BIG_TABLES)],
        )
        sizes = dict(cursor.fetchall())
    print(
        f"PostgreSQL: {sizes.get('profiles_profile', 0):,} profiles, "
        f"{sizes.get('subscriptions_subscription', 0):,} subscriptions, "
        f"{sizes.get('history_event', 0):,} events (planner estimates); "
        f"busiest profile {busiest.profile_id}; {args.runs} warm runs; "
        f"load before: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    listing, sample = list_measures(database, busiest)
    # A typical profile: a few events in the default 7 days, two subscriptions; its events
    # name a channel and a subscription, as the busiest's do, so the two pages look the same
    # kinds of ids up (one query per kind: web/history/words.py) and differ only in how many.
    newest = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    recent = Event.objects.exclude(profile=busiest).filter(id__gt=newest - 200_000)
    typical = Profile.objects.get(
        pk=recent.filter(
            data__has_key="subscription",
            profile_id__in=recent.filter(data__has_key="channel").values("profile_id"),
        ).values_list("profile_id", flat=True)[0]
    )
    page, page_typical, page_empty = profile_page_measures(busiest, typical, empty)
    measures = page + listing + admin_measures(sample, busiest)
    measures += api_measures(busiest, sample, args.runs)
    if args.only:
        measures = [m for m in measures if args.only in f"{m.group}: {m.name}"]
    # The typical and the empty profile's page: one request each, for the query counts.
    counts_of = {}
    for label, others in (("typical", page_typical), ("empty", page_empty)):
        for m in others:
            with CaptureQueriesContext(connection) as captured:
                m.request(client)
            counts_of.setdefault(m.name, {})[label] = len(captured.captured_queries)
    # A list or changelist page's own main query, found in its SQL, is timed beside it.
    for m in measures:
        if m.group.startswith(("list", "admin")):
            with CaptureQueriesContext(connection) as captured:
                m.request(client)
            table = "profiles_profile"
            if "subscriptions" in m.url:
                table = "subscriptions_subscription"
            elif "history/event" in m.url:
                table = "history_event"
            found = page_queries(captured.captured_queries, table)
            m.page_sql = (lambda found=found: run_sql(found)) if found else None
    timed(client, measures, args.runs)
    print(f"\nload after: {os.getloadavg()[0]:.2f} (uptime's 1-minute average)")
    misses = report(measures, counts_of)
    for m, counts in misses:
        for sql in counts:
            print(f"\nUnbounded COUNT in {m.group}: {m.name}:\n  {sql[:400]}")
    if args.maintenance:
        maintenance()
    if args.no_ingestion:
        return
    try:
        from bench.events import measure_ingestion
        from bench.events import report as report_ingestion
    except ImportError as error:
        print(f"\nEvent ingestion: not measured (bench/events.py: {error}).")
    else:
        print("\n### Event ingestion (bench/events.py), in the same run\n")
        report_ingestion(measure_ingestion())


if __name__ == "__main__":
    main()
