"""Access helpers for views: find the object the user may see, or answer 404/403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from profiles.models import Profile


def require_perm(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied


def get_profile_for_user(request, profile_id, perm="profiles.view_profile"):
    """Return the profile if the user may see its database and holds ``perm``.

    A user without ``profiles.view_profile`` answers 403 whatever the profile (no
    existence is revealed: they may see none); a profile of a database the user may not
    see answers 404 (its existence stays hidden); a visible profile without ``perm``
    answers 403.
    """
    require_perm(request.user, "profiles.view_profile")
    profile = get_object_or_404(
        Profile.objects.visible_to(request.user).select_related("database"),
        profile_id=profile_id,
    )
    require_perm(request.user, perm)
    return profile
