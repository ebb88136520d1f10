"""The event types of a profile's action history: slug, label and group."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    slug: str
    label: str
    group: str
    description: str = ""


EVENT_TYPES = [
    EventType("import_manual", "Added manually", "import", "data: {source}"),
    EventType("import_api", "Imported via API", "import", "data: {source}"),
    EventType("import_file", "Imported from a file", "import", "data: {source, file}"),
    EventType("import_push", "Push import", "import", "data: {source}"),
    EventType(
        "status_changed",
        "Global status changed",
        "profile",
        "data: {from, to, source}",
    ),
    EventType(
        "control_group_entered",
        "Entered the global control group",
        "control group",
        "data: {}",
    ),
]
EVENT_TYPES_BY_SLUG = {event_type.slug: event_type for event_type in EVENT_TYPES}
IMPORT_SOURCES = {"manual": "import_manual", "api": "import_api", "file": "import_file"}
IMPORT_SOURCES["push"] = "import_push"


def label_for(slug):
    event_type = EVENT_TYPES_BY_SLUG.get(slug)
    return event_type.label if event_type else slug
