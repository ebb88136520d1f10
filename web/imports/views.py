"""The file import pages: upload a file, map its columns (with a live preview), start.

The upload is kept under a token (``store_upload``) that only its uploader may use: the
tokens a user uploaded are kept in their session, and any other token answers 404. The
import itself runs as a background job whose page shows its progress and report.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from core.text import whole_number
from operations.file_imports import (
    FileRefused,
    check_upload,
    discard_upload,
    match_choices,
    preview,
    preview_rows,
    start_file_import,
    store_upload,
    targets,
)
from profiles.models import ProfileDatabase

from .forms import MappingForm, UploadForm

PERMISSIONS = ["profiles.add_profile", "profiles.change_profile"]
SESSION_KEY = "imports"
KEPT_TOKENS = 20  # the latest uploads a session may map; older ones are forgotten
# Errors of ``start_file_import`` keyed by a name the mapping form shows beside a field.
FORM_FIELDS = {"mode", "match", "segment_name", "detect_location", "skip_triggers"}


def require_import_permission(user):
    """Importing adds and changes profiles: both permissions, or 403."""
    if not user.has_perms(PERMISSIONS):
        raise PermissionDenied("Importing profiles needs the permissions to add and change them.")


def remember_upload(request, token):
    tokens = [kept for kept in request.session.get(SESSION_KEY, []) if kept != token]
    request.session[SESSION_KEY] = [*tokens, token][-KEPT_TOKENS:]


def get_upload_for_user(request, token):
    """Return (database, header) of an upload this user made, for a database they see;
    anything else answers 404 (another's upload does not exist for them)."""
    require_import_permission(request.user)
    if token not in request.session.get(SESSION_KEY, []):
        raise Http404("No such upload.")
    chosen = request.GET.get("database", "")
    if whole_number(chosen) is None:
        raise Http404("No such profile database.")
    database = get_object_or_404(ProfileDatabase.objects.visible_to(request.user), pk=chosen)
    return database, request.GET.get("header", "1") == "1"


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request):
    """Choose a database and upload a file; its columns are mapped on the next page."""
    require_import_permission(request.user)
    chosen = request.GET.get("database", "")
    initial = {"database": chosen} if chosen else {}
    form = UploadForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        uploaded, token = form.cleaned_data["file"], None
        try:
            token = store_upload(uploaded)
            # A file we cannot read is refused here, beside the field, by the name it has.
            check_upload(token, header=form.cleaned_data["header"], name=uploaded.name)
        except FileRefused as error:
            if token is not None:
                discard_upload(token)
            form.add_error("file", str(error))
        else:
            remember_upload(request, token)
            query = {
                "database": form.cleaned_data["database"].pk,
                "header": "1" if form.cleaned_data["header"] else "0",
            }
            return redirect(f"{reverse('imports:mapping', args=[token])}?{urlencode(query)}")
    return render(request, "imports/new.html", {"form": form})


def mapping_context(token, database, header, form, found):
    """What the mapping page shows: the columns with a sample each, the grouped targets,
    and the preview of the first rows as the current choices would import them."""
    available = targets(database)
    rows, mapping_errors = [], list(getattr(form, "mapping_errors", []))
    try:
        rows = preview_rows(
            database,
            token,
            form.mapping(),
            header=header,
            mode=form["mode"].value() or "upsert",
            match=form["match"].value() or "email",
        )
    except ValidationError as error:
        mapping_errors += error_messages(error, "mapping")
    except FileRefused as error:
        mapping_errors.append(str(error))
    query = urlencode({"database": database.pk, "header": "1" if header else "0"})
    return {
        "database": database,
        "header": header,
        "form": form,
        "columns": list(zip(form.columns, form.column_fields(), samples(found), strict=True)),
        "groups": grouped(available),
        "preview": preview_table(form.mapping(), rows, labels_of(available), found),
        "mapping_errors": list(dict.fromkeys(mapping_errors)),
        "total": found.total,
        "found": found,
        "action": f"{reverse('imports:mapping', args=[token])}?{query}",
        "preview_url": f"{reverse('imports:preview', args=[token])}?{query}",
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request, token):
    """Map the file's columns to profile fields, choose how to import, and start."""
    database, header = get_upload_for_user(request, token)
    try:
        found = preview(database, token, header=header)
    except FileRefused as error:
        ctx = {"database": database, "refused": str(error)}
        return render(request, "imports/mapping.html", ctx, status=400)
    form = mapping_form(request, database, found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = start_file_import(
                request.user,
                database,
                token,
                mapping=form.mapping(),
                mode=data["mode"],
                match=data["match"],
                header=header,
                detect_location=data["detect_location"],
                skip_triggers=data["skip_triggers"],
                segment_name=data["segment_name"],
            )
        except ValidationError as error:
            show_errors(form, error)
        except FileRefused as error:
            form.add_error(None, str(error))
        else:
            rows = f"{found.total} row{pluralize(found.total)}"
            messages.success(request, f"Import of {rows} into {database} started.")
            return redirect("jobs:detail", job.pk)
    ctx = mapping_context(token, database, header, form, found)
    return render(request, "imports/mapping.html", ctx)


@login_required
@require_POST
def import_preview(request, token):
    """The preview alone, for the mapping as currently chosen (htmx, on any change)."""
    database, header = get_upload_for_user(request, token)
    try:
        found = preview(database, token, header=header)
    except FileRefused as error:
        ctx = {"preview": None, "mapping_errors": [str(error)]}
        return render(request, "imports/mapping.html#preview", ctx)
    form = mapping_form(request, database, found)
    ctx = mapping_context(token, database, header, form, found)
    return render(request, "imports/mapping.html#preview", ctx)


def mapping_form(request, database, found):
    return MappingForm(
        request.POST or None,
        columns=found.columns,
        targets=targets(database),
        match_choices=match_choices(database),
        proposed=found.proposed,
    )


def show_errors(form, error):
    """Show each of the import's errors beside the field it names (the mapping's above the
    preview, below the columns; any other on top of the form)."""
    for name, errors in error_dict(error).items():
        for message in errors:
            if name in FORM_FIELDS:
                form.add_error(name, message)
            elif name == "mapping":
                form.mapping_errors = [*getattr(form, "mapping_errors", []), message]
            else:
                form.add_error(None, message)


def error_dict(error):
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def error_messages(error, name):
    errors = error_dict(error)
    return errors.get(name) or [message for messages in errors.values() for message in messages]


def samples(found):
    """The first data row's value of each column ("" where the row is short)."""
    first = found.sample[0] if found.sample else []
    return [first[number] if number < len(first) else "" for number in range(len(found.columns))]


def grouped(available):
    """The targets as (group, [(value, label)]) in order; group "" holds "skip"."""
    groups = {}
    for value, label, group in available:
        groups.setdefault(group, []).append((value, label))
    return list(groups.items())


def labels_of(available):
    return {value: label for value, label, _group in available}


def preview_table(mapping, rows, labels, found):
    """The preview's columns (the mapped targets, in the file's order) and, per row, each
    target's value as stored (the file's cell where the row would not be stored) with the
    errors that name it, plus the errors that name no column."""
    chosen = list(dict.fromkeys(target for target in mapping.values() if target != "skip"))
    table = []
    for row in rows:
        left = flat_errors(row.errors)
        raw = raw_values(mapping, found, row.number)
        cells = []
        for target in chosen:
            names = [name for name in left if names_target(name, target)]
            errors = [message for name in names for message in left.pop(name)]
            value = row.values[target] if target in row.values else raw.get(target, "")
            cells.append({"value": value, "errors": errors})
        others = [  # by the label a marketer knows ("App version", not "fields.app_version")
            (labels.get(name, name), message)
            for name, messages in left.items()
            for message in messages
        ]
        table.append(
            {
                "number": row.number,
                "status": row.status,
                "cells": cells,
                "others": others,
                "ok": not row.errors,
            }
        )
    headings = [labels.get(target, target) for target in chosen]
    return {"targets": chosen, "headings": headings, "rows": table}


def raw_values(mapping, found, number):
    """The file's cells of data row ``number`` (from 1), by the target of their column."""
    cells = found.sample[number - 1] if number <= len(found.sample) else []
    return {
        mapping.get(column, "skip"): cell
        for column, cell in zip(found.columns, cells, strict=False)
    }


def flat_errors(errors, prefix=""):
    """Nested errors ({"fields": {"plan": [...]}}) as {"fields.plan": [...]}."""
    flat = {}
    for key, value in (errors or {}).items():
        name = prefix if key == "non_field_errors" and prefix else f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= flat_errors(value, f"{name}.")
        else:
            flat[name.rstrip(".")] = [str(message) for message in value]
    return flat


def names_target(name, target):
    """Whether an error's field name is this target ("email", "fields.plan" as "plan"…)."""
    return name == target or target.endswith(f".{name}") or name.endswith(f".{target}")
