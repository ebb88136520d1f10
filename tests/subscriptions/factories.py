import factory
from django.utils import timezone

from subscriptions.models import Category, Channel, Resource, Subscription, SubscriptionField
from tests.factories import ProfileFactory


def channel(slug):
    return Channel.objects.get(slug=slug)


class ResourceFactory(factory.django.DjangoModelFactory):
    """A resource with every channel enabled unless ``channels`` is given."""

    class Meta:
        model = Resource
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Resource {n}")

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = Channel.objects.all()
        self.channels.set(extracted)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    resource = factory.SubFactory(ResourceFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class SubscriptionFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionField

    resource = factory.SubFactory(ResourceFactory)
    name = factory.Sequence(lambda n: f"field_{n}")
    type = "line"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A subscription written straight to the table (no rules applied): for setting up state."""

    class Meta:
        model = Subscription

    profile = factory.SubFactory(ProfileFactory)
    resource = factory.SubFactory(ResourceFactory)
    channel = factory.LazyFunction(lambda: channel("email"))
    contact = factory.Sequence(lambda n: f"contact{n}@example.com")
    status = "subscribed"
    priority = 0
    reg_date = factory.LazyFunction(timezone.now)
