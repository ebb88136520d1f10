"""A profile read from the database is the instance Django's own loading makes, without
running the model's ``__init__`` (``Profile.from_db``)."""

import pytest
from django.db import models
from django.db.models.signals import post_init

from profiles.models import Profile, ProfilePhone
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


def loaded_by_django(profile_pk, *only):
    """The profile as Model.from_db makes it (through __init__)."""
    rows = Profile.objects.filter(pk=profile_pk)
    rows = rows.only(*only) if only else rows
    names = [f.attname for f in Profile._meta.concrete_fields if not only or f.attname in only]
    values = rows.values_list(*names).get()
    return models.Model.from_db.__func__(Profile, "default", names, values)


def state(profile):
    held = {key: value for key, value in profile.__dict__.items() if key != "_state"}
    return held, profile._state.adding, profile._state.db


def test_a_loaded_profile_is_the_one_djangos_loading_makes(database):
    made = ProfileFactory(database=database, phones=["+12025550111"], custom_values={})
    assert state(Profile.objects.get(pk=made.pk)) == state(loaded_by_django(made.pk))
    partial = Profile.objects.only("id", "email").get(pk=made.pk)
    assert state(partial) == state(loaded_by_django(made.pk, "id", "email"))
    assert partial.first_name == made.first_name  # a field not loaded reads when first used


def test_a_loaded_profile_saves_its_phones_as_before(database):
    made = ProfileFactory(database=database, phones=["+12025550111"])
    profile = Profile.objects.get(pk=made.pk)
    profile.phones = ["+12025550122"]
    profile.save()
    assert list(ProfilePhone.objects.filter(profile=made).values_list("number", flat=True)) == [
        "+12025550122"
    ]


def test_while_something_listens_to_init_djangos_loading_is_used(database):
    made = ProfileFactory(database=database)
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(listener, sender=Profile)
    try:
        Profile.objects.get(pk=made.pk)
    finally:
        post_init.disconnect(listener, sender=Profile)
    assert seen == [made.pk]
