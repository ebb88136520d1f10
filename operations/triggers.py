"""Sending a trigger mailing to one profile, and the ``send`` event every attempt records.

``send_trigger`` picks the subscription by the delivery rules (``Subscription.objects
.recipient_for``'s: global status, control group, a subscribed subscription, the category,
the suppression list), narrowed by the trigger's subscription filter; renders the subject
and body for the profile; delivers (email through Django's email framework, any other
channel as JSON POSTed to ``MESSAGE_WEBHOOK_URL``); and records a ``send`` event saying what
happened: ``sent``, or ``not_sent`` with the reason. Nothing is dropped without a trace.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage

from history.services import record_event
from interactions.templating import render
from subscriptions.models import (
    ContactKind,
    Delivery,
    Subscription,
    SuppressedAddress,
    choose_recipient,
)

logger = logging.getLogger(__name__)

SENT = "sent"
NOT_SENT = "not_sent"
# Reasons beyond the delivery rules' own (Delivery.GLOBAL_STATUS, CONTROL_GROUP, …).
DISABLED = "disabled"
NO_MATCHING = "no_matching_subscription"
TEMPLATE = "template_error"
DELIVERY_FAILED = "delivery_failed"
REASONS = {
    Delivery.GLOBAL_STATUS: "Global status",
    Delivery.CONTROL_GROUP: "Global control group",
    Delivery.NO_SUBSCRIBED: "No deliverable subscription",
    NO_MATCHING: "No subscription matches the trigger's filter",
    Delivery.CATEGORY_UNSUBSCRIBED: "Category unsubscribed",
    Delivery.SUPPRESSED: "Address suppressed",
    DISABLED: "Trigger disabled",
    TEMPLATE: "Template error",
    DELIVERY_FAILED: "Delivery failed",
}


@dataclass(frozen=True)
class SendResult:
    status: str
    reason: str = ""
    message: str = ""
    subscription: object = None
    event: object = None

    @property
    def sent(self):
        return self.status == SENT


def send_trigger(trigger, profile, *, source, scenario=None):
    """Send ``trigger`` to ``profile`` if it can receive it; record the attempt.

    A trigger of another database than the profile's is refused (ValidationError) and
    records nothing: it is a mistake of the caller, not an attempt.
    """
    if trigger.database_id != profile.database_id:
        raise ValidationError(
            {
                "trigger": [
                    f"Trigger “{trigger.name}” belongs to database “{trigger.database}”, "
                    f"not to the profile's (“{profile.database}”)."
                ]
            }
        )
    subscription, reason, message = None, "", ""
    if not trigger.enabled:
        reason, message = DISABLED, f"Trigger “{trigger.name}” is disabled."
    else:
        delivery = _delivery(trigger, profile)
        subscription, reason, message = delivery.subscription, delivery.reason, delivery.message
    if subscription is not None:
        try:
            subject = render(trigger.subject, profile)
            body = render(trigger.body, profile)
        except ValidationError as error:
            reason, message = TEMPLATE, " ".join(error.messages)
        else:
            failure = deliver(trigger, subscription, subject, body)
            if failure:
                reason, message = DELIVERY_FAILED, failure
    result = SendResult(SENT if not reason else NOT_SENT, reason, message, subscription)
    event = record_event(profile, "send", _event_data(trigger, profile, result, source, scenario))
    return SendResult(result.status, reason, message, subscription, event)


def _delivery(trigger, profile):
    """The delivery rules, over the subscriptions that pass the trigger's filter."""
    subscriptions = list(
        Subscription.objects.filter(
            profile=profile, resource_id=trigger.resource_id, channel_id=trigger.channel_id
        ).prefetch_related("categories")
    )
    matching = [s for s in subscriptions if trigger.matches(s)]
    if subscriptions and not matching and trigger.subscription_filter:
        delivery = choose_recipient(profile, [], set(), trigger.category_id)
        if delivery.reason == Delivery.NO_SUBSCRIBED:
            wanted = ", ".join(f"{k} = {v}" for k, v in trigger.subscription_filter.items())
            return Delivery(None, NO_MATCHING, f"No subscription has {wanted}.")
        return delivery
    suppressed = SuppressedAddress.objects.among(s.contact for s in matching)
    return choose_recipient(profile, matching, suppressed, trigger.category_id)


def deliver(trigger, subscription, subject, body):
    """Hand the message over; return why it failed, or "" once it is accepted."""
    if subscription.channel.contact_kind == ContactKind.EMAIL:
        return _send_email(subscription.contact, subject, body)
    return _post_webhook(trigger, subscription, subject, body)


def _send_email(address, subject, body):
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    try:
        message.send()
    except Exception as error:  # SMTP refusals, connection errors: a failed delivery
        logger.warning("Could not send email to %s: %s", address, error)
        return f"The mail server refused it: {type(error).__name__}: {error}"
    return ""


def _post_webhook(trigger, subscription, subject, body):
    url = settings.MESSAGE_WEBHOOK_URL
    if not url:
        return (
            f"MESSAGE_WEBHOOK_URL is not set: nothing delivers {subscription.channel.name} "
            "messages."
        )
    payload = {
        "channel": subscription.channel.slug,
        "contact": subscription.contact,
        "subscription": subscription.public_id,
        "profile": subscription.profile.profile_id,
        "resource": trigger.resource.name,
        "trigger": trigger.pk,
        "subject": subject,
        "body": body,
    }
    request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.MESSAGE_WEBHOOK_TIMEOUT
        ) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        return f"The message webhook answered {error.code} {error.reason}."
    except (urllib.error.URLError, OSError) as error:
        # A timeout comes as itself or wrapped in a URLError, depending on when it struck.
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            timeout = settings.MESSAGE_WEBHOOK_TIMEOUT
            return f"The message webhook did not answer within {timeout:g} s."
        return f"The message webhook could not be reached: {reason}."
    return ""


def _event_data(trigger, profile, result, source, scenario):
    data = {
        "mailing": trigger.name,
        "trigger": trigger.pk,
        "resource": trigger.resource.name,
        "channel": trigger.channel.slug,
        "status": result.status,
        "source": source,
    }
    if result.subscription is not None:
        data["subscription"] = result.subscription.public_id
        data["contact"] = result.subscription.contact
    if result.reason:
        data["reason"] = result.reason
        data["message"] = result.message
    if scenario is not None:
        data["scenario"] = scenario.name
    return data
