import csv
import json
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from core.jsonvalues import encodable
from core.text import neutralise
from history import paging
from history.filters import PERIOD_CHOICES, EventFilter
from history.models import Event
from history.types import grouped_types
from web.profiles.access import get_profile_for_user
from web.profiles.sections import render_section

from .words import words_for

EXPORT_CHUNK = 2000
# How a row shows its time (the viewer's zone, named above the table); the same as
# every other time in the product (``web.templatetags.moments``).
WHEN_FORMAT = "%Y-%m-%d %H:%M"


def _filter_for(request, profile):
    return EventFilter(request.GET, queryset=Event.objects.filter(profile=profile))


def _query(request, **changes):
    """Return the request's query string with some parameters changed (None removes)."""
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    return params.urlencode()


# The filter's parameters by the labels the form shows them with (for its errors).
FILTER_LABELS = {
    "type": "Event types",
    "period": "Period",
    "since": "From",
    "until": "To",
    "cursor": "Page",
}


def _filter_context(request, filterset):
    """Return what the filter form shows: the chosen types, period and range."""
    valid = filterset.is_valid()
    data = filterset.form.cleaned_data if valid else {}
    chosen = set(data.get("type") or request.GET.getlist("type"))
    period = filterset.chosen_period() if valid else request.GET.get("period") or "custom"
    since, until = filterset.bounds() if valid else (None, None)
    zone = timezone.get_current_timezone()
    return {
        "groups": [
            (group, label, [(t.slug, t.label, t.slug in chosen) for t in types])
            for group, label, types in grouped_types()
        ],
        "chosen_count": len(chosen),
        "period": period,
        "period_choices": PERIOD_CHOICES,
        "since": since,
        "until": until,
        "since_value": since.astimezone(zone).date().isoformat() if since else "",
        "until_value": until.astimezone(zone).date().isoformat() if until else "",
        "errors": filterset.errors if not valid else {},
    }


@dataclass(frozen=True)
class Row:
    """An event as a history row shows it, its time in the viewer's zone."""

    type: str
    label: str
    group_label: str
    iso: str
    when: str
    key_data: list
    raw: str


def _shorten(text, limit=120):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rows_for(profile, events, zone):
    """Return the rows of these events; formatting here keeps the template loop cheap.

    Ids in the data are shown in words (``web.history.words``: one query per kind of id)."""
    rows = []
    for event, words in zip(events, words_for(profile, events), strict=True):
        local = event.occurred_at.astimezone(zone)
        rows.append(
            Row(
                type=event.type,
                label=event.label(),
                group_label=event.group_label(),
                iso=local.isoformat(),
                when=local.strftime(WHEN_FORMAT),
                key_data=[
                    (label, _shorten(value), is_link, value)
                    for label, value, is_link in event.key_data(words)
                ],
                raw=event.data_json() if event.data else "",
            )
        )
    return rows


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target", "Cookie")
def profile_history(request, profile_id):
    """The History section: the profile's events, filtered by type and period, newest first.

    The filter lives in the URL (``type``, ``period``, ``since``, ``until``; the last 7 days
    by default). htmx requests aimed at ``#history-results`` get the results only (the
    filter form keeps its state), at ``#history-more`` the next rows ("load more");
    anything else gets the section through ``render_section``. Times show, and dates of a
    custom period are read, in the viewer's zone (``core.middleware.TimezoneMiddleware``).
    """
    profile = get_profile_for_user(request, profile_id)
    filterset = _filter_for(request, profile)
    ctx = _filter_context(request, filterset)
    events, next_cursor = [], None
    if not ctx["errors"]:
        try:
            events, next_cursor = paging.page(filterset.qs, request.GET.get("cursor"))
        except ValidationError as error:
            ctx["errors"] = error.message_dict
    ctx["errors"] = {FILTER_LABELS.get(name, name): found for name, found in ctx["errors"].items()}
    events = list(map(Event.withholding(request.user), events))
    url = reverse("history:profile", args=[profile.profile_id])
    zone = timezone.get_current_timezone()
    ctx |= {
        "profile": profile,
        "events": rows_for(profile, events, zone),
        "section_url": url,
        "next_url": f"{url}?{filterset.next_query(next_cursor)}" if next_cursor else "",
        "can_export": request.user.has_perm("profiles.export_profile"),
        "export_query": _query(request, cursor=None),
        "zone_name": str(zone),
    }
    return render_section(
        request,
        profile,
        "history",
        ctx,
        partials={"history-results": "results", "history-more": "rows"},
    )


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = ["id", "occurred_at", "type", "label", "url", "mailing", "subscription"]
EXPORT_COLUMNS += ["resource", "channel", "data"]


def _csv_rows(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        row = [
            event.pk,
            event.occurred_at.isoformat(),
            event.type,
            event.label(),
            *(data.get(key, "") for key in EXPORT_COLUMNS[4:9]),
            json.dumps(encodable(event.data), ensure_ascii=False, sort_keys=True),
        ]
        yield writer.writerow([neutralise(cell) for cell in row])


def _json_chunks(profile, filterset, events):
    since, until = filterset.bounds()
    head = {
        "profile_id": profile.profile_id,
        "since": since.isoformat(),
        "until": until.isoformat() if until else None,
        "types": filterset.types(),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "events": ['
    for number, event in enumerate(events):
        item = {
            "id": event.pk,
            "type": event.type,
            "label": event.label(),
            "occurred_at": event.occurred_at.isoformat(),
            "data": encodable(event.data),
        }
        yield ("," if number else "") + "\n" + json.dumps(item, ensure_ascii=False)
    yield "\n]}\n"


@login_required
@require_GET
def export_history(request, profile_id, fmt):
    """Stream one profile's history for the filtered period as CSV or JSON."""
    if fmt not in ("csv", "json"):
        raise Http404("Export as csv or json.")
    profile = get_profile_for_user(request, profile_id, perm="profiles.export_profile")
    filterset = _filter_for(request, profile)
    if not filterset.is_valid():
        errors = "\n".join(f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    events = map(Event.withholding(request.user), paging.chunks(filterset.qs, EXPORT_CHUNK))
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(
            _json_chunks(profile, filterset, events), content_type="application/json"
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = (
        f'attachment; filename="history-{profile.profile_id}-{stamp}.{fmt}"'
    )
    return response
