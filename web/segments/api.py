"""Static segments over the API: ``segments/`` and their members.

A segment belongs to one profile database; only the databases a user may see are visible.
Putting a profile in a segment or taking it out is a change of the profile, as on the
profile page: it needs the permission to change profiles and records the history event.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core.api.fields import StrictCharField
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import StrictModelSerializer, StrictSerializer
from core.api.views import InVisibleDatabasesMixin
from core.races import read_again
from operations.segments import add_to_segment, remove_from_segment
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from segments.models import Segment, SegmentMembership
from web.profiles.api.fields import VisibleDatabaseField


class SegmentSerializer(StrictModelSerializer):
    """A static segment: a named, fixed group of profiles of one database."""

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    members = serializers.IntegerField(
        source="member_count", read_only=True, help_text="How many profiles are in it."
    )

    class Meta:
        model = Segment
        fields = ["id", "name", "database", "members", "created_at"]
        read_only_fields = ["created_at"]

    def validate_database(self, value):
        if self.instance is not None and value != self.instance.database:
            raise serializers.ValidationError("A segment cannot move to another database.")
        return value


class MemberSerializer(serializers.ModelSerializer):
    """A profile in a segment (read)."""

    profile_id = serializers.CharField(source="profile.profile_id", read_only=True)

    class Meta:
        model = SegmentMembership
        fields = ["profile_id", "added_at"]
        read_only_fields = fields


class NewMemberSerializer(StrictSerializer):
    """POST body of ``segments/{id}/members/``."""

    profile_id = StrictCharField(max_length=64, help_text="The profile to put in.")


class MemberPagination(ProfileCursorPagination):
    """Members, newest first, paged by cursor (a segment may hold millions)."""

    page_size = 100
    max_page_size = 1000


class MemberPermissions(permissions.BasePermission):
    """Reading members needs to see profiles; adding and removing needs to change them."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = "view" if request.method in permissions.SAFE_METHODS else "change"
        return user.has_perm(f"profiles.{needed}_profile")


class SegmentFilter(DatabaseFilterSet):
    class Meta:
        model = Segment
        fields = ["database"]


class SegmentViewSet(InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Static segments of the visible databases; filter with ``?database=<id>``."""

    serializer_class = SegmentSerializer
    queryset = Segment.objects.annotate(member_count=Count("memberships")).order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = SegmentFilter

    def perform_create(self, serializer):
        serializer.save().member_count = 0

    @extend_schema(
        methods=["GET"],
        summary="The segment's members",
        responses=MemberSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Put a profile in the segment",
        request=NewMemberSerializer,
        responses={
            201: OpenApiResponse(MemberSerializer, "Added."),
            200: OpenApiResponse(MemberSerializer, "Already a member; nothing changed."),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=NewMemberSerializer,
        permission_classes=[MemberPermissions],
        pagination_class=MemberPagination,
        filter_backends=[],
    )
    def members(self, request, pk=None):
        segment = self.get_object()
        if request.method == "GET":
            memberships = segment.memberships.select_related("profile").order_by("-id")
            page = self.paginate_queryset(memberships)
            return self.get_paginated_response(MemberSerializer(page, many=True).data)
        body = NewMemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile_id = body.validated_data["profile_id"]
        profile = Profile.objects.visible_to(request.user).filter(profile_id=profile_id).first()
        if profile is None:
            raise serializers.ValidationError({"profile_id": [f"Unknown profile “{profile_id}”."]})
        try:
            added = add_to_segment(segment, profile)
        except DjangoValidationError:
            raise serializers.ValidationError(
                {"profile_id": ["The profile belongs to another database than the segment."]}
            ) from None
        # Taken out by another request since: sent again, the profile is added anew.
        membership = read_again(segment.memberships.select_related("profile"), profile=profile)
        return Response(
            MemberSerializer(membership).data,
            status=status.HTTP_201_CREATED if added else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Take a profile out of the segment",
        request=None,
        responses={204: None},
        parameters=[
            OpenApiParameter(
                "profile_id", str, OpenApiParameter.PATH, description="The profile to take out."
            )
        ],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"members/(?P<profile_id>[^/.]+)",
        url_name="member",
        permission_classes=[MemberPermissions],
        filter_backends=[],
    )
    def member(self, request, pk=None, profile_id=None):
        segment = self.get_object()
        profile = get_object_or_404(
            Profile.objects.visible_to(request.user),
            profile_id=profile_id,
            database_id=segment.database_id,
        )
        if not remove_from_segment(segment, profile):
            return Response(
                {"detail": "The profile is not in this segment."}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
