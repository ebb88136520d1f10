from django.db import models


class Segment(models.Model):
    """A static segment: a fixed group of profiles of one database."""

    name = models.CharField(max_length=200)
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="segments"
    )
    profiles = models.ManyToManyField(
        "profiles.Profile", through="SegmentMembership", related_name="segments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    profile = models.ForeignKey(
        "profiles.Profile", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "profile"], name="unique_segment_member")
        ]

    def __str__(self):
        return f"{self.profile} in {self.segment}"
