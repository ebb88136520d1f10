"""The profile page: the header, the data tabs and the lower sections.

Each lower section (History, Interactions, Data, Subscriptions, Loyalty programs) is a
view of its own app at its own URL. It finds the profile with
``profiles.access.get_profile_for_user``, builds its context and returns
``render_section(request, profile, slug, "app/template.html#partial", ctx)``:

- an htmx request aimed at ``#section`` gets the section's partial only (plus the two tab
  bars, swapped out of band so the active marks and links follow the new URL);
- an htmx request aimed at ``#tab-content`` (a data tab switched while on this section)
  gets the data tab's partial only (plus the section tab bar, out of band);
- any other request (a first visit, a reload, a bookmark, history restore) gets the whole
  profile page with that section and the data tab of ``?tab=`` open.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from .tabs import STANDARD_FIELDS


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    url_name: str

    def url(self, profile):
        return reverse(self.url_name, args=[profile.profile_id])


SECTIONS = [
    Section("history", "History", "history:profile"),
    Section("interactions", "Interactions", "segments:profile"),
    Section("data", "Data", "profiles:data"),
    Section("subscriptions", "Subscriptions", "subscriptions:profile"),
    Section("loyalty", "Loyalty programs", "profiles:loyalty"),
]
SECTIONS_BY_SLUG = {section.slug: section for section in SECTIONS}


def tab_rows(profile, tab):
    """Return (key, label, value) for each field the tab shows."""
    definitions = {f"custom.{f.name}": f for f in profile.database.custom_fields.all()}
    rows = []
    for key in tab.fields:
        if key in definitions:
            definition = definitions[key]
            rows.append((key, definition.display_label(), profile.custom_value(definition.name)))
        elif key in STANDARD_FIELDS:
            display = getattr(profile, f"get_{key}_display", None)
            value = display() if display else getattr(profile, key)
            rows.append((key, STANDARD_FIELDS[key].label, value))
    return rows


def active_tab(request, profile, slug=None):
    """Return the database's data tabs and the one to show (``?tab=`` or the default)."""
    prefetch_related_objects([profile.database], "custom_fields")
    tabs = profile.database.tabs()
    slug = slug or request.GET.get("tab") or profile.database.default_tab
    tab = next((tab for tab in tabs if tab.slug == slug), None) or tabs[0]
    return tabs, tab


def current_page_url(request, profile):
    """Return the path and query of the profile page the browser shows.

    Links in a fragment answered to a form (edit, settings, status) point back at that
    page, so a tab switched afterwards keeps the section and filters in the address bar.
    """
    page_paths = {profile.get_absolute_url()} | {s.url(profile) for s in SECTIONS}
    if request.htmx and request.htmx.current_url:
        parts = urlsplit(request.htmx.current_url)
        if parts.path in page_paths:
            return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return profile.get_absolute_url()


def section_links(profile, tab_slug=None):
    """Return (section, url) for the section tab bar, keeping the open data tab if chosen."""
    query = f"?tab={tab_slug}" if tab_slug else ""
    return [(section, section.url(profile) + query) for section in SECTIONS]


def tab_context(request, profile, tab_slug=None, page_url=None):
    """Return what the data tab partial (``profiles/detail.html#tab-content``) needs."""
    tabs, tab = active_tab(request, profile, tab_slug)
    page_url = page_url or request.get_full_path()
    explicit_tab = tab_slug or request.GET.get("tab")
    return {
        "profile": profile,
        "tabs": tabs,
        "tab": tab,
        "rows": tab_rows(profile, tab),
        "page_url": page_url,
        "sections": section_links(profile, tab.slug if explicit_tab else None),
    }


def render_tab(request, profile, tab_slug, *, status=200):
    """Answer a form aimed at ``#tab-content`` with the read-only tab of the page shown."""
    ctx = tab_context(request, profile, tab_slug, page_url=current_page_url(request, profile))
    ctx["section"] = section_for_url(ctx["page_url"], profile)
    html = render_to_string("profiles/detail.html#tab-content", ctx, request)
    html += render_to_string("profiles/detail.html#section-tabs", ctx | {"oob": True}, request)
    return HttpResponse(html, status=status)


def section_for_url(url, profile):
    path = urlsplit(url).path
    return next((s for s in SECTIONS if s.url(profile) == path), SECTIONS[0])


def header_context(profile, status_form=None, avatar_form=None):
    """Return what the page header partial (``profiles/detail.html#header``) needs."""
    from .forms import AvatarForm, StatusForm

    return {
        "profile": profile,
        "status_form": status_form or StatusForm(initial={"status": profile.status}),
        "avatar_form": avatar_form or AvatarForm(),
    }


def render_section(request, profile, slug, template_name, context):
    """Render a lower section of the profile page: alone for htmx, else the whole page."""
    section = SECTIONS_BY_SLUG[slug]
    ctx = {"profile": profile, "section": section, **context}
    target = (
        request.htmx.target if request.htmx and not request.htmx.history_restore_request else None
    )
    if target == "section":
        html = render_to_string(template_name, ctx, request)
        tabs, tab = active_tab(request, profile)
        explicit_tab = request.GET.get("tab")
        ctx |= {
            "tabs": tabs,
            "tab": tab,
            "page_url": request.get_full_path(),
            "sections": section_links(profile, tab.slug if explicit_tab else None),
            "oob": True,
        }
        html += render_to_string("profiles/detail.html#data-tabs", ctx, request)
        html += render_to_string("profiles/detail.html#section-tabs", ctx, request)
        return HttpResponse(html)
    ctx |= tab_context(request, profile)
    if target == "tab-content":
        html = render_to_string("profiles/detail.html#tab-content", ctx, request)
        html += render_to_string("profiles/detail.html#section-tabs", ctx | {"oob": True}, request)
        return HttpResponse(html)
    ctx |= header_context(profile)
    ctx["section_template"] = template_name
    return render(request, "profiles/detail.html", ctx)
