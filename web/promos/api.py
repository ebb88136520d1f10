"""Promo code pools and a profile's promo codes over the REST API.

- ``promo-pools/``: list (``?database=``), create, read, change, delete ``{id, name,
  database, valid_until}`` with the pool's ``free``, ``attached`` and ``activated`` counts.
  A pool with codes handed out (attached or activated) cannot be deleted (409): the
  profiles' history names them.
- ``promo-pools/{id}/codes/``: POST ``{codes: [...]}`` loads codes → ``{added,
  duplicates}`` (a code already in the pool or given twice is a duplicate); GET lists the
  pool's codes (``?status=free|attached|activated|expired``).
- ``profiles/{profile_id}/promo-codes/``: GET the profile's codes ``{id, code, pool, status,
  attached_at, activated_at}`` (``status`` attached, activated or expired); POST ``{pool}``
  attaches a free code of the pool (201; 409 when none is free; 400 naming ``pool`` for a
  pool of another database or an expired one).
- ``profiles/{profile_id}/promo-codes/{id}/``: GET one; DELETE detaches it (204; the code is
  free again; 409 for an activated code, which stays with the profile).
- ``profiles/{profile_id}/promo-codes/{id}/activate/``: POST → 200 the code, activated
  (409 when it is expired or activated already).

Access: the model permissions (view to read, add/change/delete to write pools, add a
promo code to load codes); attaching, detaching and activating by hand need
``promos.attach_promocode``; reading a profile's codes ``promos.view_promocode``; all of
them on top of seeing profiles. Anything of a database the user may not see answers 404.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import api_detail
from core.api.fields import StrictCharField, VisibleIdField
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import StrictModelSerializer, StrictSerializer
from core.api.views import Conflict, InVisibleDatabasesMixin, UniqueRaceMixin
from operations import promos as operations
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from promos.models import MAX_CODES_PER_LOAD, PromoCode, PromoPool
from web.profiles.api.fields import VisibleDatabaseField

VIEW_PROFILE = "profiles.view_profile"
VIEW_CODE = "promos.view_promocode"
ADD_CODE = "promos.add_promocode"
ATTACH = "promos.attach_promocode"


# -- Pools -------------------------------------------------------------------------------


class PromoPoolSerializer(StrictModelSerializer):
    """A pool of promo codes of one profile database. ``valid_until``: after it, the codes
    not activated are expired (null: never). ``database`` cannot change after create."""

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    free = serializers.SerializerMethodField(help_text="Codes free to attach.")
    attached = serializers.SerializerMethodField(help_text="Codes attached to a profile.")
    activated = serializers.SerializerMethodField(help_text="Codes activated (used).")
    expired = serializers.SerializerMethodField(
        help_text="Whether valid_until has passed: its codes not activated are expired."
    )

    class Meta:
        model = PromoPool
        fields = [
            "id",
            "name",
            "database",
            "valid_until",
            "expired",
            "free",
            "attached",
            "activated",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`

    def _count(self, pool, status_value):
        annotated = getattr(pool, f"{status_value}_total", None)
        if annotated is not None:
            return annotated
        return pool.codes.filter(status=status_value).count() if pool.pk else 0

    def get_free(self, pool) -> int:
        return self._count(pool, PromoCode.Status.FREE)

    def get_attached(self, pool) -> int:
        return self._count(pool, PromoCode.Status.ATTACHED)

    def get_activated(self, pool) -> int:
        return self._count(pool, PromoCode.Status.ACTIVATED)

    def get_expired(self, pool) -> bool:
        return pool.is_expired()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance
        database = attrs.get("database", instance.database if instance else None)
        if instance is not None and database != instance.database:
            raise serializers.ValidationError(
                {"database": ["A pool cannot move to another database; create one there."]}
            )
        candidate = PromoPool(
            pk=instance.pk if instance else None,
            name=attrs.get("name", instance.name if instance else ""),
            database=database,
            valid_until=attrs.get("valid_until", instance.valid_until if instance else None),
        )
        same_name = PromoPool.objects.filter(database=database, name=candidate.name)
        if instance is not None:
            same_name = same_name.exclude(pk=instance.pk)
        if same_name.exists():
            raise serializers.ValidationError(
                {"name": [f"Database “{database}” already has a pool named “{candidate.name}”."]}
            )
        try:
            candidate.full_clean(
                exclude=["database"], validate_unique=False, validate_constraints=False
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_detail(error)) from None
        return attrs


class PromoPoolFilter(DatabaseFilterSet):
    class Meta:
        model = PromoPool
        fields = ["database"]


class PoolPermissions(ModelPermissions):
    """The model permissions for the pool; loading codes (POST codes/) adds promo codes,
    listing them reads promo codes."""

    def has_permission(self, request, view):
        if getattr(view, "action", None) == "codes":
            user = request.user
            if not (user and user.is_authenticated):
                return False
            needed = [VIEW_CODE] if request.method in permissions.SAFE_METHODS else [ADD_CODE]
            return user.has_perms(needed)
        return super().has_permission(request, view)


class CodesLoadSerializer(StrictSerializer):
    codes = serializers.ListField(
        child=StrictCharField(trim_whitespace=False, allow_blank=True),
        allow_empty=False,
        max_length=MAX_CODES_PER_LOAD,
        help_text=f"The codes to add: 1 to {MAX_CODES_PER_LOAD:,} texts of 1 to 100 "
        "characters without whitespace, compared exactly (case included).",
    )


class LoadResultSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="Codes added to the pool.")
    duplicates = serializers.IntegerField(
        help_text="Codes not added: already in the pool, or repeated in the list."
    )


class PoolCodeSerializer(serializers.ModelSerializer):
    """A code of a pool, with the profile it is attached to (if any)."""

    status = serializers.SerializerMethodField(
        help_text="free, attached, activated or expired (computed from the pool's valid_until)."
    )
    profile_id = serializers.CharField(
        source="profile.profile_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PromoCode
        fields = ["id", "code", "status", "profile_id", "attached_at", "activated_at"]
        read_only_fields = fields

    def get_status(self, code) -> str:
        return code.state.value


class PoolCodeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=PromoCode.Status.choices, method="filter_status", label="Status"
    )

    class Meta:
        model = PromoCode
        fields = ["status"]

    def filter_status(self, queryset, name, value):
        return queryset.in_state(value)


@extend_schema_view(
    destroy=extend_schema(
        description="Deletes the pool and its free codes; 409 while codes are attached or "
        "activated (the profiles' history names them)."
    )
)
class PromoPoolViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Promo code pools of the visible databases; filter with ``?database=<id>``."""

    unique_field = "name"  # two creates of one name at once

    serializer_class = PromoPoolSerializer
    queryset = PromoPool.objects.order_by("name", "id")
    permission_classes = [PoolPermissions]
    filterset_class = PromoPoolFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("list", "retrieve"):
            queryset = queryset.with_counts()
        return queryset

    def perform_destroy(self, instance):
        handed_out = instance.handed_out().count()
        if handed_out:
            raise Conflict(
                f"Pool “{instance.name}” has {handed_out} code{'s' if handed_out != 1 else ''} "
                "attached or activated: the profiles' history names them. Let it expire "
                "(valid_until) instead."
            )
        instance.delete()

    @extend_schema(
        methods=["POST"],
        summary="Load codes into the pool",
        description="Adds the codes; a code already in the pool, or given twice, is counted "
        "in `duplicates` and not added again. One bad code (empty, with whitespace, longer "
        "than 100 characters) is a 400 naming its index, and nothing is added. Needs "
        "`promos.add_promocode`.",
        request=CodesLoadSerializer,
        responses={200: LoadResultSerializer},
    )
    @extend_schema(
        methods=["GET"],
        summary="The pool's codes",
        parameters=[
            OpenApiParameter(
                "status", str, enum=[c.value for c in PromoCode.Status], required=False
            )
        ],
        responses={200: PoolCodeSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="codes",
        filterset_class=None,
        pagination_class=ProfileCursorPagination,  # newest first (-id), no count
        serializer_class=CodesLoadSerializer,  # what it takes (it answers with its own)
    )
    def codes(self, request, pk=None):
        pool = self.get_object()
        if request.method == "GET":
            filters = PoolCodeFilter(
                request.query_params, queryset=pool.codes.select_related("pool", "profile")
            )
            if not filters.is_valid():
                raise serializers.ValidationError(filters.errors)
            page = self.paginate_queryset(filters.qs)
            return self.get_paginated_response(PoolCodeSerializer(page, many=True).data)
        body = CodesLoadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        added, duplicates = pool.load_codes(body.validated_data["codes"])
        return Response({"added": added, "duplicates": duplicates})

    def filter_queryset(self, queryset):
        if self.action == "codes":
            return queryset  # the codes' own filter reads ?status=
        return super().filter_queryset(queryset)


# -- A profile's codes -------------------------------------------------------------------


class MayAct(permissions.BasePermission):
    """Authenticated, with the permissions ``view.required_perms`` maps the method to; a
    method the view does not take needs its first method's (then answers 405)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        perms = view.required_perms
        return user.has_perms(perms.get(request.method) or next(iter(perms.values())))


def visible_profile(request, profile_id):
    """The profile, if the user may see its database; 404 otherwise."""
    return get_object_or_404(
        Profile.objects.visible_to(request.user).select_related("database"),
        profile_id=profile_id,
    )


class ProfileCodeSerializer(serializers.ModelSerializer):
    """A promo code of the profile. ``status``: attached, activated, or expired (a code not
    activated of a pool whose valid_until has passed)."""

    status = serializers.SerializerMethodField(help_text="attached, activated or expired.")
    program = serializers.CharField(source="pool.name", read_only=True, help_text="Pool name.")
    valid_until = serializers.DateTimeField(source="pool.valid_until", read_only=True)

    class Meta:
        model = PromoCode
        fields = [
            "id",
            "code",
            "pool",
            "program",
            "status",
            "attached_at",
            "activated_at",
            "valid_until",
        ]
        read_only_fields = fields

    def get_status(self, code) -> str:
        return code.state.value


class AttachSerializer(StrictSerializer):
    pool = VisibleIdField(
        PromoPool,
        help_text="The pool (promo-pools/) of the profile's database to take a code from.",
    )


class NoBodySerializer(StrictSerializer):
    """No body: a key sent is refused (400 naming it), never ignored."""


class ProfileCodesView(generics.ListAPIView):
    """A profile's promo codes (newest first); POST ``{pool}`` attaches a free one."""

    serializer_class = ProfileCodeSerializer
    permission_classes = [MayAct]
    required_perms = {"GET": [VIEW_PROFILE, VIEW_CODE], "POST": [VIEW_PROFILE, ATTACH]}
    required_perms |= {"HEAD": required_perms["GET"], "OPTIONS": required_perms["GET"]}
    pagination_class = ProfileCursorPagination  # newest first (-id), no count
    filter_backends = []
    queryset = PromoCode.objects.none()  # the model, for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromoCode.objects.none()
        profile = visible_profile(self.request, self.kwargs["profile_id"])
        return profile.promo_codes.select_related("pool")

    def get_serializer_class(self):
        """Codes are read with ``ProfileCodeSerializer``; a write takes ``AttachSerializer``."""
        request = getattr(self, "request", None)
        if request is not None and request.method in permissions.SAFE_METHODS:
            return ProfileCodeSerializer
        return AttachSerializer

    @extend_schema(
        summary="Attach a free code of a pool to the profile",
        description="Takes a free code of the pool (never one another profile has, also "
        "under concurrent requests) and records a `promo_attached` event. 409 when the pool "
        "has no free code; 400 naming `pool` for a pool of another database than the "
        "profile's, or an expired one. Needs `promos.attach_promocode`.",
        request=AttachSerializer,
        responses={201: ProfileCodeSerializer},
    )
    def post(self, request, profile_id):
        profile = visible_profile(request, profile_id)
        body = AttachSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            code = operations.attach(body.validated_data["pool"], profile, source="api")
        except operations.NoFreeCode as refusal:
            raise Conflict(str(refusal)) from None
        return Response(ProfileCodeSerializer(code).data, status=status.HTTP_201_CREATED)


class ProfileCodeMixin:
    permission_classes = [MayAct]
    queryset = PromoCode.objects.all()  # the model, for the schema and the gates

    def get_code(self, request, profile_id, code_id):
        profile = visible_profile(request, profile_id)
        return get_object_or_404(profile.promo_codes.select_related("pool"), pk=code_id)


class ProfileCodeView(ProfileCodeMixin, APIView):
    """One of the profile's promo codes; DELETE detaches it."""

    required_perms = {"GET": [VIEW_PROFILE, VIEW_CODE], "DELETE": [VIEW_PROFILE, ATTACH]}
    required_perms |= {"HEAD": required_perms["GET"], "OPTIONS": required_perms["GET"]}

    @extend_schema(summary="One of the profile's promo codes", responses=ProfileCodeSerializer)
    def get(self, request, profile_id, code_id):
        return Response(ProfileCodeSerializer(self.get_code(request, profile_id, code_id)).data)

    @extend_schema(
        summary="Detach the code from the profile",
        description="The code is free again in its pool (a `promo_detached` event is "
        "recorded). 409 for an activated code: it has been used and stays with the profile. "
        "Needs `promos.attach_promocode`.",
        responses={204: None},
    )
    def delete(self, request, profile_id, code_id):
        code = self.get_code(request, profile_id, code_id)
        try:
            operations.detach(code, source="api")
        except operations.CodeConflict as refusal:
            raise Conflict(str(refusal)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivateCodeView(ProfileCodeMixin, APIView):
    """Activate one of the profile's promo codes."""

    required_perms = {"POST": [VIEW_PROFILE, ATTACH]}

    @extend_schema(
        summary="Activate the profile's code",
        description="Marks the code used (a `promo_activated` event is recorded). 409 when "
        "it is expired (its pool's valid_until has passed) or activated already. Needs "
        "`promos.attach_promocode`.",
        request=NoBodySerializer,
        responses={200: ProfileCodeSerializer},
    )
    def post(self, request, profile_id, code_id):
        code = self.get_code(request, profile_id, code_id)
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        try:
            code = operations.activate(code, source="api")
        except operations.CodeConflict as refusal:
            raise Conflict(str(refusal)) from None
        return Response(ProfileCodeSerializer(code).data)
