"""The profile's avatar: served only to signed-in users who may see the profile."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.htmx import after_change, render_partials

from ..access import get_profile_for_user
from ..forms import AvatarForm
from ..sections import PAGE, current_page_url, header_context


@login_required
@require_GET
def avatar(request, profile_id):
    """Send the avatar image (personal data: never a public media URL)."""
    return send_avatar(get_profile_for_user(request, profile_id))


def send_avatar(profile):
    """Answer the profile's avatar file (the page and the API call it once access is checked)."""
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


def _header(request, profile, form=None):
    return render_partials(request, PAGE, header_context(profile, avatar_form=form), ["header"])


def _invalid(request, profile, form):
    if request.htmx:
        return _header(request, profile, form)
    return render(request, "profiles/avatar.html", {"profile": profile, "avatar_form": form})


def _done(request, profile, message):
    return after_change(
        request,
        fragment=lambda: _header(request, profile),
        redirect_to=current_page_url(request, profile),
        message=message,
    )


def _save_avatar(profile):
    """The avatar is the profile's alone: no other app hears of it (the audit log does)."""
    profile.save(update_fields=["avatar", "updated_at"])


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
        return _invalid(request, profile, form)
    old_name = profile.avatar.name if profile.avatar else ""
    profile.avatar.save(form.cleaned_data["avatar"].name, form.cleaned_data["avatar"], save=False)
    _save_avatar(profile)
    if old_name:
        profile.avatar.storage.delete(old_name)
    return _done(request, profile, "Avatar saved.")


@login_required
@require_POST
def avatar_remove(request, profile_id):
    """Remove the avatar and its file."""
    profile = get_profile_for_user(request, profile_id, "profiles.change_profile")
    if profile.avatar:
        profile.avatar.delete(save=False)
        _save_avatar(profile)
    return _done(request, profile, "Avatar removed.")
