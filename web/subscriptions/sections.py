from subscriptions.models import Channel, Subscription
from web.history import words
from web.profiles.sections import Section, register

register(
    Section(
        "subscriptions", "Subscriptions", "subscriptions:profile", "subscriptions/section.html", 40
    )
)


def name_subscriptions(profile, values):
    """Name the profile's subscriptions in history: contact, resource and channel."""
    found = Subscription.all_objects.filter(profile=profile, public_id__in=values).values_list(
        "public_id", "contact", "resource__name", "channel__name"
    )
    return {
        public_id: {"subscription": contact, "resource": resource, "channel": channel}
        for public_id, contact, resource, channel in found
    }


def name_channels(profile, values):
    """Name channels in history by their names, not their slugs."""
    found = Channel.objects.filter(slug__in=values).values_list("slug", "name")
    return {slug: {"channel": name} for slug, name in found}


words.register("subscription", name_subscriptions)
words.register("channel", name_channels)
