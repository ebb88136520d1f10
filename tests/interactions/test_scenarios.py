"""Scenarios: steps checked when saved, a participation following the steps of its version,
waits honoured (frozen time), a failing step ending it without a retry."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from interactions.models import Participation, Scenario
from operations.scenarios import EngagementRefused, advance_due, engage
from segments.models import SegmentMembership
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory
from tests.interactions.factories import ScenarioFactory, SegmentFactory, TriggerFactory
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def database():
    database = ProfileDatabaseFactory(name="Shop")
    CustomFieldFactory(database=database, name="plan", type="line")
    return database


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ann", email="ann@example.com")


@pytest.fixture
def trigger(database, profile):
    trigger = TriggerFactory(database=database, name="Welcome", subject="Hi")
    SubscriptionFactory(
        profile=profile, resource=trigger.resource, channel=trigger.channel, contact=profile.email
    )
    return trigger


def scenario_of(database, steps, **values):
    scenario = Scenario(name="Onboarding", database=database, steps=steps, **values)
    scenario.full_clean()
    scenario.save()
    return scenario


def test_steps_run_in_order_with_their_waits(database, profile, trigger, clock):
    segment = SegmentFactory(database=database, name="Onboarded")
    scenario = scenario_of(
        database,
        [
            {"type": "send_trigger", "trigger": trigger.pk},
            {"type": "wait", "seconds": 86_400},
            {"type": "add_to_segment", "segment": segment.pk},
            {"type": "set_field", "field": "plan", "value": "trial"},
            {"type": "wait", "seconds": 3_600},
            {"type": "remove_from_segment", "segment": segment.pk},
            {"type": "set_field", "field": "first_name", "value": "Annie"},
        ],
    )

    participation = engage(scenario, profile, source="ui")

    # Engaging ran the first steps (the tests' task backend runs tasks at once).
    assert len(mail.outbox) == 1
    assert participation.status == "running" and participation.current_step == 2
    assert participation.next_run_at == START + timedelta(days=1)

    clock.move_to(START + timedelta(hours=23, minutes=59))
    assert advance_due() == 0
    assert not SegmentMembership.objects.filter(segment=segment, profile=profile).exists()

    clock.move_to(START + timedelta(days=1))
    assert advance_due() == 1
    participation.refresh_from_db()
    assert participation.current_step == 5
    assert SegmentMembership.objects.filter(segment=segment, profile=profile).exists()
    profile.refresh_from_db()
    assert profile.custom_values["plan"] == "trial"

    clock.move_to(START + timedelta(days=1, hours=1))
    advance_due()
    participation.refresh_from_db()
    profile.refresh_from_db()
    assert participation.status == "finished"
    assert participation.finished_at == START + timedelta(days=1, hours=1)
    assert profile.first_name == "Annie"
    assert not SegmentMembership.objects.filter(segment=segment, profile=profile).exists()
    assert [r["type"] for r in participation.results] == [s["type"] for s in scenario.steps]
    assert participation.results[0]["outcome"] == "sent"
    # Each step recorded the history event it causes.
    types = list(profile.events.order_by("id").values_list("type", flat=True))
    assert types == ["send", "segment_entered", "segment_exited"]


def test_exit_ends_the_participation_there(database, profile, trigger):
    scenario = scenario_of(
        database, [{"type": "exit"}, {"type": "send_trigger", "trigger": trigger.pk}]
    )
    participation = engage(scenario, profile, source="ui")
    assert participation.status == "exited"
    assert mail.outbox == []


def test_a_send_the_profile_cannot_receive_is_a_result_not_a_failure(database, profile, trigger):
    profile.in_control_group = True
    profile.save()
    scenario = scenario_of(
        database,
        [
            {"type": "send_trigger", "trigger": trigger.pk},
            {"type": "set_field", "field": "plan", "value": "gold"},
        ],
    )
    participation = engage(scenario, profile, source="ui")
    assert participation.status == "finished"
    assert participation.results[0]["outcome"] == "not_sent"
    assert "control group" in participation.results[0]["detail"]
    event = profile.events.get(type="send")
    assert (event.data["reason"], event.data["scenario"]) == ("control_group", "Onboarding")


def test_a_failing_step_fails_the_participation_once(database, profile, trigger, clock):
    segment = SegmentFactory(database=database)
    scenario = scenario_of(
        database,
        [
            {"type": "wait", "seconds": 60},
            {"type": "add_to_segment", "segment": segment.pk},
            {"type": "set_field", "field": "plan", "value": "never"},
        ],
    )
    participation = engage(scenario, profile, source="ui")
    segment.delete()

    clock.move_to(START + timedelta(minutes=1))
    assert advance_due() == 1
    participation.refresh_from_db()
    assert participation.status == "failed"
    assert participation.current_step == 1
    assert "no longer exists" in participation.failure
    assert participation.results[-1]["outcome"] == "failed"
    profile.refresh_from_db()
    assert "plan" not in profile.custom_values  # nothing after the failing step ran
    clock.move_to(START + timedelta(days=1))
    assert advance_due() == 0  # never tried again


def test_a_value_no_longer_valid_fails_the_step_and_changes_nothing(database, profile):
    CustomFieldFactory(database=database, name="score", type="number")
    scenario = scenario_of(database, [{"type": "set_field", "field": "score", "value": 5}])
    database.custom_fields.filter(name="score").update(type="line")
    database.custom_fields.filter(name="score").delete()
    participation = engage(scenario, profile, source="ui")
    assert participation.status == "failed"
    assert "score" in participation.failure


def test_a_webhook_failure_fails_the_step(database, profile, settings):
    from tests.subscriptions.factories import channel

    settings.MESSAGE_WEBHOOK_URL = ""
    sms = TriggerFactory(database=database, channel=channel("sms"), body="Hi")
    SubscriptionFactory(profile=profile, resource=sms.resource, channel=sms.channel, contact="+1")
    scenario = scenario_of(database, [{"type": "send_trigger", "trigger": sms.pk}])
    participation = engage(scenario, profile, source="ui")
    assert participation.status == "failed"
    assert "MESSAGE_WEBHOOK_URL" in participation.failure
    assert profile.events.get(type="send").data["reason"] == "delivery_failed"


def test_a_participation_keeps_the_steps_of_its_version(database, profile, trigger, clock):
    scenario = scenario_of(
        database,
        [{"type": "wait", "seconds": 60}, {"type": "set_field", "field": "plan", "value": "v1"}],
    )
    participation = engage(scenario, profile, source="ui")
    scenario.steps = [{"type": "exit"}]
    scenario.full_clean()
    scenario.save()
    assert scenario.version == 2

    clock.move_to(START + timedelta(minutes=1))
    advance_due()
    participation.refresh_from_db()
    profile.refresh_from_db()
    assert (participation.version, participation.status) == (1, "finished")
    assert profile.custom_values["plan"] == "v1"


def test_a_paused_scenario_takes_no_profile_and_runs_no_step(database, profile, clock):
    scenario = scenario_of(
        database,
        [{"type": "wait", "seconds": 60}, {"type": "set_field", "field": "plan", "value": "x"}],
    )
    participation = engage(scenario, profile, source="ui")
    scenario.status = "paused"
    scenario.save()

    with pytest.raises(EngagementRefused, match="paused"):
        engage(scenario, ProfileFactory(database=database), source="ui")
    clock.move_to(START + timedelta(minutes=5))
    assert advance_due() == 0
    scenario.status = "active"
    scenario.save()
    assert advance_due() == 1
    participation.refresh_from_db()
    assert participation.status == "finished"


def test_re_entry(database, profile):
    once = scenario_of(database, [{"type": "wait", "seconds": 60}])
    engage(once, profile, source="ui")
    with pytest.raises(EngagementRefused, match="is running it"):
        engage(once, profile, source="ui")
    assert once.participations.count() == 1

    again = ScenarioFactory(database=database, allow_reentry=True)
    engage(again, profile, source="ui")
    engage(again, profile, source="ui")
    assert again.participations.count() == 2


def test_a_finished_scenario_without_re_entry_is_not_entered_again(database, profile):
    once = scenario_of(database, [{"type": "exit"}])
    engage(once, profile, source="ui")
    with pytest.raises(EngagementRefused, match="went through it already"):
        engage(once, profile, source="ui")


def test_a_scenario_of_another_database_is_refused(profile):
    other = ScenarioFactory(database=ProfileDatabaseFactory(name="Other"))
    with pytest.raises(ValidationError, match="Other"):
        engage(other, profile, source="ui")
    assert not Participation.objects.exists()


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("wait", "Enter a list of steps."),
        ([{"type": "jump"}], "steps[0].type: Choose one of"),
        ([{"type": "wait"}], "steps[0].seconds: This key is required"),
        ([{"type": "wait", "seconds": 0}], "steps[0].seconds: Wait from 1"),
        ([{"type": "wait", "seconds": "60"}], "steps[0].seconds: Enter a whole number"),
        ([{"type": "exit", "then": 1}], "steps[0].then: A exit step has no such key."),
        ([{"type": "exit"}, {"type": "send_trigger", "trigger": 999}], "steps[1].trigger: No"),
        ([{"type": "add_to_segment", "segment": "x"}], "steps[0].segment: Enter the id"),
        ([{"type": "set_field", "field": "email", "value": "a@b.c"}], "steps[0].field: Unknown"),
        ([{"type": "set_field", "field": "birthday", "value": "soon"}], "steps[0].value:"),
        ([{"type": "set_field", "field": "in_control_group", "value": True}], "steps[0].field"),
        ([{"type": "exit"}] * 101, "at most 100 steps"),
    ],
)
def test_bad_steps_are_refused_naming_the_step(database, steps, message):
    scenario = Scenario(name="Bad", database=database, steps=steps)
    with pytest.raises(ValidationError) as error:
        scenario.full_clean()
    assert any(message in m for m in error.value.message_dict["steps"])


def test_a_trigger_of_another_database_is_not_a_step(database):
    other = TriggerFactory(database=ProfileDatabaseFactory())
    scenario = Scenario(
        name="Bad", database=database, steps=[{"type": "send_trigger", "trigger": other.pk}]
    )
    with pytest.raises(ValidationError, match="No trigger"):
        scenario.full_clean()
