"""Relations between profiles over the REST API.

- ``relation-types/``: list (``?database=``), create, read, change, delete ``{id, name,
  database}``; a type still used by relations answers 409 to a delete.
- ``profiles/{profile_id}/relations/``: GET the relations on either side of the profile
  (each row names the other profile and the direction); POST ``{type, profile_id,
  properties, direction}`` relates the profile to another of its database → 201; ``type``
  is the relation type's id or its name in the profile's database.
- ``profiles/{profile_id}/relations/{relation_id}/``: DELETE removes a relation of the
  profile, from either side.

Access: an authenticated user who may see profiles, with the model permission for the
method (``relations.view_relation`` to read, ``add_relation``, ``delete_relation`` to
write; the same for relation types); only the databases the user may see exist.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status, viewsets
from rest_framework.response import Response

from core.api.fields import StrictCharField, VisibleIdField
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import DatabaseObjectMixin, StrictModelSerializer, StrictSerializer
from core.api.views import Conflict, InVisibleDatabasesMixin, UniqueRaceMixin
from core.races import read_again
from operations.relations import DIRECTIONS, OUTGOING, RelationExists, add_relation
from operations.relations import remove_relation as remove
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from relations.models import (
    PROPERTIES_MAX_BYTES,
    PROPERTIES_MAX_DEPTH,
    Relation,
    RelationType,
)
from web.profiles.api.fields import VisibleDatabaseField

# The operation's name for the profile on the other side, as the API calls it.
API_NAMES = {"other": "profile_id"}


class RelationPermissions(ModelPermissions):
    """The model permission for the method, on top of seeing profiles (relations are
    links between people)."""

    def has_permission(self, request, view):
        user = request.user
        return super().has_permission(request, view) and user.has_perm("profiles.view_profile")

    def _queryset(self, view):
        # The model only: the view's rows are a profile's, found (or 404) after this check.
        return view.queryset


def visible_profile(request, profile_id):
    """The profile, if the user may see its database; 404 otherwise."""
    return get_object_or_404(
        Profile.objects.visible_to(request.user).select_related("database"),
        profile_id=profile_id,
    )


# -- Relation types -----------------------------------------------------------------------


class RelationTypeSerializer(DatabaseObjectMixin, StrictModelSerializer):
    """A kind of relation between two profiles of one database, e.g. "recommended"; its
    name is unique in its database. ``database`` cannot change after create."""

    move_message = "A relation type cannot move to another database."
    unique_name_message = "Database “{database}” already has a relation type named “{name}”."

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )

    class Meta:
        model = RelationType
        fields = ["id", "name", "database", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self.check_database_and_name(attrs)
        return attrs


class RelationTypeFilter(DatabaseFilterSet):
    class Meta:
        model = RelationType
        fields = ["database"]


class RelationTypeViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Relation types of the visible databases; filter with ``?database=<id>``. Deleting a
    type that relations still use answers 409."""

    unique_field = "name"  # two creates of one name at once

    serializer_class = RelationTypeSerializer
    queryset = RelationType.objects.select_related("database").order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = RelationTypeFilter


# -- A profile's relations ----------------------------------------------------------------


class RelationSerializer(serializers.ModelSerializer):
    """A relation as one of its profiles sees it: the other profile and the direction."""

    type_name = serializers.CharField(source="type.name", read_only=True)
    profile_id = serializers.SerializerMethodField(help_text="The profile on the other side.")
    direction = serializers.SerializerMethodField(
        help_text="`outgoing`: from this profile to the other; `incoming`: the other way."
    )
    from_profile_id = serializers.CharField(source="from_profile.profile_id", read_only=True)
    to_profile_id = serializers.CharField(source="to_profile.profile_id", read_only=True)
    properties = serializers.JSONField(read_only=True)

    class Meta:
        model = Relation
        fields = [
            "id",
            "type",
            "type_name",
            "profile_id",
            "direction",
            "from_profile_id",
            "to_profile_id",
            "properties",
            "created_at",
        ]
        read_only_fields = fields

    def get_profile_id(self, relation) -> str:
        return relation.other_than(self.context["profile"]).profile_id

    def get_direction(self, relation) -> str:
        return relation.direction_for(self.context["profile"])


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "nullable": True,
        "description": f"Optional: a JSON object describing the link (at most "
        f"{PROPERTIES_MAX_BYTES // 1024} KB, nesting at most {PROPERTIES_MAX_DEPTH} levels).",
        "example": {"source": "spring campaign"},
    }
)
class PropertiesField(serializers.Field):
    default_error_messages = {"invalid": "Enter the properties as a JSON object."}

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        return data


class NewRelationSerializer(StrictSerializer):
    """POST body of ``profiles/{profile_id}/relations/``."""

    type = VisibleIdField(
        RelationType,
        name_field="name",
        help_text="A relation type of the profile's database (see relation-types/): its id "
        "or its name, e.g. `liked`. The answer names it by id (`type`) and name (`type_name`).",
    )
    profile_id = StrictCharField(
        max_length=64, help_text="The other profile, of the same database; not this one."
    )
    properties = PropertiesField(required=False, allow_null=True)
    direction = serializers.ChoiceField(
        choices=list(DIRECTIONS.items()),
        default=OUTGOING,
        help_text="`outgoing` (default): from this profile to the other; `incoming`: from "
        "the other profile to this one.",
    )

    def validate(self, attrs):
        """Find the other profile in this profile's database (a clear 400 naming
        ``profile_id`` when it is not there) and check the type's database."""
        profile = self.context["profile"]
        database = profile.database
        if attrs["type"].database_id != profile.database_id:
            raise serializers.ValidationError(
                {"type": [f"Choose a relation type of database “{database}”."]}
            )
        wanted = attrs["profile_id"].strip().lower()
        other = Profile.objects.filter(database=database, profile_id=wanted).first()
        if other is None:
            elsewhere = (
                Profile.objects.visible_to(self.context["request"].user)
                .filter(profile_id=wanted)
                .select_related("database")
                .first()
            )
            message = (
                f"Profile {wanted} is in database “{elsewhere.database}”; relations link "
                f"profiles of one database (“{database}”)."
                if elsewhere is not None
                else f"No profile with this profile_id in database “{database}”."
            )
            raise serializers.ValidationError({"profile_id": [message]})
        attrs["other"] = other
        return attrs


class ProfileRelationsView(generics.ListCreateAPIView):
    """The relations of a profile, on either side of it, newest first."""

    permission_classes = [RelationPermissions]
    pagination_class = ProfileCursorPagination  # newest first (-id), no count
    filter_backends = []
    queryset = Relation.objects.none()  # the model, for the permissions and the schema

    def get_serializer_class(self):
        return NewRelationSerializer if self.request.method == "POST" else RelationSerializer

    def get_profile(self):
        if not hasattr(self, "_profile"):
            self._profile = visible_profile(self.request, self.kwargs["profile_id"])
        return self._profile

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["profile"] = self.get_profile()
            context["database"] = context["profile"].database  # where a type's name is looked up
        return context

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Relation.objects.none()
        return Relation.objects.of_profile(self.get_profile()).for_display()

    @extend_schema(
        summary="Relate the profile to another one",
        description="Adds a relation of `type` between this profile and `profile_id` (same "
        "database, not itself), from this profile to the other (`direction` `outgoing`, the "
        "default) or the other way (`incoming`). A type or a profile of another database, "
        "the profile itself or an unknown profile_id is a 400 naming the field; the same "
        "relation again is a 409. Needs `relations.add_relation`.",
        request=NewRelationSerializer,
        responses={201: RelationSerializer},
    )
    def post(self, request, *args, **kwargs):
        profile = self.get_profile()
        body = NewRelationSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = body.validated_data
        try:
            relation = add_relation(
                profile,
                values["other"],
                values["type"],
                properties=values.get("properties"),
                direction=values["direction"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {API_NAMES.get(key, key): messages for key, messages in error.message_dict.items()}
            ) from None
        except RelationExists as exists:
            raise Conflict({"detail": str(exists), "profile_id": [str(exists)]}) from None
        relation = read_again(Relation.objects.for_display(), pk=relation.pk)
        data = RelationSerializer(relation, context={"profile": profile}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ProfileRelationView(generics.DestroyAPIView):
    """One relation of a profile: DELETE removes it (from either side)."""

    permission_classes = [RelationPermissions]
    queryset = Relation.objects.none()  # the model, for the permissions
    serializer_class = RelationSerializer  # for the schema: DELETE takes and answers no body

    @extend_schema(
        summary="Remove a relation of the profile",
        description="Removes the relation, whichever side of it the profile is on; both "
        "profiles stop showing it. Needs `relations.delete_relation`.",
        request=None,
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        profile = visible_profile(request, self.kwargs["profile_id"])
        relation = get_object_or_404(
            Relation.objects.of_profile(profile), pk=self.kwargs["relation_id"]
        )
        remove(relation)
        return Response(status=status.HTTP_204_NO_CONTENT)
