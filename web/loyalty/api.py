"""Loyalty programs over the REST API.

- ``loyalty-programs/``: list (``?database=``), create, read, change, delete; a program's
  ``tiers`` (``[{name, threshold}]``) are written with it in one transaction; its current
  and coming ``promotions`` are read-only here (staff manage them in the admin).
- ``profiles/{profile_id}/loyalty/``: GET the profile's memberships ``[{program, balance,
  tier, transactions}]`` (the last ``RECENT_TRANSACTIONS`` transactions each), paginated
  ``{results, next}``; POST ``{program}`` enrols it (409 when already enrolled, 400 naming
  ``program`` for another database's program or an inactive one).
- ``profiles/{profile_id}/loyalty/{program_id}/transactions/``: GET every transaction of
  the membership, newest first, paginated; POST ``{points, reason}`` → 201 ``{balance,
  tier, …}``; 400 naming ``points`` for 0 or a write-off beyond the balance, naming
  ``reason`` for a write-off without one; 404 when the profile is not enrolled.

Access: programs need the model permissions (view to read; add, change, delete to
write). A profile's memberships are profile data: reading them needs
``profiles.view_profile``, like its history; enrolling needs ``loyalty.add_membership``,
adding a transaction ``loyalty.add_transaction``. A profile or program of a database the
user may not see answers 404.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, permissions, serializers, status, viewsets
from rest_framework.response import Response

from core import scoping
from core.api.errors import api_detail
from core.api.fields import StrictCharField, VisibleIdField
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import DatabaseObjectMixin, StrictModelSerializer, StrictSerializer
from core.api.views import Conflict, InVisibleDatabasesMixin, UniqueRaceMixin
from core.races import read_again
from core.text import validate_text
from loyalty.models import (
    MAX_POINTS,
    MAX_THRESHOLD,
    REASON_MAX_LENGTH,
    Membership,
    Program,
    Promotion,
    Tier,
    Transaction,
)
from operations.loyalty import AlreadyEnrolled, NotEnrolled, add_points, enrol, membership_of
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from web.profiles.api.fields import VisibleDatabaseField

RECENT_TRANSACTIONS = 10
MAX_TIERS = 50

# -- Shared pieces -----------------------------------------------------------------------


@extend_schema_field({"type": "integer", "example": 100})
class WholeNumberField(serializers.Field):
    """A JSON integer between ``minimum`` and ``maximum``: text, a float or a boolean is
    refused, never coerced."""

    def __init__(self, *, minimum, maximum, example="100", **kwargs):
        self.minimum, self.maximum, self.example = minimum, maximum, example
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(
                f"Enter a whole number, e.g. {self.example} (got {data!r})."
            )
        if not self.minimum <= data <= self.maximum:
            raise serializers.ValidationError(
                f"Enter a whole number from {self.minimum:,} to {self.maximum:,}."
            )
        return data


class ProfileDataPermissions(permissions.BasePermission):
    """Read a profile's loyalty data with ``profiles.view_profile``; write with the view's
    ``write_perms`` on top."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = ["profiles.view_profile"]
        if request.method not in permissions.SAFE_METHODS:
            needed += view.write_perms
        return user.has_perms(needed)


def visible_profile(request, profile_id):
    """The profile, if the user may see its database; 404 otherwise."""
    return get_object_or_404(
        Profile.objects.visible_to(request.user).select_related("database"),
        profile_id=profile_id,
    )


def _method(view):
    """The request's method (or, for a view made without a request, its ``action``)."""
    request = getattr(view, "request", None)
    return request.method if request is not None else str(getattr(view, "action", "")).upper()


def tier_name(program, balance):
    tier = program.tier_for(balance)
    return tier.name if tier else None


# -- Programs ----------------------------------------------------------------------------


class TierSerializer(StrictSerializer):
    """A tier: reached when a member's balance is at least its threshold."""

    name = StrictCharField(max_length=100, validators=[validate_text])
    threshold = WholeNumberField(
        minimum=0,
        maximum=MAX_THRESHOLD,
        example="1000",
        help_text="The points needed to reach it (0 or more).",
    )


class PromotionSerializer(serializers.ModelSerializer):
    minimum_tier = serializers.CharField(
        source="minimum_tier.name",
        allow_null=True,
        default=None,
        help_text="Members of this tier or a higher one get it (null: every member).",
    )

    class Meta:
        model = Promotion
        fields = ["id", "name", "description", "starts_at", "ends_at", "minimum_tier"]
        read_only_fields = fields


class ProgramSerializer(DatabaseObjectMixin, StrictModelSerializer):
    """A loyalty program of a profile database, with its tiers.

    ``tiers``, when given, is the complete list: a tier keeps its identity by name (its
    threshold may change), one not listed any more is removed (refused while a promotion
    names it), a new name is a new tier. Names and thresholds differ within a program.
    ``database`` cannot change after create.
    """

    unique_name_message = "Database “{database}” already has a loyalty program named “{name}”."

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    tiers = TierSerializer(
        many=True,
        required=False,
        help_text="The tiers (the complete list): the highest threshold a balance reaches "
        "is its tier.",
    )
    promotions = PromotionSerializer(
        many=True, read_only=True, help_text="The program's promotions (managed in the admin)."
    )
    active = serializers.BooleanField(
        required=False, help_text="An inactive program takes no new members."
    )

    class Meta:
        model = Program
        fields = [
            "id",
            "name",
            "database",
            "description",
            "active",
            "tiers",
            "promotions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data.get("active", False), bool):
            raise serializers.ValidationError({"active": ["Enter true or false."]})
        return super().to_internal_value(data)

    def validate_tiers(self, value):
        if len(value) > MAX_TIERS:
            raise serializers.ValidationError(f"A program has at most {MAX_TIERS} tiers.")
        names = [item["name"].strip() for item in value]
        if any(not name for name in names):
            raise serializers.ValidationError("A tier needs a name.")
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Tier names must be different.")
        thresholds = [item["threshold"] for item in value]
        if len(set(thresholds)) != len(thresholds):
            raise serializers.ValidationError("Tier thresholds must be different.")
        return [{"name": n, "threshold": t} for n, t in zip(names, thresholds, strict=True)]

    def validate(self, attrs):
        instance = self.instance
        self.check_database_and_name(attrs)
        if instance is not None and "tiers" in attrs:
            kept = {item["name"] for item in attrs["tiers"]}
            named = (
                Promotion.objects.filter(program=instance, minimum_tier__isnull=False)
                .exclude(minimum_tier__name__in=kept)
                .select_related("minimum_tier")
            )
            for promotion in named:
                raise serializers.ValidationError(
                    {
                        "tiers": [
                            f"Tier “{promotion.minimum_tier.name}” is the minimum tier of "
                            f"promotion “{promotion.name}”: keep it, or change the promotion "
                            "first."
                        ]
                    }
                )
        return attrs

    def create(self, validated_data):
        tiers = validated_data.pop("tiers", [])
        with transaction.atomic():
            program = Program.objects.create(**validated_data)
            Tier.objects.bulk_create(Tier(program=program, **item) for item in tiers)
        return program

    def update(self, instance, validated_data):
        tiers = validated_data.pop("tiers", None)
        with transaction.atomic():
            for name, value in validated_data.items():
                setattr(instance, name, value)
            instance.save()
            if tiers is not None:
                replace_tiers(instance, tiers)
        return instance


def replace_tiers(program, tiers):
    """Make the program's tiers ``tiers`` (by name: kept, changed, added, removed)."""
    wanted = {item["name"]: item["threshold"] for item in tiers}
    tiers = Tier.objects.filter(program=program)  # not the prefetched ones
    tiers.exclude(name__in=wanted).delete()
    kept = list(tiers)
    # Out of the way first, so two tiers may swap thresholds without a clash on the way.
    for offset, tier in enumerate(kept, start=1):
        tier.threshold = MAX_THRESHOLD + offset
    Tier.objects.bulk_update(kept, ["threshold"])
    for tier in kept:
        tier.threshold = wanted.pop(tier.name)
    Tier.objects.bulk_update(kept, ["threshold"])
    Tier.objects.bulk_create(
        Tier(program=program, name=name, threshold=threshold) for name, threshold in wanted.items()
    )


@extend_schema_field({"type": "boolean"})
class FlagFilter(django_filters.ChoiceFilter):
    """``true`` or ``false``; anything else is a 400 naming the parameter (django-filter's
    BooleanFilter would ignore it)."""

    def __init__(self, **kwargs):
        super().__init__(choices=[("true", "true"), ("false", "false")], **kwargs)

    def filter(self, queryset, value):
        if value in ("true", "false"):
            return queryset.filter(**{self.field_name: value == "true"})
        return queryset


class ProgramFilter(DatabaseFilterSet):
    active = FlagFilter(help_text="true: active programs only; false: inactive ones.")

    class Meta:
        model = Program
        fields = ["database", "active"]


class ProgramViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Loyalty programs of the visible databases; filter with ``?database=<id>``."""

    unique_field = "name"  # two creates of one name at once

    serializer_class = ProgramSerializer
    queryset = Program.objects.prefetch_related(
        "tiers", Prefetch("promotions", Promotion.objects.select_related("minimum_tier"))
    ).order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = ProgramFilter

    def perform_update(self, serializer):
        super().perform_update(serializer)
        program = serializer.instance
        # The prefetched tiers are those before the write.
        for name in ("tiers", "promotions"):
            getattr(program, "_prefetched_objects_cache", {}).pop(name, None)


# -- A profile's memberships -------------------------------------------------------------


class TransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Transaction
        fields = ["id", "points", "reason", "balance_after", "source", "created_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    """A profile's membership of a loyalty program: its balance, its tier (the highest the
    balance reaches; null below every threshold), the next tier and its last
    transactions (newest first)."""

    program_name = serializers.CharField(source="program.name", read_only=True)
    tier = serializers.SerializerMethodField(help_text="The tier's name, or null.")
    next_tier = serializers.SerializerMethodField(
        help_text="The next tier up {name, threshold, points_missing}, or null at the top."
    )
    transactions = serializers.SerializerMethodField(
        help_text=f"The last {RECENT_TRANSACTIONS} transactions, newest first (all of them at "
        "profiles/{profile_id}/loyalty/{program_id}/transactions/)."
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "program",
            "program_name",
            "balance",
            "tier",
            "next_tier",
            "enrolled_at",
            "transactions",
        ]
        read_only_fields = fields

    def get_tier(self, membership) -> str | None:
        return tier_name(membership.program, membership.balance)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "name": {"type": "string"},
                "threshold": {"type": "integer"},
                "points_missing": {"type": "integer"},
            },
        }
    )
    def get_next_tier(self, membership):
        tier = membership.program.next_tier_for(membership.balance)
        if tier is None:
            return None
        missing = tier.threshold - membership.balance
        return {"name": tier.name, "threshold": tier.threshold, "points_missing": missing}

    @extend_schema_field(TransactionSerializer(many=True))
    def get_transactions(self, membership):
        recent = getattr(membership, "recent_transactions", None)
        if recent is None:
            recent = list(membership.transactions.all()[:RECENT_TRANSACTIONS])
        return TransactionSerializer(recent, many=True).data


def memberships_of(profile):
    """The profile's memberships with their programs' tiers and last transactions: a fixed
    number of queries whatever the count."""
    return profile.loyalty_memberships.select_related("program").prefetch_related(
        "program__tiers",
        Prefetch(
            "transactions",
            Transaction.objects.order_by("-id")[:RECENT_TRANSACTIONS],
            to_attr="recent_transactions",
        ),
    )


class EnrolSerializer(StrictSerializer):
    """Enrol the profile in a program of its database."""

    program = VisibleIdField(Program, help_text="The id of a program of the profile's database.")


class ProfileLoyaltyView(generics.ListCreateAPIView):
    """A profile's loyalty programs: its memberships, and enrolling it in a program."""

    serializer_class = MembershipSerializer
    permission_classes = [ProfileDataPermissions]
    write_perms = ["loyalty.add_membership"]
    pagination_class = ProfileCursorPagination  # by -id, no count
    filter_backends = []
    queryset = Membership.objects.none()  # the model, for the schema

    def get_serializer_class(self):
        return EnrolSerializer if _method(self) == "POST" else MembershipSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return memberships_of(visible_profile(self.request, self.kwargs["profile_id"]))

    @extend_schema(
        summary="Enrol the profile in a loyalty program",
        description="Enrols the profile (balance 0) and records a `loyalty_enrolled` event. "
        "409 when it is enrolled already; 400 naming `program` for a program of another "
        "database or an inactive one. Needs `loyalty.add_membership`.",
        request=EnrolSerializer,
        responses={201: MembershipSerializer},
    )
    def post(self, request, profile_id):
        profile = visible_profile(request, profile_id)
        body = EnrolSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            membership = enrol(
                body.validated_data["program"], profile, source="api", user=request.user
            )
        except AlreadyEnrolled as refusal:
            raise Conflict(str(refusal)) from None
        membership = read_again(memberships_of(profile), pk=membership.pk)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


# -- Points transactions -----------------------------------------------------------------


class NewTransactionSerializer(StrictSerializer):
    """Points to add (positive) or write off (negative, with a reason)."""

    points = WholeNumberField(
        minimum=-MAX_POINTS,
        maximum=MAX_POINTS,
        example="100 or -50",
        help_text="Positive: an accrual; negative: a write-off (not 0).",
    )
    reason = StrictCharField(
        max_length=REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_text],
        help_text="Why; required for a write-off.",
    )


class TransactionResultSerializer(TransactionSerializer):
    """The transaction written, and the membership's balance and tier after it."""

    balance = serializers.IntegerField(help_text="The balance after the transaction.")
    tier = serializers.CharField(allow_null=True, help_text="The tier after it, or null.")
    program = serializers.IntegerField()

    class Meta(TransactionSerializer.Meta):
        fields = ["balance", "tier", "program", *TransactionSerializer.Meta.fields]
        read_only_fields = fields


class TransactionPagination(ProfileCursorPagination):
    page_size = 100


class MembershipTransactionsView(generics.ListCreateAPIView):
    """The points transactions of a profile's membership of a program."""

    serializer_class = TransactionSerializer
    permission_classes = [ProfileDataPermissions]
    write_perms = ["loyalty.add_transaction"]
    pagination_class = TransactionPagination
    filter_backends = []
    queryset = Transaction.objects.none()  # the model, for the schema

    def get_membership(self):
        profile = visible_profile(self.request, self.kwargs["profile_id"])
        program = get_object_or_404(
            scoping.visible(Program.objects.all(), self.request.user),
            pk=self.kwargs["program_id"],
        )
        try:
            return membership_of(program, profile)
        except NotEnrolled as error:
            raise exceptions.NotFound(str(error)) from None

    def get_serializer_class(self):
        return NewTransactionSerializer if _method(self) == "POST" else TransactionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        return self.get_membership().transactions.all()

    @extend_schema(
        summary="Add or write off points",
        description="Adds `points` to the membership's balance (negative: a write-off, "
        "which needs a `reason`) and records a `loyalty_points` event; answers the balance "
        "and tier after it. 400 naming `points` for 0 or a write-off beyond the balance "
        "(nothing is written); 404 when the profile is not enrolled in the program. Needs "
        "`loyalty.add_transaction`.",
        request=NewTransactionSerializer,
        responses={
            201: TransactionResultSerializer,
            404: OpenApiResponse(description="Not enrolled, or no such profile or program."),
        },
    )
    def post(self, request, profile_id, program_id):
        membership = self.get_membership()
        body = NewTransactionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            entry = add_points(
                membership, data["points"], data["reason"], source="api", user=request.user
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_detail(error)) from None
        result = TransactionSerializer(entry).data
        result |= {
            "balance": membership.balance,
            "tier": tier_name(membership.program, membership.balance),
            "program": membership.program_id,
        }
        return Response(result, status=status.HTTP_201_CREATED)
