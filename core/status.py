from django.db import models


class Status(models.TextChoices):
    """The seven statuses shared by profiles (global status) and subscriptions.

    Only ``subscribed`` allows communication; ``hard_bounced`` puts the address on the
    suppression list; ``unconfirmed`` becomes ``subscribed`` on double opt-in.
    """

    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    COMPLAINER = "complainer", "Complainer"
    HARD_BOUNCED = "hard_bounced", "Hard bounced"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    SUSPENDED = "suspended", "Suspended"
    INVALID = "invalid", "Invalid"
