import factory
from django.contrib.auth import get_user_model

from history.models import Event
from profiles.models import CustomField, Profile, ProfileDatabase


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ProfileDatabaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfileDatabase

    name = factory.Sequence(lambda n: f"Database {n}")


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    database = factory.SubFactory(ProfileDatabaseFactory)
    name = factory.Sequence(lambda n: f"field_{n}")
    type = "line"


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    database = factory.SubFactory(ProfileDatabaseFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    profile = factory.SubFactory(ProfileFactory)
    type = "import_manual"
    data = factory.LazyFunction(lambda: {"source": "manual"})
