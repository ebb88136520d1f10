import factory

from pixels.models import AnonymousHit, Goal, Pixel
from tests.factories import ProfileDatabaseFactory


class PixelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pixel

    name = factory.Sequence(lambda n: f"Pixel {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    pixel = factory.SubFactory(PixelFactory)
    name = factory.Sequence(lambda n: f"goal_{n}")


class AnonymousHitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnonymousHit

    pixel = factory.SubFactory(PixelFactory)
    anonymous_id = "visitor-1"
    goal = "view"
    url = "https://shop.example/p/1"
