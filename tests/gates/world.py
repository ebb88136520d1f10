"""What the gates walk: every named URL pattern, and a world of objects to fill them with.

``build_world`` makes one of everything in bob's database and again in a database he is
not a member of, plus one object of each remaining model the admin shows; ``url_kwargs``
fills a pattern's parameters with either side's objects. dana is staff with every
permission but, like bob, a member of bob's database only: the other side is hers to miss.
"""

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import AuditEntry
from history.models import Event
from interactions.models import ControlGroup, Participation, Scenario, Trigger
from jobs.models import Job
from loyalty.models import Membership, Program, Transaction
from market.models import Order, OrderLine, Product
from pixels.models import AnonymousHit, Goal, Pixel
from profiles.models import CustomField, Profile, ProfileDatabase, ProfilePhone
from promos.models import PromoCode, PromoPool
from relations.models import Relation, RelationType
from segments.models import Segment, SegmentMembership
from subscriptions.models import Category, Resource, Subscription, SuppressedAddress
from tests.conftest import MARKETER_PERMISSIONS
from tests.factories import (
    CustomFieldFactory,
    EventFactory,
    ProfileDatabaseFactory,
    ProfileFactory,
    UserFactory,
)
from tests.interactions.factories import (
    ControlGroupFactory,
    ParticipationFactory,
    ScenarioFactory,
    TriggerFactory,
)
from tests.loyalty.factories import MembershipFactory, ProgramFactory
from tests.market.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.pixels.factories import AnonymousHitFactory, GoalFactory, PixelFactory
from tests.promos.factories import PromoPoolFactory, attached_code
from tests.relations.factories import RelationFactory, RelationTypeFactory
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    SubscriptionFieldFactory,
)
from tests.webforms.factories import FormFactory, SubmissionFactory
from webforms.models import Form, Submission

PAGE_METHODS = ["GET", "HX-GET", "POST"]
API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# The admin checks is_staff (and then the model permission) in AdminSite.admin_view before
# it dispatches any method, so GET stands for every method of an admin page.
ADMIN_METHODS = ["GET"]


# -- The URL patterns -------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # namespaced URL name, e.g. "profiles:detail"
    route: str  # the full route, for messages
    callback: object

    @property
    def kind(self):
        if self.name.startswith("admin:"):
            return "admin"
        return "api" if self.name.startswith("api:") else "page"

    @property
    def methods(self):
        return {"admin": ADMIN_METHODS, "api": API_METHODS, "page": PAGE_METHODS}[self.kind]

    @property
    def parameters(self):
        return sorted(parameters_of(self.route))


def parameters_of(route):
    names = re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)
    return set(names)


def walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Pattern(name, prefix + str(entry.pattern), entry.callback)


PATTERNS = sorted(set(walk(get_resolver().url_patterns)), key=lambda p: p.name)
UNNAMED = [
    str(entry.pattern)
    for entry in get_resolver().url_patterns
    if isinstance(entry, URLPattern) and not entry.name
]


# -- The world: one of everything in bob's database, and again in another one ----------


@dataclass
class World:
    users: dict
    own: dict  # model → an object bob may see
    outsider: dict  # model → the same kind of object in a database bob is not a member of
    confirmation_token: str


def build_world():
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.utils.timezone import now
    from rest_framework.authtoken.models import Token

    alice = UserFactory(username="alice", is_staff=True, is_superuser=True)
    bob = UserFactory(username="bob")
    bob.user_permissions.add(*Permission.objects.filter(codename__in=MARKETER_PERMISSIONS))
    charlie = UserFactory(username="charlie")
    Token.objects.create(user=charlie)
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    Group.objects.create(name="Marketers")

    resource = ResourceFactory(name="Website")
    CategoryFactory(resource=resource, name="News")
    own, outsider = {}, {}
    for bucket, name in [(own, "Customers"), (outsider, "Partners")]:
        database = ProfileDatabaseFactory(name=name)
        profile = ProfileFactory(database=database, phones=["+14155550100"])
        subscription = SubscriptionFactory(profile=profile, resource=resource, status="unconfirmed")
        segment = Segment.objects.create(name=f"{name} VIP", database=database)
        membership = SegmentMembership.objects.create(segment=segment, profile=profile)
        bucket.update(
            {
                ProfileDatabase: database,
                CustomField: CustomFieldFactory(database=database),
                Profile: profile,
                ProfilePhone: profile.phone_index.get(),
                Subscription: subscription,
                Segment: segment,
                SegmentMembership: membership,
                Event: EventFactory(profile=profile),
                AuditEntry: AuditEntry.objects.filter(profile_id=profile.profile_id).first(),
                SuppressedAddress: SuppressedAddress.objects.create(
                    address=f"gone@{name.lower()}.example",
                    reason="hard_bounced",
                    profile_id=profile.profile_id,
                ),
            }
        )
        scenario = ScenarioFactory(database=database, name=f"{name} onboarding")
        bucket.update(
            {
                Trigger: TriggerFactory(database=database, resource=resource),
                Scenario: scenario,
                Participation: ParticipationFactory(scenario=scenario, profile=profile),
                ControlGroup: ControlGroupFactory(database=database),
            }
        )
        program = ProgramFactory(database=database, name=f"{name} club")
        membership = MembershipFactory(program=program, profile=profile)
        ProgramFactory(database=database, name=f"{name} partners club")  # one to enrol in
        bucket.update(
            {
                Program: program,
                Membership: membership,
                Transaction: Transaction.objects.create(
                    membership=membership, points=10, reason="Welcome", balance_after=10
                ),
            }
        )
        # A relation from the profile to a second one of its database.
        relation_type = RelationTypeFactory(database=database, name=f"{name} liked")
        bucket[RelationType] = relation_type
        bucket[Relation] = RelationFactory(
            type=relation_type, from_profile=profile, properties={"source": "gates"}
        )
        # Forms and pixels (issue 12): a form with a submission, a pixel with a goal and an
        # anonymous visitor's hit.
        form = FormFactory(database=database, name=f"{name} sign-up")
        pixel = PixelFactory(database=database, name=f"{name} site")
        bucket.update(
            {
                Form: form,
                Submission: SubmissionFactory(form=form, profile=profile),
                Pixel: pixel,
                Goal: GoalFactory(pixel=pixel, name="purchase"),
                AnonymousHit: AnonymousHitFactory(pixel=pixel, goal="purchase"),
            }
        )
        # Products and an order with a line (the market module, issue 12).
        product = ProductFactory(database=database, sku="TEE-M", name=f"{name} T-shirt")
        order = OrderFactory(profile=profile, number=f"{name}-1")
        bucket.update(
            {
                Product: product,
                Order: order,
                OrderLine: OrderLineFactory(order=order, product=product, quantity=2),
            }
        )
        order.recompute_total()
        # Promo codes (issue 12): a pool with a free code, and one attached to the profile.
        pool = PromoPoolFactory(database=database, name=f"{name} welcome")
        pool.load_codes([f"{name.upper()}-FREE"])
        bucket.update({PromoPool: pool, PromoCode: attached_code(profile, pool)})
    own[ProfileDatabase].members.add(bob, dana)
    # A finished export in each database: bob's in his, alice's in the other (its file is
    # written for each test by the gates' job_files fixture).
    for bucket, user in [(own, bob), (outsider, alice)]:
        job = Job.objects.create(
            kind="export", created_by=user, database=bucket[ProfileDatabase], status="succeeded"
        )
        job.result = {"format": "csv", "rows": 1, "file": f"{job.pk}.csv"}
        job.save()
        bucket[Job] = job
        # A finished file import beside it (its report is the export's file: the gates'
        # job_files fixture writes that one).
        bucket["file_import"] = Job.objects.create(
            kind="file_import",
            created_by=user,
            database=bucket[ProfileDatabase],
            status="succeeded",
            result={**job.result, "created": 1, "updated": 0, "skipped": 0, "errors": 0},
        )
    # One of each remaining model the admin shows, so its change pages are checked too.
    SubscriptionFieldFactory(resource=resource)
    seen = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": "bob"}
    seen |= {"http_accept": "*/*", "path_info": "/accounts/login/", "attempt_time": now()}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen)
    AccessLog.objects.create(**seen)
    own[Resource] = resource
    own[Category] = resource.categories.first()
    return World(
        users={"alice": alice, "bob": bob, "charlie": charlie, "dana": dana},
        own=own,
        outsider=outsider,
        confirmation_token=own[Subscription].confirmation_token(),
    )


def model_of(pattern):
    """The model a pattern's object parameter addresses, and the attribute that holds it."""
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is not None:  # a DRF view
        queryset = getattr(view_class, "queryset", None)
        if queryset is not None:
            model = queryset.model
        else:
            serializer = getattr(view_class, "serializer_class", None)
            model = serializer.Meta.model if hasattr(serializer, "Meta") else None
        return model, getattr(view_class, "lookup_field", "pk")
    if pattern.kind == "admin":
        for model in admin.site._registry:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            if pattern.name.startswith(prefix):
                return model, "pk"
    return None, None


def any_object(model, world, objects):
    if model in objects:
        return objects[model]
    return model._default_manager.order_by("pk").first()


def url_kwargs(pattern, world, objects):
    """Fill every URL parameter with an object of ``objects`` (bob's or the outsider's)."""
    model, lookup = model_of(pattern)
    kwargs = {}
    for parameter in pattern.parameters:
        if parameter == "profile_id":
            value = objects[Profile].profile_id
        elif parameter == "subscription_id" or (parameter == "id" and model is Subscription):
            value = objects[Subscription].public_id
        elif parameter == "segment_id":
            value = objects[Segment].pk
        elif parameter == "trigger_id":
            value = objects[Trigger].pk
        elif parameter == "scenario_id":
            value = objects[Scenario].pk
        elif parameter == "program_id":
            value = objects[Program].pk
        elif parameter == "relation_id":
            value = objects[Relation].pk
        elif parameter == "code_id":
            value = objects[PromoCode].pk
        elif parameter == "database_id":
            value = objects[ProfileDatabase].pk
        elif parameter == "form_id":
            value = objects[Form].pk
        elif parameter == "pixel_id":
            value = objects[Pixel].pk
        elif parameter == "pk" and pattern.name.startswith("api:import-"):
            value = objects["file_import"].pk
        elif parameter == "job_id" or (parameter == "pk" and model is Job):
            value = objects[Job].pk
        elif parameter == "fmt":
            value = "csv"
        elif parameter == "token":
            value = world.confirmation_token
        elif parameter == "uidb64":
            value = "MQ"
        elif parameter == "app_label":
            value = "profiles"
        elif parameter == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            value = ContentType.objects.get_for_model(Profile).pk
        elif parameter == "object_id" and pattern.name == "admin:view_on_site":
            value = objects[Profile].pk
        elif parameter in {"pk", "object_id", "id"} and model is not None:
            instance = any_object(model, world, objects)
            if instance is None:
                pytest.fail(f"{pattern.name}: the world holds no {model.__name__}; add one")
            value = getattr(instance, lookup)
        else:
            pytest.fail(
                f"{pattern.name} ({pattern.route}): the matrix does not know how to fill the "
                f"URL parameter {parameter!r}; teach url_kwargs()"
            )
        kwargs[parameter] = value
    return kwargs


def admin_object_model(pattern, world):
    """The model of a database's object an admin pattern shows (its change, delete and
    history pages, its list), or None."""
    if pattern.kind != "admin":
        return None
    if pattern.name == "admin:view_on_site":  # a redirect to the object's page
        return Profile
    model, _ = model_of(pattern)
    listed = pattern.name.endswith("_changelist")
    if model in world.outsider and (listed or "object_id" in pattern.parameters):
        return model
    return None


def addresses_a_database_object(pattern):
    """Whether the pattern names an object that belongs to a profile database."""
    model, _ = model_of(pattern)
    if pattern.kind == "admin":
        return False  # bob is not staff: the admin refuses him before any object lookup
    database_objects = {ProfileDatabase, CustomField, Subscription, Segment, Job}
    database_objects |= {Trigger, Scenario, Participation, ControlGroup}
    database_objects |= {Program, Membership}
    database_objects |= {RelationType, Relation}
    database_objects |= {Product, Order, OrderLine}
    database_objects |= {PromoPool, PromoCode}
    named = {"profile_id", "subscription_id", "segment_id", "job_id"}
    named |= {"trigger_id", "scenario_id", "database_id"}
    database_objects |= {Form, Submission, Pixel, AnonymousHit}
    named |= {"form_id", "pixel_id"}
    named |= {"program_id"}
    return bool(named & set(pattern.parameters)) or (
        model in database_objects and len(pattern.parameters) > 0
    )
