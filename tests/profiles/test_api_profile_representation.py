"""The profile's written-out representation (``ProfileSerializer.to_representation``) gives
what DRF's generic one gives, key for key and type for type, for every kind of value."""

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from core.status import Status
from profiles.models import Profile
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory
from web.profiles.api.serializers import ProfileSerializer

pytestmark = pytest.mark.django_db

URL = "/api/v1/profiles/"
KATHMANDU = zoneinfo.ZoneInfo("Asia/Kathmandu")
CUSTOM_FIELDS = {
    "number": ("number", []),
    "float": ("float", []),
    "line": ("line", []),
    "date": ("date", []),
    "boolean": ("boolean", []),
    "plan": ("enum", ["gold", "silver"]),
    "ip": ("ip", []),
    "tags": ("tags", []),
}
EVERY_VALUE = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "middle_name": "King",
    "last_name": "Lovelace",
    "gender": "female",
    "birthday": "1815-12-10",
    "language": "en",
    "phones": ["+14155550123", "+442071838750"],
    "reg_date": "2024-05-06T07:08:09.123456Z",
    "reg_source": "shop",
    "reg_ip": "81.2.69.160",
    "reg_country": "GB",
    "reg_city": "London",
    "ip": "81.2.69.142",
    "country": "GB",
    "region": "England",
    "city": "London",
    "latitude": 51.5,
    "longitude": -0.12,
    "zip_code": "EC1A",
    "timezone": "Europe/London",
    "utm_source": "google",
    "utm_medium": "cpc",
    "utm_campaign": "spring",
    "utm_term": "shoes",
    "utm_content": "banner",
    "fields": {
        "number": -7,
        "float": 2.5,
        "line": "Ünïcode line",
        "date": "2020-01-01T00:00:00Z",
        "boolean": False,
        "plan": "gold",
        "ip": "10.0.0.1",
        "tags": ["vip", "newsletter"],
    },
}


@pytest.fixture
def client(api_client, bob):
    api_client.force_authenticate(bob)
    return api_client


@pytest.fixture
def custom_fields(database):
    for name, (field_type, options) in CUSTOM_FIELDS.items():
        CustomFieldFactory(database=database, name=name, type=field_type, options=options)


@pytest.fixture
def profiles(client, database, custom_fields):
    """Profiles holding each kind of value, as the API stores them, and empty ones."""
    full = client.post(URL, {"database": database.pk, **EVERY_VALUE}, format="json")
    assert full.status_code == 201, full.json()
    sparse = client.post(
        URL,
        {"database": database.pk, "email": "sparse@example.com", "fields": {"tags": []}},
        format="json",
    )
    assert sparse.status_code == 201, sparse.json()
    made = [
        Profile.objects.get(profile_id=full.json()["profile_id"]),
        Profile.objects.get(profile_id=sparse.json()["profile_id"]),
        ProfileFactory(database=database, first_name="", last_name=""),
    ]
    for status in Status.values:
        made.append(ProfileFactory(database=database, status=status))
    Profile.objects.filter(pk=made[-1].pk).update(
        avatar="avatars/ada.png", in_control_group=True, custom_values={"plan": None}
    )
    return list(Profile.objects.filter(pk__in=[p.pk for p in made]).order_by("pk"))


def generic(serializer, profile):
    return serializers.ModelSerializer.to_representation(serializer, profile)


def assert_same(fast, slow):
    """Equal key for key, in the same order and of the same types, and as JSON bytes."""
    assert list(fast) == list(slow)
    for key, value in slow.items():
        assert fast[key] == value, key
        assert type(fast[key]) is type(value), key
    assert JSONRenderer().render(fast) == JSONRenderer().render(slow)


def test_it_equals_drfs_representation_for_every_kind_of_value(profiles, bob):
    request = APIRequestFactory().get(URL)
    request.user = bob
    serializer = ProfileSerializer(context={"request": request})
    for profile in profiles:
        assert_same(serializer.to_representation(profile), generic(serializer, profile))
    full = serializer.to_representation(profiles[0])
    sparse = serializer.to_representation(profiles[1])
    # The values the comparison covers are the ones meant (not all empty).
    assert full["fields"] == {**EVERY_VALUE["fields"], "date": "2020-01-01T00:00:00.000Z"}
    assert full["latitude"] == Decimal("51.5") and full["birthday"] == "1815-12-10"
    assert full["reg_date"] == "2024-05-06T07:08:09.123456Z"
    assert full["database"] == profiles[0].database_id
    assert sparse["reg_date"] is None and sparse["latitude"] is None and sparse["ip"] is None
    with_avatar = serializer.to_representation(profiles[-1])
    assert with_avatar["avatar"].startswith("http://testserver/api/v1/profiles/")
    assert with_avatar["in_control_group"] is True and with_avatar["fields"] == {"plan": None}
    assert {serializer.to_representation(p)["status"] for p in profiles} >= set(Status.values)


def test_it_equals_drfs_representation_in_another_time_zone(profiles):
    with timezone.override("Asia/Kathmandu"):
        serializer = ProfileSerializer(context={})
        fast = serializer.to_representation(profiles[0])
        assert_same(fast, generic(serializer, profiles[0]))
    assert fast["reg_date"] == "2024-05-06T12:53:09.123456+05:45"


def test_it_equals_drfs_representation_of_a_profile_just_written(database):
    """After a write the instance holds Python values, not what the database gives back."""
    profile = ProfileFactory.build(
        database=database,
        status=Status.SUSPENDED,
        latitude=Decimal("1.5"),
        reg_date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        phones=["+14155550123"],
    )
    profile.save()
    serializer = ProfileSerializer(context={})
    assert_same(serializer.to_representation(profile), generic(serializer, profile))


def test_a_field_added_to_the_serializer_is_in_the_representation(profiles):
    """The written-out path follows the serializer's fields: a new one cannot be left out."""

    class Extended(ProfileSerializer):
        initials = serializers.SerializerMethodField()
        name = serializers.CharField(source="full_name", read_only=True)
        database_name = serializers.CharField(source="database.name", read_only=True)

        class Meta(ProfileSerializer.Meta):
            fields = [*ProfileSerializer.Meta.fields, "id", "initials", "name", "database_name"]

        def get_initials(self, profile):
            return profile.initials()

    serializer = Extended(context={})
    fast = serializer.to_representation(profiles[0])
    assert_same(fast, generic(serializer, profiles[0]))
    assert fast["id"] == profiles[0].pk and fast["initials"] == "AL"
    assert fast["name"] == "Ada King Lovelace"
    assert fast["database_name"] == profiles[0].database.name


@pytest.mark.parametrize("path", ["list", "detail"])
def test_the_api_answers_the_same_bytes_as_with_drfs_representation(
    client, profiles, monkeypatch, path
):
    url = URL if path == "list" else f"{URL}{profiles[0].profile_id}/"
    fast = client.get(url)
    monkeypatch.setattr(
        ProfileSerializer, "to_representation", serializers.ModelSerializer.to_representation
    )
    slow = client.get(url)
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    if path == "list":
        assert len(fast.json()["results"]) == len(profiles)


def test_the_list_runs_as_many_queries_for_50_varied_profiles_as_for_one(
    client, database, custom_fields, django_assert_max_num_queries
):
    ProfileFactory(database=database)
    with django_assert_max_num_queries(99) as one:
        assert client.get(URL).status_code == 200
    other = ProfileDatabaseFactory()
    for index in range(49):
        ProfileFactory(
            database=database,
            phones=["+14155550123"],
            custom_values={"tags": ["a"], "number": index},
            avatar="avatars/x.png" if index % 2 else "",
        )
    ProfileFactory(database=other)  # not visible to bob: not on the page
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(URL)
    assert len(response.json()["results"]) == 50


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)))
def test_a_time_is_written_as_drf_writes_it_in_utc(naive):
    """The UTC path (orjson's text) against DRF's own method: microseconds or none, any
    year; a time of another zone takes the general path, converted."""
    with timezone.override("UTC"):
        drf = serializers.DateTimeField()
        represent = {key: step for key, _, step in ProfileSerializer()._plan()}["reg_date"]
        for value in (naive.replace(tzinfo=UTC), naive.replace(tzinfo=KATHMANDU)):
            assert represent(value) == drf.to_representation(value)
