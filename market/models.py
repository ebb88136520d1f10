"""Products and orders (the market module).

A profile database has its products, each known by an SKU unique in the database; a
product without a database is catalog-wide: sold in every database, its SKU unique among
the catalog-wide products (a database may have a product of the same SKU: that one is its
own). A database has its orders: a profile's purchase, numbered by the shop (unique in the
database), with a status and lines. A line names what was sold by its SKU and keeps the
SKU, name and price it was sold with (a product renamed, repriced or deleted since changes
no order). It is linked to the product of that SKU in the order's database when there is
one, else to the catalog-wide product of that SKU; a line of an SKU the catalog lacks
carries its own price and no product (a shop need not list every product here before
reporting an order). An order's total is the sum of its lines, computed
whenever they are written and stored, so lists read it without adding lines up.

Orders come from shops over the API: ``clean_lines`` checks the lines a client sends (each
error named by its place, ``lines[1].quantity``) and ``Order.save_with_lines`` writes the
order and its lines in one transaction, so a refused line writes nothing.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from core import scoping
from core.text import check_text, validate_text
from market.roles import VIEW_PRODUCT

SKU_MAX_LENGTH = 100
NUMBER_MAX_LENGTH = 100
PRICE_DIGITS = 12  # up to 9,999,999,999.99
TOTAL_DIGITS = 18
DECIMAL_PLACES = 2
MAX_PRICE = Decimal(10) ** (PRICE_DIGITS - DECIMAL_PLACES)
MAX_TOTAL = Decimal(10) ** (TOTAL_DIGITS - DECIMAL_PLACES)
MAX_QUANTITY = 1_000_000
MAX_LINES = 500
# The keys a line takes, and those the API shows that a client may send back (ignored).
LINE_KEYS = ("sku", "quantity", "price")
SHOWN_LINE_KEYS = ("id", "product", "name", "amount")

currency_validator = RegexValidator(
    r"^[A-Z]{3}$", "Enter a currency as its three-letter ISO 4217 code, e.g. EUR."
)


class ProductQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the products of the databases ``user`` may see and, to who may view
        products, every catalog-wide one: it is of no database, no membership to check."""
        in_databases = scoping.visible(self, user)
        if not (user.is_active and user.has_perm(VIEW_PRODUCT)):
            return in_databases
        return in_databases | self.filter(database__isnull=True)

    def for_database(self, database, skus):
        """Return {sku: product} for ``skus`` in an order of ``database``: the database's
        own product of an SKU, else the catalog-wide one."""
        rows = self.filter(Q(database=database) | Q(database__isnull=True), sku__in=skus)
        products = {}
        for product in rows:
            if product.database_id is not None or product.sku not in products:
                products[product.sku] = product
        return products


class Product(models.Model):
    """Something a database's shops sell (or every database's, when catalog-wide), known by
    its SKU."""

    database = models.ForeignKey(
        "profiles.ProfileDatabase",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="products",
        help_text="Empty: a catalog-wide product, sold in every database.",
    )
    sku = models.CharField(
        "SKU",
        max_length=SKU_MAX_LENGTH,
        validators=[validate_text],
        help_text="The stock keeping unit, unique in the database (or among the catalog-wide "
        "products).",
    )
    name = models.CharField(max_length=200, validators=[validate_text])
    price = models.DecimalField(
        max_digits=PRICE_DIGITS,
        decimal_places=DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        help_text="The current price, 0 or more; an order line may give its own.",
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_validator],
        help_text="Optional: a three-letter ISO 4217 code, e.g. EUR.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sku", "id"]
        constraints = [
            models.UniqueConstraint(fields=["database", "sku"], name="unique_product_sku"),
            # NULLs are distinct in the one above: the catalog-wide products need their own.
            models.UniqueConstraint(
                fields=["sku"],
                condition=Q(database__isnull=True),
                name="unique_catalog_product_sku",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self):
        # Where a picker lists both, the catalog's and a database's product of one SKU differ.
        where = " (catalog-wide)" if self.database_id is None else ""
        return f"{self.sku} {self.name}{where}"

    def clean(self):
        """Trim the SKU and the name; neither may be blank."""
        errors = {}
        for name in ("sku", "name"):
            value = (getattr(self, name) or "").strip()
            setattr(self, name, value)
            if not value:
                errors[name] = ["This field cannot be blank."]
        if errors:
            raise ValidationError(errors)


class Order(models.Model):
    """A profile's purchase: its number in the shop, its status, its lines and total."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"

    database = models.ForeignKey(
        "profiles.ProfileDatabase", on_delete=models.CASCADE, related_name="orders"
    )
    profile = models.ForeignKey("profiles.Profile", on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(
        max_length=NUMBER_MAX_LENGTH,
        validators=[validate_text],
        help_text="The order's number in the shop, unique in the database.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_validator],
        help_text="Optional: a three-letter ISO 4217 code, e.g. EUR.",
    )
    total = models.DecimalField(
        max_digits=TOTAL_DIGITS,
        decimal_places=DECIMAL_PLACES,
        default=Decimal(0),
        editable=False,
        help_text="The sum of the lines (quantity times price), computed when they change.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["database", "number"], name="unique_order_number"),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]
        indexes = [models.Index(fields=["profile", "-created_at"], name="order_profile")]

    def __str__(self):
        return f"Order {self.number}"

    def clean(self):
        """The profile must be of the order's database; the number must not be blank."""
        errors = {}
        self.number = (self.number or "").strip()
        if not self.number:
            errors["number"] = ["This field cannot be blank."]
        if self.profile_id and self.database_id and self.profile.database_id != self.database_id:
            errors["profile"] = [
                f"Profile {self.profile.profile_id} is not in database “{self.database}”: an "
                "order belongs to a profile of its own database."
            ]
        if errors:
            raise ValidationError(errors)

    def save_with_lines(self, lines=None):
        """Save the order and, when ``lines`` (unsaved ``OrderLine``s, as ``clean_lines``
        gives them) are given, replace its lines with them and set the total: all in one
        transaction, so a failure leaves the order as it was."""
        with transaction.atomic():
            if lines is not None:
                self.total = total_of(lines)
            self.save()
            if lines is not None:
                self.lines.all().delete()
                for position, line in enumerate(lines):
                    line.order, line.position = self, position
                OrderLine.objects.bulk_create(lines)
                # bulk_create does not set the reverse cache: read the lines once more.
                if hasattr(self, "_prefetched_objects_cache"):
                    self._prefetched_objects_cache.pop("lines", None)

    def recompute_total(self):
        """Store the sum of the stored lines as the total (after lines changed one by one)."""
        amount = self.lines.aggregate(total=Sum(F("quantity") * F("price")))["total"]
        self.total = amount or Decimal(0)
        Order.objects.filter(pk=self.pk).update(total=self.total)


class OrderLine(models.Model):
    """One product of an order, as it was sold: SKU, name, quantity and unit price."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
        help_text="The product of the SKU (empty once the product is deleted).",
    )
    sku = models.CharField("SKU", max_length=SKU_MAX_LENGTH, blank=True, validators=[validate_text])
    name = models.CharField(max_length=200, blank=True, validators=[validate_text])
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    price = models.DecimalField(
        max_digits=PRICE_DIGITS,
        decimal_places=DECIMAL_PLACES,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="The unit price it was sold at; empty: the product's price.",
    )
    position = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="order_line_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"

    @property
    def amount(self):
        return (self.quantity or 0) * (self.price or Decimal(0))

    def clean(self):
        """Take the product chosen, or the one of the SKU given (the order's database's, else
        the catalog-wide one); the line keeps its SKU and name, and its price defaults to the
        product's. A line whose product was deleted since, or whose SKU the catalog lacks,
        stays as it was sold."""
        self.sku = (self.sku or "").strip()
        order = getattr(self, "order", None)
        database_id = order.database_id if order is not None else None
        stored = None
        if self.pk is not None:
            stored = OrderLine.objects.filter(pk=self.pk).values("product_id", "sku").first()
        kept = stored and stored["sku"] == self.sku and self.price is not None
        if self.product_id is None and kept:
            return
        if self.product_id is None and self.sku and database_id:
            self.product = Product.objects.for_database(database_id, [self.sku]).get(self.sku)
            if self.product is None and self.price is not None:
                return  # an SKU the catalog lacks: the line keeps its SKU and its own price
            if self.product is None:
                raise ValidationError(
                    {"product": [f"No product with SKU “{self.sku}”: enter the line's price."]}
                )
        if self.product is None:
            raise ValidationError({"product": ["Choose a product."]})
        if database_id and self.product.database_id not in (None, database_id):
            raise ValidationError({"product": ["Choose a product of the order's database."]})
        if not self.name or not stored or stored["product_id"] != self.product_id:
            self.name = self.product.name  # as sold: kept when the product is renamed
        self.sku = self.product.sku
        if self.price is None:
            self.price = self.product.price


def total_of(lines):
    return sum((line.amount for line in lines), Decimal(0))


# -- Lines sent by a client --------------------------------------------------------------


def _decimal(value):
    """Return ``value`` (a JSON number or a numeric text) as a Decimal, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _line_price(value):
    """Return (price, error) for a line's ``price``."""
    price = _decimal(value)
    if price is None:
        return None, "Enter a price as a number, e.g. 19.90."
    if price < 0:
        return None, f"Enter a price of 0 or more (got {value})."
    if price >= MAX_PRICE:
        return None, f"Enter a price below {MAX_PRICE:,}."
    if -price.as_tuple().exponent > DECIMAL_PLACES:
        return None, f"Enter a price with at most {DECIMAL_PLACES} decimal places (got {value})."
    return price, None


def _line_errors(index, line):
    """Yield (key, message) for what is wrong with one line's shape and values."""
    if not isinstance(line, dict):
        yield "", "Enter an object {sku, quantity, price}."
        return
    for key in line:
        if key not in LINE_KEYS and key not in SHOWN_LINE_KEYS:
            yield f".{key}", "Unknown field: a line takes sku, quantity and price."
    for key in ("sku", "quantity"):
        if key not in line:
            yield f".{key}", "This key is required."
    sku = line.get("sku")
    if "sku" in line:
        if not isinstance(sku, str) or not sku.strip():
            yield ".sku", "Enter the SKU of a product as text."
        elif len(sku) > SKU_MAX_LENGTH:
            yield ".sku", f"Enter an SKU of at most {SKU_MAX_LENGTH} characters."
        else:
            try:
                check_text(sku)
            except ValidationError as error:
                yield ".sku", error.messages[0]
    quantity = line.get("quantity")
    if "quantity" in line:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            yield ".quantity", "Enter the quantity as a whole number, e.g. 2."
        elif quantity < 1:
            yield ".quantity", f"Enter a quantity of at least 1 (got {quantity})."
        elif quantity > MAX_QUANTITY:
            yield ".quantity", f"Enter a quantity of at most {MAX_QUANTITY:,}."
    if line.get("price") is not None:
        _, error = _line_price(line["price"])
        if error:
            yield ".price", error


def clean_lines(database, data):
    """Return an order's lines sent by a client as unsaved ``OrderLine``s, or raise
    ValidationError naming each problem by its place (``lines[1].quantity: …``).

    ``data`` is a list of ``{sku, quantity, price}``: an SKU, a whole quantity of at least 1
    and a unit price of 0 or more. A line is linked to the product of its SKU in
    ``database`` when there is one, else to the catalog-wide product of its SKU (its price
    may then be left out: the product's); a line of an SKU the catalog lacks keeps its SKU
    and needs its price. The keys the API shows
    (``name``, ``amount``…) may be sent back: ignored.
    """
    if not isinstance(data, list):
        raise ValidationError({"lines": ["Enter a list of lines {sku, quantity, price}."]})
    if not data:
        raise ValidationError({"lines": ["An order has at least one line."]})
    if len(data) > MAX_LINES:
        raise ValidationError({"lines": [f"An order has at most {MAX_LINES} lines."]})
    messages = [
        f"lines[{index}]{key}: {message}"
        for index, line in enumerate(data)
        for key, message in _line_errors(index, line)
    ]
    if messages:
        raise ValidationError({"lines": messages})
    skus = {line["sku"].strip() for line in data}
    products = Product.objects.for_database(database, skus)
    lines = []
    for index, line in enumerate(data):
        sku = line["sku"].strip()
        product = products.get(sku)
        if line.get("price") is not None:
            price, _ = _line_price(line["price"])
        elif product is not None:
            price = product.price
        else:
            messages.append(
                f"lines[{index}].price: Database “{database}” has no product with SKU “{sku}” "
                "and no catalog-wide product has it: give the line's price."
            )
            continue
        lines.append(
            OrderLine(
                product=product,
                sku=sku,
                name=product.name if product is not None else "",
                quantity=line["quantity"],
                price=price,
            )
        )
    if messages:
        raise ValidationError({"lines": messages})
    if total_of(lines) >= MAX_TOTAL:
        raise ValidationError({"lines": [f"The order's total must stay below {MAX_TOTAL:,}."]})
    return lines
