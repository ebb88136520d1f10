"""The Data section's pixels part: the goals the profile reached, newest first, each with its
value, page, referrer and its raw ``pixel_data`` behind a ``</>`` toggle.

It reads the last ``PIXEL_EVENTS_SHOWN`` ``pixel`` events of the profile's history, one
query whatever the history holds.
"""

from dataclasses import dataclass

from core.jsonvalues import shown
from history.models import Event
from web.profiles.sections import Part, register_part

SECTION = "data"
PIXEL_EVENTS_SHOWN = 20


@dataclass(frozen=True)
class PixelRow:
    """A ``pixel`` event as the part shows it."""

    event: Event

    @property
    def data(self):
        return self.event.data if isinstance(self.event.data, dict) else {}

    @property
    def raw(self):
        """The raw pixel data as indented JSON ("" when the hit sent none)."""
        if "pixel_data" not in self.data:
            return ""
        return shown(self.data["pixel_data"], indent=2, sort_keys=True)

    @property
    def country(self):
        geo = self.data.get("geo")
        return geo.get("country", "") if isinstance(geo, dict) else ""


def pixel_events(request, profile):
    """The pixel goals the profile reached, newest first."""
    events = Event.objects.filter(profile=profile, type="pixel").order_by("-occurred_at", "-id")
    shown_events = list(events[: PIXEL_EVENTS_SHOWN + 1])
    return {
        "pixel_rows": [PixelRow(event) for event in shown_events[:PIXEL_EVENTS_SHOWN]],
        "more_pixel_events": len(shown_events) > PIXEL_EVENTS_SHOWN,
    }


register_part(SECTION, Part("pixels", "pixels/part.html", pixel_events, order=60))
