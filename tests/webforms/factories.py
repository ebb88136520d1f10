import factory

from tests.factories import ProfileDatabaseFactory, ProfileFactory
from webforms.models import Form, Submission


class FormFactory(factory.django.DjangoModelFactory):
    """A form mapping ``email`` and ``name`` (to first_name); ``fields`` stored as given."""

    class Meta:
        model = Form

    name = factory.Sequence(lambda n: f"Form {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)
    fields = factory.LazyFunction(
        lambda: [{"name": "email", "maps_to": "email"}, {"name": "name", "maps_to": "first_name"}]
    )


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    form = factory.SubFactory(FormFactory)
    profile = factory.SubFactory(ProfileFactory)
    data = factory.LazyFunction(lambda: {"email": "ann@example.com", "name": "Ann"})
