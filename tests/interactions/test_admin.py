"""The admin of trigger mailings, scenarios, participations and the control groups."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from history.models import Event
from interactions.models import ControlGroup, Scenario, Trigger
from jobs.models import Job
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.interactions.factories import (
    ControlGroupFactory,
    ParticipationFactory,
    ScenarioFactory,
    TriggerFactory,
)
from tests.subscriptions.factories import ResourceFactory, channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client, database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


def changelist(model):
    return reverse(f"admin:interactions_{model}_changelist")


@pytest.mark.parametrize("model", ["trigger", "scenario", "participation", "controlgroup"])
def test_every_list_shows_only_the_staff_members_databases(dana, database, model):
    hidden = ProfileDatabaseFactory(name="Partners")
    for db, name in ((database, "Shown"), (hidden, "Hidden")):
        TriggerFactory(database=db, name=f"{name} trigger")
        scenario = ScenarioFactory(database=db, name=f"{name} scenario")
        profile = ProfileFactory(database=db, email=f"{name.lower()}@example.com")
        ParticipationFactory(scenario=scenario, profile=profile)
        ControlGroupFactory(database=db)
    response = dana.get(
        changelist(model), {"q": "shown@example.com"} if model == "participation" else {}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shown" in html or "Customers" in html
    assert "Hidden" not in html and "Partners" not in html


def test_a_trigger_is_checked_by_its_model(admin_client, database):
    resource = ResourceFactory(name="Shop", channels=[channel("email")])
    response = admin_client.post(
        reverse("admin:interactions_trigger_add"),
        {
            "name": "Welcome",
            "database": database.pk,
            "resource": resource.pk,
            "channel": channel("sms").pk,
            "subscription_filter": "{}",
            "subject": "Hi {{ profile.nickname }}",
            "body": "{% if %}",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "has no channel" in errors["channel"][0]
    assert "Unknown name profile.nickname" in errors["subject"][0]
    assert "does not compile" in errors["body"][0]
    assert not Trigger.objects.exists()


def test_a_scenario_s_steps_are_checked_and_listed_with_its_participations(admin_client, database):
    trigger = TriggerFactory(database=database, name="Welcome")
    url = reverse("admin:interactions_scenario_add")
    page = admin_client.get(url).content.decode()
    assert "send_trigger" in page and "remove_from_segment" in page  # the steps' help
    data = {"name": "Onboarding", "database": database.pk, "status": "active", "steps": "[1]"}
    response = admin_client.post(url, data)
    assert "steps[0]: Enter an object" in response.content.decode()
    data["steps"] = f'[{{"type": "send_trigger", "trigger": "{trigger.pk}"}}]'
    assert admin_client.post(url, data).status_code == 302
    scenario = Scenario.objects.get()
    assert scenario.steps == [{"type": "send_trigger", "trigger": trigger.pk}]
    ParticipationFactory.create_batch(2, scenario=scenario)
    html = admin_client.get(changelist("scenario")).content.decode()
    assert f"?scenario__id__exact={scenario.pk}" in html and ">2</a>" in html


def test_changing_the_control_group_forms_it_anew(client, alice, database):
    client.force_login(alice)
    members = ProfileFactory.create_batch(4, database=database)
    group = ControlGroupFactory(database=database, enabled=False)
    url = reverse("admin:interactions_controlgroup_change", args=[group.pk])
    data = {"enabled": "on", "share_percent": "100", "period_days": "30"}
    response = client.post(url, data, follow=True)
    assert "was formed anew: 4 members (4 entered, 0 left)" in response.content.decode()
    group.refresh_from_db()
    assert group.enabled and group.size == 4 and group.formed_at is not None
    assert Event.objects.filter(type="control_group_entered").count() == len(members)
    assert Job.objects.get().created_by == alice


def test_the_form_anew_action_runs_the_formation(admin_client, database):
    ProfileFactory.create_batch(2, database=database)
    ControlGroupFactory(database=database, share_percent=100)
    response = admin_client.post(
        changelist("controlgroup"),
        {"action": "form_anew", "_selected_action": [database.pk]},
        follow=True,
    )
    assert "was formed anew: 2 members" in response.content.decode()
    assert ControlGroup.objects.get().size == 2
    html = admin_client.get(changelist("controlgroup")).content.decode()
    assert "Customers" in html and "Form the group anew now" in html
