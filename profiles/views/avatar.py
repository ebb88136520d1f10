"""The profile's avatar: served only to signed-in users who may see the profile."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import get_profile_for_user
from ..forms import AvatarForm
from ..sections import current_page_url, header_context
from ..services import update_profile


@login_required
@require_GET
def avatar(request, profile_id):
    """Send the avatar image (personal data: never a public media URL)."""
    profile = get_profile_for_user(request, profile_id)
    if not profile.avatar:
        raise Http404("This profile has no avatar.")
    try:
        file = profile.avatar.open("rb")
    except FileNotFoundError:
        raise Http404("The avatar file is missing.") from None
    content_type = mimetypes.guess_type(profile.avatar.name)[0] or "application/octet-stream"
    response = FileResponse(file, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _answer(request, profile, form=None, message=""):
    if request.htmx:
        ctx = header_context(profile, avatar_form=form)
        return render(request, "profiles/detail.html#header", ctx)
    if form is not None and form.errors:
        return render(request, "profiles/avatar.html", {"profile": profile, "avatar_form": form})
    if message:
        messages.success(request, message)
    return redirect(current_page_url(request, profile))


@login_required
@require_http_methods(["GET", "POST"])
def avatar_edit(request, profile_id):
    """Upload or replace the avatar: a PNG, JPEG, GIF or WebP image within the size limit."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    if request.method == "GET":
        return render(
            request, "profiles/avatar.html", {"profile": profile, "avatar_form": AvatarForm()}
        )
    form = AvatarForm(request.POST, request.FILES)
    if not form.is_valid():
        return _answer(request, profile, form)
    old_name = profile.avatar.name if profile.avatar else ""
    profile.avatar.save(form.cleaned_data["avatar"].name, form.cleaned_data["avatar"], save=False)
    update_profile(profile, source="manual", changed=["avatar"])
    if old_name:
        profile.avatar.storage.delete(old_name)
    return _answer(request, profile, message="Avatar saved.")


@login_required
@require_POST
def avatar_remove(request, profile_id):
    """Remove the avatar and its file."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    if profile.avatar:
        profile.avatar.delete(save=False)
        update_profile(profile, source="manual", changed=["avatar"])
    return _answer(request, profile, message="Avatar removed.")
