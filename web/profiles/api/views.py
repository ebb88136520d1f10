"""Viewsets of the profiles API: databases, custom fields, profiles, import and export.

Access: every endpoint needs an authenticated user with the model permission for the
method (view to read; add, change, delete to write). Only databases the user may see exist
for them: anything of another database answers 404.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.errors import refused_items
from core.api.negotiation import AnyAcceptNegotiation
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.views import (
    Conflict,
    InVisibleDatabasesMixin,
    UniqueRaceMixin,
    hold_batch_slot,
    query_flag,
)
from core.fieldtypes import FieldType
from operations.exports import export_profile_data
from operations.imports import MATCH_HELP, MAX_IMPORT_ROWS, import_rows
from operations.profiles import delete_profile
from profiles.filters import DatabaseFilterSet, ProfileFilter
from profiles.models import CustomField, Profile, ProfileDatabase

from ..views.avatar import send_avatar
from .serializers import (
    CustomFieldSerializer,
    DatabaseSerializer,
    ImportRequestDocSerializer,
    ImportRequestSerializer,
    ImportResponseSerializer,
    ProfileSerializer,
)

DETECT_LOCATION = OpenApiParameter(
    "detect_location",
    OpenApiTypes.BOOL,
    description=(
        "Detect Reg Country from reg_ip, and Country and Time zone from ip as an event's IP "
        "sets them (offline), when an IP is given without its country. On by default; false "
        "turns it off."
    ),
)


class CanImportProfiles(permissions.BasePermission):
    """A batch import creates and updates profiles, so it needs both permissions."""

    message = "Importing profiles needs the permissions to add and to change profiles."

    def has_permission(self, request, view):
        return request.user.has_perms(["profiles.add_profile", "profiles.change_profile"])


class CanExportProfile(permissions.BasePermission):
    """The personal-data export needs its dedicated permission.

    Checked on the object, after the look-up, so a profile of a database the user may not
    see still answers 404.
    """

    message = "Exporting a profile's personal data needs the export permission."

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm("profiles.export_profile")


# -- Profile databases -------------------------------------------------------------------


class DatabaseViewSet(UniqueRaceMixin, viewsets.ModelViewSet):
    """Profile databases the user may see; writing needs the database model permissions."""

    serializer_class = DatabaseSerializer
    queryset = ProfileDatabase.objects.all()
    permission_classes = [ModelPermissions]
    unique_field = "name"  # two creates (or renames) of one name at once

    def unique_error(self, serializer):
        return "profile database with this name already exists."  # as the check says it

    def get_queryset(self):
        return ProfileDatabase.objects.visible_to(self.request.user)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        if not self.request.user.is_superuser:
            serializer.instance.members.add(self.request.user)

    def perform_destroy(self, instance):
        if instance.profiles.exists():
            raise Conflict("The database still holds profiles; delete or move them first.")
        instance.delete()


# -- Custom fields -----------------------------------------------------------------------


class CustomFieldFilter(DatabaseFilterSet):
    type = django_filters.ChoiceFilter(choices=FieldType.choices)

    class Meta:
        model = CustomField
        fields = ["database", "type"]


class CustomFieldViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Custom fields of the visible databases; filter with ``?database=<id>``."""

    serializer_class = CustomFieldSerializer
    queryset = CustomField.objects.all()
    permission_classes = [ModelPermissions]
    filterset_class = CustomFieldFilter
    unique_field = "name"  # two creates (or renames) of one name at once

    def unique_error(self, serializer):
        database = serializer.validated_data.get("database") or serializer.instance.database
        name = serializer.validated_data.get("name") or serializer.instance.name
        return f"Database “{database}” already has a field named “{name}”."  # as the check


# -- Profiles ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        description=(
            "Profiles of the visible databases, newest first, paged by cursor (follow `next`). "
            "`?md5=` and `?xxh=` look a profile up by those identifiers."
        )
    ),
    create=extend_schema(parameters=[DETECT_LOCATION]),
    update=extend_schema(parameters=[DETECT_LOCATION]),
    partial_update=extend_schema(parameters=[DETECT_LOCATION]),
    destroy=extend_schema(
        description="Delete the profile with its history and relations "
        "(needs the delete permission)."
    ),
)
class ProfileViewSet(viewsets.ModelViewSet):
    """Profiles: custom values under ``fields``; looked up by ``profile_id``."""

    serializer_class = ProfileSerializer
    queryset = Profile.objects.all()
    permission_classes = [ModelPermissions]
    filterset_class = ProfileFilter
    pagination_class = ProfileCursorPagination
    lookup_field = "profile_id"
    batch_items = None  # the import's rows: core.api.errors.refuse_unstorable

    def get_queryset(self):
        return Profile.objects.visible_to(self.request.user)

    def filter_queryset(self, queryset):
        """Filter by the parameters given; with none, build no filter set (its form and
        fields cost a millisecond, a fifth of a page of 50 profiles): it would filter nothing."""
        if self.request.query_params.keys().isdisjoint(ProfileFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["source"] = "api"
        if self.request is not None and self.request.method not in permissions.SAFE_METHODS:
            context["detect_location"] = query_flag(self.request, "detect_location", True)
        return context

    def perform_destroy(self, instance):
        delete_profile(instance)

    @extend_schema(
        request=ImportRequestDocSerializer,
        responses=ImportResponseSerializer,
        parameters=[DETECT_LOCATION],
        description=(
            "Create or update up to "
            f"{MAX_IMPORT_ROWS} profiles of one database. Each row is matched by `match` "
            f"({MATCH_HELP}). With `mode` upsert (default) a match is updated "
            "(values merged, as PATCH) and a row without the key or without a match is "
            "created (as POST); insert skips a match; update skips a row without one. "
            "A profile_id that matches nothing is an error (skipped in update mode). "
            "Rows sharing a key run in order (`duplicate_of` names the earlier row). One "
            "result per row, in order; a bad row is reported and the good ones are saved. "
            "Needs the add and change permissions."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        serializer_class=ImportRequestSerializer,
        permission_classes=[ModelPermissions, CanImportProfiles],
        filter_backends=[],
        pagination_class=None,
        batch_items=("profiles",),
    )
    def import_profiles(self, request):
        hold_batch_slot(request.data.get("profiles") if isinstance(request.data, dict) else None)
        context = self.get_serializer_context()
        envelope = ImportRequestSerializer(data=request.data, context=context)
        envelope.is_valid(raise_exception=True)
        data = envelope.validated_data
        results = import_rows(
            data["database"],
            data["profiles"],
            matcher=data["match"],
            mode=data["mode"],
            source="api",
            detect_location=data.get("detect_location", context["detect_location"]),
            refused=refused_items(request),
        )
        return Response({"results": [result.as_dict() for result in results]})

    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT},
        description="All personal data held on the profile, machine-readable (needs the "
        "export permission). `related` holds the rows of other models only for the models "
        "you may view (their view permission, as their own endpoints ask); `withheld` lists "
        "each model left out, `{section, key, permission}`, so an export missing them is "
        "not taken for complete.",
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[ModelPermissions, CanExportProfile],
        filter_backends=[],
    )
    def export(self, request, profile_id=None):
        profile = self.get_object()
        response = Response(export_profile_data(profile, request.user))
        response["Content-Disposition"] = f'attachment; filename="profile-{profile_id}.json"'
        return response

    @extend_schema(
        request=None,
        responses={(200, "image/*"): OpenApiTypes.BINARY},
        description="The profile's avatar image (PNG, JPEG, GIF or WebP): the URL the "
        "profile's `avatar` gives. 404 when the profile has no avatar.",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        content_negotiation_class=AnyAcceptNegotiation,
    )
    def avatar(self, request, profile_id=None):
        return send_avatar(self.get_object())
