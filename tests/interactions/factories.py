import factory

from interactions.models import ControlGroup, Participation, Scenario, Trigger
from segments.models import Segment
from tests.factories import ProfileDatabaseFactory
from tests.subscriptions.factories import ResourceFactory, channel


class TriggerFactory(factory.django.DjangoModelFactory):
    """An email trigger of a resource with every channel."""

    class Meta:
        model = Trigger

    name = factory.Sequence(lambda n: f"Trigger {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)
    resource = factory.SubFactory(ResourceFactory)
    channel = factory.LazyFunction(lambda: channel("email"))
    subject = "Hello {{ profile.first_name }}"
    body = "Dear {{ profile.first_name }} {{ profile.last_name }},\nwelcome."


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)


class ScenarioFactory(factory.django.DjangoModelFactory):
    """An active scenario; ``steps`` is stored as given (call full_clean to check it)."""

    class Meta:
        model = Scenario

    name = factory.Sequence(lambda n: f"Scenario {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)
    steps = factory.LazyFunction(lambda: [{"type": "wait", "seconds": 3600}])


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    scenario = factory.SubFactory(ScenarioFactory)
    profile = factory.SubFactory(
        "tests.factories.ProfileFactory", database=factory.SelfAttribute("..scenario.database")
    )
    version = factory.SelfAttribute("scenario.version")
    steps = factory.SelfAttribute("scenario.steps")


class ControlGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ControlGroup
        django_get_or_create = ["database"]

    database = factory.SubFactory(ProfileDatabaseFactory)
    enabled = True
    share_percent = 10
    period_days = 30
