"""The interactions API of the contract: triggers/, profiles/{id}/triggers/{id}/send/,
scenarios/, profiles/{id}/scenarios/{id}/engage/, profiles/{id}/participations/,
databases/{id}/control-group/ (and reform/), and the profile's read-only in_control_group."""

import pytest
from django.contrib.auth.models import Permission

from history.models import Event
from interactions.models import ControlGroup, Participation, Scenario, Trigger
from jobs.models import Job
from profiles.models import Profile
from tests.conftest import grant
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.interactions.factories import (
    ControlGroupFactory,
    ParticipationFactory,
    ScenarioFactory,
    SegmentFactory,
    TriggerFactory,
)
from tests.subscriptions.factories import CategoryFactory, ResourceFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

TRIGGERS = "/api/v1/triggers/"
SCENARIOS = "/api/v1/scenarios/"


def send_url(profile, trigger):
    return f"/api/v1/profiles/{profile.profile_id}/triggers/{trigger.pk}/send/"


def engage_url(profile, scenario):
    return f"/api/v1/profiles/{profile.profile_id}/scenarios/{scenario.pk}/engage/"


def participations_url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/participations/"


def group_url(database):
    return f"/api/v1/databases/{database.pk}/control-group/"


def reform_url(database):
    return f"/api/v1/databases/{database.pk}/control-group/reform/"


@pytest.fixture
def trigger(database):
    return TriggerFactory(database=database, name="Welcome")


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ann", last_name="Lee")


@pytest.fixture
def subscription(profile, trigger):
    return SubscriptionFactory(
        profile=profile, resource=trigger.resource, contact="ann@example.com"
    )


@pytest.fixture
def other_visible(bob):
    """A second database bob is a member of."""
    database = ProfileDatabaseFactory(name="Partners")
    database.members.add(bob)
    return database


def afresh(user):
    """The user read again, so a permission changed in the test counts (they are cached)."""
    return type(user).objects.get(pk=user.pk)


def trigger_body(database, **values):
    return {
        "name": "Birthday",
        "database": database.pk,
        "resource": ResourceFactory().pk,
        "channel": "email",
        "subject": "Happy birthday, {{ profile.first_name }}",
        "body": "Dear {{ profile.first_name }}",
        **values,
    }


# -- triggers/ ---------------------------------------------------------------------------


def test_it_lists_the_triggers_of_the_visible_databases_with_the_contract_names(
    as_bob, trigger, database
):
    TriggerFactory(name="Hidden")

    response = as_bob.get(TRIGGERS)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {key: row[key] for key in ("id", "name", "database", "resource", "channel")} == {
        "id": trigger.pk,
        "name": "Welcome",
        "database": database.pk,
        "resource": trigger.resource_id,
        "channel": "email",
    }
    assert {"category", "subject", "body", "enabled", "subscription_filter"} <= set(row)


def test_it_filters_triggers_by_database(as_alice, trigger):
    other = TriggerFactory(name="Other")
    response = as_alice.get(f"{TRIGGERS}?database={other.database_id}")
    assert [row["name"] for row in response.json()["results"]] == ["Other"]


def test_staff_create_a_trigger_naming_the_channel_by_its_slug(as_alice, database):
    category = CategoryFactory()
    body = trigger_body(database, resource=category.resource_id, category=category.pk)

    response = as_alice.post(TRIGGERS, body, format="json")

    assert response.status_code == 201, response.json()
    trigger = Trigger.objects.get(pk=response.json()["id"])
    assert (trigger.database, trigger.channel.slug, trigger.category) == (
        database,
        "email",
        category,
    )
    assert response.json()["enabled"] is True


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"body": "{% if %}"}, "body"),
        ({"subject": "{{ profile.fields.nope }}"}, "subject"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"category": "other resource"}, "category"),
        ({"subscription_filter": {"colour": "red"}}, "subscription_filter"),
        ({"subscription_filter": ["device_type"]}, "subscription_filter"),
        ({"resource": True}, "resource"),
        ({"name": "Welcome"}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_trigger_is_a_400_naming_the_field(as_alice, database, trigger, values, field):
    if values.get("category") == "other resource":
        values = {"category": CategoryFactory().pk}
    response = as_alice.post(TRIGGERS, trigger_body(database, **values), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert Trigger.objects.count() == 1


def test_a_channel_the_resource_does_not_have_is_a_400(as_alice, database):
    resource = ResourceFactory(channels=[])
    response = as_alice.post(TRIGGERS, trigger_body(database, resource=resource.pk), format="json")
    assert response.status_code == 400
    assert "has no channel" in response.json()["channel"][0]


def test_a_trigger_cannot_move_to_another_database(as_alice, trigger):
    response = as_alice.patch(
        f"{TRIGGERS}{trigger.pk}/", {"database": ProfileDatabaseFactory().pk}, format="json"
    )
    assert response.status_code == 400 and "database" in response.json()


def test_a_trigger_broken_since_its_last_change_may_still_be_disabled(as_alice, database):
    field = CustomFieldFactory(database=database, name="plan")
    trigger = TriggerFactory(database=database, body="Your plan: {{ profile.fields.plan }}")
    field.delete()
    url = f"{TRIGGERS}{trigger.pk}/"

    disabled = as_alice.patch(url, {"enabled": False}, format="json")
    rewritten = as_alice.patch(url, {"body": "Plan {{ profile.fields.plan }}"}, format="json")

    assert disabled.status_code == 200, disabled.json()
    assert rewritten.status_code == 400 and "body" in rewritten.json()
    trigger.refresh_from_db()
    assert not trigger.enabled and trigger.body == "Your plan: {{ profile.fields.plan }}"


def test_a_marketer_reads_triggers_but_may_not_write_them(as_bob, trigger, database):
    assert as_bob.get(f"{TRIGGERS}{trigger.pk}/").status_code == 200
    assert as_bob.post(TRIGGERS, trigger_body(database), format="json").status_code == 403
    assert as_bob.delete(f"{TRIGGERS}{trigger.pk}/").status_code == 403
    assert Trigger.objects.count() == 1


def test_a_trigger_of_a_database_the_user_cannot_see_does_not_exist(as_bob):
    hidden = TriggerFactory()
    assert as_bob.get(f"{TRIGGERS}{hidden.pk}/").status_code == 404


def test_it_refuses_anonymous_and_users_without_the_permission(api_client, charlie, trigger):
    assert api_client.get(TRIGGERS).status_code == 401
    api_client.force_authenticate(charlie)
    assert api_client.get(TRIGGERS).status_code == 403
    assert api_client.get(SCENARIOS).status_code == 403


# -- profiles/{profile_id}/triggers/{id}/send/ -------------------------------------------


def test_sending_answers_sent_with_the_subscription_and_records_the_event(
    as_bob, profile, trigger, subscription, mailoutbox
):
    response = as_bob.post(send_url(profile, trigger), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["reason"], data["subscription_id"]) == (
        "sent",
        None,
        subscription.public_id,
    )
    event = Event.objects.get(pk=data["event_id"])
    assert (event.profile, event.type, event.data["status"]) == (profile, "send", "sent")
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["ann@example.com"], "Hello Ann")


@pytest.mark.parametrize("reason", ["control_group", "global_status", "disabled"])
def test_a_send_that_cannot_go_answers_not_sent_with_the_reason(
    as_bob, profile, trigger, subscription, mailoutbox, reason
):
    if reason == "control_group":
        Profile.objects.filter(pk=profile.pk).update(in_control_group=True)
    elif reason == "global_status":
        Profile.objects.filter(pk=profile.pk).update(status="unsubscribed")
    else:
        Trigger.objects.filter(pk=trigger.pk).update(enabled=False)

    response = as_bob.post(send_url(profile, trigger))

    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["reason"], data["subscription_id"]) == (
        "not_sent",
        reason,
        None,
    )
    assert data["message"]
    assert Event.objects.get(pk=data["event_id"]).data["reason"] == reason
    assert not mailoutbox


def test_a_trigger_of_another_database_is_a_400_and_records_nothing(
    as_bob, profile, other_visible, mailoutbox
):
    foreign = TriggerFactory(database=other_visible, name="Partner news")

    response = as_bob.post(send_url(profile, foreign))

    assert response.status_code == 400
    [message] = response.json()["trigger"]
    assert "Partners" in message and "Customers" in message
    assert not Event.objects.filter(type="send").exists()
    assert not mailoutbox


def test_a_body_key_on_send_is_a_400_naming_it(as_bob, profile, trigger):
    response = as_bob.post(send_url(profile, trigger), {"force": True}, format="json")
    assert response.status_code == 400 and "force" in response.json()
    assert not Event.objects.filter(type="send").exists()


def test_sending_needs_the_send_permission(api_client, profile, trigger, database):
    viewer = grant(UserFactory(username="viewer"), "view_profile", "view_trigger")
    database.members.add(viewer)
    api_client.force_authenticate(viewer)
    assert api_client.post(send_url(profile, trigger)).status_code == 403
    assert not Event.objects.filter(type="send").exists()


def test_sending_to_what_the_user_cannot_see_is_a_404(as_bob, profile, trigger):
    hidden_profile = ProfileFactory()
    hidden_trigger = TriggerFactory(database=hidden_profile.database)
    assert as_bob.post(send_url(hidden_profile, hidden_trigger)).status_code == 404
    assert as_bob.post(send_url(hidden_profile, trigger)).status_code == 404
    assert as_bob.post(send_url(profile, hidden_trigger)).status_code == 404
    assert not Event.objects.filter(type="send").exists()


# -- scenarios/ --------------------------------------------------------------------------


def test_staff_create_read_change_and_delete_a_scenario(as_alice, database, trigger):
    segment = SegmentFactory(database=database)
    steps = [
        {"type": "send_trigger", "trigger": str(trigger.pk)},
        {"type": "wait", "seconds": 86_400},
        {"type": "add_to_segment", "segment": segment.pk},
        {"type": "exit"},
    ]
    created = as_alice.post(
        SCENARIOS,
        {"name": "Onboarding", "database": database.pk, "steps": steps},
        format="json",
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["status"], data["allow_reentry"], data["version"]) == ("active", False, 1)
    assert data["steps"][0] == {"type": "send_trigger", "trigger": trigger.pk}  # an id
    url = f"{SCENARIOS}{data['id']}/"

    changed = as_alice.patch(url, {"steps": steps[1:], "status": "paused"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["version"], changed.json()["status"]) == (2, "paused")
    assert as_alice.get(url).json()["steps"] == steps[1:]

    assert as_alice.delete(url).status_code == 204
    assert not Scenario.objects.exists()


def test_it_filters_scenarios_by_database_and_status(as_bob, database):
    ScenarioFactory(database=database, name="Running", status="active")
    ScenarioFactory(database=database, name="Held", status="paused")
    ScenarioFactory(name="Hidden", status="paused")

    paused = as_bob.get(f"{SCENARIOS}?status=paused").json()["results"]
    mine = as_bob.get(f"{SCENARIOS}?database={database.pk}").json()["results"]

    assert [row["name"] for row in paused] == ["Held"]
    assert [row["name"] for row in mine] == ["Held", "Running"]
    assert as_bob.get(f"{SCENARIOS}?status=sleeping").status_code == 400


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"type": "send_trigger", "trigger": "foreign"}, "steps[1].trigger: No trigger"),
        ({"type": "wait", "seconds": 0}, "steps[1].seconds:"),
        ({"type": "wait"}, "steps[1].seconds: This key is required"),
        ({"type": "teleport"}, "steps[1].type: Choose one of"),
        ({"type": ["wait"]}, "steps[1].type: Choose one of"),
        ({"type": "set_field", "field": "email", "value": "a@b.c"}, "steps[1].field:"),
        ({"type": "set_field", "field": "birthday", "value": 5}, "steps[1].value:"),
        ("exit", "steps[1]: Enter an object"),
    ],
)
def test_a_bad_step_is_a_400_naming_it(as_alice, database, step, message):
    if isinstance(step, dict) and step.get("trigger") == "foreign":
        step = {**step, "trigger": TriggerFactory().pk}
    response = as_alice.post(
        SCENARIOS,
        {"name": "Broken", "database": database.pk, "steps": [{"type": "exit"}, step]},
        format="json",
    )
    assert response.status_code == 400
    [error] = response.json()["steps"]
    assert error.startswith(message), error
    assert not Scenario.objects.exists()


def test_steps_that_are_not_a_list_are_a_400(as_alice, database):
    response = as_alice.post(
        SCENARIOS, {"name": "X", "database": database.pk, "steps": {"a": 1}}, format="json"
    )
    assert response.status_code == 400 and "steps" in response.json()


def test_a_scenario_whose_trigger_is_gone_may_still_be_paused(as_alice, database, trigger):
    scenario = ScenarioFactory(database=database, steps=[{"type": "send_trigger", "trigger": 0}])
    response = as_alice.patch(f"{SCENARIOS}{scenario.pk}/", {"status": "paused"}, format="json")
    assert response.status_code == 200, response.json()
    scenario.refresh_from_db()
    assert scenario.status == "paused"


def test_a_marketer_reads_scenarios_but_may_not_write_them(as_bob, database):
    scenario = ScenarioFactory(database=database)
    assert as_bob.get(f"{SCENARIOS}{scenario.pk}/").status_code == 200
    body = {"name": "New", "database": database.pk, "steps": []}
    assert as_bob.post(SCENARIOS, body, format="json").status_code == 403
    assert as_bob.get(f"{SCENARIOS}{ScenarioFactory().pk}/").status_code == 404


# -- profiles/{profile_id}/scenarios/{id}/engage/ and participations/ --------------------


def test_engaging_answers_201_with_the_participation(as_bob, profile, database):
    scenario = ScenarioFactory(database=database, steps=[{"type": "wait", "seconds": 3600}])

    response = as_bob.post(engage_url(profile, scenario))

    assert response.status_code == 201, response.json()
    data = response.json()
    participation = Participation.objects.get(pk=data["id"])
    assert (participation.profile, participation.scenario) == (profile, scenario)
    assert (data["scenario"], data["status"], data["current_step"]) == (
        scenario.pk,
        "running",
        1,  # the wait ran at once; the next step waits
    )
    assert data["steps"] == scenario.steps and data["entered_at"]


def test_engaging_again_without_reentry_is_a_409(as_bob, profile, database):
    scenario = ScenarioFactory(database=database, name="Once")
    assert as_bob.post(engage_url(profile, scenario)).status_code == 201

    again = as_bob.post(engage_url(profile, scenario))

    assert again.status_code == 409
    assert "allows no re-entry" in again.json()["detail"]
    assert Participation.objects.count() == 1


def test_a_scenario_with_reentry_takes_the_profile_again(as_bob, profile, database):
    scenario = ScenarioFactory(database=database, allow_reentry=True)
    codes = [as_bob.post(engage_url(profile, scenario)).status_code for _ in range(2)]
    assert codes == [201, 201]
    assert Participation.objects.count() == 2


def test_engaging_in_a_paused_scenario_is_a_409(as_bob, profile, database):
    scenario = ScenarioFactory(database=database, status="paused")
    response = as_bob.post(engage_url(profile, scenario))
    assert response.status_code == 409 and "paused" in response.json()["detail"]
    assert not Participation.objects.exists()


def test_engaging_in_a_scenario_of_another_database_is_a_400(as_bob, profile, other_visible):
    scenario = ScenarioFactory(database=other_visible)
    response = as_bob.post(engage_url(profile, scenario))
    assert response.status_code == 400 and "scenario" in response.json()
    assert not Participation.objects.exists()


def test_engaging_needs_the_permission_and_a_visible_profile(api_client, bob, profile, database):
    scenario = ScenarioFactory(database=database)
    hidden = ProfileFactory()
    api_client.force_authenticate(bob)
    assert api_client.post(engage_url(hidden, scenario)).status_code == 404
    bob.user_permissions.remove(Permission.objects.get(codename="engage_scenario"))
    api_client.force_authenticate(afresh(bob))
    assert api_client.post(engage_url(profile, scenario)).status_code == 403
    assert not Participation.objects.exists()


def test_it_lists_a_profiles_participations_newest_first(as_bob, profile, database):
    first = ParticipationFactory(profile=profile, scenario=ScenarioFactory(database=database))
    second = ParticipationFactory(
        profile=profile,
        scenario=ScenarioFactory(database=database, name="Later"),
        status="failed",
        failure="Trigger 3 no longer exists.",
    )
    ParticipationFactory(scenario=ScenarioFactory(database=database))  # another profile's

    response = as_bob.get(participations_url(profile))

    assert response.status_code == 200
    data = response.json()
    assert [row["id"] for row in data["results"]] == [second.pk, first.pk]
    assert "next" in data
    row = data["results"][0]
    assert {key: row[key] for key in ("scenario", "scenario_name", "status", "failure")} == {
        "scenario": second.scenario_id,
        "scenario_name": "Later",
        "status": "failed",
        "failure": "Trigger 3 no longer exists.",
    }
    assert {"current_step", "entered_at", "finished_at", "results", "version", "steps"} <= set(row)


def test_participations_need_the_permission_and_a_visible_profile(api_client, database):
    viewer = grant(UserFactory(username="viewer"), "view_profile")
    database.members.add(viewer)
    api_client.force_authenticate(viewer)
    assert api_client.get(participations_url(ProfileFactory(database=database))).status_code == (
        403
    )
    api_client.force_authenticate(afresh(grant(viewer, "view_participation")))
    assert api_client.get(participations_url(ProfileFactory())).status_code == 404


# -- databases/{id}/control-group/ -------------------------------------------------------


def test_a_database_without_settings_shows_the_disabled_defaults(as_bob, database):
    response = as_bob.get(group_url(database))
    assert response.status_code == 200
    data = response.json()
    assert {key: data[key] for key in ("enabled", "share_percent", "period_days", "size")} == {
        "enabled": False,
        "share_percent": 10.0,
        "period_days": 30,
        "size": 0,
    }
    assert (data["formed_at"], data["job"]) == (None, None)


def test_enabling_the_group_forms_it_at_once_on_a_small_database(as_alice, database):
    ProfileFactory.create_batch(40, database=database)

    response = as_alice.put(
        group_url(database), {"enabled": True, "share_percent": 50}, format="json"
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    members = Profile.objects.filter(database=database, in_control_group=True).count()
    assert 0 < data["size"] == members < 40
    assert (data["share_percent"], data["period_days"], data["job_status"]) == (
        50.0,
        30,
        "succeeded",
    )
    assert data["formed_at"] and data["period_ends_at"]
    assert Job.objects.get(pk=data["job"]).database == database
    assert Event.objects.filter(type="control_group_entered").count() == members


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"share_percent": 0}, "share_percent"),
        ({"share_percent": 100.5}, "share_percent"),
        ({"share_percent": "half"}, "share_percent"),
        ({"period_days": 0}, "period_days"),
        ({"period_days": 3651}, "period_days"),
        ({"enabled": "maybe"}, "enabled"),
        ({"size": 5}, None),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_a_400_naming_the_field(as_alice, database, values, field):
    ControlGroupFactory(database=database, enabled=False, share_percent=10)
    response = as_alice.put(group_url(database), values, format="json")
    if field is None:  # a read-only key is ignored, like the profile's md5
        assert response.status_code == 200 and response.json()["size"] == 0
        return
    assert response.status_code == 400
    assert field in response.json()
    group = ControlGroup.objects.get(database=database)
    assert (group.enabled, group.share_percent, group.period_days) == (False, 10, 30)
    assert not Job.objects.exists()


def test_reform_forms_the_group_anew_and_answers_200_when_done(as_alice, database):
    ControlGroupFactory(database=database, share_percent=50)
    ProfileFactory.create_batch(40, database=database)

    response = as_alice.post(reform_url(database))

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["size"] > 0 and data["job_status"] == "succeeded"
    assert Profile.objects.filter(in_control_group=True).count() == data["size"]


def test_reform_of_a_large_database_answers_202_with_the_queued_job(as_alice, database, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CONTROL_GROUP_INLINE_PROFILES = 0
    ControlGroupFactory(database=database, share_percent=50)
    ProfileFactory(database=database)

    response = as_alice.post(reform_url(database))

    assert response.status_code == 202
    assert response.json()["job_status"] == "queued"
    assert Job.objects.get(pk=response.json()["job"]).status == "queued"


def test_a_marketer_reads_the_group_but_may_not_change_it(as_bob, database):
    ControlGroupFactory(database=database, enabled=False)
    assert as_bob.get(group_url(database)).status_code == 200
    assert as_bob.put(group_url(database), {"enabled": True}, format="json").status_code == 403
    assert as_bob.post(reform_url(database)).status_code == 403
    assert not ControlGroup.objects.get(database=database).enabled
    assert not Job.objects.exists()


def test_the_group_of_a_database_the_user_cannot_see_does_not_exist(api_client, bob):
    api_client.force_authenticate(afresh(grant(bob, "change_controlgroup")))
    hidden = ProfileDatabaseFactory()
    assert api_client.get(group_url(hidden)).status_code == 404
    assert api_client.put(group_url(hidden), {"enabled": True}, format="json").status_code == 404
    assert api_client.post(reform_url(hidden)).status_code == 404
    assert not ControlGroup.objects.exists()


def test_the_control_group_needs_its_permissions(api_client, charlie, database):
    assert api_client.get(group_url(database)).status_code == 401
    api_client.force_authenticate(charlie)
    assert api_client.get(group_url(database)).status_code == 403
    assert api_client.post(reform_url(database)).status_code == 403


# -- The profile's in_control_group ------------------------------------------------------


def test_the_profile_shows_in_control_group_and_ignores_it_when_sent(as_bob, database):
    profile = ProfileFactory(database=database)
    Profile.objects.filter(pk=profile.pk).update(in_control_group=True)
    url = f"/api/v1/profiles/{profile.profile_id}/"

    assert as_bob.get(url).json()["in_control_group"] is True
    patched = as_bob.patch(url, {"in_control_group": False, "first_name": "Zoe"}, format="json")
    created = as_bob.post(
        "/api/v1/profiles/",
        {"database": database.pk, "email": "new@example.com", "in_control_group": True},
        format="json",
    )

    assert patched.status_code == 200 and patched.json()["in_control_group"] is True
    assert created.status_code == 201 and created.json()["in_control_group"] is False
    profile.refresh_from_db()
    assert profile.in_control_group and profile.first_name == "Zoe"


def test_an_id_beyond_any_row_is_a_404(as_alice, profile):
    huge = 2**63
    assert as_alice.get(f"/api/v1/databases/{huge}/control-group/").status_code == 404
    for url in [
        f"/api/v1/databases/{huge}/control-group/reform/",
        f"/api/v1/profiles/{profile.profile_id}/triggers/{huge}/send/",
        f"/api/v1/profiles/{profile.profile_id}/scenarios/{huge}/engage/",
    ]:
        assert as_alice.post(url).status_code == 404, url


def test_the_control_group_describes_itself_to_options(as_alice, database):
    response = as_alice.options(group_url(database))
    assert response.status_code == 200
    assert "PUT" in response.json()["actions"]
