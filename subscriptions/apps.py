from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_builtin_channels(sender, using, apps=None, **kwargs):
    """Seed the built-in channels after migrate, and after a test flush, like permissions."""
    # Imported here: an AppConfig module is loaded before the models are ready.
    from django.apps import apps as global_apps

    from .models import BUILTIN_CHANNELS

    apps = apps or global_apps  # a flush sends no app registry
    try:
        Channel = apps.get_model("subscriptions", "Channel")
    except LookupError:  # migrated back below the channels
        return
    for position, (slug, name, kind) in enumerate(BUILTIN_CHANNELS):
        Channel.objects.using(using).update_or_create(
            slug=slug,
            defaults={"name": name, "contact_kind": kind, "builtin": True, "position": position},
        )


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self):
        post_migrate.connect(create_builtin_channels, sender=self)
        from profiles.models import add_search_matcher

        from .search import contact_matcher

        add_search_matcher(contact_matcher)
