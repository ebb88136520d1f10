"""Actions of the Data section's "Promo codes" part: attach a code of a pool, activate or
detach one of the profile's codes.

Each answers htmx with the Data section again and a notice in the part (what was done, or
why not), and a plain request with a redirect to the section and the notice as a message.
A refused attach is shown beside the pool select.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST

from operations import promos as operations
from web.profiles.access import get_profile_for_user
from web.profiles.sections import Notice, answer_part, refuse_part

from .forms import AttachForm, CodeChoiceForm
from .sections import ATTACH, PART, SECTION


def _error(request, profile, text):
    return answer_part(request, profile, SECTION, Notice(PART, text, "error"))


@login_required
@require_POST
def attach(request, profile_id):
    """Attach a free code of the chosen pool to the profile (a ``promo_attached`` event)."""
    profile = get_profile_for_user(request, profile_id, ATTACH)
    form = AttachForm(
        request.POST, profile=profile, offered=operations.free_pools(profile.database_id)
    )
    if form.is_valid():
        pool = form.cleaned_data["pool"]
        try:
            code = operations.attach(pool, profile, source="ui")
        except operations.NoFreeCode as refusal:
            form.add_error("pool", str(refusal))
        except ValidationError as error:
            form.add_error("pool", error.messages)
        else:
            notice = Notice(PART, f"Attached code {code.code} from “{pool.name}”.")
            return answer_part(request, profile, SECTION, notice)
    message = form.errors["pool"][0]
    return refuse_part(request, profile, SECTION, message, {"promo_form": form})


def _code_action(request, profile_id, change, done):
    profile = get_profile_for_user(request, profile_id, ATTACH)
    form = CodeChoiceForm(request.POST, profile=profile)
    if not form.is_valid():
        return _error(request, profile, form.errors["code"][0])
    code = form.cleaned_data["code"]
    try:
        code = change(code, source="ui")
    except operations.CodeConflict as refusal:
        return _error(request, profile, str(refusal))
    return answer_part(request, profile, SECTION, Notice(PART, done.format(code=code.code)))


@login_required
@require_POST
def activate(request, profile_id):
    """Activate one of the profile's attached codes (a ``promo_activated`` event)."""
    return _code_action(request, profile_id, operations.activate, "Activated code {code}.")


@login_required
@require_POST
def detach(request, profile_id):
    """Detach one of the profile's codes: free again in its pool (a ``promo_detached``
    event)."""
    return _code_action(
        request,
        profile_id,
        operations.detach,
        "Detached code {code}: it is free again in its pool.",
    )
