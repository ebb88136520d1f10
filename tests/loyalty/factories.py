import factory

from loyalty.models import Membership, Program, Promotion, Tier
from tests.factories import ProfileDatabaseFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Tier {n}")
    threshold = factory.Sequence(lambda n: n * 1000)


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Promotion {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member with a balance of 0 (points move through operations.loyalty.add_points)."""

    class Meta:
        model = Membership

    program = factory.SubFactory(ProgramFactory)
    profile = factory.SubFactory(
        "tests.factories.ProfileFactory", database=factory.SelfAttribute("..program.database")
    )


def with_tiers(program, **thresholds):
    """Give the program tiers: ``with_tiers(program, Silver=1000, Gold=5000)``."""
    for name, threshold in thresholds.items():
        Tier.objects.create(program=program, name=name, threshold=threshold)
    return program
