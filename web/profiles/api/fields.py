from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from profiles.models import ProfileDatabase


class VisibleDatabaseField(serializers.PrimaryKeyRelatedField):
    """A profile database the requesting user may see (others do not exist for them)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", ProfileDatabase.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return ProfileDatabase.objects.none()
        return ProfileDatabase.objects.visible_to(request.user)

    def to_internal_value(self, data):
        known = self.context.get("database")
        if known is not None and not isinstance(data, bool) and str(data) == str(known.pk):
            return known
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "uri", "nullable": True, "readOnly": True})
class AvatarURLField(serializers.Field):
    """The avatar's URL, or null: the API endpoint that sends the image to a user who may see
    the profile (media files are never served publicly)."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, profile):
        # The file's stored name decides, as loaded: reading ``profile.avatar`` would build a
        # FieldFile (and a File) for every profile of a page only to test its name.
        name = profile.__dict__.get("avatar") if "avatar" in profile.__dict__ else profile.avatar
        if not name:
            return None
        url = reverse("api:profile-avatar", args=[profile.profile_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
