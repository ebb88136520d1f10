"""The Interactions section of the profile page: static segments, trigger mailings, scenarios."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.htmx import ANY_TARGET, after_change
from operations.segments import add_to_segment, remove_from_segment
from segments.models import Segment
from web.profiles.access import get_profile_for_user
from web.profiles.sections import render_section

from .forms import SegmentChoiceForm


def _context(profile, form=None):
    memberships = profile.segment_memberships.select_related("segment").order_by("segment__name")
    form = form or SegmentChoiceForm(profile=profile)
    return {
        "memberships": list(memberships),
        "segment_form": form,
        "can_add": form.fields["segment"].queryset.exists(),
        "database_has_segments": Segment.objects.filter(database_id=profile.database_id).exists(),
    }


def _section(request, profile, form=None):
    ctx = _context(profile, form)
    return render_section(request, profile, "interactions", ctx, partials={ANY_TARGET: "body"})


def _invalid(request, profile, form):
    """Show the refused choice: beside the field for htmx, as a message on the page else."""
    if request.htmx:
        return _section(request, profile, form)
    messages.error(request, form.errors["segment"][0])
    return redirect("segments:profile", profile.profile_id)


def _done(request, profile, message=""):
    return after_change(
        request,
        fragment=lambda: _section(request, profile),
        redirect_to=reverse("segments:profile", args=[profile.profile_id]),
        message=message,
    )


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def profile_interactions(request, profile_id):
    """The Interactions section: the profile's static segments, trigger mailings, scenarios."""
    profile = get_profile_for_user(request, profile_id)
    return render_section(request, profile, "interactions", _context(profile))


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
    removed = remove_from_segment(segment, profile)
    message = f"Removed from the segment “{segment.name}”." if removed else ""
    return _done(request, profile, message)
