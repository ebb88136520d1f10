"""The Interactions section of the profile page, and its first part: the static segments.

Other app packages add their parts to the section (``web.profiles.sections.register_part``).
"""

from core.text import whole_number
from segments.models import Segment
from web.history import words
from web.profiles.sections import Part, Section, register, register_part

from .forms import SegmentChoiceForm


def segments_context(request, profile):
    """The profile's static segments and the form to add it to another."""
    memberships = profile.segment_memberships.select_related("segment").order_by("segment__name")
    form = SegmentChoiceForm(profile=profile)
    return {
        "memberships": list(memberships),
        "segment_form": form,
        "can_add": form.fields["segment"].queryset.exists(),
        "database_has_segments": Segment.objects.filter(database_id=profile.database_id).exists(),
    }


register(Section("interactions", "Interactions", "segments:profile", "segments/section.html", 20))
register_part("interactions", Part("segments", "segments/segments.html", segments_context, 10))


def name_segments(profile, values):
    """Name the segments of the profile's database in history (events record their id)."""
    ids = [number for number in map(whole_number, values) if number is not None]
    found = Segment.objects.filter(database_id=profile.database_id, pk__in=ids)
    return {str(pk): {"segment": name} for pk, name in found.values_list("pk", "name")}


words.register("segment", name_segments)
