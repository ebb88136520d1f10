import factory

from relations.models import Relation, RelationType
from tests.factories import ProfileDatabaseFactory, ProfileFactory


class RelationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelationType

    name = factory.Sequence(lambda n: f"relation {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)


class RelationFactory(factory.django.DjangoModelFactory):
    """A relation between two new profiles of the type's database."""

    class Meta:
        model = Relation

    type = factory.SubFactory(RelationTypeFactory)
    from_profile = factory.SubFactory(
        ProfileFactory, database=factory.SelfAttribute("..type.database")
    )
    to_profile = factory.SubFactory(
        ProfileFactory, database=factory.SelfAttribute("..type.database")
    )
