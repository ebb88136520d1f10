import pytest

from tests.conftest import grant
from tests.factories import CustomFieldFactory
from tests.webforms.factories import FormFactory

FORM_PERMISSIONS = [
    "view_form",
    "add_form",
    "change_form",
    "delete_form",
    "submit_form",
    "view_submission",
]


@pytest.fixture
def plan(database):
    return CustomFieldFactory(
        database=database, name="plan", type="enum", options=["gold", "silver"]
    )


@pytest.fixture
def form(database, plan):
    return FormFactory(
        database=database,
        name="Sign-up",
        fields=[
            {"name": "email", "maps_to": "email"},
            {"name": "name", "maps_to": "first_name"},
            {"name": "tariff", "maps_to": "fields.plan"},
        ],
    )


@pytest.fixture
def marketer(bob):
    """bob with the forms' permissions (read, write, submit, read submissions)."""
    return grant(bob, *FORM_PERMISSIONS)


@pytest.fixture
def client(api_client, marketer):
    api_client.force_authenticate(marketer)
    return api_client
