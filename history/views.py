from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from profiles.access import get_profile_for_user
from profiles.sections import render_section

DEFAULT_PERIOD_DAYS = 7
PAGE_SIZE = 50


@login_required
@vary_on_headers("HX-Request", "HX-Target")
def profile_history(request, profile_id):
    """The History section: the profile's events of the last 7 days, newest first."""
    profile = get_profile_for_user(request, profile_id)
    since = timezone.now() - timedelta(days=DEFAULT_PERIOD_DAYS)
    events = list(profile.events.filter(occurred_at__gte=since)[:PAGE_SIZE])
    ctx = {"events": events, "period_days": DEFAULT_PERIOD_DAYS}
    return render_section(request, profile, "history", "history/section.html", ctx)
