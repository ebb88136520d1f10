"""The profile list (search, filters, orders, keyset pages, the bulk bar) and "Add profile"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from core import keyset
from core.collation import Alphabetical
from core.htmx import ANY_TARGET, answer
from core.status import Status
from core.text import whole_number
from operations.list_exports import FORMATS, start_export
from operations.profiles import create_profile
from profiles.filters import ProfileFilter
from profiles.models import Profile, ProfileDatabase
from web.jobs.views import job_file

from ..access import require_perm
from ..forms import NEW_PROFILE_FIELDS, new_profile_form
from .bulk import bulk_context

PAGE_SIZE = 25
# The list's orders: ?sort=<key> ascending, ?sort=-<key> descending. Each ends with the id
# (a unique tie-break for keyset pages) and has an index on the same columns
# (Profile.Meta.indexes; "created" is the id's order: ids are given in order of creation).
# Names are in alphabetical order, case and accents aside (core.collation).
SORTS = {
    "created": ("id",),
    "name": (Alphabetical("last_name"), Alphabetical("first_name"), "id"),
    "email": ("email", "id"),
    "status": ("status", "id"),
}
SORT_LABELS = {
    "-created": "newest first",
    "created": "oldest first",
    "name": "last name, A to Z",
    "-name": "last name, Z to A",
    "email": "email, A to Z",
    "-email": "email, Z to A",
    "status": "status, A to Z",
    "-status": "status, Z to A",
}
DEFAULT_SORT = "-created"
# Up to this many profiles the list says exactly how many; beyond, about how many.
EXACT_TOTAL_MAX = 1000
# Parameters that place a page rather than choose the rows: left out of the sort links.
POSITION_KEYS = {"after", "before", "page"}


def _sort(request):
    """Return the order asked for (``?sort=``), the default for one the list has not."""
    sort = request.GET.get("sort", DEFAULT_SORT)
    return sort if sort in SORT_LABELS else DEFAULT_SORT


def _cursor(request, key, fields):
    value = request.GET.get(key)
    if value is None:
        return None
    position = keyset.decode_cursor(value, fields)
    if position is None:
        raise Http404("This page link is not one the list gave.")
    return position


def _total_text(count, exact):
    noun = "profile" if count == 1 else "profiles"
    if exact:
        return f"{count:,} {noun}"
    return f"about {keyset.about(count)} {noun}"


@login_required
@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
def profile_list(request):
    """List the profiles of the user's databases: search, filter, sort, page by keyset."""
    require_perm(request.user, "profiles.view_profile")
    data = request.GET.copy()
    for key in list(data):
        values = [value for value in data.getlist(key) if value.strip()]
        data.setlist(key, values) if values else data.pop(key)
    sort = _sort(request)
    fields = SORTS[sort.removeprefix("-")]
    after, before = _cursor(request, "after", fields), _cursor(request, "before", fields)
    queryset = Profile.objects.visible_to(request.user).select_related("database")
    profile_filter = ProfileFilter(data, queryset=queryset, request=request)
    page = keyset.Page([], has_previous=False, has_next=False)
    total_text = ""
    if profile_filter.is_valid():
        page = keyset.page(
            profile_filter.qs,
            fields,
            descending=sort.startswith("-"),
            after=after,
            before=None if after else before,
            size=PAGE_SIZE,
        )
        if page.has_previous or page.has_next:
            count, exact = keyset.estimated_count(profile_filter.qs, EXACT_TOTAL_MAX)
        else:  # one page holds them all: no need to ask
            count, exact = len(page.rows), True
        total_text = _total_text(count, exact)
    query = [
        (key, value)
        for key, values in data.lists()
        for value in values
        if key not in POSITION_KEYS and key != "sort"
    ]
    databases = list(ProfileDatabase.objects.visible_to(request.user))
    ctx = {
        "filter": profile_filter,
        "profiles": page.rows,
        "page": page,
        "has_next": page.has_next,
        "has_previous": page.has_previous,
        "total_text": total_text,
        "sort": sort,
        "sort_label": SORT_LABELS[sort],
        "sort_choices": list(SORT_LABELS.items()),
        "sort_links": _sort_links(query, sort),
        "query": [*query, ("sort", sort)] if sort != DEFAULT_SORT else query,
        "filter_query": query,
        "search": data.get("search", ""),
        "databases": databases,
        "selected_database": data.get("database", ""),
        "selected_statuses": data.getlist("status"),
        "statuses": Status.choices,
        "filtered": bool(query),
        "export_database": _export_database(databases, data.get("database", "")),
        "export_formats": FORMATS,
        **bulk_context(request.user, databases),
    }
    # A page of results brings the order chosen (a column's header) into the filter form.
    partials = {ANY_TARGET: ("results", "sort-select")}
    return answer(request, "profiles/list.html", ctx, partials=partials)


def _sort_links(query, sort):
    """For each sortable column: the URL sorting by it (the other way when it is the
    current order), and the ``aria-sort`` it has now."""
    base = reverse("profiles:list")
    links = {}
    for key in SORTS:
        current = sort.removeprefix("-") == key
        descending = sort.startswith("-")
        if current:
            target = key if descending else f"-{key}"
        else:
            target = "-created" if key == "created" else key
        params = [*query, ("sort", target)] if target != DEFAULT_SORT else query
        links[key] = {
            "url": base + ("?" + urlencode(params) if params else ""),
            "aria_sort": ("descending" if descending else "ascending") if current else "none",
            "arrow": ("▼" if descending else "▲") if current else "",
        }
    return links


def _export_database(databases, chosen):
    """The database an export of the list takes: the one chosen among ``databases`` (those
    the user sees), or the only one."""
    if chosen:
        return next((database for database in databases if str(database.pk) == chosen), None)
    return databases[0] if len(databases) == 1 else None


@login_required
@require_POST
def profile_list_export(request):
    """Export the profiles of one database, filtered as the list is, to CSV or XLSX: a small
    selection is made at once and downloaded in the same click; a large one is a
    background job whose page shows its progress and then the download."""
    require_perm(request.user, "profiles.view_profile")
    require_perm(request.user, "profiles.export_profile")
    chosen = request.POST.get("database", "")
    database = _export_database(list(ProfileDatabase.objects.visible_to(request.user)), chosen)
    kept = [
        (key, value)
        for key in ("search", "database", "status")
        for value in request.POST.getlist(key)
    ]
    back = reverse("profiles:list") + "?" + urlencode(kept)
    if database is None:
        if chosen:
            raise Http404("No such profile database.")
        messages.error(request, "Choose the database to export: one export holds one database.")
        return redirect(back)
    try:
        job = start_export(
            request.user,
            database,
            search=request.POST.get("search", ""),
            status=[value for value in request.POST.getlist("status") if value],
            fmt=request.POST.get("format", "csv"),
            inline=None,
        )
    except ValidationError as error:
        for name, errors in error.message_dict.items():
            for message in errors:
                messages.error(request, f"{name.capitalize()}: {message}")
        return redirect(back)
    if job.worker == "inline" and job.result_file() is not None:  # made in this request
        return job_file(request, job)
    messages.success(request, f"Export of {database} started.")
    return redirect("jobs:detail", job.pk)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def profile_create(request):
    """Add a profile by hand to one of the user's databases (recorded as a manual import)."""
    require_perm(request.user, "profiles.add_profile")
    databases = ProfileDatabase.objects.visible_to(request.user)
    source = request.POST if request.method == "POST" else request.GET
    chosen = source.get("database", "")
    database = databases.filter(pk=chosen).first() if whole_number(chosen) else None
    if database is None and not chosen:
        candidates = list(databases[:2])
        database = candidates[0] if len(candidates) == 1 else None
    if request.method == "POST":
        form = new_profile_form(request.user, request.POST, database)
        if form.is_valid():
            try:
                profile = create_profile(form.database(), form.checked, source="manual")
            except ValidationError as error:  # an email taken meanwhile (a double submit)
                form.add_write_errors(error)
            else:
                messages.success(request, f"Profile {profile} added to {profile.database}.")
                return redirect(profile)
    else:
        form = new_profile_form(request.user, database=database)
        form.initial.update(
            {key: request.GET[key] for key in NEW_PROFILE_FIELDS[1:] if key in request.GET}
        )
    ctx = {"form": form, "database": database, "has_databases": databases.exists()}
    # A GET from htmx reloads the additional fields for another database; a POST always
    # gets the page.
    partials = {ANY_TARGET: "create-custom"} if request.method == "GET" else None
    return answer(request, "profiles/create.html", ctx, partials=partials)
