from django.db import models


class SuppressedAddressQuerySet(models.QuerySet):
    def suppress(self, address, *, reason, profile=None):
        """Put the address on the global suppression list (once) and return the entry."""
        entry, _ = self.get_or_create(
            address=address.strip().lower(),
            defaults={"reason": reason, "profile_id": profile.profile_id if profile else ""},
        )
        return entry

    def is_suppressed(self, address):
        return self.filter(address=(address or "").strip().lower()).exists()


class SuppressedAddress(models.Model):
    """An address nothing is sent to, whatever the subscriptions say (the suppression list)."""

    class Reason(models.TextChoices):
        HARD_BOUNCED = "hard_bounced", "Hard bounce"
        COMPLAINT = "complaint", "Complaint"
        MANUAL = "manual", "Added by hand"

    address = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    profile_id = models.CharField(
        max_length=24, blank=True, help_text="The profile whose event suppressed the address."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressedAddressQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "suppressed addresses"

    def __str__(self):
        return self.address
