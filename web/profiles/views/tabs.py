"""Tab settings (the cog): default tab, fields shown on a tab, custom tabs.

They are persisted per database and need ``profiles.change_profile``: choosing what a
tab shows is part of working with the profiles (the spec gives it to "the user"), while
``change_profiledatabase`` stays with staff who define the database's structure.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from core.htmx import ANY_TARGET, after_change, answer
from web.templatetags.profiles_tags import query_url

from ..access import get_profile_for_user
from ..forms import DefaultTabForm, NewTabForm, TabFieldsForm, add_model_errors
from ..sections import current_page_url, render_tab, tab_context


def _panel(request, profile, tab_slug=None, error="", notice="", moved="", **forms):
    ctx = tab_context(request, profile, tab_slug, page_url=current_page_url(request, profile))
    database, tab = profile.database, ctx["tab"]
    ctx |= {
        "database": database,
        "fields_form": forms.get("fields_form")
        or TabFieldsForm(database=database, initial={"fields": tab.fields}),
        "default_form": forms.get("default_form")
        or DefaultTabForm(tabs=ctx["tabs"], initial={"default_tab": database.default_tab}),
        "new_tab_form": forms.get("new_tab_form") or NewTabForm(database=database),
        "error": error,
        "notice": notice,
        "moved": moved,
    }
    return answer(
        request, "profiles/tab_settings.html", ctx, partials={ANY_TARGET: "settings-panel"}
    )


def _done(request, profile, tab_slug, message):
    def fragment():
        response = render_tab(request, profile, tab_slug)
        return push_url(response, query_url(current_page_url(request, profile), tab=tab_slug))

    return after_change(
        request,
        fragment=fragment,
        redirect_to=query_url(profile.get_absolute_url(), tab=tab_slug),
        message=message,
    )


def _profile(request, profile_id):
    return get_profile_for_user(request, profile_id, "profiles.change_profile")


def _locked_database(profile):
    """Re-read the database row locked: two people saving tab settings keep both changes."""
    return type(profile.database).objects.select_for_update().get(pk=profile.database_id)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def tab_settings(request, profile_id):
    """Show the cog's panel for the ``?tab=`` data tab."""
    return _panel(request, _profile(request, profile_id))


@login_required
@require_POST
def tab_fields(request, profile_id):
    """Choose the fields the ``?tab=`` tab shows, for every profile of the database."""
    profile = _profile(request, profile_id)
    tab = tab_context(request, profile)["tab"]
    form = TabFieldsForm(request.POST, database=profile.database)
    if form.is_valid():
        try:
            with transaction.atomic():
                database = _locked_database(profile)
                database.set_tab_fields(tab.slug, form.cleaned_data["fields"])
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            profile.database = database
            if form.moved():  # the order is being arranged: the settings stay open
                return _moved(request, profile, tab.slug, form)
            return _done(request, profile, tab.slug, f"Fields of “{tab.label}” saved.")
    return _panel(request, profile, tab.slug, fields_form=form)


def _moved(request, profile, tab_slug, form):
    """Answer a field moved up or down: the panel again (focus kept on the moved field's
    button for htmx), or the settings page for a plain request."""
    if not request.htmx:
        messages.success(request, form.moved())
        return redirect(
            query_url(reverse("profiles:tab_settings", args=[profile.profile_id]), tab=tab_slug)
        )
    return _panel(request, profile, tab_slug, notice=form.moved(), moved=form.cleaned_data["move"])


@login_required
@require_POST
def tab_default(request, profile_id):
    """Choose the tab a profile page of this database opens on."""
    profile = _profile(request, profile_id)
    ctx = tab_context(request, profile)
    form = DefaultTabForm(request.POST, tabs=ctx["tabs"])
    if form.is_valid():
        try:
            profile.database.set_default_tab(form.cleaned_data["default_tab"])
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            slug = form.cleaned_data["default_tab"]
            return _done(request, profile, slug, "Default tab saved.")
    return _panel(request, profile, ctx["tab"].slug, default_form=form)


@login_required
@require_POST
def tab_new(request, profile_id):
    """Create a custom tab with a name and chosen fields, and open it."""
    profile = _profile(request, profile_id)
    form = NewTabForm(request.POST, database=profile.database)
    if form.is_valid():
        try:
            with transaction.atomic():
                database = _locked_database(profile)
                tab = database.add_custom_tab(
                    form.cleaned_data["label"], form.cleaned_data["fields"]
                )
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            profile.database = database
            return _done(request, profile, tab.slug, f"Tab “{tab.label}” created.")
    return _panel(request, profile, request.GET.get("tab"), new_tab_form=form)


@login_required
@require_POST
def tab_remove(request, profile_id):
    """Remove the ``?tab=`` custom tab (the standard tabs stay)."""
    profile = _profile(request, profile_id)
    tab = tab_context(request, profile)["tab"]
    if not tab.custom:
        error = f"“{tab.label}” is a standard tab; only custom tabs can be removed."
        return _panel(request, profile, tab.slug, error=error)
    with transaction.atomic():
        database = _locked_database(profile)
        database.remove_custom_tab(tab.slug)
    profile.database = database
    return _done(request, profile, database.default_tab, f"Tab “{tab.label}” removed.")
