"""The profile page: the header, the data tabs and the lower sections.

Each lower section (History, Interactions, Data, Subscriptions, Loyalty programs) is a
view of its own app at its own URL. It finds the profile with
``profiles.access.get_profile_for_user``, builds its context and returns
``render_section(request, profile, slug, "app/template.html#partial", ctx)``:

- an htmx request aimed at ``#section`` gets the section's partial only;
- an htmx request aimed at ``#tab-content`` (a data tab switched while on this section)
  gets the data tab's partial only;
- any other request (a first visit, a reload, a bookmark, history restore) gets the whole
  profile page with that section and the data tab of ``?tab=`` open.
"""

from dataclasses import dataclass

from django.shortcuts import render
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
    Section("interactions", "Interactions", "profiles:interactions"),
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


def active_tab(request, profile):
    tabs = profile.database.tabs()
    slug = request.GET.get("tab") or profile.database.default_tab
    tab = next((tab for tab in tabs if tab.slug == slug), None) or tabs[0]
    return tabs, tab


def render_section(request, profile, slug, template_name, context):
    """Render a lower section of the profile page: alone for htmx, else the whole page."""
    section = SECTIONS_BY_SLUG[slug]
    ctx = {"profile": profile, "section": section, **context}
    target = (
        request.htmx.target if request.htmx and not request.htmx.history_restore_request else None
    )
    if target == "section":
        return render(request, template_name, ctx)
    tabs, tab = active_tab(request, profile)
    ctx |= {"tabs": tabs, "tab": tab, "rows": tab_rows(profile, tab)}
    if target == "tab-content":
        return render(request, "profiles/detail.html#tab-content", ctx)
    ctx |= {
        "sections": [(s, s.url(profile)) for s in SECTIONS],
        "section_template": template_name,
    }
    return render(request, "profiles/detail.html", ctx)
