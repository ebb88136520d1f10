"""Actions of the Interactions section's parts: send a trigger mailing, engage in a scenario.

Each answers htmx with the section again, a notice in the part that was acted on (what was
sent, or why not; the participation begun), and a plain request with a redirect to the
section and the notice as a message. A refused engagement is shown beside its field.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST

from operations.scenarios import EngagementRefused, engage
from operations.triggers import REASONS, send_trigger
from web.profiles.access import get_profile_for_user
from web.profiles.sections import Notice, answer_part, refuse_part

from .forms import ScenarioChoiceForm, TriggerChoiceForm
from .sections import ENGAGE_SCENARIO, FAULTS, SECTION, SEND_TRIGGER, step_names


def _send_notice(trigger, result):
    if result.sent:
        return Notice("triggers", f"Sent “{trigger.name}” to {result.subscription.contact}.")
    reason = REASONS.get(result.reason, result.reason).lower()
    text = f"“{trigger.name}” was not sent ({reason}). {result.message}"
    return Notice("triggers", text, "error" if result.reason in FAULTS else "warning")


@login_required
@require_POST
def send(request, profile_id):
    """Send a trigger mailing of the profile's database to the profile; every attempt, sent
    or not, is a ``send`` event of its history saying what happened."""
    profile = get_profile_for_user(request, profile_id, SEND_TRIGGER)
    form = TriggerChoiceForm(request.POST, profile=profile)
    if not form.is_valid():
        notice = Notice("triggers", form.errors["trigger"][0], "error")
        return answer_part(request, profile, SECTION, notice)
    trigger = form.cleaned_data["trigger"]
    try:
        result = send_trigger(trigger, profile, source="ui")
    except ValidationError as error:  # another database's trigger: refused, nothing recorded
        return answer_part(
            request, profile, SECTION, Notice("triggers", error.messages[0], "error")
        )
    return answer_part(request, profile, SECTION, _send_notice(trigger, result))


@login_required
@require_POST
def engage_in_scenario(request, profile_id):
    """Engage the profile in an active scenario of its database (its first steps run on the
    worker); a paused scenario, or one it ran without re-entry, is refused with why."""
    profile = get_profile_for_user(request, profile_id, ENGAGE_SCENARIO)
    form = ScenarioChoiceForm(request.POST, profile=profile)
    if form.is_valid():
        scenario = form.cleaned_data["scenario"]
        try:
            participation = engage(scenario, profile, source="ui")
        except EngagementRefused as refusal:
            form.add_error("scenario", str(refusal))
        except ValidationError as error:
            form.add_error("scenario", error.messages)
        else:
            label = participation.current_step_label(
                step_names(profile.database_id, [participation])
            )
            notice = Notice("scenarios", f"Engaged in “{scenario.name}”: {label}.")
            return answer_part(request, profile, SECTION, notice)
    message = form.errors["scenario"][0]
    return refuse_part(request, profile, SECTION, message, {"scenario_form": form})
