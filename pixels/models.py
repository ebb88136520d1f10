"""Pixels, their goals, and the hits of visitors not yet known.

A pixel is a tracking snippet of a website, in one profile database; a goal is what a
visitor reached (a purchase, a view) with its default value. A hit of a known profile is a
``pixel`` event of its history at once (``operations.pixels``); a hit known only by an
anonymous visitor id (a cookie) is kept here, as an ``AnonymousHit``, until that visitor is
identified — a form submission or an import row carrying the same id — when it becomes the
profile's event (keeping the time it happened) and its row is deleted.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.jsonvalues import TolerantDecoder
from core.text import country_from_ip, validate_text

ANONYMOUS_ID_MAX_LENGTH = 200
URL_MAX_LENGTH = 8192
VALUE_LIMIT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
VALUE_VALIDATORS = [MinValueValidator(-VALUE_LIMIT), MaxValueValidator(VALUE_LIMIT)]


def validate_anonymous_id(value):
    """An anonymous visitor id: one line of text (a cookie's value), nothing blank."""
    validate_text(value)
    if not value.strip() or "\n" in value or "\r" in value:
        raise ValidationError("Enter the visitor's id: one line of text.")


class Pixel(models.Model):
    name = models.CharField(max_length=200, validators=[validate_text])
    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="pixels"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["database", "name"], name="unique_pixel_name")
        ]
        permissions = [("record_hit", "Can record a pixel hit (pixels/{id}/hit/)")]

    def __str__(self):
        return self.name


class Goal(models.Model):
    """What a visitor reaches on the pixel's site; ``value`` is the default of its hits."""

    pixel = models.ForeignKey(Pixel, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(max_length=100, validators=[validate_text])
    value = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), validators=VALUE_VALIDATORS
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pixel", "name"], name="unique_goal_per_pixel")
        ]

    def __str__(self):
        return self.name


class AnonymousHit(models.Model):
    """A hit of a visitor known only by an anonymous id, waiting to join a profile."""

    pixel = models.ForeignKey(Pixel, on_delete=models.CASCADE, related_name="anonymous_hits")
    anonymous_id = models.CharField(
        max_length=ANONYMOUS_ID_MAX_LENGTH, db_index=True, validators=[validate_anonymous_id]
    )
    goal = models.CharField(max_length=100, help_text="The goal's name when it was reached.")
    value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=VALUE_VALIDATORS
    )
    url = models.CharField("URL", max_length=URL_MAX_LENGTH, blank=True)
    referrer = models.CharField(max_length=URL_MAX_LENGTH, blank=True)
    ip = models.GenericIPAddressField("IP", protocol="IPv4", null=True, blank=True)
    data = models.JSONField(
        "pixel data", default=dict, blank=True, decoder=TolerantDecoder, help_text="As sent."
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "anonymous hit"

    def __str__(self):
        return f"{self.goal} by {self.anonymous_id}"

    def event_data(self):
        """The ``pixel`` event's data this hit becomes once its visitor is known."""
        return hit_event_data(
            self.pixel_id, self.goal, self.value, self.url, self.referrer, self.ip, self.data
        )


def hit_event_data(pixel_id, goal, value, url, referrer, ip, pixel_data):
    """The data of a ``pixel`` history event (see ``history.types``), empty keys left out."""
    data = {"pixel": pixel_id, "goal": goal}
    if value is not None:
        data["value"] = float(value)
    if url:
        data["url"] = url
    if referrer:
        data["referrer"] = referrer
    if ip:
        data["ip"] = ip
        country = country_from_ip(ip)
        if country:
            data["geo"] = {"country": country}
    if pixel_data not in (None, {}, ""):
        data["pixel_data"] = pixel_data
    return data
