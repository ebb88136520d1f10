"""The history filter (event types and period), shared by the History tab, the API and export.

Parameters:

``type``    event type slugs; repeat the parameter or separate slugs with commas.
``period``  ``7``, ``30`` or ``90`` (the last N days; ``since``/``until`` are then ignored),
            or ``custom`` (use ``since``/``until``).
``since``   RFC 3339 date-time (``2026-11-01T00:00:00Z``) or date (``2026-11-01``, the
            start of that day in the current time zone); inclusive.
``until``   likewise; a date means the end of that day; inclusive.

Without ``since`` the period starts 7 days before ``until`` (or before now): the default
is the last 7 days.
"""

from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.fieldtypes import RFC3339_RE

from .models import Event
from .types import EVENT_TYPES

DEFAULT_PERIOD_DAYS = 7
# The moments a period may start or end at: any history, with room to count 90 days back
# and a day forward without leaving the years a date can hold.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 1, tzinfo=UTC)
PERIOD_PRESETS = {"7": 7, "30": 30, "90": 90}
PERIOD_CHOICES = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Custom range"),
]
TYPE_CHOICES = [(event_type.slug, event_type.label) for event_type in EVENT_TYPES]
MOMENT_HELP = "an RFC 3339 date-time, e.g. 2026-11-01T00:00:00Z, or a date, e.g. 2026-11-01"


def parse_moment(value, *, end_of_day=False, require_time=False):
    """Return an aware datetime from RFC 3339 text; a date alone is read in the current zone.

    A date means the start of that day, or its last microsecond with ``end_of_day``.
    Raise ValueError with a message naming the expected format.
    """
    text = value.strip() if isinstance(value, str) else ""
    match = RFC3339_RE.match(text)
    if not match or (require_time and not match["time"]):
        expected = (
            "an RFC 3339 date-time, e.g. 2026-11-01T12:00:00Z" if require_time else (MOMENT_HELP)
        )
        raise ValueError(f"Enter {expected} (got “{value}”).")
    try:
        if not match["time"]:
            day = datetime.fromisoformat(match["date"]).date()
            moment = datetime.combine(day, time.max if end_of_day else time.min)
            moment = timezone.make_aware(moment)
        else:
            fraction = (match["fraction"] or ".0")[1:7].ljust(6, "0")
            offset = match["offset"]
            offset = "+00:00" if offset in "Zz" else offset
            moment = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}")
    except (ValueError, OverflowError):
        raise ValueError(f"Enter a real date and time (got “{value}”).") from None
    try:
        in_range = EARLIEST <= moment.astimezone(UTC) <= LATEST
    except OverflowError:  # before year 1 or after 9999 once in UTC
        in_range = False
    if not in_range:
        raise ValueError(
            f"Enter a moment from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (got “{value}”)."
        )
    return moment


class MomentField(forms.CharField):
    """A form field for a period bound: RFC 3339 date-time or date."""

    def __init__(self, *args, end_of_day=False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_moment(value, end_of_day=self.end_of_day)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


class TypeListField(forms.MultipleChoiceField):
    """Event type slugs, given as repeated parameters or separated by commas."""

    def to_python(self, value):
        values = super().to_python(value)
        slugs = []
        for part in (part.strip() for item in values for part in item.split(",")):
            if part and part not in slugs:
                slugs.append(part)
        return slugs


class EventFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if cleaned.get("period") not in PERIOD_PRESETS and since and until and since > until:
            self.add_error("until", "The end of the period is before its start.")
        return cleaned


class TypeListFilter(django_filters.Filter):
    field_class = TypeListField


class ChoiceFilter(django_filters.Filter):
    field_class = forms.ChoiceField


class MomentFilter(django_filters.Filter):
    field_class = MomentField


class EventFilter(django_filters.FilterSet):
    """Filter a profile's events by type and period (the last 7 days by default)."""

    type = TypeListFilter(choices=TYPE_CHOICES, method="filter_type", label="Event types")
    period = ChoiceFilter(choices=PERIOD_CHOICES, method="keep", label="Period")
    since = MomentFilter(method="keep", label="From")
    until = MomentFilter(method="keep", label="To", end_of_day=True)

    class Meta:
        model = Event
        fields = ["type", "period", "since", "until"]
        form = EventFilterForm

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def filter_type(self, queryset, name, value):
        return queryset.filter(type__in=value) if value else queryset

    def keep(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        since, until = self.bounds()
        queryset = queryset.filter(occurred_at__gte=since)
        if until is not None:
            queryset = queryset.filter(occurred_at__lte=until)
        return queryset

    def chosen_period(self):
        """Return the chosen period: a preset ("7", "30", "90") or "custom"."""
        data = self.form.cleaned_data
        if data.get("period"):
            return data["period"]
        if data.get("since") or data.get("until"):
            return "custom"
        return str(DEFAULT_PERIOD_DAYS)

    def bounds(self):
        """Return (since, until) of the chosen period; until is None for "up to now"."""
        data = self.form.cleaned_data
        period = self.chosen_period()
        if period in PERIOD_PRESETS:
            return self.now - timedelta(days=PERIOD_PRESETS[period]), None
        until = data.get("until")
        since = data.get("since") or (until or self.now) - timedelta(days=DEFAULT_PERIOD_DAYS)
        return since, until

    def next_query(self, cursor):
        """Return the query string of the next page: same filter, period pinned, the cursor."""
        params = self.data.copy()
        since, until = self.bounds()
        params.pop("period", None)
        params["since"] = since.isoformat()
        if until is not None:
            params["until"] = until.isoformat()
        params["cursor"] = cursor
        return params.urlencode()

    def types(self):
        return self.form.cleaned_data.get("type") or []
