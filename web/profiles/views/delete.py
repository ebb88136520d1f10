"""Deleting a profile: a confirmation page, then the delete (needs its own permission)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core import keyset
from operations.profiles import delete_profile

from ..access import get_profile_for_user

# A profile's events are counted up to this many; beyond, the page says "about" (the
# planner's estimate): a profile can hold millions, and the page must not count them.
EXACT_EVENTS_MAX = 10_000


@login_required
@require_http_methods(["GET", "POST"])
def profile_delete(request, profile_id):
    """Ask for confirmation; on POST remove the profile with its history and relations."""
    profile = get_profile_for_user(request, profile_id, "profiles.delete_profile")
    if request.method == "POST":
        name = str(profile)
        delete_profile(profile)
        messages.success(request, f"Profile {name} deleted with its history.")
        return redirect("profiles:list")
    events, exact = keyset.estimated_count(profile.events.all(), EXACT_EVENTS_MAX)
    ctx = {
        "profile": profile,
        "event_count": events,
        "events_text": f"{events:,}" if exact else f"about {keyset.about(events)}",
        "segment_count": profile.segment_memberships.count(),
        # Relations on either side of it (the relations app's reverse accessors).
        "relation_count": (profile.outgoing_relations.count() + profile.incoming_relations.count()),
    }
    return render(request, "profiles/delete.html", ctx)
