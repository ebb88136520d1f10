"""The edit form of one data tab."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from core.htmx import ANY_TARGET, after_change, answer
from operations.profiles import update_profile
from web.templatetags.profiles_tags import query_url

from ..access import get_profile_for_user
from ..forms import tab_form
from ..sections import current_page_url, render_tab, tab_context


def _saved(form, profile):
    """Write the checked values; a conflict found by the write (an email taken meanwhile)
    is shown beside its field like any other error."""
    try:
        update_profile(profile, form.checked, source="manual")
    except ValidationError as error:
        form.add_write_errors(error)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def profile_edit(request, profile_id):
    """Show the form of the ``?tab=`` data tab; save it, or show it again with the errors."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    ctx = tab_context(request, profile, page_url=current_page_url(request, profile))
    tab = ctx["tab"]
    if request.GET.get("tab") and request.GET["tab"] != tab.slug:
        raise Http404("No such tab.")
    form = tab_form(profile, tab, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _saved(form, profile):
        return after_change(
            request,
            fragment=lambda: render_tab(request, profile, tab.slug, header=True),
            redirect_to=query_url(profile.get_absolute_url(), tab=tab.slug),
            message=f"{tab.label} saved.",
        )
    ctx |= {"form": form, "form_rows": form.field_rows(tab.fields)}
    return answer(request, "profiles/edit.html", ctx, partials={ANY_TARGET: "tab-form"})
