import factory
from django.utils import timezone

from promos.models import PromoCode, PromoPool
from tests.factories import ProfileDatabaseFactory


class PromoPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromoPool

    name = factory.Sequence(lambda n: f"Pool {n}")
    database = factory.SubFactory(ProfileDatabaseFactory)


class PromoCodeFactory(factory.django.DjangoModelFactory):
    """A free code; pass ``profile`` (and ``status``) for one handed out."""

    class Meta:
        model = PromoCode

    pool = factory.SubFactory(PromoPoolFactory)
    code = factory.Sequence(lambda n: f"CODE{n:05d}")


def attached_code(profile, pool=None, **kwargs):
    """A code attached to ``profile`` (written directly, without a history event)."""
    pool = pool or PromoPoolFactory(database=profile.database)
    return PromoCodeFactory(
        pool=pool,
        profile=profile,
        status=PromoCode.Status.ATTACHED,
        attached_at=timezone.now(),
        **kwargs,
    )
