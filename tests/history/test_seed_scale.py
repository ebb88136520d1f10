import hashlib
import io

import pytest
from django.core.management import call_command
from django.db import connection

from history.management.commands import seed_scale
from history.models import Event
from profiles.models import Profile

pytestmark = pytest.mark.django_db


def seed(**options):
    output = io.StringIO()
    call_command("seed_scale", stdout=output, **options)
    return output.getvalue()


def test_it_loads_profiles_and_events_with_one_busiest_profile():
    report = seed(profiles=5, events=300, busiest=120, days=30, database="Scale")
    assert "Seeded 5 profiles and 300 events" in report
    profiles = Profile.objects.filter(database__name="Scale")
    assert profiles.count() == 5
    busiest = profiles.get(email=seed_scale.BUSIEST_EMAIL)
    assert busiest.events.count() == 120
    assert Event.objects.count() == 300
    assert busiest.md5 == hashlib.md5(busiest.profile_id.encode()).hexdigest()  # noqa: S324
    first, last = Event.objects.order_by("occurred_at").first(), Event.objects.first()
    assert (last.occurred_at - first.occurred_at).days in (29, 30)
    assert first.data and isinstance(first.data, dict)


def test_a_second_load_adds_to_the_same_database():
    seed(profiles=2, events=10, busiest=5, database="Scale")
    seed(profiles=2, events=10, busiest=5, database="Scale")
    assert Profile.objects.filter(database__name="Scale").count() == 4
    assert Profile.objects.get(email=seed_scale.BUSIEST_EMAIL).events.count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_large_load_rebuilds_the_indexes_and_the_key(monkeypatch):
    monkeypatch.setattr(seed_scale, "REBUILD_MIN", 10)
    seed(profiles=3, events=200, busiest=50, database="Scale")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'history_event'")
        indexes = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'history_event'::regclass AND contype = 'f'"
        )
        keys = cursor.fetchone()[0]
    assert {"event_profile_newest_first", "event_profile_type_newest"} <= indexes
    assert keys == 1
    assert Event.objects.count() == 200
