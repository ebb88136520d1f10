from django.contrib.auth.decorators import login_required
from django.views.decorators.vary import vary_on_headers

from profiles.access import get_profile_for_user
from profiles.sections import render_section

from .models import SuppressedAddress


@login_required
@vary_on_headers("HX-Request", "HX-Target")
def profile_subscriptions(request, profile_id):
    """The Subscriptions section: the profile's subscriptions grouped by resource."""
    profile = get_profile_for_user(request, profile_id)
    ctx = {"suppressed": SuppressedAddress.objects.is_suppressed(profile.email)}
    return render_section(request, profile, "subscriptions", "subscriptions/section.html", ctx)
