"""The Interactions section's trigger mailings, scenarios and control group parts: sent and
engaged by hand in place, each action answered with what happened."""

import pytest
from django.core import mail
from django.urls import reverse

from history.models import Event
from interactions.models import Participation, Scenario
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.interactions.factories import (
    ControlGroupFactory,
    ParticipationFactory,
    ScenarioFactory,
    SegmentFactory,
    TriggerFactory,
)
from tests.subscriptions.factories import SubscriptionFactory, channel

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def profile(database):
    return ProfileFactory(database=database, first_name="Ann", last_name="Lee")


@pytest.fixture
def trigger(database):
    return TriggerFactory(database=database, name="Welcome")


@pytest.fixture
def subscription(profile, trigger):
    return SubscriptionFactory(
        profile=profile,
        resource=trigger.resource,
        channel=trigger.channel,
        contact="ann@example.com",
    )


@pytest.fixture
def scenario(database):
    return ScenarioFactory(database=database, name="Onboarding")


def section_url(profile):
    return reverse("segments:profile", args=[profile.profile_id])


def send_url(profile):
    return reverse("interactions:send", args=[profile.profile_id])


def engage_url(profile):
    return reverse("interactions:engage", args=[profile.profile_id])


# -- The section ------------------------------------------------------------------------


def test_it_lists_the_triggers_and_scenarios_of_the_database(
    client, bob, profile, trigger, scenario, database
):
    TriggerFactory(database=database, name="Farewell", enabled=False)
    TriggerFactory(database=ProfileDatabaseFactory(), name="Elsewhere")
    ScenarioFactory(database=database, name="Dormant", status=Scenario.Status.PAUSED)
    client.force_login(bob)
    response = client.get(section_url(profile), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Welcome" in html and "Farewell" in html and "Elsewhere" not in html
    assert html.count('name="trigger"') == 1  # only the enabled trigger has a Send button
    assert f'<option value="{scenario.pk}">Onboarding</option>' in html
    assert "Dormant" not in html  # a paused scenario is not offered
    assert "No trigger mailing has been sent to this profile." in html
    assert "The profile has not taken part in any scenario." in html


def test_the_whole_page_holds_the_section(client, bob, profile, trigger):
    client.force_login(bob)
    html = client.get(section_url(profile)).content.decode()
    assert "<html" in html and "Trigger mailings" in html and "Welcome" in html


def test_it_hides_the_actions_from_a_reader(client, database, profile, trigger, scenario):
    reader = grant(
        UserFactory(username="reader"), "view_profile", "view_trigger", "view_participation"
    )
    database.members.add(reader)
    client.force_login(reader)
    html = client.get(section_url(profile), **HTMX).content.decode()
    assert "Welcome" in html
    assert 'name="trigger"' not in html and 'name="scenario"' not in html


# -- Sending a trigger ------------------------------------------------------------------


def test_it_sends_a_trigger_and_shows_the_send(client, bob, profile, trigger, subscription):
    client.force_login(bob)
    response = client.post(send_url(profile), {"trigger": trigger.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sent “Welcome” to ann@example.com." in html
    assert 'class="message message-success part-notice" role="status"' in html
    event = Event.objects.get(profile=profile, type="send")
    assert event.data["status"] == "sent" and event.data["source"] == "ui"
    assert f'data-event="{event.pk}"' in html
    assert "No trigger mailing has been sent to this profile." not in html
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]


def test_a_control_group_member_is_not_sent_it_with_the_reason(
    client, bob, profile, trigger, subscription
):
    profile.in_control_group = True
    profile.save()
    client.force_login(bob)
    html = client.post(send_url(profile), {"trigger": trigger.pk}, **HTMX).content.decode()
    assert "“Welcome” was not sent (global control group)." in html
    assert 'class="message message-warning part-notice" role="alert"' in html
    event = Event.objects.get(profile=profile, type="send")
    assert event.data["status"] == "not_sent" and event.data["reason"] == "control_group"
    assert "Global control group</strong>" in html  # the last sends say why
    assert mail.outbox == []


def test_a_broken_template_is_an_error_and_recorded(client, bob, profile, trigger, subscription):
    trigger.body = "{% unknown_tag %}"  # saved past the model's check, as an old row may be
    trigger.save()
    client.force_login(bob)
    html = client.post(send_url(profile), {"trigger": trigger.pk}, **HTMX).content.decode()
    assert "“Welcome” was not sent (template error)." in html
    assert "message-error" in html
    event = Event.objects.get(profile=profile, type="send")
    assert event.data["reason"] == "template_error"
    assert mail.outbox == []


def test_a_failed_delivery_is_an_error_and_recorded(client, bob, profile, database, settings):
    settings.MESSAGE_WEBHOOK_URL = ""
    sms = TriggerFactory(database=database, name="Code", channel=channel("sms"))
    SubscriptionFactory(
        profile=profile, resource=sms.resource, channel=sms.channel, contact="+1202555"
    )
    client.force_login(bob)
    html = client.post(send_url(profile), {"trigger": sms.pk}, **HTMX).content.decode()
    assert "“Code” was not sent (delivery failed). MESSAGE_WEBHOOK_URL is not set" in html
    assert "message-error" in html and 'badge status-complainer">Failed' in html
    event = Event.objects.get(profile=profile, type="send")
    assert event.data["status"] == "not_sent" and event.data["reason"] == "delivery_failed"


def test_it_refuses_a_trigger_of_another_database(client, bob, profile):
    foreign = TriggerFactory(database=ProfileDatabaseFactory(), name="Elsewhere")
    client.force_login(bob)
    response = client.post(send_url(profile), {"trigger": foreign.pk}, **HTMX)
    assert response.status_code == 200
    assert "Choose a trigger mailing of this profile&#x27;s database." in response.content.decode()
    assert not Event.objects.filter(type="send").exists()


def test_a_plain_post_redirects_to_the_section_with_the_message(
    client, bob, profile, trigger, subscription
):
    client.force_login(bob)
    response = client.post(send_url(profile), {"trigger": trigger.pk}, follow=True)
    assert response.redirect_chain == [(section_url(profile), 302)]
    html = response.content.decode()
    assert (
        '<p class="message message-success" role="status">Sent “Welcome” to ann@example.com.</p>'
        in html
    )


def test_it_rejects_get(client, bob, profile):
    client.force_login(bob)
    assert client.get(send_url(profile)).status_code == 405
    assert client.get(engage_url(profile)).status_code == 405


def test_it_refuses_a_user_without_the_permission(client, database, profile, trigger, subscription):
    reader = grant(UserFactory(username="reader"), "view_profile", "view_trigger")
    database.members.add(reader)
    client.force_login(reader)
    assert client.post(send_url(profile), {"trigger": trigger.pk}, **HTMX).status_code == 403
    assert not Event.objects.filter(type="send").exists()
    assert mail.outbox == []


def test_it_refuses_charlie_and_hides_profiles_of_other_databases(
    client, bob, charlie, trigger, subscription, profile
):
    client.force_login(charlie)
    assert client.post(send_url(profile), {"trigger": trigger.pk}, **HTMX).status_code == 403
    outsider = ProfileFactory(database=ProfileDatabaseFactory())
    client.force_login(bob)
    assert client.post(send_url(outsider), {"trigger": trigger.pk}, **HTMX).status_code == 404
    assert not Event.objects.filter(type="send").exists()


# -- Engaging in a scenario -------------------------------------------------------------


def test_it_engages_the_profile_and_shows_the_participation(client, bob, profile, scenario):
    scenario.steps = [{"type": "wait", "seconds": 3600}, {"type": "exit"}]
    scenario.save()
    client.force_login(bob)
    response = client.post(engage_url(profile), {"scenario": scenario.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    participation = Participation.objects.get(profile=profile)
    assert participation.scenario == scenario and participation.source == "ui"
    assert "Engaged in “Onboarding”: Step 2 of 2: Exit." in html  # the wait has begun
    assert f'data-participation="{participation.pk}"' in html
    assert "1 step done" in html


def test_a_paused_scenario_is_refused_beside_the_field(client, bob, profile, scenario):
    scenario.status = Scenario.Status.PAUSED
    scenario.save()
    client.force_login(bob)
    response = client.post(engage_url(profile), {"scenario": scenario.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="field-error" role="alert">Scenario “Onboarding” is paused' in html
    assert not Participation.objects.exists()


def test_a_scenario_without_re_entry_is_refused_to_a_profile_running_it(
    client, bob, profile, scenario
):
    ParticipationFactory(scenario=scenario, profile=profile)
    client.force_login(bob)
    html = client.post(engage_url(profile), {"scenario": scenario.pk}, **HTMX).content.decode()
    assert "The profile is running it, and scenario “Onboarding” allows no re-entry." in html
    assert Participation.objects.count() == 1


def test_a_refusal_without_htmx_is_a_message_on_the_section(client, bob, profile, scenario):
    Scenario.objects.filter(pk=scenario.pk).update(status=Scenario.Status.PAUSED)
    client.force_login(bob)
    response = client.post(engage_url(profile), {"scenario": scenario.pk}, follow=True)
    assert response.redirect_chain == [(section_url(profile), 302)]
    assert "message-error" in response.content.decode()
    assert not Participation.objects.exists()


def test_it_refuses_a_scenario_of_another_database(client, bob, profile):
    foreign = ScenarioFactory(database=ProfileDatabaseFactory())
    client.force_login(bob)
    html = client.post(engage_url(profile), {"scenario": foreign.pk}, **HTMX).content.decode()
    assert "Choose a scenario of this profile&#x27;s database." in html
    assert not Participation.objects.exists()


def test_engaging_needs_the_permission(client, database, profile, scenario):
    reader = grant(UserFactory(username="reader"), "view_profile", "view_participation")
    database.members.add(reader)
    client.force_login(reader)
    assert client.post(engage_url(profile), {"scenario": scenario.pk}, **HTMX).status_code == 403
    assert not Participation.objects.exists()


# -- The control group ------------------------------------------------------------------


def test_it_marks_a_control_group_member_and_shows_the_settings(client, bob, profile, database):
    ControlGroupFactory(database=database, share_percent="12.5", period_days=14, size=3)
    profile.in_control_group = True
    profile.save()
    client.force_login(bob)
    html = client.get(section_url(profile)).content.decode()
    assert html.count("badge control-group") == 2  # the header's and the section's
    assert "12.5% of Customers" in html and "14 days" in html and "3 profiles" in html


# -- Queries ----------------------------------------------------------------------------


def test_the_section_reads_as_many_rows_whatever_the_history(
    client, bob, profile, trigger, subscription, scenario, database, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(section_url(profile), **HTMX)  # sessions and permissions cached alike

    def queries():
        with django_assert_max_num_queries(100) as captured:
            assert client.get(section_url(profile), **HTMX).status_code == 200
        return len(captured)

    segment = SegmentFactory(database=database)
    steps = [
        {"type": "send_trigger", "trigger": trigger.pk},
        {"type": "add_to_segment", "segment": segment.pk},
    ]

    def take_part():
        client.post(send_url(profile), {"trigger": trigger.pk}, **HTMX)
        ParticipationFactory(scenario=scenario, profile=profile, steps=steps, current_step=1)

    take_part()
    few = queries()
    for _ in range(12):
        take_part()
    assert Event.objects.filter(type="send").count() == 13
    assert queries() == few
