"""History over the REST API: the event types, ingestion of events, a profile's history."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import refused_items
from core.api.views import hold_batch_slot
from core.jsonvalues import encodable
from core.races import read_again
from history import paging
from history.filters import EventFilter
from history.models import Event
from history.reports import FUTURE_TOLERANCE, MAX_BATCH
from history.types import EVENT_TYPES
from operations.events import ingest_events
from web.profiles.access import get_profile_for_user


class EventSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    group = serializers.CharField(read_only=True)

    class Meta:
        model = Event
        fields = ["id", "type", "label", "group", "occurred_at", "data"]

    def to_representation(self, event):
        # Written out: DRF's generic path inspects each callable per row (a page is hot).
        return {
            "id": event.pk,
            "type": event.type,
            "label": event.label(),
            "group": event.group(),
            "occurred_at": OCCURRED_AT.to_representation(event.occurred_at),
            "data": encodable(event.data),
        }


OCCURRED_AT = serializers.DateTimeField()


# The request body, as raw OpenAPI: one event (checked strictly, 400 when bad), or a list
# whose items are each checked on their own and answered by index (so any item is allowed).
REPORTED_EVENT = {
    "type": "object",
    "required": ["profile_id", "type"],
    "additionalProperties": False,
    "properties": {
        "profile_id": {
            "type": "string",
            "minLength": 1,
            "description": "The profile the action belongs to.",
        },
        "type": {
            "type": "string",
            "enum": [event_type.slug for event_type in EVENT_TYPES if event_type.accepted],
            "description": "An event type that integrations may report (see events/types/).",
        },
        "occurred_at": {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339; at most 5 minutes in the future; default: now.",
        },
        "data": {"type": "object", "description": "The data of the type's shape."},
    },
}
REPORTED_EVENTS = {
    "oneOf": [
        REPORTED_EVENT,
        {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH,
            "items": {"description": "An event as above, checked and answered on its own."},
        },
    ]
}


class CreatedEventSerializer(EventSerializer):
    profile_id = serializers.CharField(source="profile.profile_id", read_only=True)

    class Meta(EventSerializer.Meta):
        fields = ["id", "profile_id", *EventSerializer.Meta.fields[1:]]

    def to_representation(self, event):
        return {"profile_id": event.profile.profile_id, **super().to_representation(event)}


class CanReportEvents(permissions.BasePermission):
    """Reported events change profiles: need the permission to change profiles (or add events)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_perm("profiles.change_profile") or user.has_perm("history.add_event"))
        )


BATCH_RESULT = inline_serializer(
    "EventBatchResult",
    {
        "results": serializers.ListField(
            child=inline_serializer(
                "EventResult",
                {
                    "index": serializers.IntegerField(),
                    "status": serializers.ChoiceField(["created", "error"]),
                    "id": serializers.IntegerField(allow_null=True),
                    "errors": serializers.DictField(),
                },
            )
        )
    },
)


class EventViewSet(viewsets.ViewSet):
    """Report events (``POST events/``) and list the event types (``GET events/types/``)."""

    permission_classes = [CanReportEvents]
    batch_items = ()  # a list of events: core.api.errors.refuse_unstorable

    def get_permissions(self):
        if self.action == "types":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        summary="Report one event or a batch",
        description=(
            f"One event object, or a list of at most {MAX_BATCH}. `occurred_at` is RFC 3339, "
            f"at most {int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes in the future "
            "(default: now). `data` must fit the type's shape listed at `events/types/`. "
            "One event answers 201 with the event, or 400 with the errors by field. "
            "A list answers 200 with `{results: [{index, status, id, errors}]}` in input "
            "order: the good events are kept whatever the bad ones say. Side effects: "
            "hard_bounce sets the status hard_bounced and suppresses the address, complaint "
            "sets complainer, unsubscribe_click unsubscribes the subscription it names, a "
            "click with UTM tags updates the profile's UTM."
        ),
        request={"application/json": REPORTED_EVENTS},
        responses={201: CreatedEventSerializer, 200: BATCH_RESULT},
    )
    def create(self, request):
        payload = request.data
        if isinstance(payload, list):
            hold_batch_slot(payload)
            if not payload:
                raise ValidationError({"non_field_errors": ["Send at least one event."]})
            if len(payload) > MAX_BATCH:
                raise ValidationError(
                    {
                        "non_field_errors": [
                            f"Send at most {MAX_BATCH} events per request (got {len(payload)})."
                        ]
                    }
                )
            outcomes = ingest_events(request.user, payload, refused_items(request))
            results = [
                {
                    "index": outcome.index,
                    "status": outcome.status,
                    "id": outcome.id,
                    "errors": outcome.errors,
                }
                for outcome in outcomes
            ]
            return Response({"results": results})
        [outcome] = ingest_events(request.user, [payload])
        if outcome.errors:
            return Response(outcome.errors, status=status.HTTP_400_BAD_REQUEST)
        event = read_again(Event.objects.select_related("profile"), pk=outcome.id)
        return Response(CreatedEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The event types",
        description=(
            "Every event type: slug, label, group, whether integrations may report it "
            "(`accepted`), its side effect, and the keys of its `data` (type, required, "
            "description). Keys not listed are kept as sent."
        ),
        responses={
            200: inline_serializer(
                "EventType",
                {
                    "slug": serializers.CharField(),
                    "label": serializers.CharField(),
                    "group": serializers.CharField(),
                    "group_label": serializers.CharField(),
                    "accepted": serializers.BooleanField(),
                    "effect": serializers.CharField(),
                    "data": serializers.DictField(
                        child=inline_serializer(
                            "EventDataKey",
                            {
                                "type": serializers.CharField(),
                                "required": serializers.BooleanField(),
                                "description": serializers.CharField(),
                            },
                        ),
                        help_text="The keys of the type's data.",
                    ),
                },
                many=True,
            )
        },
    )
    @action(detail=False, methods=["get"])
    def types(self, request):
        return Response([event_type.describe() for event_type in EVENT_TYPES])


HISTORY_PARAMETERS = [
    OpenApiParameter(
        "type",
        str,
        many=True,
        description="Event type slugs; repeat the parameter or separate them with commas.",
    ),
    OpenApiParameter(
        "since",
        str,
        description="Start (inclusive): RFC 3339 date-time or date. Default: 7 days before "
        "`until` or now.",
    ),
    OpenApiParameter("until", str, description="End (inclusive): RFC 3339 date-time or date."),
    OpenApiParameter(
        "period", str, enum=["7", "30", "90", "custom"], description="The last N days."
    ),
    OpenApiParameter("cursor", str, description="The position given in the `next` link."),
    OpenApiParameter("page_size", int, description=f"1 to {paging.MAX_PAGE_SIZE}; default 50."),
]


class ProfileHistoryView(APIView):
    """A profile's history, newest first, filtered, one keyset page at a time."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="A profile's history",
        description="Newest first; the last 7 days unless `since`/`until`/`period` say "
        "otherwise. Follow `next` for the following page (keyset paging, no totals).",
        parameters=HISTORY_PARAMETERS,
        responses=inline_serializer(
            "HistoryPage",
            {
                "results": EventSerializer(many=True),
                "next": serializers.URLField(allow_null=True),
            },
        ),
    )
    def get(self, request, profile_id):
        profile = get_profile_for_user(request, profile_id)
        filterset = EventFilter(
            request.query_params, queryset=Event.objects.filter(profile=profile)
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        cursor = request.query_params.get("cursor")
        try:
            size = paging.page_size(request.query_params.get("page_size"))
            events, next_cursor = paging.page(filterset.qs, cursor, size)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        next_url = None
        if next_cursor:
            next_url = request.build_absolute_uri(
                f"{request.path}?{filterset.next_query(next_cursor)}"
            )
        events = map(Event.withholding(request.user), events)
        return Response({"results": EventSerializer(events, many=True).data, "next": next_url})
