"""The event types of a profile's action history: slug, label, group and data shape."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    slug: str
    label: str
    group: str
    data: str = ""


EVENT_TYPES = [
    # How the profile came into its database.
    EventType("import_manual", "Added manually", "import", "{source}"),
    EventType("import_api", "Imported via API", "import", "{source}"),
    EventType("import_file", "Imported from a file", "import", "{source, file}"),
    EventType("import_push", "Push import", "import", "{source}"),
    # Subscriptions to a resource's channel.
    EventType("subscribed", "Subscribed", "subscription", "{subscription, resource, channel}"),
    EventType("unsubscribed", "Unsubscribed", "subscription", "{subscription, resource, channel}"),
    EventType(
        "subscription_status_changed",
        "Subscription status changed",
        "subscription",
        "{subscription, resource, channel, from, to}",
    ),
    # Mailing actions.
    EventType("send", "Sent", "mailing", "{mailing, subscription, resource, channel}"),
    EventType("delivery", "Delivered", "mailing", "{mailing, subscription, resource, channel}"),
    EventType("open", "Opened", "mailing", "{mailing, subscription, resource, channel}"),
    EventType("read", "Read", "mailing", "{mailing, subscription, resource, channel}"),
    EventType("click", "Clicked a link", "mailing", "{mailing, url, subscription, utm_*}"),
    EventType(
        "confirmation_click",
        "Clicked the confirmation link",
        "mailing",
        "{subscription, resource, channel}",
    ),
    EventType("hard_bounce", "Hard bounce", "mailing", "{mailing, subscription, reason}"),
    EventType("complaint", "Complaint (reported as spam)", "mailing", "{mailing, subscription}"),
    # Unsubscribe links.
    EventType(
        "unsubscribe_click",
        "Clicked the unsubscribe link",
        "unsubscribe",
        "{mailing, subscription}",
    ),
    # Pixels.
    EventType("pixel", "Pixel goal reached", "pixel", "{goal, value, url, geo, pixel_data}"),
    # Promo codes.
    EventType("promo_attached", "Promo code attached", "promo code", "{code, program}"),
    EventType("promo_detached", "Promo code detached", "promo code", "{code, program}"),
    EventType("promo_activated", "Promo code activated", "promo code", "{code, program}"),
    # Static segments.
    EventType("segment_entered", "Entered a static segment", "segment", "{segment}"),
    EventType("segment_exited", "Exited a static segment", "segment", "{segment}"),
    # Global control group.
    EventType("control_group_entered", "Entered the global control group", "control group", "{}"),
    # Changes made in the product.
    EventType("status_changed", "Global status changed", "profile", "{from, to, source}"),
]
EVENT_TYPES_BY_SLUG = {event_type.slug: event_type for event_type in EVENT_TYPES}
IMPORT_SOURCES = {
    "manual": "import_manual",
    "api": "import_api",
    "file": "import_file",
    "push": "import_push",
}


def label_for(slug):
    event_type = EVENT_TYPES_BY_SLUG.get(slug)
    return event_type.label if event_type else slug
