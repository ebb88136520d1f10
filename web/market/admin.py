"""Admin of products and orders (the market module).

Every list shows only the rows of the profile databases the staff member may see (and the
catalog-wide products, of no database: shown as "Catalog-wide (all databases)", a choice
of the database filter), and only to staff holding the market permissions (without
``market.view_order`` the orders are nowhere in the admin). An order is edited with its
lines inline; its total is computed again from the lines each time it is saved.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q

from core.admin import (
    SCOPED_DATABASE,
    EstimatedCountPaginator,
    KeysetPagesMixin,
    ScopedAdminMixin,
)
from market.models import Order, OrderLine, Product
from profiles.models import Profile, ProfileDatabase

CATALOG_WIDE = "Catalog-wide (all databases)"


@admin.register(Product)
class ProductAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["sku", "name", "price", "currency", "database", "updated_at"]
    list_filter = [SCOPED_DATABASE, "currency"]  # its empty choice: the catalog-wide ones
    list_select_related = ["database"]
    search_fields = ["sku", "name"]
    fields = ["database", "sku", "name", "price", "currency", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
    # The one field of a product that may be empty (None) is its database: the list, the
    # database filter and a product's page say what that means.
    empty_value_display = CATALOG_WIDE

    def scope(self, rows, user):
        # The products of the staff member's databases and every catalog-wide one: also the
        # choices of an order line's product.
        return rows.visible_to(user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "database":
            kwargs["empty_label"] = CATALOG_WIDE
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Its order lines are of its database (or any, catalog-wide): it cannot move.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields


class OrderLineForm(forms.ModelForm):
    class Meta:
        model = OrderLine
        fields = ["product", "quantity", "price"]
        help_texts = {
            "product": "The product of the SKU: the order's database's, or a catalog-wide one; "
            "empty for an SKU the catalog lacks (the line keeps its own price) or once the "
            "product is deleted.",
            "price": "The unit price; empty: the product's price.",
        }


class OrderLineInline(ScopedAdminMixin, admin.TabularInline):
    model = OrderLine
    database_path = "order__database"
    form = OrderLineForm
    fields = ["product", "sku", "name", "quantity", "price", "amount"]
    readonly_fields = ["sku", "name", "amount"]
    autocomplete_fields = ["product"]
    extra = 1
    min_num = 1

    @admin.display(description="Amount")
    def amount(self, obj):
        return obj.amount if obj.pk else "—"


@admin.register(Order)
class OrderAdmin(KeysetPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "profile", "database", "status", "total", "currency", "created_at"]
    keyset_orders = {
        "profile": ["profile_id", "id"],
        "database": ["database_id", "number", "id"],
    }
    list_filter = ["status", SCOPED_DATABASE, "created_at"]
    list_select_related = ["profile", "database"]
    search_fields = ["number"]  # the search itself is get_search_results
    search_help_text = "An order number (exactly), a profile_id or an email."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]
    raw_id_fields = ["profile"]
    fields = ["database", "profile", "number", "status", "currency", "total", "created_at"]
    readonly_fields = ["total", "created_at"]
    inlines = [OrderLineInline]

    def get_search_results(self, request, queryset, search_term):
        """An order by its number in each database (the unique (database, number) index,
        one range per database), or the orders of the profiles with that profile_id or
        email (looked up first, by their own indexes)."""
        text = search_term.strip()
        if not text:
            return queryset, False
        databases = list(ProfileDatabase.objects.values_list("pk", flat=True))
        by_number = Q(database_id__in=databases, number=text)
        return queryset.filter(
            by_number | Q(profile_id__in=Profile.objects.ids_by_key(text))
        ), False

    def get_readonly_fields(self, request, obj=None):
        # Its number is unique in its database and its lines are that database's products.
        return [*self.readonly_fields, "database"] if obj else self.readonly_fields

    def save_related(self, request, form, formsets, change):
        """Save the lines, then the total they add up to."""
        super().save_related(request, form, formsets, change)
        form.instance.recompute_total()
