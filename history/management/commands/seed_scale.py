"""Load synthetic profiles and events fast, to measure the history at scale.

    python manage.py seed_scale --profiles 10000 --events 10000000 --busiest 100000

Events are spread over the last ``--days`` days and written in time order, interleaved
across profiles as they would arrive; one profile ("busiest@scale.example") gets
``--busiest`` of them. On PostgreSQL the events go in with COPY (psycopg's copy); a load
at least as large as the table drops the history index first and builds it again after,
in the same transaction. On SQLite they go in with bulk_create. Side effects are not
applied: this is data for reading.
"""

import hashlib
import json
import random
import time
from datetime import timedelta

import xxhash
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from history.models import Event
from profiles.models import Profile, ProfileDatabase, Status, new_profile_id

BUSIEST_EMAIL = "busiest@scale.example"
# Relative frequency of each event type in the synthetic history. Promo code events are left
# out: they are written with the codes they name (operations.promos), which this load has not.
TYPE_WEIGHTS = {
    "send": 300,
    "delivery": 280,
    "open": 180,
    "read": 40,
    "click": 80,
    "pixel": 50,
    "unsubscribe_click": 5,
    "hard_bounce": 3,
    "complaint": 1,
    "confirmation_click": 5,
    "subscribed": 10,
    "unsubscribed": 5,
    "segment_entered": 10,
    "segment_exited": 5,
    "status_changed": 3,
}
DATA_VARIANTS = 500
# A load of at least this many events (and at least the table's size) rebuilds the indexes.
REBUILD_MIN = 100_000


def _data(type, rng):
    """Return a plausible data object for an event of this type."""
    mailing = {"mailing": rng.randint(1, 5000), "resource": "Website", "channel": "email"}
    if type == "click":
        page = rng.randint(1, 10_000)
        return mailing | {
            "url": f"https://shop.example/p/{page}?utm_source=newsletter&utm_campaign=c{page % 40}"
        }
    if type == "pixel":
        return {
            "goal": rng.choice(["purchase", "signup", "view"]),
            "value": round(rng.uniform(1, 500), 2),
            "url": f"https://shop.example/checkout/{rng.randint(1, 9999)}",
            "geo": {"country": rng.choice(["DE", "FR", "US", "BR"])},
        }
    if type in ("hard_bounce", "complaint", "unsubscribe_click", "confirmation_click"):
        return mailing | {"reason": "550 5.1.1 user unknown"} if type == "hard_bounce" else mailing
    if type.startswith("segment"):
        return {"segment": rng.randint(1, 50)}
    if type == "status_changed":
        return {"from": "subscribed", "to": "unsubscribed", "source": "api"}
    if type in ("subscribed", "unsubscribed"):
        return {"subscription": f"{rng.getrandbits(96):024x}", "resource": "Website"}
    return mailing


class Command(BaseCommand):
    help = "Load synthetic profiles and events (COPY on PostgreSQL) to measure the history."

    def add_arguments(self, parser):
        parser.add_argument("--profiles", type=int, default=10_000, help="profiles to create")
        parser.add_argument("--events", type=int, default=1_000_000, help="events to create")
        parser.add_argument(
            "--busiest",
            type=int,
            default=100_000,
            help="events of the busiest profile (at most --events)",
        )
        parser.add_argument("--days", type=int, default=365, help="spread over the last N days")
        parser.add_argument("--database", default="Scale test", help="profile database name")
        parser.add_argument("--seed", type=int, default=1, help="random seed")

    def handle(self, *args, **options):
        profiles, events = options["profiles"], options["events"]
        busiest = min(options["busiest"], events)
        if profiles < 1 or events < 0 or busiest < 0 or options["days"] < 1:
            raise CommandError("Give at least one profile, and non-negative counts.")
        if profiles == 1 and busiest != events:
            busiest = events
        rng = random.Random(options["seed"])
        started = time.monotonic()
        database, _ = ProfileDatabase.objects.get_or_create(name=options["database"])
        people = self.create_profiles(database, profiles)
        profile_time = time.monotonic() - started
        self.stdout.write(f"{profiles:,} profiles: {profile_time:.1f} s")
        rows = self.event_rows(people, events, busiest, options["days"], rng)
        if connection.vendor == "postgresql":
            self.copy_events(rows, events)
        else:
            self.bulk_create_events(rows)
        elapsed = time.monotonic() - started
        rate = events / max(elapsed - profile_time, 1e-9)
        self.stdout.write(
            f"Seeded {profiles:,} profiles and {events:,} events in {elapsed:.1f} s "
            f"({rate:,.0f} events/s) into “{database.name}” on {connection.vendor}.\n"
            f"Busiest profile: {people[0][1]} with {busiest:,} events."
        )

    def create_profiles(self, database, count):
        """Create the profiles; return [(pk, profile_id)] with the busiest one first."""
        existing = Profile.objects.filter(database=database, email=BUSIEST_EMAIL).first()
        objects = []
        for number in range(count):
            profile_id = new_profile_id()
            email = BUSIEST_EMAIL if number == 0 and not existing else f"{profile_id}@scale.example"
            objects.append(
                Profile(
                    profile_id=profile_id,
                    md5=hashlib.md5(profile_id.encode(), usedforsecurity=False).hexdigest(),
                    xxh=xxhash.xxh64_hexdigest(profile_id.encode()),
                    database=database,
                    email=email,
                    status=Status.SUBSCRIBED,
                    first_name=f"Scale {number}",
                )
            )
        with transaction.atomic():
            Profile.objects.bulk_create(objects, batch_size=2000)
        if existing:
            return [(existing.pk, existing.profile_id)] + [(p.pk, p.profile_id) for p in objects]
        return [(p.pk, p.profile_id) for p in objects]

    def event_rows(self, people, count, busiest, days, rng):
        """Yield (profile pk, type, occurred_at, data JSON) in time order."""
        types = list(TYPE_WEIGHTS)
        pools = {
            type: [json.dumps(_data(type, rng)) for _ in range(DATA_VARIANTS)] for type in types
        }
        chosen = rng.choices(types, weights=list(TYPE_WEIGHTS.values()), k=min(count, 100_000))
        busiest_at = set(rng.sample(range(count), busiest)) if busiest < count else None
        others = [pk for pk, _ in people[1:]] or [people[0][0]]
        hot = people[0][0]
        now = timezone.now()
        start = now - timedelta(days=days)
        step = (now - start) / max(count, 1)
        for number in range(count):
            type = chosen[number % len(chosen)]
            pk = hot if busiest_at is None or number in busiest_at else rng.choice(others)
            yield pk, type, start + step * number, pools[type][number % DATA_VARIANTS]

    def bulk_create_events(self, rows, batch=5000):
        buffer = []
        with transaction.atomic():
            for pk, type, moment, data in rows:
                buffer.append(
                    Event(
                        profile_id=pk,
                        type=type,
                        occurred_at=moment,
                        recorded_at=moment,
                        data=json.loads(data),
                    )
                )
                if len(buffer) == batch:
                    Event.objects.bulk_create(buffer)
                    buffer = []
            Event.objects.bulk_create(buffer)

    def copy_events(self, rows, count):
        """COPY the events in; a load as large as the table goes in without indexes and key.

        Dropping the history indexes and the profile foreign key, then building the
        indexes and checking the key once (one join) after the COPY is several times
        faster than maintaining them row by row. It all happens in one transaction: a failure leaves
        the table as it was.
        """
        table = Event._meta.db_table
        profile_table = Profile._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            estimate = max((cursor.fetchone() or [0])[0], 0)
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f' AND confrelid = %s::regclass",
                [table, profile_table],
            )
            foreign_keys = [name for (name,) in cursor.fetchall()]
        rebuild = count >= REBUILD_MIN and count >= estimate
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            # Check deferred keys of earlier writes now: DDL refuses a table with pending checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if rebuild:
                with connection.schema_editor(atomic=False) as editor:
                    for index in Event._meta.indexes:
                        editor.remove_index(Event, index)
                for name in foreign_keys:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            sql = f"COPY {table} (profile_id, type, occurred_at, recorded_at, data) FROM STDIN"
            with cursor.copy(sql) as copy:
                lines = []
                for pk, type, moment, data in rows:
                    stamp = moment.isoformat()
                    # COPY's text format reads a backslash as an escape: double it.
                    data = data.replace("\\", "\\\\")
                    lines.append(f"{pk}\t{type}\t{stamp}\t{stamp}\t{data}\n")
                    if len(lines) == 10_000:
                        copy.write("".join(lines))
                        lines = []
                copy.write("".join(lines))
            copied = time.monotonic()
            self.stdout.write(f"COPY of {count:,} events: {copied - started:.1f} s")
            if rebuild:
                with connection.schema_editor(atomic=False) as editor:
                    for index in Event._meta.indexes:
                        editor.add_index(Event, index)
                for name in foreign_keys:
                    cursor.execute(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" FOREIGN KEY (profile_id) '
                        f"REFERENCES {profile_table} (id) DEFERRABLE INITIALLY DEFERRED"
                    )
                self.stdout.write(
                    f"History indexes built, profile key checked: {time.monotonic() - copied:.1f} s"
                )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
