"""The profile list (search, filters, pages) and the "Add profile" page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from core.htmx import ANY_TARGET, answer
from core.status import Status
from core.text import INT64_MAX, whole_number
from operations.list_exports import FORMATS, start_export
from operations.profiles import create_profile
from profiles.filters import ProfileFilter
from profiles.models import Profile, ProfileDatabase
from web.jobs.views import job_file

from ..access import require_perm
from ..forms import NEW_PROFILE_FIELDS, new_profile_form

PAGE_SIZE = 25


def _page_number(request):
    # The row offset of the last page must fit the database's 64-bit integers.
    page = whole_number(request.GET.get("page", "1"), maximum=INT64_MAX // PAGE_SIZE)
    if page is None:
        raise Http404("Page numbers are whole numbers from 1.")
    return page


def _page_numbers(page, has_next):
    """Return the page links to show; the total is unknown (no COUNT over the table)."""
    numbers = list(range(max(1, page - 2), page + 1))
    if numbers[0] > 1:
        numbers = [1, None, *numbers] if numbers[0] > 2 else [1, *numbers]
    return [*numbers, page + 1] if has_next else numbers


@login_required
@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
def profile_list(request):
    """List the profiles of the user's databases: search, filter by database and status."""
    require_perm(request.user, "profiles.view_profile")
    data = request.GET.copy()
    for key in list(data):
        values = [value for value in data.getlist(key) if value.strip()]
        data.setlist(key, values) if values else data.pop(key)
    page = _page_number(request)
    queryset = Profile.objects.visible_to(request.user).select_related("database")
    profile_filter = ProfileFilter(data, queryset=queryset, request=request)
    rows = []
    if profile_filter.is_valid():
        offset = (page - 1) * PAGE_SIZE
        rows = list(profile_filter.qs[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = [(key, value) for key, values in data.lists() for value in values if key != "page"]
    databases = list(ProfileDatabase.objects.visible_to(request.user))
    ctx = {
        "filter": profile_filter,
        "profiles": rows,
        "page": page,
        "has_next": has_next,
        "page_numbers": _page_numbers(page, has_next),
        "first_row": (page - 1) * PAGE_SIZE + 1,
        "last_row": (page - 1) * PAGE_SIZE + len(rows),
        "query": query,
        "search": data.get("search", ""),
        "databases": databases,
        "selected_database": data.get("database", ""),
        "selected_statuses": data.getlist("status"),
        "statuses": Status.choices,
        "filtered": bool(query),
        "export_database": _export_database(databases, data.get("database", "")),
        "export_formats": FORMATS,
    }
    return answer(request, "profiles/list.html", ctx, partials={ANY_TARGET: "results"})


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
    # A GET from htmx reloads the form for another database; a POST always gets the page.
    partials = {ANY_TARGET: "create-form"} if request.method == "GET" else None
    return answer(request, "profiles/create.html", ctx, partials=partials)
