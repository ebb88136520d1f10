from django.db import models
from django.utils import timezone

from .types import label_for


class Event(models.Model):
    """One action in a profile's history: what happened, when, and its data."""

    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["profile", "-occurred_at", "-id"], name="event_profile_newest_first"
            )
        ]

    def __str__(self):
        return f"{self.label()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def label(self):
        return label_for(self.type)
