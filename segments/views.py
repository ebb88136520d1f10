"""The Interactions section of the profile page: static segments, trigger mailings, scenarios."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from profiles.access import get_profile_for_user
from profiles.sections import SECTIONS_BY_SLUG, render_section

from .forms import SegmentChoiceForm
from .models import Segment
from .services import add_to_segment, remove_from_segment

TEMPLATE = "segments/section.html"


def _context(profile, form=None):
    memberships = profile.segment_memberships.select_related("segment").order_by("segment__name")
    form = form or SegmentChoiceForm(profile=profile)
    return {
        "profile": profile,
        "section": SECTIONS_BY_SLUG["interactions"],
        "memberships": list(memberships),
        "segment_form": form,
        "can_add": form.fields["segment"].queryset.exists(),
        "database_has_segments": Segment.objects.filter(database_id=profile.database_id).exists(),
    }


def _answer(request, profile, form=None, message=""):
    """Answer a membership change: the section again for htmx, else back to the page."""
    if request.htmx:
        return render(request, TEMPLATE, _context(profile, form))
    if form is not None and form.errors:
        messages.error(request, form.errors["segment"][0])
    elif message:
        messages.success(request, message)
    return redirect("segments:profile", profile.profile_id)


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_interactions(request, profile_id):
    """The Interactions section: the profile's static segments, trigger mailings, scenarios."""
    profile = get_profile_for_user(request, profile_id)
    return render_section(request, profile, "interactions", TEMPLATE, _context(profile))


@login_required
@require_POST
def segment_add(request, profile_id):
    """Put the profile in a static segment of its database (records segment_entered)."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    form = SegmentChoiceForm(request.POST, profile=profile)
    if not form.is_valid():
        return _answer(request, profile, form)
    segment = form.cleaned_data["segment"]
    add_to_segment(segment, profile)
    return _answer(request, profile, message=f"Added to the segment “{segment.name}”.")


@login_required
@require_POST
def segment_remove(request, profile_id, segment_id):
    """Take the profile out of a static segment (records segment_exited)."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    segment = get_object_or_404(Segment, pk=segment_id, database_id=profile.database_id)
    removed = remove_from_segment(segment, profile)
    message = f"Removed from the segment “{segment.name}”." if removed else ""
    return _answer(request, profile, message=message)
