from django.utils import timezone

from tests.factories import EventFactory


def make_event(profile, type="open", when=None, **data):
    return EventFactory(
        profile=profile, type=type, occurred_at=when or timezone.now(), data=data or {}
    )
