"""The parts web.interactions adds to the profile's Interactions section (the section and its
static segments are web.segments'): the global control group, trigger mailings, scenarios.

Each part reads a bounded number of rows whatever the profile's history holds: the last
``LAST_SENDS`` sends and ``PARTICIPATIONS_SHOWN`` participations, their step names looked up
in one query per kind.
"""

from dataclasses import dataclass

from history.models import Event
from interactions.models import ControlGroup, Participation, Scenario, Trigger
from operations.triggers import DELIVERY_FAILED, REASONS, SENT, TEMPLATE
from segments.models import Segment
from web.profiles.sections import Part, register_part

from .forms import ScenarioChoiceForm

SECTION = "interactions"
LAST_SENDS = 5
PARTICIPATIONS_SHOWN = 10
SOURCES = {"ui": "by hand", "api": "over the API", "scenario": "by a scenario"}
# A send that failed for a fault to fix (the template, the delivery) rather than by a rule.
FAULTS = (TEMPLATE, DELIVERY_FAILED)

VIEW_TRIGGER = "interactions.view_trigger"
SEND_TRIGGER = "interactions.send_trigger"
VIEW_PARTICIPATION = "interactions.view_participation"
ENGAGE_SCENARIO = "interactions.engage_scenario"
VIEW_CONTROL_GROUP = "interactions.view_controlgroup"


# -- Global control group ---------------------------------------------------------------


def control_group_context(request, profile):
    """The profile's membership, and its database's group settings for who may read them."""
    group = None
    if request.user.has_perm(VIEW_CONTROL_GROUP):
        group = ControlGroup.objects.filter(database_id=profile.database_id).first()
    share = format(group.share_percent.normalize(), "f") if group else ""  # 12.5, not 12.50
    return {"control_group": group, "control_group_share": share}


# -- Trigger mailings -------------------------------------------------------------------


@dataclass(frozen=True)
class SendRow:
    """A ``send`` event of the profile's history, as the last sends list shows it."""

    event: Event

    @property
    def data(self):
        return self.event.data if isinstance(self.event.data, dict) else {}

    @property
    def sent(self):
        return self.data.get("status") == SENT

    @property
    def fault(self):
        return self.data.get("reason") in FAULTS

    @property
    def mailing(self):
        return self.data.get("mailing") or "—"

    @property
    def source(self):
        source = self.data.get("source", "")
        return SOURCES.get(source, f"by {source}" if source else "")

    @property
    def reason(self):
        reason = self.data.get("reason", "")
        return REASONS.get(reason, reason)


def triggers_context(request, profile):
    """The database's triggers (for who may read or send them) and the last sends."""
    user = request.user
    can_send = user.has_perm(SEND_TRIGGER)
    triggers = []
    if can_send or user.has_perm(VIEW_TRIGGER):
        triggers = list(
            Trigger.objects.filter(database_id=profile.database_id).select_related(
                "resource", "channel", "category"
            )
        )
    sends = Event.objects.filter(profile=profile, type="send").order_by("-occurred_at", "-id")
    return {
        "triggers": triggers,
        "can_send": can_send,
        "last_sends": [SendRow(event) for event in sends[:LAST_SENDS]],
    }


# -- Scenarios --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipationRow:
    participation: Participation
    step: str  # where it is, or where it ended

    @property
    def results(self):
        """How many steps it has done, and what the last one did."""
        participation = self.participation
        results = participation.results if isinstance(participation.results, list) else []
        if participation.status == Participation.Status.FAILED and participation.failure:
            last = participation.failure
        elif results and isinstance(results[-1], dict):
            last = results[-1].get("detail") or results[-1].get("outcome", "")
        else:
            last = ""
        return len(results), last


def step_names(database_id, participations):
    """The names of the triggers and segments the participations' steps name: one query
    per kind (a step may name one deleted since: it keeps its id)."""
    wanted = {"trigger": set(), "segment": set()}
    for participation in participations:
        for step in participation.steps:
            for kind, ids in wanted.items():
                if isinstance(step, dict) and isinstance(step.get(kind), int):
                    ids.add(step[kind])
    names = {}
    for kind, model in (("trigger", Trigger), ("segment", Segment)):
        if wanted[kind]:
            rows = model.objects.filter(database_id=database_id, pk__in=wanted[kind])
            names |= {(kind, pk): name for pk, name in rows.values_list("pk", "name")}
    return names


def scenarios_context(request, profile):
    """The profile's latest participations and the form to engage it in a scenario."""
    user = request.user
    ctx = {"participations": [], "more_participations": False, "can_engage": False}
    if user.has_perm(VIEW_PARTICIPATION):
        shown = list(
            profile.participations.select_related("scenario").order_by("-entered_at", "-id")[
                : PARTICIPATIONS_SHOWN + 1
            ]
        )
        ctx["more_participations"] = len(shown) > PARTICIPATIONS_SHOWN
        shown = shown[:PARTICIPATIONS_SHOWN]
        names = step_names(profile.database_id, shown)
        ctx["participations"] = [ParticipationRow(p, p.current_step_label(names)) for p in shown]
    if user.has_perm(ENGAGE_SCENARIO):
        ctx["can_engage"] = True
        ctx["scenario_form"] = ScenarioChoiceForm(profile=profile)
        ctx["has_active_scenarios"] = (
            Scenario.objects.active().filter(database_id=profile.database_id).exists()
        )
    return ctx


register_part(
    SECTION, Part("control-group", "interactions/control_group.html", control_group_context, 20)
)
register_part(SECTION, Part("triggers", "interactions/triggers.html", triggers_context, 30))
register_part(SECTION, Part("scenarios", "interactions/scenarios.html", scenarios_context, 40))
