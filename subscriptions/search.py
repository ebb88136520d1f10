"""The profile search finds a profile by the contact of one of its live subscriptions (an
address, a phone, a device token), through the subscriptions' contact index."""

import contextlib

from django.core.exceptions import ValidationError
from django.db.models import Q

from core.text import normalize_email, normalize_phone
from profiles.models import SEARCH_PHONE_OWNERS

from .models import Subscription


def contact_matcher(text):
    """Return the Q of the profiles (the newest ``SEARCH_PHONE_OWNERS``) with a live
    subscription whose contact is ``text`` as typed, as an address, or as a phone."""
    contacts = {text, normalize_email(text)}
    with contextlib.suppress(ValidationError):
        contacts.add(normalize_phone(text))
    owners = (
        Subscription.objects.filter(contact__in=contacts)
        .order_by("-profile_id")
        .values_list("profile_id", flat=True)
        .distinct()
    )
    found = list(owners[:SEARCH_PHONE_OWNERS])
    return Q(pk__in=found) if found else None
