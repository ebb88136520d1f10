"""Subscriptions over the REST API: resources, a profile's subscriptions, one subscription.

- ``resources/``: ``{id, name, increase_priority_for_new, categories: [{id, name}], channels,
  fields}``; writable (categories as ``[{name}]`` on create).
- ``profiles/{profile_id}/subscriptions/``: list, create.
- ``subscriptions/{id}/``: retrieve, partial update (status, priority, categories, fields,
  device fields), delete. ``id`` is the subscription's 24-hex public id.

Every write goes through ``operations.subscriptions`` (the rules and the history events of
the pages); a bad value is a 400 naming the field, and nothing is saved. Access: the model
permissions per method; a profile of a database the user may not see answers 404.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api.errors import JSONParser
from core.api.fields import CustomValuesField, OptionsField, StrictCharField
from core.api.permissions import ModelPermissions
from core.api.serializers import StrictModelSerializer
from core.api.views import UniqueRaceMixin
from core.fieldtypes import clean_options
from core.races import read_again
from core.status import Status
from operations.subscriptions import delete_subscription, subscribe, update_subscription
from profiles.models import Profile
from subscriptions.models import (
    DEVICE_FIELDS,
    REGISTRATION_FIELDS,
    Category,
    Channel,
    Resource,
    Subscription,
    SubscriptionField,
    clean_priority,
)

# -- Resources ---------------------------------------------------------------------------


class CategorySerializer(StrictModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to keep (rename) a category.")
    name = StrictCharField(max_length=200)

    class Meta:
        model = Category
        fields = ["id", "name"]


class SubscriptionFieldSerializer(StrictModelSerializer):
    """A custom subscription field of a resource, typed like a custom profile field."""

    options = OptionsField(help_text="Enum options: a list or one comma-separated line.")

    class Meta:
        model = SubscriptionField
        fields = ["name", "label", "type", "options", "required"]
        validators = []

    def validate(self, attrs):
        try:
            attrs["options"] = clean_options(attrs.get("type"), attrs.get("options"))
        except DjangoValidationError as error:
            raise serializers.ValidationError({"options": error.messages}) from None
        return attrs


class ResourceSerializer(StrictModelSerializer):
    """A source of subscriptions with its channels, categories and custom fields.

    ``categories`` and ``fields``, when given, are the complete lists: a category keeps its
    id when given with it (or with its current name), one not listed any more is removed
    (its subscriptions are unsubscribed from it). ``channels`` defaults to every channel.
    """

    categories = CategorySerializer(many=True, required=False)
    channels = serializers.SlugRelatedField(
        many=True,
        slug_field="slug",
        queryset=Channel.objects.all(),
        required=False,
        help_text="The enabled channels' slugs; on create every channel by default.",
    )
    fields = SubscriptionFieldSerializer(
        many=True, required=False, help_text="The custom subscription fields (full list)."
    )
    increase_priority_for_new = serializers.BooleanField(required=False)

    class Meta:
        model = Resource
        fields = ["id", "name", "increase_priority_for_new", "categories", "channels", "fields"]

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(
            data.get("increase_priority_for_new", False), bool
        ):
            raise serializers.ValidationError(
                {"increase_priority_for_new": ["Enter true or false."]}
            )
        return super().to_internal_value(data)

    def validate_categories(self, value):
        # On PATCH the items are partial too (DRF), so a category may come without its name.
        names = [item.get("name", "").strip() for item in value]
        if any(not name for name in names):
            raise serializers.ValidationError("A category needs a name.")
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Category names must be different.")
        known = (
            set(self.instance.categories.values_list("pk", flat=True)) if self.instance else set()
        )
        unknown = [str(item["id"]) for item in value if "id" in item and item["id"] not in known]
        if unknown:
            raise serializers.ValidationError(f"Unknown category id: {', '.join(unknown)}.")
        return value

    def validate_fields(self, value):
        if any("name" not in item or "type" not in item for item in value):
            raise serializers.ValidationError("A field needs a name and a type.")
        names = [item["name"] for item in value]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Field names must be different.")
        return value

    def validate(self, attrs):
        if self.instance is not None and "fields" in attrs:
            errors = self._changes_to_held_values(attrs["fields"])
            if errors:
                raise serializers.ValidationError({"fields": errors})
        return attrs

    def _changes_to_held_values(self, definitions):
        """Refuse removing a field, changing its type or removing enum options in use while
        subscriptions hold values for it (``TypedField.held_value_errors``)."""
        wanted = {item["name"]: item for item in definitions}
        errors = []
        for current in self.instance.fields.all():
            item = wanted.get(current.name)
            if item is None:
                if current.holders().exists():
                    errors.append(
                        f"Subscriptions hold values for “{current.name}”; it cannot be removed."
                    )
                continue
            held = current.held_value_errors(current.name, item["type"], item.get("options", []))
            errors.extend(f"{current.name}: {m}" for ms in held.values() for m in ms)
        return errors

    @transaction.atomic
    def create(self, validated_data):
        categories = validated_data.pop("categories", [])
        channels = validated_data.pop("channels", None)
        definitions = validated_data.pop("fields", [])
        resource = Resource.objects.create(**validated_data)
        resource.channels.set(Channel.objects.all() if channels is None else channels)
        Category.objects.bulk_create(
            Category(resource=resource, name=item["name"].strip()) for item in categories
        )
        self._save_fields(resource, definitions)
        return resource

    @transaction.atomic
    def update(self, instance, validated_data):
        categories = validated_data.pop("categories", None)
        channels = validated_data.pop("channels", None)
        definitions = validated_data.pop("fields", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if channels is not None:
            instance.channels.set(channels)
        if categories is not None:
            self._replace_categories(instance, categories)
        if definitions is not None:
            self._save_fields(instance, definitions)
        return instance

    @staticmethod
    def _replace_categories(resource, items):
        current = {category.pk: category for category in resource.categories.all()}
        by_name = {category.name: category for category in current.values()}
        keep = []
        for item in items:
            name = item["name"].strip()
            category = current.get(item.get("id")) or by_name.get(name)
            if category is None:
                category = Category(resource=resource, name=name)
            category.name = name
            keep.append(category)
        resource.categories.exclude(pk__in=[c.pk for c in keep if c.pk]).delete()
        for category in keep:
            category.save()

    @staticmethod
    def _save_fields(resource, items):
        wanted = {item["name"]: item for item in items}
        resource.fields.exclude(name__in=wanted).delete()
        for position, item in enumerate(items):
            SubscriptionField.objects.update_or_create(
                resource=resource,
                name=item["name"],
                defaults={
                    "label": item.get("label", ""),
                    "type": item["type"],
                    "options": item.get("options") or [],
                    "required": item.get("required", False),
                    "position": position,
                },
            )


class ResourceViewSet(UniqueRaceMixin, viewsets.ModelViewSet):
    """Resources (sources of subscriptions); writing needs the resource model permissions."""

    serializer_class = ResourceSerializer
    queryset = Resource.objects.prefetch_related("categories", "channels", "fields")
    permission_classes = [ModelPermissions]
    unique_field = "name"  # two creates (or renames) of one name at once
    # Two requests replacing one resource's categories or fields at once.
    lost_race_constraints = ("unique_category_name", "unique_field_per_resource")

    def unique_error(self, serializer):
        return "resource with this name already exists."  # as the check says it

    # JSON only: a form body cannot carry the nested categories and fields, and DRF would
    # drop them silently and create the resource without them.
    parser_classes = [JSONParser]


# -- Subscriptions -----------------------------------------------------------------------


@extend_schema_field({"type": "integer", "nullable": True, "example": 0})
class PriorityField(serializers.Field):
    """A whole number (a JSON integer); lower is higher priority. null or absent: the rule."""

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(
                f"Enter the priority as a whole number, e.g. 0 or 10 (got {data!r})."
            )
        try:
            return clean_priority(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class CategoryIdsField(serializers.Field):
    """The ids of the categories the subscription is subscribed to (of its resource)."""

    def to_representation(self, value):
        return sorted(category.pk for category in value.all())

    def to_internal_value(self, data):
        if not isinstance(data, list) or any(
            isinstance(item, bool) or not isinstance(item, int) for item in data
        ):
            raise serializers.ValidationError("Enter a list of category ids (integers).")
        return data


class SubscriptionSerializer(StrictModelSerializer):
    """A subscription; ``resource``, ``channel`` and ``contact`` are fixed once it exists."""

    id = serializers.CharField(source="public_id", read_only=True)
    profile_id = serializers.CharField(source="profile.profile_id", read_only=True)
    resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.all())
    channel = serializers.SlugRelatedField(slug_field="slug", queryset=Channel.objects.all())
    contact = StrictCharField(max_length=1024, help_text="Address, phone (E.164), token…")
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = PriorityField(required=False, allow_null=True)
    categories = CategoryIdsField(required=False)
    fields = CustomValuesField(source="custom_values")
    suspended_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When a suspended subscription resumes by itself (null: when it is resumed); "
        "only with status suspended, in the future, and only on an existing subscription.",
    )
    confirmation_url = serializers.SerializerMethodField(
        help_text="The double opt-in link of an unconfirmed subscription (valid 7 days)."
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "profile_id",
            "resource",
            "channel",
            "contact",
            "status",
            "suspended_until",
            "priority",
            "categories",
            "fields",
            *DEVICE_FIELDS,
            "reg_date",
            "reg_ip",
            "reg_source",
            "confirmation_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    FIXED = ("resource", "channel", "contact", "reg_date", "reg_ip", "reg_source")

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in self.FIXED:
                fields[name].read_only = True
        return fields

    def to_internal_value(self, data):
        if self.instance is None and isinstance(data, dict) and "suspended_until" in data:
            raise serializers.ValidationError(
                {"suspended_until": ["Set it once the subscription exists (PATCH it)."]}
            )
        if self.instance is not None and isinstance(data, dict):
            fixed = [name for name in self.FIXED if name in data]
            if fixed:
                # A body read from GET and sent back (PUT) holds them unchanged: no change.
                shown = self.to_representation(self.instance)
                fixed = [name for name in fixed if data[name] != shown[name]]
            if fixed:
                raise serializers.ValidationError(
                    {
                        name: ["It cannot change; delete the subscription and add a new one."]
                        for name in fixed
                    }
                )
        return super().to_internal_value(data)

    def get_confirmation_url(self, subscription) -> str | None:
        if subscription.status != Status.UNCONFIRMED:
            return None
        path = subscription.confirmation_path()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def create(self, validated_data):
        result = subscribe(
            self.context["profile"],
            resource=validated_data["resource"],
            channel=validated_data["channel"],
            contact=validated_data["contact"],
            status=validated_data.get("status"),
            priority=validated_data.get("priority"),
            categories=validated_data.get("categories", []),
            custom_values=validated_data.get("custom_values") or {},
            device={name: validated_data[name] for name in DEVICE_FIELDS if name in validated_data},
            registration={name: validated_data.get(name) for name in REGISTRATION_FIELDS},
        )
        self.replaced = result.replaced
        return result.subscription

    def update(self, instance, validated_data):
        if "priority" in validated_data and validated_data["priority"] is None:
            raise serializers.ValidationError({"priority": ["Enter a whole number."]})
        changes = {
            name: validated_data[name]
            for name in ("status", "suspended_until", "priority", "categories", "custom_values")
            if name in validated_data
        }
        device = {name: validated_data[name] for name in DEVICE_FIELDS if name in validated_data}
        if device:
            changes["device"] = device
        update_subscription(instance, **changes)
        return read_again(
            Subscription.objects.for_display().select_related("profile"), pk=instance.pk
        )


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    replaced = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The ids of the subscriptions this one replaced at a limit.",
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "replaced"]


def _subscriptions():
    return Subscription.objects.for_display().select_related("profile")


class ProfileSubscriptionViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """A profile's subscriptions: list (by resource, channel, priority) and create."""

    serializer_class = SubscriptionSerializer
    permission_classes = [ModelPermissions]
    queryset = Subscription.objects.none()  # for the permission class: the model

    def get_profile(self):
        if not hasattr(self, "_profile"):
            self._profile = get_object_or_404(
                Profile.objects.visible_to(self.request.user), profile_id=self.kwargs["profile_id"]
            )
        return self._profile

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return (
            _subscriptions()
            .filter(profile__profile_id=self.kwargs["profile_id"])
            .order_by("resource__name", "resource_id", "channel__position", "priority", "id")
        )

    def list(self, request, *args, **kwargs):
        self.get_profile()
        return super().list(request, *args, **kwargs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "create":
            context["profile"] = self.get_profile()
        return context

    @extend_schema(responses={201: CreatedSubscriptionSerializer})
    def create(self, request, *args, **kwargs):
        self.get_profile()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = serializer.save()
        data = SubscriptionSerializer(subscription, context=self.get_serializer_context()).data
        data["replaced"] = [s.public_id for s in serializer.replaced]
        return Response(data, status=status.HTTP_201_CREATED)


class SubscriptionViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One subscription: read, change (PATCH, or PUT taken as PATCH), delete (kept as
    deleted until replaced)."""

    serializer_class = SubscriptionSerializer
    permission_classes = [ModelPermissions]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"

    def update(self, request, *args, **kwargs):
        # PUT as PATCH: a key left out keeps its value (resource, channel and contact are
        # fixed, so no body could replace the whole subscription).
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return _subscriptions().visible_to(self.request.user)

    def perform_destroy(self, instance):
        delete_subscription(instance)
