from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change of a profile or subscription: who, when, through what, old and new values."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    class Channel(models.TextChoices):
        PAGE = "page", "Page"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        IMPORT = "import", "Import"
        SYSTEM = "system", "System"

    at = models.DateTimeField(auto_now_add=True)  # indexed with the id (Meta)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    profile_id = models.CharField(max_length=24, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    erased = models.BooleanField(
        default=False, help_text="Personal values removed when the profile was deleted."
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # Newest first, and the admin's pages by keyset: a bulk write's entries share
            # one time, which an index of the time alone left to be sorted by id again.
            models.Index(fields=["at", "id"], name="audit_at_sort"),
            # The entries of users removed since (the name kept, the user gone), for the
            # admin's search by name; only those: the others are found by their user's id.
            models.Index(
                fields=["actor_name"],
                name="audit_removed_actor",
                condition=models.Q(actor__isnull=True) & ~models.Q(actor_name=""),
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_type} {self.object_id}"
