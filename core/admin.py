"""Admin pieces every app's admin uses: scoping, cheap deletion pages, counts, typed fields.

Tables hold millions of rows: a list never counts the whole table, pages deep in a list
by its key's index, and a deletion page summarises what goes with an object instead of
listing every related row.
"""

from collections import Counter
from datetime import datetime

from django import forms
from django.contrib import admin
from django.contrib import messages as user_messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models, router
from django.db.models import Count, F, OrderBy, OuterRef, Subquery
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext

from . import keyset, scoping
from .collation import Alphabetical
from .fieldtypes import parse_options
from .keyset import estimated_count
from .text import INT64_MAX, whole_number
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
        order = _keyset_order(self.object_list)
        if bottom < self.seek_from or order is None or len(order[0]) != 1:
            return super().page(number)  # not ordered by the key alone
        keys = self.object_list.values_list("pk", flat=True)
        first = next(iter(keys[bottom : bottom + 1]), None)
        if first is None:
            return self._get_page([], number, self)
        _, descending = order
        start = {"pk__lte" if descending else "pk__gte": first}
        rows = self.object_list.filter(**start)[: self.per_page]
        return self._get_page(rows, number, self)


AFTER_VAR, BEFORE_VAR = "after", "before"
# How deep an old ``?p=`` link is followed by number: skipping this many entries of an
# index costs about what reading a keyset page does (page 10,000 of profiles, 500,000 rows
# in, took 20 ms of SQL against 1.2 for its keyset page). Deeper, the list shows the
# deepest page by number, and its keyset links go on from there.
DEEPEST_BY_NUMBER = 10_000
UNSORTABLE_MESSAGE = (
    "This list cannot be sorted by that column (no index orders its rows at this size): "
    "shown in its default order."
)


def _keyset_order(queryset):
    """Return (fields, descending) when ``queryset`` is ordered in one direction by non-null
    columns of its own table ending with its primary key, else None: each field a name, or
    a text in alphabetical order (``Alphabetical(name)``, as ``core.keyset`` takes them)."""
    if not queryset.query.order_by and not queryset.query.default_ordering:
        return None
    ordering = tuple(queryset.query.order_by) or tuple(queryset.model._meta.ordering or ())
    ordering = tuple(dict.fromkeys(ordering))  # the changelist may repeat its tie-break
    if not ordering:
        return None
    fields, directions = [], set()
    for item in ordering:
        if isinstance(item, str):
            fields.append(item.lstrip("-"))
            directions.add(item.startswith("-"))
        elif (
            isinstance(item, OrderBy)
            and isinstance(item.expression, Alphabetical)
            and isinstance(item.expression.source_expressions[0], F)
        ):
            fields.append(item.expression)
            directions.add(item.descending)
        else:
            return None
    names = [keyset.column_name(field) for field in fields]
    opts = queryset.model._meta
    if len(directions) != 1 or fields[-1] not in {"pk", opts.pk.name, opts.pk.attname}:
        return None
    for name in names[:-1]:
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return None
        # A relation's name orders by the related table (a join); its column (profile_id) is
        # this table's. NULLs would fall out of the row comparison.
        if not field.concrete or field.null or (field.is_relation and name != field.attname):
            return None
    return fields, directions.pop()


def cursor_of(fields, row):
    """Return the URL's position of ``row`` in a list ordered by ``fields`` (model fields,
    the key last): the key alone as text ("?after=4711"), or every field's value as text
    (a ``core.keyset`` cursor)."""
    if len(fields) == 1:
        return fields[0].value_to_string(row)
    return keyset.encode_cursor([field.value_to_string(row) for field in fields])


def position_of(fields, text):
    """Return the values of ``fields`` a position of ``cursor_of`` holds, each of its
    field's type, or None when the text is not one."""
    texts = [text] if len(fields) == 1 else keyset.decode_texts(text, len(fields))
    if texts is None:
        return None
    try:
        return [_typed(field, text) for field, text in zip(fields, texts, strict=True)]
    except ValidationError:
        return None


def _typed(field, text):
    """Read ``text`` as a value of ``field``: a whole number within 64 bits for an integer
    column or a relation's id (a longer one would be a database error), the field's own
    reading otherwise (a time, a UUID, a text)."""
    target = getattr(field, "target_field", field)
    if isinstance(target, models.IntegerField):
        number = whole_number(text) if target.primary_key else _signed_number(text)
        if number is None:
            raise ValidationError("not a whole number")
        return number
    value = field.to_python(text)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _signed_number(text):
    """Return the text as a 64-bit integer (ASCII digits, perhaps a minus), or None."""
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(INT64_MAX)):
        return None
    number = int(text)
    return number if -INT64_MAX - 1 <= number <= INT64_MAX else None


def _paths(tree, prefix=""):
    """Yield the leaf paths ("profile__database") of a query's ``select_related`` tree."""
    for name, below in tree.items():
        if below:
            yield from _paths(below, f"{prefix}{name}__")
        else:
            yield f"{prefix}{name}"


class KeysetChangeList(ChangeList):
    """A changelist that pages by keyset in every order it offers.

    Its admin names the columns people may sort by and, for each, the columns of an index
    that orders the rows (``KeysetPagesMixin.keyset_orders``): a column no index orders is
    not offered, as sorting millions of rows by it takes seconds for any page. "Older"
    ("Next") carries the position of the last row shown (``?after=``), "Newer" ("Previous")
    the first (``?before=``): the id alone in the default order by the key, the row's values
    of the order's columns otherwise (``core.keyset`` cursors). Such a page is one range of
    the index (``WHERE (email, id) > (x, y) ORDER BY email, id LIMIT n``), as fast 500,000
    rows in as on page 1, where page 10,000 by number walks every entry before it. Page 1 is
    the paginator's, as before; edited in place (the formset needs a queryset) or shown
    whole, the list pages by number, and so does an old ``?p=`` link, as deep as
    ``DEEPEST_BY_NUMBER`` rows.
    """

    keyset_page = None
    sort = None  # (column, descending) when sorted by a column, else the default order

    def get_queryset(self, request, exclude_parameters=None):
        self.offered_orders = self.model_admin.get_keyset_orders(request)
        # The cursor is no filter (the admin takes any other parameter for a lookup and
        # answers "?e=1"), and a search, filter or sort from here starts on the first page.
        for name in (AFTER_VAR, BEFORE_VAR):
            self.params.pop(name, None)
            self.filter_params.pop(name, None)
        self._keep_offered_sort(request)
        return super().get_queryset(request, exclude_parameters)

    def _keep_offered_sort(self, request):
        """Keep the sort of the URL when an index orders it: its first column only (the id
        breaks ties, as a second column would need an index of its own); another says so and
        shows the default order."""
        order = self.params.get(ORDER_VAR)
        if not order or self.sort is not None:
            return
        _, prefix, index = order.split(".")[0].rpartition("-")
        try:
            column = self.list_display[int(index)]
        except (ValueError, IndexError):
            column = None
        if column in self.offered_orders:
            self.params[ORDER_VAR] = f"{prefix}{index}"
            self.sort = (column, prefix == "-")
        else:
            del self.params[ORDER_VAR]
            user_messages.warning(request, UNSORTABLE_MESSAGE)

    def get_ordering(self, request, queryset):
        if self.sort is None:
            return super().get_ordering(request, queryset)
        column, descending = self.sort
        return keyset.ordering(self.offered_orders[column], descending)

    def get_ordering_field_columns(self):
        """The columns the headings show as sorted: the one sorted by, or in the default
        order the offered column that order is (one profile's events by time). Django's
        guess from the model's ordering would mark columns the list is not sorted by."""
        if self.sort is not None:
            column, descending = self.sort
            return {self.list_display.index(column): "desc" if descending else "asc"}
        order = _keyset_order(self.queryset)
        if order is not None:
            fields, descending = order
            for column, columns in self.offered_orders.items():
                if columns == fields:
                    return {self.list_display.index(column): "desc" if descending else "asc"}
        return {}

    def get_results(self, request):
        by_number = self.list_editable or self.show_all
        self.keyset_order = None if by_number else _keyset_order(self.queryset)
        cursor = self._cursor(request) if self.keyset_order is not None else None
        if cursor:
            self.page_num = 1  # counted as page 1 is; the rows are the cursor's
        elif self.keyset_order is not None:
            self._bound_page_number(request)
        super().get_results(request)
        if cursor:
            fields, descending = self.keyset_order
            self.keyset_page = keyset.page(
                self._page_queryset(),
                fields,
                descending=descending,
                size=self.list_per_page,
                cursor_of=self._cursor_of,
                **cursor,
            )
            self.result_list = self.keyset_page.rows

    def _bound_page_number(self, request):
        """Show an old link's page deeper than ``DEEPEST_BY_NUMBER`` rows as the deepest
        page by number, and say so: past it, the keyset links page as fast as page 1."""
        deepest = max(1, DEEPEST_BY_NUMBER // self.list_per_page)
        if self.page_num <= deepest:
            return
        onward = "Older" if self._newest_first else "Next"
        user_messages.warning(
            request,
            f"Pages by number go as deep as page {deepest:,}: page {self.page_num:,} was "
            f"asked for, page {deepest:,} is shown; the “{onward}” link goes on from there.",
        )
        self.page_num = deepest

    def _page_queryset(self):
        """The queryset a keyset page reads: in an order led by a relation's column
        (``profile_id``), the related rows come in a second query by their ids rather than
        by a join, which PostgreSQL merges by reading the related table's key from its start
        up to the page (half the profiles' index for a page half way in)."""
        leading = (self._order_fields or [None])[0]
        joined = self.queryset.query.select_related
        if leading is None or not leading.is_relation or not isinstance(joined, dict):
            return self.queryset
        paths = list(_paths(joined))
        return (
            self.queryset.select_related(None)
            .select_related(*(path for path in paths if path.split("__")[0] != leading.name))
            .prefetch_related(*(path for path in paths if path.split("__")[0] == leading.name))
        )

    @cached_property
    def _order_fields(self):
        """The model fields of the order's columns before the key (none in the key's order)."""
        fields, _ = self.keyset_order
        return [self.lookup_opts.get_field(keyset.column_name(field)) for field in fields[:-1]]

    def _cursor_of(self, row):
        return cursor_of([*self._order_fields, self.lookup_opts.pk], row)

    def _position(self, text):
        return position_of([*self._order_fields, self.lookup_opts.pk], text)

    def _cursor(self, request):
        """Return the ``after`` or ``before`` position in the URL; a bad one says so and
        gives the first page."""
        for name in (AFTER_VAR, BEFORE_VAR):
            if name in request.GET:
                position = self._position(request.GET[name])
                if position is None:
                    user_messages.warning(request, "That page link was not valid: the first page.")
                    return None
                return {name: position}
        return None

    @property
    def _newest_first(self):
        """Whether the order is newest first: descending by the key or by a time."""
        _, descending = self.keyset_order
        first = (self._order_fields or [self.lookup_opts.pk])[0]
        return descending and (first.primary_key or isinstance(first, models.DateTimeField))

    @cached_property
    def keyset_links(self):
        """Return the URLs of the first, the previous and the next page of a list paged by
        keyset (empty where there is nowhere to go), or None when it pages by number."""
        if self.keyset_order is None:
            return None
        if self.keyset_page is None:  # the paginator's page: page 1, or an older ?p= link
            rows = list(self.result_list)  # the rows already read for the table
            has_previous = self.page_num > 1
            has_next = self.page_num < self.paginator.num_pages
        else:
            page = self.keyset_page
            rows, has_previous, has_next = page.rows, page.has_previous, page.has_next
        return {
            "previous_label": "Newer" if self._newest_first else "Previous",
            "next_label": "Older" if self._newest_first else "Next",
            "first": self.get_query_string() if has_previous else None,
            "previous": rows
            and has_previous
            and self.get_query_string({BEFORE_VAR: self._cursor_of(rows[0])}),
            "next": rows
            and has_next
            and self.get_query_string({AFTER_VAR: self._cursor_of(rows[-1])}),
        }


class KeysetPagesMixin:
    """Page a big table's changelist by keyset (``KeysetChangeList``); to be used with
    ``EstimatedCountPaginator``.

    ``keyset_orders`` names the columns of ``list_display`` people may sort by, each with the
    columns of an index that orders the rows that way, ending with the id (a text people
    read in alphabetical order as ``Alphabetical(name)``, its index on the collated column);
    the others are not offered (``get_keyset_orders`` may depend on the request).
    """

    keyset_orders = {}

    def get_changelist(self, request, **kwargs):
        return KeysetChangeList

    def get_keyset_orders(self, request):
        return self.keyset_orders

    def get_sortable_by(self, request):
        return list(self.get_keyset_orders(request))

    def action_checkbox(self, obj):
        """Each row's selection checkbox, Django's markup written directly.

        Django renders it through the checkbox widget's template: 0.4 ms a row, a fifth of
        a 100-row page of subscriptions. Same attributes, in the same order, escaped alike.
        """
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


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

    def deletion_counts(self, objs):
        """Return {kind of row: count} that deleting objs removes (or a list of why not)."""
        return summarised_deletion(objs, router.db_for_write(self.model))

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        result = self.protected_summary(objs) or self.deletion_counts(objs)
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


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw id box that names the row it holds only when ``rows`` (the field's scoped
    choices) include it.

    Django's widget looks the id up in the whole table to show the row's name and link
    beside the box: an id of another database typed in the URL (``?profile=1``) would show
    that profile's name and email, and sequential ids list them all.
    """

    def __init__(self, rel, admin_site, rows, attrs=None, using=None):
        super().__init__(rel, admin_site, attrs, using)
        self.rows = rows

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            shown = self.rows.using(self.db).filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            shown = False
        return super().label_and_url_for_value(value) if shown else ("", "")


class ScopedAdminMixin:
    """List, show and edit only rows of the profile databases the staff member may see.

    ``database_path`` is the lookup from the rows to their database; an admin whose rows
    are seen by another rule (catalog-wide products) overrides ``scope``. A foreign key to
    a model whose admin is scoped too (a database, a profile, a segment) accepts only the
    rows that admin shows, a raw id typed in included, and its raw id box names no other
    (``ScopedRawIdWidget``).
    """

    database_path = "database"

    def scope(self, rows, user):
        """Return the rows of ``rows`` this admin shows ``user``."""
        return scoping.visible(rows, user, self.database_path)

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        target = db_field.related_model
        if isinstance(self.admin_site._registry.get(target), ScopedAdminMixin):
            rows = visible_in_admin(self.admin_site, target, request.user)
            kwargs["queryset"] = rows
            # The raw id box Django would make (it prefers an autocomplete named too).
            if (
                "widget" not in kwargs
                and db_field.name in self.raw_id_fields
                and db_field.name not in self.get_autocomplete_fields(request)
            ):
                kwargs["widget"] = ScopedRawIdWidget(
                    db_field.remote_field, self.admin_site, rows, using=kwargs.get("using")
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def visible_in_admin(admin_site, model, user):
    """Return the rows of ``model`` its admin shows ``user``: every row when that admin is
    not scoped (channels, resources), else those of the databases the user may see."""
    rows = model._default_manager.all()
    model_admin = admin_site._registry.get(model)
    if isinstance(model_admin, ScopedAdminMixin):
        rows = model_admin.scope(rows, user)
    return rows


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A filter by a related row (a database, a segment, a scenario) listing every row of
    it the staff member may see, by the related table's own admin scope.

    Django's plain filter lists every row of the related table, other databases' included;
    its "related only" filter reads the listed table whole for the values in use (a DISTINCT
    over millions of memberships or hits for each page).
    """

    def field_choices(self, field, request, model_admin):
        choices = visible_in_admin(model_admin.admin_site, field.related_model, request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            choices = choices.order_by(*ordering)
        return [(row.pk, str(row)) for row in choices]


# The list filter by profile database most admins have.
SCOPED_DATABASE = ("database", ScopedRelatedFilter)


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
