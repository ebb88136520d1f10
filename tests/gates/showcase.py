"""The pages the layout and accessibility gates visit, on the demo data plus the long values
that used to push tables past their cards (a long URL, a long unbroken value, a long
address): one profile with something in every section, a job, the import page.
"""

from dataclasses import dataclass
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Q
from django.urls import reverse

from history.models import Event
from jobs.models import Job
from pixels.models import Pixel
from profiles.models import Profile
from relations.models import Relation, RelationType
from tests import conftest
from web.profiles.sections import sections

PASSWORD = "correct horse battery staple"
LONG_URL = "https://shop.example.com/catalogue/" + "/".join(["category-with-a-long-name"] * 6)
UNBROKEN = "A" * 40 + "-" + "0123456789abcdef" * 6


@dataclass
class Showcase:
    profile: Profile
    username: str
    password: str
    pages: list  # (name, path)


def richest_profile():
    """Return the demo profile with the most kinds of things on its page."""
    kinds = {
        "n_pixels": Count("events", filter=Q(events__type="pixel"), distinct=True),
        "n_orders": Count("orders", distinct=True),
        "n_loyalty": Count("loyalty_memberships", distinct=True),
        "n_relations": Count("outgoing_relations", distinct=True),
        "n_subscriptions": Count("subscriptions", distinct=True),
        "n_segments": Count("segment_memberships", distinct=True),
        "n_events": Count("events", distinct=True),
    }
    profiles = Profile.objects.annotate(**kinds)
    return max(
        profiles,
        key=lambda p: (sum(bool(getattr(p, kind)) for kind in kinds), p.n_events, p.profile_id),
    )


def build_showcase(profiles=30):
    """Load the demo data, lengthen one profile's values and return the pages to visit."""
    call_command("seed_demo", profiles=profiles, seed=2024, stdout=StringIO())
    marketer = get_user_model().objects.get(username="marketer")
    marketer.set_password(PASSWORD)
    marketer.save()

    profile = richest_profile()
    pixel = Pixel.objects.filter(database=profile.database).first()
    goal = pixel.goals.first().name if pixel else "visit"
    Event.objects.create(
        profile=profile,
        type="pixel",
        data={
            "pixel": pixel.pk if pixel else 0,
            "goal": goal,
            "url": LONG_URL,
            "referrer": LONG_URL + "?utm_source=" + UNBROKEN,
            "data": {"basket": UNBROKEN, "note": LONG_URL},
        },
    )
    Event.objects.create(
        profile=profile, type="click", data={"url": LONG_URL, "campaign": UNBROKEN}
    )
    # A relation, its other profile named by a link beside its email.
    kind, _ = RelationType.objects.get_or_create(database=profile.database, name="Family")
    other = Profile.objects.filter(database=profile.database).exclude(pk=profile.pk).first()
    if other and not Relation.objects.filter(from_profile=profile, to_profile=other).exists():
        Relation.objects.create(
            type=kind, from_profile=profile, to_profile=other, properties={"note": UNBROKEN}
        )
    # Two saves: the Changes page shows the long value as new, then as old.
    for value in (UNBROKEN, UNBROKEN[::-1]):
        profile.middle_name = value[:100]
        profile.save()
    Job.objects.create(
        kind="export",
        created_by=marketer,
        database=profile.database,
        status="failed",
        failure="The file could not be written: " + UNBROKEN,
    )

    path = profile.get_absolute_url()
    pages = [
        ("login", reverse("login")),
        ("list", reverse("profiles:list")),
        ("list filtered", reverse("profiles:list") + f"?database={profile.database_id}"),
    ]
    pages += [(f"tab {tab.slug}", f"{path}?tab={tab.slug}") for tab in profile.database.tabs()]
    pages += [(f"section {section.slug}", section.url(profile)) for section in sections()]
    pages += [
        ("changes", reverse("audit:profile", args=[profile.profile_id])),
        ("jobs", reverse("jobs:list")),
        ("import", reverse("imports:new")),
    ]
    return Showcase(profile, "marketer", PASSWORD, pages)


def log_in(page, base_url, showcase):
    conftest.log_in(page, base_url, showcase.username, showcase.password)
