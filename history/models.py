from django.db import models
from django.utils import timezone

from core.jsonvalues import TolerantDecoder, shown

from .types import EVENT_TYPES_BY_SLUG, GROUP_LABELS, label_for, withheld_keys

# What a user sees in place of a value of an event's data a permission of its own guards.
HIDDEN = "(hidden)"

# The data keys shown on a history row, in this order, with their labels.
KEY_DATA = [
    ("url", "URL"),
    ("mailing", "Mailing"),
    ("resource", "Resource"),
    ("channel", "Channel"),
    ("subscription", "Subscription"),
    ("reason", "Reason"),
    ("goal", "Goal"),
    ("value", "Value"),
    ("code", "Promo code"),
    ("program", "Program"),
    ("segment", "Segment"),
    ("from", "From"),
    ("to", "To"),
    ("source", "Source"),
    ("file", "File"),
]

# Ids shown as the words an event records beside them: a segment event's "name", a
# subscription event's "contact", the sentence a send that was not sent gives its reason.
WORDS_IN_DATA = {"segment": "name", "subscription": "contact", "reason": "message"}


def _shown(value):
    return value is not None and value != "" and not isinstance(value, dict | list)


class Event(models.Model):
    """One action in a profile's history: what happened, when, and its data."""

    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True, decoder=TolerantDecoder)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # A history page: one profile's events newest first, read by keyset.
            models.Index(
                fields=["profile", "-occurred_at", "-id"], name="event_profile_newest_first"
            ),
            # The same, filtered by type: a rare type is found without walking the others.
            models.Index(
                fields=["profile", "type", "-occurred_at", "-id"], name="event_profile_type_newest"
            ),
            # The actions that carried an IP (a few in a hundred): whether a profile has one
            # later than a reported event's (operations.location) reads only those.
            models.Index(
                fields=["profile", "-occurred_at", "-id"],
                condition=models.Q(data__has_key="ip"),
                name="event_profile_located",
            ),
        ]

    def __str__(self):
        return f"{self.label()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def label(self):
        # A send records every attempt (operations.triggers): one that was not sent says so.
        data = self.data if isinstance(self.data, dict) else {}
        if self.type == "send" and data.get("status") == "not_sent":
            return "Not sent"
        return label_for(self.type)

    def group(self):
        event_type = EVENT_TYPES_BY_SLUG.get(self.type)
        return event_type.group if event_type else ""

    def group_label(self):
        return GROUP_LABELS.get(self.group(), "")

    def key_data(self, words=None):
        """Return (label, value, is_link) of the data worth a glance: URL, mailing, channel…

        ``words`` maps a key to what people call its value (a segment's name for its id,
        a subscription's contact, a channel's name: see ``web.history.words``); without
        them an id is shown as the words the event carries beside it (``WORDS_IN_DATA``).
        """
        data = self.data if isinstance(self.data, dict) else {}
        words = words or {}
        rows = []
        for key, label in KEY_DATA:
            value = data.get(key)
            if key in words:
                value = words[key]
            elif key in WORDS_IN_DATA and _shown(data.get(WORDS_IN_DATA[key])) and _shown(value):
                value = data[WORDS_IN_DATA[key]]
            if not _shown(value):
                continue
            text = str(value)
            is_link = key == "url" and text.lower().startswith(("http://", "https://"))
            rows.append((label, text, is_link))
        return rows

    @staticmethod
    def withholding(user):
        """Return a function that hides, in an event read to be shown to ``user`` (never
        saved), the values of its data ``user`` may not see (``HIDDEN`` in their place),
        and returns it; its ``hidden`` holds {(type, key): permission} of what it hid."""
        withheld = withheld_keys(user)

        def hide(event):
            keys = withheld.get(event.type)
            if keys and isinstance(event.data, dict):
                present = [(key, permission) for key, permission in keys if key in event.data]
                if present:
                    event.data = {**event.data, **{key: HIDDEN for key, _ in present}}
                    hide.hidden.update({(event.type, key): perm for key, perm in present})
            return event

        hide.hidden = {}
        return hide

    def data_json(self):
        """Return the raw data as indented JSON for people reading it (a page shows at most
        ``core.jsonvalues.SHOWN_CHARACTERS`` of it; the export has it whole)."""
        return shown(self.data, indent=2, sort_keys=True)
