"""Admin pieces every app's admin uses: scoping, cheap deletion pages, counts, typed fields.

Tables hold millions of rows: a list never counts the whole table, and a deletion page
summarises what goes with an object instead of listing every related row.
"""

from collections import Counter

from django import forms
from django.core.paginator import Paginator
from django.db import router
from django.db.models import Count, OuterRef, Subquery
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst

from . import scoping
from .fieldtypes import parse_options
from .keyset import estimated_count
from .typedfields import named_messages


class EstimatedCountPaginator(Paginator):
    """A changelist's paginator for a big table: up to ``exact_up_to`` rows it counts (a
    count that stops there); beyond, the count is PostgreSQL's planner estimate, and the
    page says "about" (``templates/admin/pagination.html``). Never a COUNT over the table."""

    exact_up_to = 1000
    # From this many rows in, a page ordered by the primary key is found by the key's index
    # (see ``page``) rather than an OFFSET.
    seek_from = 1000

    @cached_property
    def _estimate(self):
        return estimated_count(self.object_list, exact_up_to=self.exact_up_to)

    @cached_property
    def count(self):
        return self._estimate[0]

    @property
    def estimated(self):
        return not self._estimate[1]

    def page(self, number):
        """Return the page; deep in a list ordered by the primary key alone, find where it
        starts by the key's index first, then read its rows from there.

        An OFFSET makes the database produce every skipped row, joins included (a profile
        and its database for each event, all thrown away). Skipping over the primary key's
        index alone (an index-only scan once the table is vacuumed) and then reading one
        range of it gives the same rows. It still walks the skipped index entries: page
        10,000 of 20 M events costs ~90 ms of SQL against ~6 ms for a keyset page.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        direction = _pk_order(self.object_list)
        if bottom < self.seek_from or direction is None:
            return super().page(number)
        keys = self.object_list.values_list("pk", flat=True)
        first = next(iter(keys[bottom : bottom + 1]), None)
        if first is None:
            return self._get_page([], number, self)
        start = {"pk__lte" if direction == "-" else "pk__gte": first}
        rows = self.object_list.filter(**start)[: self.per_page]
        return self._get_page(rows, number, self)


def _pk_order(queryset):
    """Return "-" or "" when ``queryset`` is ordered by its primary key alone, else None."""
    ordering = tuple(queryset.query.order_by) or tuple(queryset.model._meta.ordering or ())
    if not queryset.query.order_by and not queryset.query.default_ordering:
        return None
    ordering = tuple(dict.fromkeys(ordering))  # the changelist may repeat its tie-break
    if len(ordering) != 1 or not isinstance(ordering[0], str):
        return None
    name = ordering[0]
    direction = "-" if name.startswith("-") else ""
    pk_names = {"pk", queryset.model._meta.pk.name, queryset.model._meta.pk.attname}
    return direction if name.lstrip("-") in pk_names else None


def summarised_deletion(objs, using):
    """Return what deleting objs takes with it as counts per model, for the confirmation page.

    Django's default lists every related row (every history event of a profile) and,
    for a protected relation, loads every protecting row; counting keeps the page small.
    """
    collector = Collector(using=using, origin=objs)
    try:
        collector.collect(objs)
    except (ProtectedError, RestrictedError) as error:
        counts = Counter(obj._meta.verbose_name_plural for obj in error.protected_objects)
        return [f"{count} {name} still refer to it" for name, count in counts.items()]
    counts = Counter()
    for model, instances in collector.data.items():
        counts[model._meta.verbose_name_plural] += len(instances)
    for queryset in collector.fast_deletes:
        counts[queryset.model._meta.verbose_name_plural] += queryset.count()
    return counts


class SummarisedDeleteMixin:
    """Confirm a deletion with counts per kind of row, not one line per related row."""

    def protected_summary(self, objs):
        """Return why objs cannot be deleted (checked cheaply before collecting), or []."""
        return []

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        result = self.protected_summary(objs) or summarised_deletion(
            objs, router.db_for_write(self.model)
        )
        if isinstance(result, list):
            return [str(obj) for obj in objs], {}, set(), result
        model_count = {name: count for name, count in result.items() if count}
        perms_needed = set()
        if not self.has_delete_permission(request):
            perms_needed.add(self.model._meta.verbose_name)
        deleted = [format_html("{}: {}", capfirst(self.model._meta.verbose_name), o) for o in objs]
        return deleted, model_count, perms_needed, []


def count_of(model, field):
    """Return a subquery counting model rows whose field points at the outer row."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


class ScopedAdminMixin:
    """List, show and edit only rows of the profile databases the staff member may see.

    ``database_path`` is the lookup from the rows to their database. A foreign key to a
    model whose admin is scoped too (a database, a profile, a segment) accepts only the
    rows that admin shows, a raw id typed in included.
    """

    database_path = "database"

    def get_queryset(self, request):
        return scoping.visible(super().get_queryset(request), request.user, self.database_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        target = db_field.related_model
        target_admin = self.admin_site._registry.get(target)
        if isinstance(target_admin, ScopedAdminMixin):
            kwargs["queryset"] = scoping.visible(
                target._default_manager.all(), request.user, target_admin.database_path
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """Rows that record what happened (events, audit entries, the phone index kept by saving
    a profile): read in the admin, never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def add_check_errors(form, error, *, values_field="custom_values"):
    """Put the errors of a write's check on an admin form: each beside its field, and the
    custom values' in their one JSON box, each message naming its field."""
    custom = {}
    for key, messages in error.message_dict.items():
        field, _, name = key.partition(".")
        if field == values_field:
            custom[name] = messages
        else:
            form.add_error(key if key in form.fields else None, messages)
    if custom:
        form.add_error(values_field, named_messages(custom))


class TypedFieldForm(forms.ModelForm):
    """A custom field definition with its enum options typed as one comma-separated line.

    A field that holds values keeps its name, type and the options in use
    (``TypedField.held_value_errors``), so no stored value is stranded.
    """

    options = forms.CharField(
        required=False,
        help_text="Enum only: the allowed values as one comma-separated line, e.g. bronze, gold.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("options"), list):
            self.initial["options"] = ", ".join(self.initial["options"])

    def clean_options(self):
        return parse_options(self.cleaned_data.get("options") or "")

    def clean(self):
        cleaned_data = super().clean()
        field_type, options = cleaned_data.get("type"), cleaned_data.get("options")
        if self.instance.pk and field_type and "name" in cleaned_data and options is not None:
            errors = self.instance.held_value_errors(cleaned_data["name"], field_type, options)
            for name, messages in errors.items():
                self.add_error(name, messages)
        return cleaned_data
