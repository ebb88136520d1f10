"""The profile page itself, its status change and the Data and Loyalty programs sections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import resolve, reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.htmx import after_change, render_partials
from operations.profiles import change_status

from ..access import get_profile_for_user
from ..forms import StatusForm
from ..sections import PAGE, current_page_url, header_context, render_section, sections


@login_required
def profile_detail(request, profile_id):
    """The profile page opens on its first section (whichever app registered it)."""
    first = sections()[0]
    match = resolve(reverse(first.url_name, args=[profile_id]))
    return match.func(request, *match.args, **match.kwargs)


@login_required
@require_POST
def profile_status(request, profile_id):
    """Change the global status (hard_bounced also puts the address on the suppression list)."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    form = StatusForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, f"Global status: {form.errors['status'][0]}")
            return redirect(current_page_url(request, profile))
        return render_partials(request, PAGE, header_context(profile, status_form=form), ["header"])
    if form.cleaned_data["status"] != profile.status:
        change_status(profile, form.cleaned_data["status"], source="manual")
    return after_change(
        request,
        fragment=lambda: render_partials(request, PAGE, header_context(profile), ["header"]),
        redirect_to=current_page_url(request, profile),
        message=f"Global status: {profile.get_status_display()}.",
    )


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_data(request, profile_id):
    """The Data section: its parts (custom data here; promo codes, forms, relations, orders,
    pixels from their apps' ``sections`` modules)."""
    profile = get_profile_for_user(request, profile_id)
    return render_section(request, profile, "data", {})


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_loyalty(request, profile_id):
    """The Loyalty programs section."""
    profile = get_profile_for_user(request, profile_id)
    return render_section(request, profile, "loyalty", {})
