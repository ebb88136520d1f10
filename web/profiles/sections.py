"""The profile page: the header, the data tabs and the sections apps register below them.

Each app package declares its section of the page in its ``sections`` module (loaded at
start-up by ``web.apps``) and serves it from a view of its own:

    register(Section("history", "History", "history:profile", "history/section.html", 10))

The section's view finds the profile with ``web.profiles.access.get_profile_for_user``,
builds its context and returns ``render_section(request, profile, slug, ctx)``; the page
names no app, it shows what is registered, in order.

A section may be made of parts that several app packages contribute (the Interactions
section: static segments from one, trigger mailings and scenarios from another). Each part
is a template and a function building its context from the request and the profile:

    register_part("interactions", Part("triggers", "interactions/triggers.html", triggers))

``render_section`` merges every part's context (the view's own context wins, so a view
passes a form with its errors) and gives the section template the part templates in
order, as ``section_parts``, to include. An action on a part answers with
``answer_part``: the section again with a ``Notice`` in the part for htmx, or a redirect
to the section with the notice as a message. How ``render_section`` answers:

- an htmx request aimed at ``#section`` gets the section only (plus the two tab bars,
  swapped out of band so the active marks and links follow the new URL);
- an htmx request aimed at ``#tab-content`` (a data tab switched while on this section)
  gets the data tab only (plus the section tab bar, out of band);
- any other request (a first visit, a reload, a bookmark, history restore) gets the whole
  profile page with that section and the data tab of ``?tab=`` open.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect
from django.urls import reverse

from core.fieldtypes import is_empty, typed_display
from core.htmx import ANY_TARGET, after_change, answer, chosen_partials, render_partials
from core.names import country_label, language_label
from profiles.fields import FIELDS_BY_NAME

from .forms import AvatarForm, StatusForm

PAGE = "profiles/detail.html"
SECTION_PARTIALS = {
    "section": ("section-content", "data-tabs", "section-tabs"),
    "tab-content": ("tab-content", "section-tabs"),
}


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    url_name: str  # takes the profile_id
    template: str  # the section's content
    order: int = 100

    def url(self, profile):
        return reverse(self.url_name, args=[profile.profile_id])


_registry = {}


def register(section):
    """Add a section to every profile page."""
    _registry[section.slug] = section
    return section


def sections():
    """Return the registered sections in page order."""
    return sorted(_registry.values(), key=lambda section: (section.order, section.slug))


def get_section(slug):
    return _registry[slug]


@dataclass(frozen=True)
class Part:
    """A block of a section: its template (included by the section's) and its context."""

    slug: str
    template: str
    context: Callable  # (request, profile) -> dict
    order: int = 100


_parts = defaultdict(dict)


def register_part(section_slug, part):
    """Add a part to a section (the section may be registered by another app package)."""
    _parts[section_slug][part.slug] = part
    return part


def parts(section_slug):
    """Return the section's registered parts in page order."""
    return sorted(_parts[section_slug].values(), key=lambda part: (part.order, part.slug))


def parts_context(request, profile, section_slug):
    """Return the section's part templates (``section_parts``) and their merged context."""
    ctx = {}
    registered = parts(section_slug)
    for part in registered:
        ctx |= part.context(request, profile)
    ctx["section_parts"] = [part.template for part in registered]
    return ctx


@dataclass(frozen=True)
class Notice:
    """What an action on a part did: shown in that part (htmx), or as a message on the page
    a plain request is redirected to."""

    part: str  # the part's slug
    text: str
    level: str = "success"  # success, warning or error: the message's tag

    @property
    def message_level(self):
        return {"success": messages.SUCCESS, "warning": messages.WARNING}.get(
            self.level, messages.ERROR
        )


def answer_part(request, profile, slug, notice=None, context=None):
    """Answer an action on a part of section ``slug``: htmx gets the section's ``body``
    partial with ``notice`` shown in the part (and ``context`` over the parts' own); a
    plain request a redirect to the section (Post/Redirect/Get), the notice a message."""
    if notice and not getattr(request, "htmx", None):
        messages.add_message(request, notice.message_level, notice.text)
    ctx = {**(context or {}), "notice": notice}
    return after_change(
        request,
        fragment=lambda: render_section(request, profile, slug, ctx, partials={ANY_TARGET: "body"}),
        redirect_to=get_section(slug).url(profile),
    )


def refuse_part(request, profile, slug, message, context):
    """Answer a refused form of a part: htmx gets the section with ``context`` (the form,
    its error beside the field, status 200 so htmx swaps it); a plain request a redirect to
    the section with ``message`` as an error (its form would not survive the redirect)."""
    if getattr(request, "htmx", None):
        return render_section(request, profile, slug, context, partials={ANY_TARGET: "body"})
    messages.error(request, message)
    return redirect(get_section(slug).url(profile))


# Standard fields holding a code, shown by name: "France (FR)", "French (fr)".
NAMED_CODES = {"country": country_label, "reg_country": country_label, "language": language_label}


def tab_rows(profile, tab):
    """Return (key, label, value) for each field the tab shows, values as people read them
    (countries and languages by name, date custom fields as dates)."""
    definitions = {f"custom.{f.name}": f for f in profile.database.custom_fields.all()}
    rows = []
    for key in tab.fields:
        if key in definitions:
            definition = definitions[key]
            value = typed_display(definition.type, profile.custom_value(definition.name))
            rows.append((key, definition.display_label(), value))
        elif key in FIELDS_BY_NAME:
            display = getattr(profile, f"get_{key}_display", None)
            value = display() if display else getattr(profile, key)
            if key in NAMED_CODES:
                value = NAMED_CODES[key](value)
            rows.append((key, FIELDS_BY_NAME[key].label, value))
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
    page_paths = {profile.get_absolute_url()} | {s.url(profile) for s in sections()}
    if request.htmx and request.htmx.current_url:
        parts = urlsplit(request.htmx.current_url)
        if parts.path in page_paths:
            return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return profile.get_absolute_url()


def section_links(profile, tab_slug=None):
    """Return (section, url) for the section tab bar, keeping the open data tab if chosen."""
    query = f"?tab={tab_slug}" if tab_slug else ""
    return [(section, section.url(profile) + query) for section in sections()]


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
        "tab_chosen": bool(explicit_tab),
    }


def render_tab(request, profile, tab_slug, *, status=200, header=False):
    """Answer a form aimed at ``#tab-content`` with the read-only tab of the page shown;
    with ``header`` the page header too, out of band (an edit may change its name, email)."""
    ctx = tab_context(request, profile, tab_slug, page_url=current_page_url(request, profile))
    ctx["section"] = section_for_url(ctx["page_url"], profile)
    names = SECTION_PARTIALS["tab-content"]
    if header:
        ctx |= header_context(profile)
        names = (*names, "header")
    return render_partials(request, PAGE, ctx, names, status=status)


def section_for_url(url, profile):
    path = urlsplit(url).path
    shown = sections()
    return next((s for s in shown if s.url(profile) == path), shown[0])


def header_context(profile, status_form=None, avatar_form=None):
    """Return what the page header partial (``profiles/detail.html#header``) needs."""
    return {
        "profile": profile,
        "status_form": status_form or StatusForm(initial={"status": profile.status}),
        "avatar_form": avatar_form or AvatarForm(),
    }


def render_section(request, profile, slug, context, *, partials=None):
    """Render a section of the profile page: alone for htmx, else the whole page.

    ``partials`` maps targets inside the section to partials of its template (the
    history's results, say); they are answered before the page's own targets.
    """
    section = get_section(slug)
    ctx = {"profile": profile, "section": section, "section_template": section.template}
    chosen = chosen_partials(request, SECTION_PARTIALS)
    if chosen_partials(request, partials) or chosen[:1] != ("tab-content",):
        ctx |= parts_context(request, profile, slug)  # the section is shown
    ctx |= context
    if chosen_partials(request, partials):
        return answer(request, section.template, ctx, partials=partials)
    if chosen[:1] == ("section-content",):
        tabs, tab = active_tab(request, profile)
        explicit_tab = request.GET.get("tab")
        ctx |= {
            "tabs": tabs,
            "tab": tab,
            "page_url": request.get_full_path(),
            "sections": section_links(profile, tab.slug if explicit_tab else None),
        }
        return render_partials(request, PAGE, ctx, chosen)
    ctx |= tab_context(request, profile)
    if not chosen:
        ctx |= header_context(profile)
    return answer(request, PAGE, ctx, partials=SECTION_PARTIALS)


# The profile's own sections (the other apps register theirs in their ``sections`` module).
# Data and Loyalty programs are made of parts the data apps contribute (pixels: web.pixels).
register(Section("data", "Data", "profiles:data", "profiles/sections/data.html", order=30))
register(
    Section("loyalty", "Loyalty programs", "profiles:loyalty", "profiles/sections/loyalty.html", 50)
)


def custom_data(request, profile):
    """The Data section's first part: the database's additional fields and their values."""
    definitions = list(profile.database.custom_fields.all())
    custom = [
        (
            f.display_label(),
            f.get_type_display(),
            typed_display(f.type, profile.custom_value(f.name)),
        )
        for f in definitions
    ]
    return {
        "custom": custom,
        "custom_filled": sum(1 for _, _, value in custom if not is_empty(value)),
    }


register_part("data", Part("custom", "profiles/parts/custom_data.html", custom_data, order=10))
