"""Pixels over the REST API.

- ``pixels/``: list (``?database=``), create, read, change, delete; ``goals`` nested as
  ``[{name, value}]`` (a write with ``goals`` replaces the list: goals kept by name).
- ``pixels/{id}/hit/``: POST ``{goal, value, url, referrer, ip, profile_id | anonymous_id,
  data}`` → 201 ``{event_id, anonymous, hit_id, joined}``. With a ``profile_id`` the hit is a
  ``pixel`` event of the profile's history at once (``event_id``; its IP locates the
  profile); with only an ``anonymous_id`` it is kept until that visitor is identified
  (``event_id`` null, ``anonymous`` true, ``hit_id`` the kept hit).

Access: the model permission for the method (view to read; add, change, delete to write);
a hit needs ``pixels.record_hit``. Pixels of databases the user may not see answer 404.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core import scoping
from core.api.errors import api_detail
from core.api.fields import StrictCharField
from core.api.permissions import ModelPermissions
from core.api.serializers import DatabaseObjectMixin, StrictModelSerializer, StrictSerializer
from core.api.views import InVisibleDatabasesMixin, UniqueRaceMixin
from operations.pixels import record_hit
from pixels.models import VALUE_LIMIT, Goal, Pixel
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from web.profiles.api.fields import VisibleDatabaseField

MAX_GOALS = 100


class StrictDecimalField(serializers.DecimalField):
    """A number (JSON integer or float), never text or true/false."""

    def to_internal_value(self, data):
        if isinstance(data, bool | str):
            self.fail("invalid")
        return super().to_internal_value(data)


class GoalSerializer(StrictModelSerializer):
    """A goal of the pixel: its name (unique in the pixel) and default value."""

    value = StrictDecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=-VALUE_LIMIT,
        max_value=VALUE_LIMIT,
        coerce_to_string=False,
        required=False,
        help_text="The goal's value, the default of its hits (0 when left out).",
    )

    class Meta:
        model = Goal
        fields = ["name", "value"]
        validators = []


class PixelSerializer(DatabaseObjectMixin, StrictModelSerializer):
    """A pixel of a profile database with its goals. ``database`` cannot change."""

    unique_name_message = "Database “{database}” already has a pixel named “{name}”."

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    goals = GoalSerializer(many=True, required=False, max_length=MAX_GOALS)

    class Meta:
        model = Pixel
        fields = ["id", "name", "database", "goals", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`

    def validate_goals(self, goals):
        seen = set()
        for index, goal in enumerate(goals):
            if goal["name"] in seen:
                raise serializers.ValidationError(
                    {index: {"name": [f"Another goal is named “{goal['name']}”."]}}
                )
            seen.add(goal["name"])
        return goals

    def validate(self, attrs):
        self.check_database_and_name(attrs)
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        goals = validated_data.pop("goals", [])
        pixel = Pixel.objects.create(**validated_data)
        Goal.objects.bulk_create(Goal(pixel=pixel, **goal) for goal in goals)
        return pixel

    @transaction.atomic
    def update(self, instance, validated_data):
        goals = validated_data.pop("goals", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if goals is not None:
            wanted = {goal["name"]: goal.get("value", Decimal(0)) for goal in goals}
            instance.goals.exclude(name__in=list(wanted)).delete()
            existing = {goal.name: goal for goal in instance.goals.all()}
            for name, value in wanted.items():
                if name in existing:
                    if existing[name].value != value:
                        existing[name].value = value
                        existing[name].save(update_fields=["value"])
                else:
                    Goal.objects.create(pixel=instance, name=name, value=value)
        return instance


class PixelFilter(DatabaseFilterSet):
    class Meta:
        model = Pixel
        fields = ["database"]


class PixelViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Pixels of the visible databases, with their goals; filter with ``?database=<id>``."""

    unique_field = "name"  # two creates of one name at once
    lost_race_constraints = ("unique_goal_per_pixel",)  # two replacements of its goals

    serializer_class = PixelSerializer
    queryset = Pixel.objects.prefetch_related("goals").order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = PixelFilter


class HitSerializer(StrictSerializer):
    """A pixel hit: the goal reached, by a known profile or an anonymous visitor."""

    goal = StrictCharField(help_text="The name of one of the pixel's goals.")
    value = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="A number: the value reached (the goal's value when left out).",
    )
    url = serializers.JSONField(
        required=False,
        help_text="The page the pixel fired on, as the page knows it: absolute "
        "(`https://shop.example/p`) or relative (`/checkout`); any text of at most 8,192 "
        "characters without control characters.",
    )
    referrer = serializers.JSONField(
        required=False,
        help_text="The page the visitor came from, absolute or relative (as `url`).",
    )
    ip = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="The visitor's IPv4 address: a known profile's Tracked location follows it.",
    )
    profile_id = serializers.JSONField(
        required=False, allow_null=True, help_text="The known visitor's profile_id."
    )
    anonymous_id = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="The anonymous visitor's id (a cookie): its hits join the profile once a "
        "form submission or an import row carries it.",
    )
    data = serializers.JSONField(
        required=False, allow_null=True, help_text="The pixel's raw data (pixel_data), as sent."
    )


class HitResultSerializer(serializers.Serializer):
    event_id = serializers.IntegerField(
        allow_null=True, help_text="The profile's `pixel` event (null for an anonymous hit)."
    )
    anonymous = serializers.BooleanField(help_text="Whether the hit waits for its visitor.")
    hit_id = serializers.IntegerField(
        allow_null=True, help_text="The kept anonymous hit (null for a known profile's)."
    )
    joined = serializers.IntegerField(
        help_text="The visitor's earlier anonymous hits that joined the profile with this one."
    )


class MayRecordHits(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("pixels.record_hit"))


class PixelHitView(APIView):
    """Record a hit of a pixel."""

    permission_classes = [MayRecordHits]

    @extend_schema(
        summary="Record a pixel hit",
        description="With `profile_id` (a profile of the pixel's database) the hit is a "
        "`pixel` event of its history at once, with the goal, value, URL, referrer, IP, "
        "geodata and the raw `data` as `pixel_data`; its `ip` updates the profile's Tracked "
        "IP, country and time zone. With only `anonymous_id` the hit is kept (`anonymous`: "
        "true, `event_id` null) until a form submission or an import row carries that id. "
        "An unknown goal, a bad value or URL is a 400 naming it; a pixel of a database you "
        "may not see is a 404. Needs `pixels.record_hit`.",
        request=HitSerializer,
        responses={201: HitResultSerializer},
    )
    def post(self, request, pixel_id):
        pixel = get_object_or_404(
            scoping.visible(Pixel.objects.select_related("database"), request.user), pk=pixel_id
        )
        body = HitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        profile = None
        profile_id = values.pop("profile_id", None)
        if profile_id not in (None, ""):
            if not isinstance(profile_id, str):
                raise serializers.ValidationError({"profile_id": ["Enter the profile_id as text."]})
            profile = (
                Profile.objects.visible_to(request.user)
                .filter(profile_id=profile_id.strip().lower())
                .first()
            )
            if profile is None:
                raise serializers.ValidationError(
                    {"profile_id": [f"Unknown profile “{profile_id}”."]}
                )
        try:
            result = record_hit(
                pixel,
                profile=profile,
                anonymous_id=values.pop("anonymous_id", None),
                **{key: value for key, value in values.items() if value is not None},
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_detail(error)) from None
        return Response(
            {
                "event_id": result.event.pk if result.event is not None else None,
                "anonymous": result.anonymous,
                "hit_id": result.hit.pk if result.hit is not None else None,
                "joined": result.joined,
            },
            status=status.HTTP_201_CREATED,
        )
