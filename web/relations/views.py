"""Actions of the Data section's Relations part: add a relation, remove one.

Each answers htmx with the Data section again and a notice in the Relations part, and a
plain request with a redirect to the section and the notice as a message. A refused form
is shown again with the error beside its field (in place for htmx, the whole page for a
plain request).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST

from core.htmx import ANY_TARGET
from operations.relations import RelationExists, add_relation, remove_relation
from relations.models import Relation
from web.profiles.access import get_profile_for_user
from web.profiles.sections import Notice, answer_part, render_section

from .forms import RelationForm
from .sections import ADD_RELATION, DELETE_RELATION, PART, SECTION


def _named(profile):
    return profile.full_name() or profile.email


@login_required
@require_POST
def relation_add(request, profile_id):
    """Relate the profile to another of its database (found by profile ID or email)."""
    profile = get_profile_for_user(request, profile_id, ADD_RELATION)
    form = RelationForm(request.POST, profile=profile)
    if form.is_valid():
        values = form.cleaned_data
        other, relation_type = values["other"], values["type"]
        try:
            relation = add_relation(
                profile,
                other,
                relation_type,
                properties=values["properties"],
                direction=values["direction"],
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                form.add_error(key if key in form.fields else None, messages)
        except RelationExists as exists:
            form.add_error("other", str(exists))
        else:
            arrow = "→" if relation.from_profile_id == profile.pk else "←"
            text = f"Relation added: “{relation_type.name}” {arrow} {_named(other)}."
            return answer_part(request, profile, SECTION, Notice(PART, text))
    # Refused: the section again (the whole page for a plain request, status 200) with the
    # form, its values and the error beside the field, so nothing typed is lost.
    message = next(iter(form.errors.values()))[0]
    notice = Notice(PART, f"The relation was not added: {message}", "error")
    ctx = {"relation_form": form, "notice": notice}
    return render_section(request, profile, SECTION, ctx, partials={ANY_TARGET: "body"})


@login_required
@require_POST
def relation_remove(request, profile_id, relation_id):
    """Remove a relation of the profile, whichever side of it the profile is on."""
    profile = get_profile_for_user(request, profile_id, DELETE_RELATION)
    relation = Relation.objects.of_profile(profile).for_display().filter(pk=relation_id).first()
    if relation is None or not remove_relation(relation):
        notice = Notice(PART, "That relation is no longer there.", "warning")
        return answer_part(request, profile, SECTION, notice)
    other = relation.other_than(profile)
    text = f"Relation removed: “{relation.type.name}” with {_named(other)}."
    return answer_part(request, profile, SECTION, Notice(PART, text))
