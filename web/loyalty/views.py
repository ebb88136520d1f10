"""Actions of the Loyalty programs part: enrol the profile, add or write off points.

Each answers htmx with the section again and a notice in the part (what changed: the
balance and tier after it), and a plain request with a redirect to the section and the
notice as a message (Post/Redirect/Get). A refused form is shown again with its errors
beside the fields and the values typed (status 200 so htmx swaps it): the section for
htmx, the whole page with the section for a plain request.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST

from core.htmx import ANY_TARGET
from loyalty.models import Program
from operations.loyalty import AlreadyEnrolled, NotEnrolled, add_points, enrol, membership_of
from web.profiles.access import get_profile_for_user
from web.profiles.sections import Notice, answer_part, render_section

from .forms import EnrolForm, TransactionForm
from .sections import ADD_MEMBERSHIP, ADD_TRANSACTION, PART, SECTION, offered_programs

LABELS = {"program": "Program", "points": "Points", "reason": "Reason"}


def _refuse(request, profile, context):
    """Show the refused form again (its errors beside the fields), in place."""
    return render_section(request, profile, SECTION, context, partials={ANY_TARGET: "body"})


def _first_error(form):
    """The form's first error, named by its field, for a message after a redirect."""
    for name, errors in form.errors.items():
        label = LABELS.get(name)
        return f"{label}: {errors[0]}" if label else errors[0]
    return "The form was refused."


@login_required
@require_POST
def enrol_in_program(request, profile_id):
    """Enrol the profile in an active program of its database (a ``loyalty_enrolled`` event)."""
    profile = get_profile_for_user(request, profile_id, ADD_MEMBERSHIP)
    programs = list(Program.objects.filter(database_id=profile.database_id))
    joined = set(profile.loyalty_memberships.values_list("program_id", flat=True))
    form = EnrolForm(request.POST, profile=profile, offered=offered_programs(programs, joined))
    if form.is_valid():
        program = form.cleaned_data["program"]
        try:
            enrol(program, profile, source="ui", user=request.user)
        except AlreadyEnrolled as refusal:
            form.add_error("program", str(refusal))
        except ValidationError as error:
            form.add_error("program", error.messages)
        else:
            notice = Notice(PART, f"Enrolled in “{program.name}”.")
            return answer_part(request, profile, SECTION, notice)
    return _refuse(request, profile, {"enrol_form": form})


def _points_notice(program, points, membership):
    tier = program.tier_for(membership.balance)
    what = f"Added {points:,} points" if points > 0 else f"Wrote off {-points:,} points"
    where = "to" if points > 0 else "from"
    text = f"{what} {where} “{program.name}”: the balance is {membership.balance:,} points"
    return Notice(PART, f"{text}, tier {tier.name}." if tier else f"{text}.")


@login_required
@require_POST
def add_transaction(request, profile_id):
    """Add points to (or write them off from) one of the profile's memberships; a write-off
    beyond the balance, or without a reason, is refused and writes nothing."""
    profile = get_profile_for_user(request, profile_id, ADD_TRANSACTION)
    program_id = request.POST.get("program")
    form = TransactionForm(request.POST, program_id=program_id)
    program = None
    if form.is_valid() or "program" in form.cleaned_data:  # errors beside its points, reason
        program = Program.objects.filter(
            pk=form.cleaned_data["program"], database_id=profile.database_id
        ).first()
        if program is None:
            form.add_error("program", "Choose a loyalty program of this profile's database.")
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = membership_of(program, profile)
            add_points(membership, data["points"], data["reason"], source="ui", user=request.user)
        except NotEnrolled as error:
            form.add_error("program", str(error))
        except ValidationError as error:
            form.add_error(None, error)  # keyed by points or reason: beside the field
        else:
            notice = _points_notice(program, data["points"], membership)
            return answer_part(request, profile, SECTION, notice)
    if "program" in form.errors or program is None:  # no membership's form to show it beside
        return _refuse(request, profile, {"notice": Notice(PART, _first_error(form), "error")})
    return _refuse(request, profile, {"transaction_form": form, "transaction_program": program.pk})
