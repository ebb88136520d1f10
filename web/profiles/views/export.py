"""The personal-data export of a profile, as a JSON download."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from operations.exports import export_profile_data

from ..access import get_profile_for_user


@login_required
@require_GET
def profile_export(request, profile_id):
    """Download everything held on the profile that the user may read (for a data-subject
    request); the export names what it leaves out."""
    profile = get_profile_for_user(request, profile_id, "profiles.export_profile")
    data = export_profile_data(profile, request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="profile-{profile.profile_id}.json"'
    return response
