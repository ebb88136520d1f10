"""Many requests creating objects of one name in one database at the same moment: one is
created, the others get a 400 naming ``name`` (never a 500, never two of one name)."""

import pytest
from rest_framework.test import APIClient

from interactions.models import Trigger
from loyalty.models import Program
from pixels.models import Pixel
from profiles.models import CustomField, ProfileDatabase
from promos.models import PromoPool
from relations.models import RelationType
from subscriptions.models import Resource
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, UserFactory
from tests.subscriptions.factories import ResourceFactory
from webforms.models import Form

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 16


def trigger_body(database):
    resource = ResourceFactory()
    return {"resource": resource.pk, "channel": "email", "subject": "Hi", "body": "Hi"}


KINDS = {
    "/api/v1/pixels/": (Pixel, lambda database: {}),
    "/api/v1/forms/": (Form, lambda database: {"fields": [{"name": "email"}]}),
    "/api/v1/loyalty-programs/": (Program, lambda database: {}),
    "/api/v1/relation-types/": (RelationType, lambda database: {}),
    "/api/v1/promo-pools/": (PromoPool, lambda database: {}),
    "/api/v1/triggers/": (Trigger, trigger_body),
}


@pytest.mark.parametrize("path", KINDS)
def test_concurrent_creates_of_one_name_make_one_object(path):
    model, extra = KINDS[path]
    database = ProfileDatabaseFactory()
    body = {"name": "Same", "database": database.pk, **extra(database)}
    user = UserFactory(username="integration", is_staff=True, is_superuser=True)
    answers = []

    def create(n):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(path, body, format="json")
        answers.append((response.status_code, response.json()))

    errors = run_together(THREADS, create)

    assert errors == []
    assert sorted(status for status, _ in answers) == [201] + [400] * (THREADS - 1)
    assert all("name" in answer for status, answer in answers if status == 400)
    assert model.objects.filter(database=database, name="Same").count() == 1


def _named_once(path, database):
    """The body creating an object called "same" at ``path``: resources and databases are
    named once for the whole product, custom fields once in their database."""
    if path == "/api/v1/custom-fields/":
        return {"name": "same", "database": database.pk, "type": "line"}
    return {"name": "same"}


NAMED_ONCE = {
    "/api/v1/resources/": (Resource, "resource with this name already exists."),
    "/api/v1/databases/": (ProfileDatabase, "profile database with this name already exists."),
    "/api/v1/custom-fields/": (CustomField, "already has a field named “same”"),
}


@pytest.mark.parametrize("path", NAMED_ONCE)
def test_concurrent_creates_and_renames_to_one_name_keep_it_once(path):
    """Resources, databases and custom fields had no guard: the losers' INSERT or UPDATE
    failed on the unique constraint with a 500 (18 to 20 races of 20 in a soak)."""
    model, message = NAMED_ONCE[path]
    database = ProfileDatabaseFactory()
    user = UserFactory(username="integration", is_staff=True, is_superuser=True)
    created, renamed = [], []

    def create(n):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(path, _named_once(path, database), format="json")
        created.append((response.status_code, response.json()))

    assert run_together(THREADS, create) == []
    assert sorted(status for status, _ in created) == [201] + [400] * (THREADS - 1)
    assert all(message in " ".join(answer["name"]) for status, answer in created if status == 400)
    model.objects.filter(name="same").update(name="taken")

    def rename(n):
        client = APIClient()
        client.force_authenticate(user)
        body = {**_named_once(path, database), "name": f"other{n}"}
        response = client.post(path, body, format="json")
        assert response.status_code == 201, response.content
        response = client.patch(f"{path}{response.json()['id']}/", {"name": "same"}, format="json")
        renamed.append(response.status_code)

    assert run_together(THREADS, rename) == []
    assert sorted(renamed) == [200] + [400] * (THREADS - 1)
    assert model.objects.filter(name="same").count() == 1
