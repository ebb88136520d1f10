"""Trigger mailings: templates rendered in a sandbox, delivery by the rules, every attempt
recorded as a ``send`` event with the reason when nothing went out."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from history.models import Event
from interactions.templating import compile_template, render
from operations.triggers import send_trigger
from subscriptions.models import SuppressedAddress
from tests.factories import CustomFieldFactory, ProfileDatabaseFactory, ProfileFactory
from tests.interactions.factories import TriggerFactory
from tests.subscriptions.factories import (
    CategoryFactory,
    ResourceFactory,
    SubscriptionFactory,
    channel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def database():
    database = ProfileDatabaseFactory(name="Shop")
    CustomFieldFactory(database=database, name="plan", type="line")
    return database


@pytest.fixture
def profile(database):
    return ProfileFactory(
        database=database, first_name="Ann", last_name="Lee", custom_values={"plan": "gold"}
    )


@pytest.fixture
def trigger(database):
    return TriggerFactory(
        database=database,
        name="Welcome",
        subject="Hi {{ profile.first_name }}",
        body="Your plan: {{ profile.fields.plan|upper }}.",
    )


def subscribe(profile, trigger, **values):
    values.setdefault("contact", "ann@example.com")
    return SubscriptionFactory(
        profile=profile, resource=trigger.resource, channel=trigger.channel, **values
    )


# Templates.


def test_a_template_renders_standard_and_custom_fields(profile):
    text = render(
        "{{ profile.first_name }} {{ profile.last_name }}: {{ profile.fields.plan }}", profile
    )
    assert text == "Ann Lee: gold"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ profile.password }}", "Unknown name profile.password"),
        ("{{ profile.fields.nope }}", "Unknown name profile.fields.nope"),
        ("{{ profile.database }}", "Unknown name profile.database"),
        ("{{ profile.first_name.upper }}", "Unknown name profile.first_name.upper"),
        ("{{ profile }}", "Unknown name profile"),
        ("{{ 'x'|default:profile.md5.lower }}", "Unknown name profile.md5.lower"),
        ("{{ profile.fields.plan.__class__ }}", "does not compile"),
        ("{% if %}", "does not compile"),
        ("{% load static %}", "does not compile"),
        ("{% include 'base.html' %}", "does not compile"),
        ("{% debug %}", "does not compile"),
        ("{% for x in profile.phones %}{{ x }}{% endfor %}", "does not compile"),
        ("{{ profile.first_name|ljust:'999999999' }}", "does not compile"),
    ],
)
def test_a_template_that_reaches_beyond_the_profile_is_refused(template, message):
    with pytest.raises(ValidationError, match=message):
        compile_template(template, custom_names=["plan"])


def test_tags_see_plain_values_only(profile):
    """Names inside tags are not checked, but the context holds plain values: no method,
    manager or related object of the model is reachable."""
    text = (
        "{% if profile.database.name %}leak{% endif %}{% with d=profile.save %}{{ d }}{% endwith %}"
    )
    assert render(text, profile) == ""


def test_a_trigger_with_a_broken_template_is_refused_on_save(database):
    trigger = TriggerFactory.build(database=database, resource=ResourceFactory(), body="{% if %}")
    trigger.channel = channel("email")
    with pytest.raises(ValidationError) as error:
        trigger.full_clean()
    assert "body" in error.value.message_dict


# Delivery.


def test_an_email_trigger_is_sent_and_recorded(profile, trigger):
    subscription = subscribe(profile, trigger)

    result = send_trigger(trigger, profile, source="api")

    assert result.status == "sent" and result.subscription == subscription
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.com"]
    assert message.subject == "Hi Ann"
    assert message.body == "Your plan: GOLD."
    event = Event.objects.get(pk=result.event.pk)
    assert event.type == "send" and event.profile == profile
    assert event.data["status"] == "sent"
    assert event.data["subscription"] == subscription.public_id
    assert event.data["mailing"] == "Welcome"


def test_the_lowest_priority_number_receives(profile, trigger):
    subscribe(profile, trigger, contact="second@example.com", priority=5)
    subscribe(profile, trigger, contact="first@example.com", priority=1)

    send_trigger(trigger, profile, source="ui")

    assert mail.outbox[0].to == ["first@example.com"]


def not_sent(profile, trigger, reason):
    result = send_trigger(trigger, profile, source="ui")
    assert result.status == "not_sent"
    assert result.reason == reason
    assert mail.outbox == []
    event = Event.objects.get(pk=result.event.pk)
    assert event.data["status"] == "not_sent"
    assert event.data["reason"] == reason
    assert event.data["message"] == result.message
    return result


def test_global_status(profile, trigger):
    subscribe(profile, trigger)
    profile.status = "unsubscribed"
    profile.save()
    result = not_sent(profile, trigger, "global_status")
    assert "unsubscribed" in result.message.lower()


def test_control_group(profile, trigger):
    subscribe(profile, trigger)
    profile.in_control_group = True
    profile.save()
    not_sent(profile, trigger, "control_group")


def test_no_subscribed_subscription(profile, trigger):
    subscribe(profile, trigger, status="unsubscribed")
    not_sent(profile, trigger, "no_subscribed_subscription")


def test_a_deleted_subscription_does_not_receive(profile, trigger):
    from django.utils import timezone

    subscribe(profile, trigger, deleted_at=timezone.now())
    not_sent(profile, trigger, "no_subscribed_subscription")


def test_category(profile, database):
    category = CategoryFactory(name="News")
    trigger = TriggerFactory(database=database, resource=category.resource, category=category)
    subscribe(profile, trigger)
    not_sent(profile, trigger, "category_unsubscribed")


def test_suppression(profile, trigger):
    subscribe(profile, trigger, contact="ann@example.com")
    SuppressedAddress.objects.suppress("ann@example.com", reason="complained")
    not_sent(profile, trigger, "address_suppressed")


def test_disabled(profile, trigger):
    subscribe(profile, trigger)
    trigger.enabled = False
    trigger.save()
    result = not_sent(profile, trigger, "disabled")
    assert "Welcome" in result.message


def test_a_template_error_at_send_is_reported_not_raised(profile, trigger):
    subscribe(profile, trigger)
    # Saved before the field went away: compiled again at send, it names an unknown field.
    profile.database.custom_fields.filter(name="plan").delete()
    profile.refresh_from_db()
    result = not_sent(profile, trigger, "template_error")
    assert "profile.fields.plan" in result.message


def test_the_subscription_filter_picks_the_recipients(profile, database):
    trigger = TriggerFactory(
        database=database,
        channel=channel("push"),
        subscription_filter={"device_type": "mobile"},
    )
    subscribe(profile, trigger, contact="token-desktop", device_type="desktop")
    result = not_sent(profile, trigger, "no_matching_subscription")
    assert "device_type = mobile" in result.message


def test_a_trigger_of_another_database_is_refused_and_records_nothing(profile):
    other = TriggerFactory(database=ProfileDatabaseFactory(name="Other"))
    with pytest.raises(ValidationError, match="Other"):
        send_trigger(other, profile, source="api")
    assert not Event.objects.filter(profile=profile, type="send").exists()


def test_a_refused_email_is_a_failed_delivery(profile, trigger, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    subscribe(profile, trigger)
    result = send_trigger(trigger, profile, source="ui")
    assert (result.status, result.reason) == ("not_sent", "delivery_failed")
    assert "mail server" in result.message


# The webhook of the other channels.


class Gateway(BaseHTTPRequestHandler):
    received = []
    status = 200
    delay = 0.0

    def do_POST(self):
        import time

        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        time.sleep(type(self).delay)
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    Gateway.received, Gateway.status, Gateway.delay = [], 200, 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MESSAGE_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.MESSAGE_WEBHOOK_TIMEOUT = 0.5
    yield Gateway
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_trigger(database):
    return TriggerFactory(
        database=database, channel=channel("sms"), subject="", body="Code {{ profile.fields.plan }}"
    )


def test_an_sms_is_posted_to_the_webhook(profile, sms_trigger, gateway):
    subscription = subscribe(profile, sms_trigger, contact="+33612345678")

    result = send_trigger(sms_trigger, profile, source="ui")

    assert result.status == "sent"
    (payload,) = gateway.received
    assert payload["channel"] == "sms"
    assert payload["contact"] == "+33612345678"
    assert payload["subscription"] == subscription.public_id
    assert payload["profile"] == profile.profile_id
    assert payload["body"] == "Code gold"


def test_a_webhook_error_is_a_failed_delivery(profile, sms_trigger, gateway):
    gateway.status = 503
    subscribe(profile, sms_trigger, contact="+33612345678")
    result = not_sent(profile, sms_trigger, "delivery_failed")
    assert "503" in result.message


def test_a_webhook_that_times_out_is_a_failed_delivery(profile, sms_trigger, gateway):
    gateway.delay = 2
    subscribe(profile, sms_trigger, contact="+33612345678")
    result = not_sent(profile, sms_trigger, "delivery_failed")
    assert "did not answer within 0.5 s" in result.message


def test_without_a_webhook_nothing_is_sent_and_the_event_says_why(profile, sms_trigger, settings):
    settings.MESSAGE_WEBHOOK_URL = ""
    subscribe(profile, sms_trigger, contact="+33612345678")
    result = not_sent(profile, sms_trigger, "delivery_failed")
    assert "MESSAGE_WEBHOOK_URL" in result.message


@pytest.mark.parametrize("value", [["mobile"], {"a": 1}, "x" * 201, None])
def test_a_subscription_filter_takes_one_bounded_value_per_field(database, value):
    trigger = TriggerFactory.build(
        database=database, resource=ResourceFactory(), subscription_filter={"device_type": value}
    )
    trigger.channel = channel("email")
    with pytest.raises(ValidationError) as error:
        trigger.full_clean()
    assert error.value.message_dict["subscription_filter"] == [
        "device_type: enter one value (text of at most 200 characters, a number or true/false)."
    ]
