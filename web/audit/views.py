from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.models import AuditEntry
from core.text import whole_number
from subscriptions.models import SubscriptionField
from web.profiles.access import get_profile_for_user

from .display import describe

PAGE_SIZE = 50


@login_required
@require_GET
def profile_changes(request, profile_id):
    """The profile's change log: who changed which field, when, through what."""
    profile = get_profile_for_user(request, profile_id)
    entries = AuditEntry.objects.filter(profile_id=profile.profile_id).select_related("actor")
    before = whole_number(request.GET.get("before", ""))
    if before is not None:
        entries = entries.filter(id__lt=before)
    page = list(entries.order_by("-id")[: PAGE_SIZE + 1])
    custom_fields = {
        "profiles.Profile": {
            field.name: (field.display_label(), field.type)
            for field in profile.database.custom_fields.all()
        },
        "subscriptions.Subscription": {
            field.name: (field.display_label(), field.type)
            for field in SubscriptionField.objects.filter(resource__subscriptions__profile=profile)
        },
    }
    ctx = {
        "profile": profile,
        "entries": describe(page[:PAGE_SIZE], custom_fields),
        "next_before": page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None,
    }
    return render(request, "audit/changes.html", ctx)
