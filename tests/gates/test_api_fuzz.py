"""Fuzz every API operation from the OpenAPI schema with schemathesis.

The example budget is sized for CI; for a deeper run set FUZZ_EXAMPLES, e.g.
    FUZZ_EXAMPLES=500 make test PYTEST_ARGS="tests/gates/test_api_fuzz.py"
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import CustomFieldFactory, ProfileFactory

pytestmark = pytest.mark.gates

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


def load_schema():
    """The API's OpenAPI document, made by the same generator as /api/v1/schema/.

    Loaded when the tests are collected, so that each operation is a test of its own and
    the operations spread over the test workers (one test of all of them held one worker
    for minutes).
    """
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from config.wsgi import application

    document = SchemaGenerator().get_schema(request=None, public=True)
    # Through the schema view's own renderer, which writes decimal bounds as numbers.
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = application
    return loaded


schema = load_schema()


@pytest.fixture
def api_token(db, alice, database, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    CustomFieldFactory(database=database, name="tariff", type="enum", options=["basic", "pro"])
    ProfileFactory(database=database)
    # Like Django's test client: a request calling the WSGI app in-process must not close
    # the test's database connection (it holds the test transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    token, _ = Token.objects.get_or_create(user=alice)
    yield token.key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_holds_its_contract(case, api_token):
    case.call_and_validate(headers={"Authorization": f"Token {api_token}"}, checks=CHECKS)
