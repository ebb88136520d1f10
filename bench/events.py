"""Measure event ingestion: ``POST events/`` in batches against a raw COPY, side by side.

    createdb -h 127.0.0.1 -U postgres ev_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ev_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/events.py [--events 100000] [--batch 1000] [--profiles 10000]

PostgreSQL only. The first run creates the database "Events benchmark" with ``--profiles``
profiles, a tenth of them with an email subscription (later runs find them). Then, in one
run, the same number of events twice:

    (i)  the API: ``POST events/`` through the whole Django stack in-process (DRF's test
         client as a token-authenticated user, JSON parsed and rendered), ``--batch`` events
         a call; a realistic mix with its side effects: mostly send, delivery, open and click,
         some clicks with UTM tags, some events with an ``ip``, a few hard_bounce, complaint
         and unsubscribe_click naming the profile's subscription;
    (ii) the physical limit: ``COPY`` of as many events into history_event, as
         ``manage.py seed_scale`` loads them (indexes and key kept: the table is not empty).

It prints events/s of each, the p50/p95 of an API call, the ratio, and whether the targets
of issue 15 hold: (i) ≥ 30,000 events/s and ≥ 20 % of (ii). ``measure_ingestion()`` returns
the figures for ``bench/scale.py``. The events stay (they are history like any other).
"""

import argparse
import gc
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")  # the load guard would interfere
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

import xxhash  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from config.wsgi import settle  # noqa: E402
from core.status import Status  # noqa: E402
from history.models import Event  # noqa: E402
from profiles.models import Profile, ProfileDatabase, new_profile_id  # noqa: E402
from subscriptions.models import Channel, Resource, Subscription  # noqa: E402

USERNAME = "events-bench"
DATABASE_NAME = "Events benchmark"
RESOURCE_NAME = "Events benchmark"
URL = "/api/v1/events/"
TARGETS = {"rate": 30_000, "share": 0.20}
# The mix a mail server and a tracker report: (type, weight in 10,000). The rare ones at
# rates of a fair list: hard bounces 0.5 % of sends, complaints 0.05 % and unsubscribe
# clicks 0.2 % of deliveries (``--rare`` multiplies them).
MIX = [
    ("send", 3000),
    ("delivery", 2900),
    ("open", 2000),
    ("click", 1500),
    ("read", 577),
    ("hard_bounce", 15),
    ("complaint", 2),
    ("unsubscribe_click", 6),
]
RARE = {"hard_bounce", "complaint", "unsubscribe_click"}
UTM_SHARE = 0.3  # of the clicks
IP_SHARE = 0.05  # of all events


@dataclass
class Figures:
    events: int
    batch: int
    api_seconds: float
    copy_seconds: float
    calls: list = field(default_factory=list)
    errors: int = 0
    clients: int = 1

    @property
    def api_rate(self):
        return self.events / self.api_seconds if self.api_seconds else 0.0

    @property
    def copy_rate(self):
        return self.events / self.copy_seconds if self.copy_seconds else 0.0

    @property
    def share(self):
        return self.api_rate / self.copy_rate if self.copy_rate else 0.0

    def call_ms(self, percent):
        ordered = sorted(self.calls)
        if not ordered:
            return None
        if percent == 50:
            return statistics.median(ordered) * 1000
        return ordered[round(percent / 100 * (len(ordered) - 1))] * 1000

    @property
    def met(self):
        return self.api_rate >= TARGETS["rate"] and self.share >= TARGETS["share"]

    def as_dict(self):
        return {
            "events": self.events,
            "batch": self.batch,
            "api_events_per_s": round(self.api_rate),
            "api_call_p50_ms": self.call_ms(50),
            "api_call_p95_ms": self.call_ms(95),
            "copy_events_per_s": round(self.copy_rate),
            "share_of_copy": self.share,
            "errors": self.errors,
            "clients": self.clients,
            "targets_met": self.met,
        }


# -- Preparing ---------------------------------------------------------------------------


def prepare(profiles):
    """Return (user, [(pk, profile_id, subscription public_id or None)]): the bench's user and
    its database's profiles, created the first time."""
    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    database, _ = ProfileDatabase.objects.get_or_create(name=DATABASE_NAME)
    have = Profile.objects.filter(database=database).count()
    if have < profiles:
        started = time.perf_counter()
        create_profiles(database, profiles - have)
        print(f"Created {profiles - have:,} profiles in {time.perf_counter() - started:.1f} s.")
    subscriptions = dict(
        Subscription.objects.filter(profile__database=database).values_list(
            "profile_id", "public_id"
        )
    )
    people = [
        (pk, profile_id, subscriptions.get(pk))
        for pk, profile_id in Profile.objects.filter(database=database)
        .order_by("pk")
        .values_list("pk", "profile_id")[:profiles]
    ]
    return user, people


def create_profiles(database, count):
    """Create ``count`` profiles, a tenth of them with an email subscription."""
    resource, _ = Resource.objects.get_or_create(name=RESOURCE_NAME)
    email = Channel.objects.get(slug="email")
    resource.channels.add(email)
    objects = []
    for _ in range(count):
        profile_id = new_profile_id()
        objects.append(
            Profile(
                profile_id=profile_id,
                md5=hashlib.md5(profile_id.encode(), usedforsecurity=False).hexdigest(),
                xxh=xxhash.xxh64_hexdigest(profile_id.encode()),
                database=database,
                email=f"{profile_id}@events.example",
                status=Status.SUBSCRIBED,
            )
        )
    with transaction.atomic():
        Profile.objects.bulk_create(objects, batch_size=2000)
        Subscription.objects.bulk_create(
            (
                Subscription(profile=p, resource=resource, channel=email, contact=p.email)
                for p in objects[::10]
            ),
            batch_size=2000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE profiles_profile")


def make_items(people, count, rng, now, rare=1.0):
    """Return ``count`` reported events of the mix, over the last hour, in time order."""
    types = [t for t, _ in MIX]
    weights = [w * rare if t in RARE else w for t, w in MIX]
    chosen = rng.choices(types, weights=weights, k=count)
    with_subscription = [p for p in people if p[2]]
    start = now - timedelta(hours=1)
    step = timedelta(hours=1) / max(count, 1)
    items = []
    for number, type in enumerate(chosen):
        person = rng.choice(with_subscription if type in RARE else people)
        mailing = rng.randint(1, 5000)
        data = {"mailing": mailing, "resource": RESOURCE_NAME, "channel": "email"}
        if type == "click":
            page = rng.randint(1, 10_000)
            url = f"https://shop.example/p/{page}"
            if rng.random() < UTM_SHARE:
                url += f"?utm_source=newsletter&utm_medium=email&utm_campaign=c{page % 40}"
            data["url"] = url
        if type in RARE:
            data["subscription"] = person[2]
        if type == "hard_bounce":
            data["reason"] = "550 5.1.1 user unknown"
        if rng.random() < IP_SHARE:
            data["ip"] = rng.choice(["81.2.69.160", "8.8.8.8", "91.198.174.192", "10.0.0.1"])
        items.append(
            {
                "profile_id": person[1],
                "type": type,
                "occurred_at": (start + step * number).isoformat(),
                "data": data,
            }
        )
    return items


# -- Measuring ---------------------------------------------------------------------------


def as_bodies(items, batch):
    """The request bodies of the items, ``batch`` a call. The items themselves are not kept
    while the API is measured: a server does not hold its clients' 100,000 event objects,
    and every full collection of the garbage collector would walk them (a tenth of the
    measured time, with 100 ms pauses)."""
    return [json.dumps(items[i : i + batch]).encode() for i in range(0, len(items), batch)]


def measure_api(user, bodies):
    """POST each body; return (seconds, [seconds per call], errors)."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    calls, errors = [], 0
    gc.collect()
    started = time.perf_counter()
    for body in bodies:
        began = time.perf_counter()
        response = client.post(URL, body, content_type="application/json")
        calls.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(
                f"POST {URL} answered {response.status_code}: {response.content[:300]}"
            )
        errors += sum(r["status"] != "created" for r in response.json()["results"])
    return time.perf_counter() - started, calls, errors


def measure_copy(people, items):
    """COPY as many events into history_event as seed_scale does; return the seconds."""
    pks = {profile_id: pk for pk, profile_id, _ in people}
    table = Event._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = f"COPY {table} (profile_id, type, occurred_at, recorded_at, data) FROM STDIN"
        with cursor.copy(sql) as copy:
            lines = []
            for item in items:
                stamp = item["occurred_at"]
                data = json.dumps(item["data"]).replace("\\", "\\\\")
                lines.append(
                    f"{pks[item['profile_id']]}\t{item['type']}\t{stamp}\t{stamp}\t{data}\n"
                )
                if len(lines) == 10_000:
                    copy.write("".join(lines))
                    lines = []
            copy.write("".join(lines))
    return time.perf_counter() - started


def measure_ingestion(
    events=100_000, batch=1000, profiles=10_000, seed=None, warmup=2, rare=1.0, clients=1
):
    """Measure (i) the API and (ii) COPY on ``events`` events each; return the Figures.

    With ``clients`` above 1, that many processes post at once (as a mail server's senders
    reach a server's web workers), each its share of the batches, and as many COPY theirs
    at once for (ii): the rates are the events of all over the wall-clock time from their
    common start to the last one's end. The database must be PostgreSQL (the COPY); the
    profiles are created the first time.
    """
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark needs PostgreSQL (the COPY it compares with).")
    rng = random.Random(seed)
    user, people = prepare(profiles)
    now = timezone.now()
    # A warm-up: the first calls load code, fill caches and open the connection.
    measure_api(user, as_bodies(make_items(people, warmup * batch, rng, now, rare), batch))
    settle()  # as a gunicorn worker does once loaded (config/wsgi.py)
    bodies = as_bodies(make_items(people, events, rng, now, rare), batch)
    if clients > 1:
        warm = as_bodies(make_items(people, clients * batch, rng, now, rare), batch)
        api_seconds, results = _at_once(_post_share, clients, (user, bodies, warm))
        calls = [call for _, call_times, _ in results for call in call_times]
        errors = sum(refused for _, _, refused in results)
    else:
        api_seconds, calls, errors = measure_api(user, bodies)
    items = [item for body in bodies for item in json.loads(body)]
    del bodies
    if clients > 1:
        copy_seconds, _ = _at_once(_copy_share, clients, (people, items))
    else:
        copy_seconds = measure_copy(people, items)
    return Figures(events, batch, api_seconds, copy_seconds, calls, errors, clients)


# What the forked clients of ``_at_once`` read (inherited, not pickled): the work's
# arguments, the number of clients and the barrier they start at together.
_shared = None


def _at_once(work, clients, arguments):
    """Run ``work(number)`` in ``clients`` forked processes starting together; return (the
    seconds from their common start to the last one's end, [what each returned])."""
    global _shared
    context = multiprocessing.get_context("fork")
    _shared = (arguments, clients, context.Barrier(clients))
    connections.close_all()  # each process opens its own connection
    with context.Pool(clients) as pool:
        timed = pool.map(work, range(clients))
    _shared = None
    started = min(began for began, _, _ in timed)
    ended = max(finished for _, finished, _ in timed)
    return ended - started, [result for _, _, result in timed]


def _post_share(number):
    (user, bodies, warm), clients, barrier = _shared
    measure_api(user, warm[number::clients])  # this process's connection and first call
    barrier.wait()
    started = time.perf_counter()  # CLOCK_MONOTONIC: one clock for every process
    _, calls, errors = measure_api(user, bodies[number::clients])
    return started, time.perf_counter(), (None, calls, errors)


def _copy_share(number):
    (people, items), clients, barrier = _shared
    connection.ensure_connection()
    barrier.wait()
    started = time.perf_counter()
    measure_copy(people, items[number::clients])
    return started, time.perf_counter(), None


def report(figures):
    clients = figures.clients
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    if clients > 1:
        print(f"{clients} clients at once, each posting (then copying) its share")
    print(
        f"(i)  API, batches of {figures.batch:,}: {figures.api_rate:,.0f} events/s "
        f"({figures.events:,} in {figures.api_seconds:.1f} s); a call p50 "
        f"{figures.call_ms(50):.0f} ms, p95 {figures.call_ms(95):.0f} ms; "
        f"{figures.errors} items refused"
    )
    print(
        f"(ii) COPY: {figures.copy_rate:,.0f} events/s "
        f"({figures.events:,} in {figures.copy_seconds:.1f} s)"
    )
    print(f"API / COPY: {figures.share:.1%}")
    rate_ok = figures.api_rate >= TARGETS["rate"]
    share_ok = figures.share >= TARGETS["share"]
    print(
        f"targets: ≥ {TARGETS['rate']:,} events/s {'met' if rate_ok else 'NOT met'}; "
        f"≥ {TARGETS['share']:.0%} of COPY {'met' if share_ok else 'NOT met'}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events measured each way")
    parser.add_argument("--batch", type=int, default=1000, help="events per API call")
    parser.add_argument("--profiles", type=int, default=10_000, help="profiles to create")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument(
        "--rare", type=float, default=1.0, help="multiply the share of bounces, complaints…"
    )
    parser.add_argument(
        "--clients", type=int, default=1, help="processes posting (and copying) at once"
    )
    parser.add_argument("--profile", help="write a cProfile of the API part to this file")
    options = parser.parse_args()
    if options.profile:
        import cProfile

        user, people = prepare(options.profiles)
        rng = random.Random(options.seed)
        items = make_items(people, options.events, rng, timezone.now(), options.rare)
        bodies = as_bodies(items, options.batch)
        del items
        measure_api(user, bodies[:1])
        settle()
        profiler = cProfile.Profile()
        profiler.enable()
        measure_api(user, bodies)
        profiler.disable()
        profiler.dump_stats(options.profile)
        print(f"cProfile of {options.events:,} events written to {options.profile}")
        return
    report(
        measure_ingestion(
            options.events,
            options.batch,
            options.profiles,
            options.seed,
            rare=options.rare,
            clients=options.clients,
        )
    )


if __name__ == "__main__":
    main()
