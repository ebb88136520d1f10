"""The Relations part of the profile's Data section: the relations on either side of the
profile (type, the other profile, the direction, the properties), the form to add one and a
remove button per row.

The list reads a bounded number of rows in one query whatever the profile holds (the
latest ``RELATIONS_SHOWN``, their types and both profiles joined), plus a count when there
are more.
"""

from dataclasses import dataclass

from core.jsonvalues import shown
from relations.models import Relation, RelationType
from web.profiles.sections import Part, register_part

from .forms import RelationForm

SECTION = "data"
PART = "relations"
RELATIONS_SHOWN = 50
PROPERTIES_SHOWN = 300  # characters of a relation's properties shown in its row

VIEW_RELATION = "relations.view_relation"
ADD_RELATION = "relations.add_relation"
DELETE_RELATION = "relations.delete_relation"


@dataclass(frozen=True)
class RelationRow:
    """A relation as the profile shows it: the profile on the other side and the way."""

    relation: Relation
    other: object  # the other profile
    outgoing: bool

    @property
    def properties(self):
        value = self.relation.properties
        return shown(value, PROPERTIES_SHOWN) if value else ""


def rows_for(profile, relations):
    return [
        RelationRow(r, r.other_than(profile), r.direction_for(profile) == "outgoing")
        for r in relations
    ]


def relations_context(request, profile):
    """The profile's latest relations, and the form to add one, for who may use them."""
    user = request.user
    ctx = {
        "relations": [],
        "relations_total": 0,
        "can_view_relations": user.has_perm(VIEW_RELATION),
        "can_add_relation": user.has_perm(ADD_RELATION),
        "can_remove_relation": user.has_perm(DELETE_RELATION),
    }
    if ctx["can_view_relations"]:
        shown_rows = list(
            Relation.objects.of_profile(profile)
            .for_display()
            .order_by("-id")[: RELATIONS_SHOWN + 1]
        )
        total = len(shown_rows)
        if total > RELATIONS_SHOWN:
            total = Relation.objects.of_profile(profile).count()
        ctx["relations"] = rows_for(profile, shown_rows[:RELATIONS_SHOWN])
        ctx["relations_total"] = total
    if ctx["can_add_relation"]:
        ctx["relation_form"] = RelationForm(profile=profile)
        ctx["has_relation_types"] = RelationType.objects.filter(
            database_id=profile.database_id
        ).exists()
    return ctx


register_part(SECTION, Part(PART, "relations/part.html", relations_context, order=40))
