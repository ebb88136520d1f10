"""Products and orders (the market module) over the REST API.

- ``products/``: list (``?database=``, ``?sku=``), create, read, change, delete ``{id, sku,
  name, price, currency, database}``; ``price`` a number or a decimal text. ``database``
  left out or null: a catalog-wide product (``database: null``), sold in every database.
- ``orders/``: list (``?database=``, ``?profile_id=``, ``?status=``, ``?number=``), create,
  read, change, delete ``{id, profile_id, number, status, lines: [{sku, quantity, price}],
  total, created_at}``. The lines are written with the order in one transaction: a bad line
  is a 400 naming it (``lines[1].quantity: …``) and nothing is written. A line is linked to
  the product of its SKU in the order's database, else the catalog-wide product of its SKU;
  a line of another SKU keeps its SKU and its own price (required then). ``total`` is
  computed from the lines (read-only).
- ``profiles/{profile_id}/orders/``: the profile's orders, newest first.

Access: orders need the market permissions (``market.view_order`` to read, ``add_order``,
``change_order``, ``delete_order`` to write), products ``market.view_product`` and so on;
without them the answer is 403. Only the databases the user may see exist: an order or a
product of another database answers 404, a profile of another database is a 400 naming
``profile_id``. A catalog-wide product is of no database: whoever holds
``market.view_product`` sees it, and the model permissions alone let one write it.
"""

import copy

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, permissions, serializers, viewsets

from core.api.errors import api_detail
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import StrictModelSerializer
from core.api.views import InVisibleDatabasesMixin, UniqueRaceMixin
from market.models import (
    MAX_LINES,
    MAX_PRICE,
    MAX_QUANTITY,
    SKU_MAX_LENGTH,
    Order,
    Product,
    clean_lines,
)
from market.roles import VIEW_ORDER
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from web.profiles.api.fields import VisibleDatabaseField


class MoneyField(serializers.DecimalField):
    """An amount of money: a JSON number or a decimal text (``9.99`` or ``"9.99"``, as an
    order line's price), never true/false; read as a Decimal, shown as a number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


def model_errors(instance, exclude=()):
    """The errors of the model's ``full_clean``, by API field name ({} when it is valid)."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except DjangoValidationError as error:
        return api_detail(error)
    return {}


class SameDatabaseMixin:
    """An object stays in its database: a change of ``database`` is a 400 naming it (a
    catalog-wide product, of none, stays catalog-wide)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if (
            self.instance is not None
            and "database" in attrs
            and attrs["database"] != self.instance.database
        ):
            raise serializers.ValidationError(
                {"database": ["It cannot move to another database; create it there."]}
            )
        return attrs


# -- Products ----------------------------------------------------------------------------


class ProductSerializer(SameDatabaseMixin, StrictModelSerializer):
    """A product: its SKU, name and price (0 or more, a number or a decimal text with at
    most 2 decimal places), of a profile database or, without one, catalog-wide (sold in
    every database). The SKU is unique in the database, or among the catalog-wide products;
    ``database`` cannot change."""

    database = VisibleDatabaseField(
        required=False,
        allow_null=True,
        help_text="The profile database whose shops sell it (one you may see). Left out or "
        "null on create: a catalog-wide product, sold in every database (shown as null); "
        "an order's line takes its database's product of an SKU before the catalog-wide "
        "one. It cannot change afterwards.",
    )
    price = MoneyField(
        min_value=0,
        max_value=MAX_PRICE - 1,
        help_text='The current price: a number or a decimal text ("9.99"), 0 or more, at '
        "most 2 decimal places.",
    )

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "price", "currency", "database", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the SKU's uniqueness is checked in validate() to name `sku`

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance is not None else Product()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        errors = model_errors(candidate)
        if errors:
            raise serializers.ValidationError(errors)
        same_sku = Product.objects.filter(database=candidate.database, sku=candidate.sku)
        if candidate.pk is not None:
            same_sku = same_sku.exclude(pk=candidate.pk)
        if same_sku.exists():
            raise serializers.ValidationError({"sku": [sku_taken(candidate)]})
        return {name: getattr(candidate, name) for name in attrs}  # trimmed by clean()


def sku_taken(product):
    """Return the 400 of an SKU another product of its database (or catalog-wide) has."""
    if product.database is None:
        return f"A catalog-wide product already has SKU “{product.sku}”."
    return f"Database “{product.database}” already has SKU “{product.sku}”."


class ProductFilter(DatabaseFilterSet):
    sku = django_filters.CharFilter()

    class Meta:
        model = Product
        fields = ["database", "sku"]


class ProductViewSet(UniqueRaceMixin, viewsets.ModelViewSet):
    """Products of the visible databases and the catalog-wide ones (``database: null``);
    filter with ``?database=<id>`` and ``?sku=``."""

    serializer_class = ProductSerializer
    queryset = Product.objects.select_related("database").order_by("sku", "id")
    permission_classes = [ModelPermissions]
    filterset_class = ProductFilter
    unique_field = "sku"

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def unique_error(self, serializer):
        """Name the SKU's database (or the catalog), as the check in validate() does."""
        product = copy.copy(serializer.instance) if serializer.instance is not None else Product()
        for name, value in serializer.validated_data.items():
            setattr(product, name, value)
        return sku_taken(product)


# -- Orders ------------------------------------------------------------------------------

LINE_SCHEMA = {
    "type": "object",
    "required": ["sku", "quantity"],
    "properties": {
        "sku": {
            "type": "string",
            "minLength": 1,
            "maxLength": SKU_MAX_LENGTH,
            "description": "What was sold: the SKU of a product of the order's database "
            "or of a catalog-wide product (see products/; the database's wins), or any other "
            "SKU (the line then gives its price).",
        },
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
        "price": {
            "type": "number",
            "minimum": 0,
            "maximum": float(MAX_PRICE - 1),
            "nullable": True,
            "description": "The unit price, at most 2 decimal places; left out or null: "
            "the product's price (required for an SKU that is no product of the database "
            "nor a catalog-wide one).",
        },
        "name": {"type": "string", "readOnly": True, "description": "The product's name."},
        "amount": {"type": "number", "readOnly": True, "description": "quantity times price."},
        "product": {
            "type": "integer",
            "readOnly": True,
            "nullable": True,
            "description": "The product's id: the database's product of the SKU, else the "
            "catalog-wide one (null for another SKU, or once the product is deleted).",
        },
    },
}


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_LINES,
        "items": LINE_SCHEMA,
        "description": "The order's lines, written with it in one transaction; on a change "
        "they replace the lines it had. A bad line is a 400 naming it: "
        "`lines[1].quantity: …`. `name`, `amount` and `product` are shown, and ignored "
        "when sent back.",
        "example": [{"sku": "TEE-M", "quantity": 2, "price": 19.9}],
    }
)
class LinesField(serializers.Field):
    """An order's lines: read as given, checked against the database by ``clean_lines``."""

    def to_representation(self, lines):
        return [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "price": line.price,
                "name": line.name,
                "amount": line.amount,
                "product": line.product_id,
            }
            for line in lines.all()
        ]

    def to_internal_value(self, data):
        return data  # a value of any shape is named by clean_lines


class VisibleProfileField(serializers.SlugRelatedField):
    """A profile named by its profile_id, among those of the databases the user may see."""

    default_error_messages = {
        "does_not_exist": "No profile with profile_id “{value}” in the databases you may see.",
        "invalid": "Enter a profile_id (text).",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "profile_id")
        kwargs.setdefault("queryset", Profile.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Profile.objects.none()
        return Profile.objects.visible_to(request.user).select_related("database")

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderSerializer(SameDatabaseMixin, StrictModelSerializer):
    """An order of a profile: its number in the shop (unique in the database), status and
    lines; ``total`` is computed from the lines. ``database`` is the profile's (it may be
    given on create: a profile of another database is then a 400 naming ``profile_id``)."""

    profile_id = VisibleProfileField(
        source="profile", help_text="The profile who ordered (its profile_id)."
    )
    database = VisibleDatabaseField(
        required=False,
        help_text="The profile database: the profile's; cannot change afterwards.",
    )
    lines = LinesField(required=True)
    total = MoneyField(
        max_digits=18,
        read_only=True,
        help_text="The sum of the lines (quantity times price), computed.",
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "profile_id",
            "database",
            "number",
            "status",
            "currency",
            "lines",
            "total",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the number's uniqueness is checked in validate() to name `number`

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["lines"].required = False  # a change keeps the lines it does not send

    def validate(self, attrs):
        attrs = super().validate(attrs)
        order = copy.copy(self.instance) if self.instance is not None else Order()
        lines = attrs.pop("lines", None)
        profile = attrs.get("profile")
        database = attrs.get("database")
        if profile is not None:
            if database is not None and profile.database_id != database.pk:
                raise serializers.ValidationError(
                    {"profile_id": [f"Profile {profile.profile_id} is not in “{database}”."]}
                )
            if self.instance is not None and profile.database_id != self.instance.database_id:
                raise serializers.ValidationError(
                    {
                        "profile_id": [
                            f"Profile {profile.profile_id} is not in the order's database "
                            f"“{self.instance.database}”."
                        ]
                    }
                )
            attrs["database"] = profile.database
        for name, value in attrs.items():
            setattr(order, name, value)
        errors = model_errors(order)
        errors = {("profile_id" if name == "profile" else name): m for name, m in errors.items()}
        if errors:
            raise serializers.ValidationError(errors)
        same_number = Order.objects.filter(database=order.database, number=order.number)
        if order.pk is not None:
            same_number = same_number.exclude(pk=order.pk)
        if same_number.exists():
            raise serializers.ValidationError(
                {"number": [f"Database “{order.database}” already has order “{order.number}”."]}
            )
        values = {name: getattr(order, name) for name in attrs}  # as clean() trimmed them
        if lines is not None:
            try:
                values["lines"] = clean_lines(order.database, lines)
            except DjangoValidationError as error:
                raise serializers.ValidationError(api_detail(error)) from None
        return values

    def create(self, validated_data):
        lines = validated_data.pop("lines")
        order = Order(**validated_data)
        order.save_with_lines(lines)
        return order

    def update(self, order, validated_data):
        lines = validated_data.pop("lines", None)
        for name, value in validated_data.items():
            setattr(order, name, value)
        order.save_with_lines(lines)
        return order


class OrderFilter(DatabaseFilterSet):
    profile_id = django_filters.CharFilter(field_name="profile__profile_id")
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices)
    number = django_filters.CharFilter()

    class Meta:
        model = Order
        fields = ["database", "profile_id", "status", "number"]


ORDER_ROWS = Order.objects.select_related("profile").prefetch_related("lines")


class OrderViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Orders of the visible databases, newest first; filter with ``?database=<id>``,
    ``?profile_id=``, ``?status=``, ``?number=``. Needs ``market.view_order`` (and the add,
    change and delete permissions to write)."""

    serializer_class = OrderSerializer
    queryset = ORDER_ROWS
    permission_classes = [ModelPermissions]
    pagination_class = ProfileCursorPagination  # newest first (-id), no count
    filterset_class = OrderFilter
    unique_field = "number"


class MayViewOrders(permissions.BasePermission):
    """Authenticated, and allowed to see profiles and their orders."""

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user and user.is_authenticated and user.has_perms(["profiles.view_profile", VIEW_ORDER])
        )


class ProfileOrdersView(generics.ListAPIView):
    """A profile's orders, newest first.

    Needs ``profiles.view_profile`` and ``market.view_order`` (403 without); a profile of a
    database the user may not see answers 404.
    """

    serializer_class = OrderSerializer
    permission_classes = [MayViewOrders]
    pagination_class = ProfileCursorPagination
    filter_backends = []
    queryset = Order.objects.none()  # the model, for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        profile = get_object_or_404(
            Profile.objects.visible_to(self.request.user), profile_id=self.kwargs["profile_id"]
        )
        return ORDER_ROWS.filter(profile=profile)
