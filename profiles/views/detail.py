"""The profile page itself, its status change and the Data and Loyalty programs sections."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from ..access import get_profile_for_user
from ..forms import StatusForm
from ..sections import current_page_url, header_context, render_section
from ..services import change_status

PIXEL_EVENTS_SHOWN = 20


@login_required
def profile_detail(request, profile_id):
    """The profile page opens on its first section, History."""
    from history.views import profile_history

    return profile_history(request, profile_id)


@login_required
@require_POST
def profile_status(request, profile_id):
    """Change the global status (hard_bounced also puts the address on the suppression list)."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    form = StatusForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["status"] != profile.status:
            change_status(profile, form.cleaned_data["status"], source="manual")
        if not request.htmx:
            messages.success(request, f"Global status: {profile.get_status_display()}.")
            return redirect(current_page_url(request, profile))
        form = None
    elif not request.htmx:
        messages.error(request, f"Global status: {form.errors['status'][0]}")
        return redirect(current_page_url(request, profile))
    ctx = header_context(profile, status_form=form)
    return render(request, "profiles/detail.html#header", ctx)


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_data(request, profile_id):
    """The Data section: custom data, pixel goals; promo codes, forms and relations when any."""
    profile = get_profile_for_user(request, profile_id)
    definitions = list(profile.database.custom_fields.all())
    custom = [
        (f.display_label(), f.get_type_display(), profile.custom_value(f.name)) for f in definitions
    ]
    ctx = {
        "custom": custom,
        "custom_filled": sum(1 for _, _, value in custom if value not in (None, "", [])),
        "pixel_events": list(profile.events.filter(type="pixel")[:PIXEL_EVENTS_SHOWN]),
    }
    return render_section(request, profile, "data", "profiles/sections/data.html", ctx)


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_loyalty(request, profile_id):
    """The Loyalty programs section."""
    profile = get_profile_for_user(request, profile_id)
    return render_section(request, profile, "loyalty", "profiles/sections/loyalty.html", {})
