"""Many requests creating objects of one name in one database at the same moment: one is
created, the others get a 400 naming ``name`` (never a 500, never two of one name)."""

import pytest
from rest_framework.test import APIClient

from interactions.models import Trigger
from loyalty.models import Program
from pixels.models import Pixel
from promos.models import PromoPool
from relations.models import RelationType
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
