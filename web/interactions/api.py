"""Trigger mailings, scenarios and the global control group over the REST API.

- ``triggers/``: list (``?database=``), create, read, change, delete.
- ``profiles/{profile_id}/triggers/{trigger_id}/send/``: POST sends the trigger to the profile
  now → ``{status, reason, subscription_id, event_id}`` (``sent`` or ``not_sent``).
- ``scenarios/``: list (``?database=``, ``?status=``), create, read, change, delete.
- ``profiles/{profile_id}/scenarios/{scenario_id}/engage/``: POST → 201 the participation;
  409 when the scenario is paused or the profile may not enter it again.
- ``profiles/{profile_id}/participations/``: the profile's participations, newest first.
- ``databases/{database_id}/control-group/``: GET, PUT the settings;
  ``.../control-group/reform/``: POST forms the group anew now.

Access: an authenticated user with the model permission for the method (view to read; add,
change, delete to write), and only the databases the user may see exist: anything of another
database answers 404. Sending needs ``interactions.send_trigger``, engaging
``interactions.engage_scenario``, both on top of seeing profiles. The rules are the domain's
(``Trigger.clean``, ``Scenario.clean``) and the operations' (``operations.triggers``,
``operations.scenarios``, ``operations.control_group``); their errors are named by field.
"""

import copy
from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core import scoping
from core.api.errors import api_detail
from core.api.fields import IdField
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import DatabaseObjectMixin, StrictModelSerializer, StrictSerializer
from core.api.views import Conflict, InVisibleDatabasesMixin, UniqueRaceMixin
from interactions import steps as step_types
from interactions.models import ControlGroup, Participation, Scenario, Trigger
from jobs.models import Job
from operations import control_group
from operations.scenarios import EngagementRefused, engage
from operations.triggers import NOT_SENT, REASONS, SENT, send_trigger
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile, ProfileDatabase
from subscriptions.models import Category, Channel, Resource
from web.profiles.api.fields import VisibleDatabaseField

# -- Shared pieces -----------------------------------------------------------------------


class ModelCheckedMixin(DatabaseObjectMixin):
    """Check a write with the model's own ``full_clean`` (its ``clean`` holds the rules), on a
    copy of the object with the new values; its errors are a 400 naming the API's fields.

    A change is refused for what it gets wrong, not for what was wrong before it: a problem
    the stored object already had (a step naming a trigger deleted since) is reported only
    when the request writes that field, so pausing or disabling a broken object still works.
    The name's uniqueness per database is checked here, so its error names ``name``.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self.check_database_and_name(attrs)
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        errors = model_errors(candidate)
        if errors and self.instance is not None:
            before = model_errors(copy.copy(self.instance))
            errors = {
                name: messages
                for name, messages in errors.items()
                if name in attrs or messages != before.get(name)
            }
        if errors:
            raise serializers.ValidationError(errors)
        return {name: getattr(candidate, name) for name in attrs}  # as clean() normalised them


def model_errors(instance):
    """The errors of the model's ``full_clean``, by API field name ({} when it is valid)."""
    try:
        instance.full_clean(validate_constraints=False)
    except DjangoValidationError as error:
        return api_detail(error)
    return {}


class NoBodySerializer(StrictSerializer):
    """No body: a key sent is refused (400 naming it), never ignored."""


class MayAct(permissions.BasePermission):
    """Authenticated, with every permission of the view's ``required_perms``."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(view.required_perms))


def visible_profile(request, profile_id):
    """The profile, if the user may see its database; 404 otherwise."""
    return get_object_or_404(
        Profile.objects.visible_to(request.user).select_related("database"),
        profile_id=profile_id,
    )


# -- Triggers ----------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": "Only subscriptions with these field values receive it: standard "
        "fields (device_type, platform, browser, platform_language, app_id) or custom "
        'subscription fields of the resource, e.g. {"device_type": "mobile"}.',
        "example": {},
    }
)
class SubscriptionFilterField(serializers.Field):
    default_error_messages = {"invalid": "Enter an object of field names and values."}

    def to_representation(self, value):
        return dict(value or {})

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data


class TriggerSerializer(ModelCheckedMixin, StrictModelSerializer):
    """A trigger mailing: a message of one resource's channel that profiles receive one at a
    time. ``subject`` and ``body`` are templates over the profile (``{{ profile.first_name
    }}``, ``{{ profile.fields.<custom field> }}``); a template that does not compile or names
    a field the database lacks is a 400. ``database`` cannot change after create."""

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    resource = IdField(
        queryset=Resource.objects.all(), help_text="The resource's id (see resources/)."
    )
    channel = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Channel.objects.all(),
        help_text="The channel's slug (email, sms, push…): one of the resource's channels.",
    )
    category = IdField(
        queryset=Category.objects.all(),
        allow_null=True,
        required=False,
        help_text="A category id of the resource: only subscriptions subscribed to it receive "
        "the message. null: any subscription.",
    )
    subscription_filter = SubscriptionFilterField(required=False)
    unique_name_message = "Database “{database}” already has a trigger named “{name}”."

    class Meta:
        model = Trigger
        fields = [
            "id",
            "name",
            "database",
            "resource",
            "channel",
            "category",
            "subject",
            "body",
            "enabled",
            "subscription_filter",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`


class TriggerFilter(DatabaseFilterSet):
    class Meta:
        model = Trigger
        fields = ["database"]


class TriggerViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Trigger mailings of the visible databases; filter with ``?database=<id>``."""

    unique_field = "name"  # two creates of one name at once

    serializer_class = TriggerSerializer
    queryset = Trigger.objects.select_related("channel").order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = TriggerFilter


class SendResultSerializer(serializers.Serializer):
    """What a send did: ``sent``, or ``not_sent`` with the reason; either way recorded as a
    ``send`` event in the profile's history."""

    status = serializers.ChoiceField(choices=[SENT, NOT_SENT])
    reason = serializers.ChoiceField(
        choices=list(REASONS),
        allow_null=True,
        help_text="Why it was not sent (null when sent): the profile's global status, the "
        "control group, no deliverable subscription, the trigger disabled…",
    )
    message = serializers.CharField(help_text="The reason in words (empty when sent).")
    subscription_id = serializers.CharField(
        allow_null=True, help_text="The subscription it went to (its id in subscriptions/)."
    )
    event_id = serializers.IntegerField(help_text="The `send` event in the profile's history.")
    trigger = serializers.IntegerField()


class SendTriggerView(APIView):
    """Send a trigger to a profile now."""

    permission_classes = [MayAct]
    required_perms = ["profiles.view_profile", "interactions.send_trigger"]

    @extend_schema(
        summary="Send a trigger to the profile",
        description="Sends the trigger to the profile's subscription chosen by the delivery "
        "rules (global status, control group, a subscribed subscription of the trigger's "
        "resource and channel, its category and subscription filter, the suppression list). "
        "Answers `sent`, or `not_sent` with the reason; every attempt is a `send` event in "
        "the profile's history. A trigger of another database than the profile's is a 400 "
        "and records nothing. Needs `interactions.send_trigger`.",
        request=NoBodySerializer,
        responses={200: SendResultSerializer},
    )
    def post(self, request, profile_id, trigger_id):
        profile = visible_profile(request, profile_id)
        trigger = get_object_or_404(
            scoping.visible(
                Trigger.objects.select_related("database", "resource", "channel"), request.user
            ),
            pk=trigger_id,
        )
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        result = send_trigger(trigger, profile, source="api")
        subscription = result.subscription
        return Response(
            {
                "status": result.status,
                "reason": result.reason or None,
                "message": result.message,
                "subscription_id": subscription.public_id if subscription is not None else None,
                "event_id": result.event.pk,
                "trigger": trigger.pk,
            }
        )


# -- Scenarios ---------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "maxItems": step_types.MAX_STEPS,
        "items": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": list(step_types.TYPES)},
                "trigger": {"type": "integer", "description": "send_trigger: a trigger id."},
                "seconds": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": step_types.MAX_WAIT_SECONDS,
                    "description": "wait: how long before the next step.",
                },
                "segment": {
                    "type": "integer",
                    "description": "add_to_segment, remove_from_segment: a segment id.",
                },
                "field": {
                    "type": "string",
                    "description": "set_field: a standard field (not the email) or a custom "
                    "field name.",
                },
                "value": {"description": "set_field: the value, as in the profile's API."},
            },
        },
        "description": "The steps, in order: send_trigger {trigger}, wait {seconds}, "
        "add_to_segment {segment}, remove_from_segment {segment}, set_field {field, value}, "
        "exit. A bad step is a 400 naming it: `steps[2].trigger: …`.",
        "example": [{"type": "wait", "seconds": 3600}, {"type": "exit"}],
    }
)
class StepsField(serializers.Field):
    """The scenario's steps, checked against its database by ``Scenario.clean``."""

    def to_representation(self, value):
        return list(value or [])

    def to_internal_value(self, data):
        return data  # a value of any shape is named by Scenario.clean's check


class ScenarioSerializer(ModelCheckedMixin, StrictModelSerializer):
    """A scenario: steps a profile goes through once engaged. Changing the steps makes a new
    ``version``; profiles already in it keep the steps they began with."""

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    steps = StepsField(required=False)
    unique_name_message = "Database “{database}” already has a scenario named “{name}”."

    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "database",
            "status",
            "allow_reentry",
            "steps",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`


class ScenarioFilter(DatabaseFilterSet):
    status = django_filters.ChoiceFilter(choices=Scenario.Status.choices)

    class Meta:
        model = Scenario
        fields = ["database", "status"]


class ScenarioViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Scenarios of the visible databases; filter with ``?database=<id>`` and ``?status=``."""

    unique_field = "name"  # two creates of one name at once

    serializer_class = ScenarioSerializer
    queryset = Scenario.objects.order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = ScenarioFilter


class ParticipationSerializer(serializers.ModelSerializer):
    """A profile's way through a scenario: the steps it follows (the scenario's version when
    it entered), where it is, what each step did, how it ended."""

    scenario_name = serializers.CharField(source="scenario.name", read_only=True)
    steps = serializers.JSONField(read_only=True, help_text="The steps it follows.")
    results = serializers.JSONField(
        read_only=True, help_text="What each step did: {step, type, at, outcome, detail}."
    )

    class Meta:
        model = Participation
        fields = [
            "id",
            "scenario",
            "scenario_name",
            "status",
            "current_step",
            "entered_at",
            "finished_at",
            "results",
            "version",
            "steps",
            "failure",
            "next_run_at",
        ]
        read_only_fields = fields


class EngageView(APIView):
    """Put a profile in a scenario."""

    permission_classes = [MayAct]
    required_perms = ["profiles.view_profile", "interactions.engage_scenario"]

    @extend_schema(
        summary="Engage the profile in the scenario",
        description="Starts a participation with the scenario's current steps; its first "
        "steps run at once, on the worker. 409 when the scenario is paused, or when the "
        "profile is running it (or went through it) and the scenario allows no re-entry; "
        "400 for a scenario of another database than the profile's. Needs "
        "`interactions.engage_scenario`.",
        request=NoBodySerializer,
        responses={201: ParticipationSerializer},
    )
    def post(self, request, profile_id, scenario_id):
        profile = visible_profile(request, profile_id)
        scenario = get_object_or_404(
            scoping.visible(Scenario.objects.select_related("database"), request.user),
            pk=scenario_id,
        )
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        try:
            participation = engage(scenario, profile, source="api")
        except EngagementRefused as refusal:
            raise Conflict(str(refusal)) from None
        return Response(ParticipationSerializer(participation).data, status=status.HTTP_201_CREATED)


class ProfileParticipationsView(generics.ListAPIView):
    """A profile's participations in scenarios, newest first.

    Needs ``profiles.view_profile`` (the profile is personal data) and
    ``interactions.view_participation`` (what scenarios did to it); a profile of a database
    the user may not see answers 404.
    """

    serializer_class = ParticipationSerializer
    permission_classes = [MayAct]
    required_perms = ["profiles.view_profile", "interactions.view_participation"]
    pagination_class = ProfileCursorPagination  # newest first (-id), no count
    filter_backends = []
    queryset = Participation.objects.none()  # the model, for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Participation.objects.none()
        profile = visible_profile(self.request, self.kwargs["profile_id"])
        return profile.participations.select_related("scenario")


# -- The global control group ------------------------------------------------------------


class ControlGroupSerializer(StrictModelSerializer):
    """The global control group of a database: its settings and its last formation.

    ``share_percent`` (0.01 to 100) of the database's profiles are in it for ``period_days``
    (1 to 3650), chosen by a seeded hash of their profile ID; then others. ``job`` is the
    formation job (see jobs/{id}/) a change started, or the last one the user may follow.
    """

    share_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        coerce_to_string=False,
        required=False,
        help_text="The share of the database's profiles in the group, 0.01 to 100.",
    )
    period_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        help_text="The group stays the same for this many days (1 to 3650), then is formed anew.",
    )
    period_ends_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the current group's period ends."
    )
    job = serializers.SerializerMethodField(help_text="The id of the formation job (jobs/).")
    job_status = serializers.SerializerMethodField(
        help_text="The formation job's status: queued, running, succeeded or failed."
    )

    class Meta:
        model = ControlGroup
        fields = [
            "database",
            "enabled",
            "share_percent",
            "period_days",
            "formed_at",
            "size",
            "period_ends_at",
            "job",
            "job_status",
        ]
        read_only_fields = ["database", "formed_at", "size"]

    @extend_schema_field(OpenApiTypes.UUID)
    def get_job(self, group):
        job = self.context.get("job")
        return str(job.pk) if job is not None else None

    def get_job_status(self, group) -> str | None:
        job = self.context.get("job")
        return job.status if job is not None else None


class ControlGroupPermissions(ModelPermissions):
    """View the group to read it; change it to write it or to form it anew (POST)."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class ControlGroupMixin:
    permission_classes = [ControlGroupPermissions]
    queryset = ControlGroup.objects.all()  # the model, for the permissions
    serializer_class = ControlGroupSerializer

    def get_database(self):
        return get_object_or_404(
            ProfileDatabase.objects.visible_to(self.request.user), pk=self.kwargs["database_id"]
        )

    def get_object(self):
        """The database's group; never set, its defaults (disabled), stored on a change."""
        database = self.get_database()
        group = ControlGroup.objects.filter(database=database).first()
        group = group or ControlGroup(database=database)
        self.check_object_permissions(self.request, group)
        return group


@extend_schema_view(
    get=extend_schema(summary="The database's global control group"),
    put=extend_schema(
        summary="Change the control group's settings",
        description="A change of `enabled`, `share_percent` or `period_days` forms the group "
        "anew (`job`): at once for a small database, on the worker for a large one. Keys left "
        "out keep their values. Needs `interactions.change_controlgroup`.",
    ),
)
class ControlGroupView(ControlGroupMixin, generics.GenericAPIView):
    """The global control group of a database."""

    def get(self, request, database_id):
        group = self.get_object()
        job = (
            Job.objects.visible_to(request.user)
            .filter(kind=control_group.KIND, database_id=group.database_id)
            .order_by("-created_at")
            .first()
        )
        return Response(ControlGroupSerializer(group, context={"job": job}).data)

    def put(self, request, database_id):
        group = control_group.settings_of(self.get_database())
        serializer = ControlGroupSerializer(group, data=request.data)
        serializer.is_valid(raise_exception=True)
        job = control_group.change_settings(group, user=request.user, **serializer.validated_data)
        group.refresh_from_db()
        return Response(ControlGroupSerializer(group, context={"job": job}).data)


class ReformControlGroupView(ControlGroupMixin, generics.GenericAPIView):
    """Form a database's global control group anew now."""

    serializer_class = NoBodySerializer  # what it takes; it answers with the group

    @extend_schema(
        summary="Form the control group anew now",
        description="Starts the formation job: a small database is formed at once (200, the "
        "group with its new size), a large one on the worker (202; follow `jobs/{job}/`). "
        "Needs `interactions.change_controlgroup`.",
        request=NoBodySerializer,
        responses={
            200: OpenApiResponse(ControlGroupSerializer, "Formed."),
            202: OpenApiResponse(ControlGroupSerializer, "Queued: the job forms it."),
        },
    )
    def post(self, request, database_id):
        database = self.get_database()
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        job = control_group.reform(database, user=request.user)
        group = control_group.settings_of(database)
        code = status.HTTP_200_OK if job.finished else status.HTTP_202_ACCEPTED
        return Response(ControlGroupSerializer(group, context={"job": job}).data, status=code)
