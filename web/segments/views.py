"""The Interactions section of the profile page, and its static segments added and removed.

The section's parts (``web.segments.sections`` and those other packages register) build
their own context; these views pass only what differs: a refused choice with its error.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from operations.segments import add_to_segment, remove_from_segment
from segments.models import Segment
from web.profiles.access import get_profile_for_user
from web.profiles.sections import answer_part, refuse_part, render_section

from .forms import SegmentChoiceForm


def _invalid(request, profile, form):
    """Show the refused choice: beside the field for htmx, as a message on the page else."""
    message = form.errors["segment"][0]
    return refuse_part(request, profile, "interactions", message, {"segment_form": form})


def _done(request, profile, message, level=messages.SUCCESS):
    """Answer with the section again and the message (swapped into ``#messages`` for htmx)."""
    messages.add_message(request, level, message)
    return answer_part(request, profile, "interactions")


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_interactions(request, profile_id):
    """The Interactions section: the profile's static segments, trigger mailings, scenarios."""
    profile = get_profile_for_user(request, profile_id)
    return render_section(request, profile, "interactions", {})


@login_required
@require_POST
def segment_add(request, profile_id):
    """Put the profile in a static segment of its database (records segment_entered)."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    form = SegmentChoiceForm(request.POST, profile=profile)
    if not form.is_valid():
        return _invalid(request, profile, form)
    segment = form.cleaned_data["segment"]
    add_to_segment(segment, profile)
    return _done(request, profile, f"Added to the segment “{segment.name}”.")


@login_required
@require_POST
def segment_remove(request, profile_id, segment_id):
    """Take the profile out of a static segment (records segment_exited)."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    segment = get_object_or_404(Segment, pk=segment_id, database_id=profile.database_id)
    if remove_from_segment(segment, profile):
        return _done(request, profile, f"Removed from the segment “{segment.name}”.")
    return _done(request, profile, f"Not in the segment “{segment.name}”.", messages.WARNING)
