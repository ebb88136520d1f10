"""Reading one import row: its keys, the JSON type of each value and its subscriptions, in
plain Python (no query per row), before the batch is matched and checked set-wise.

A row is an object as in POST profiles/: standard field names, custom values under
``fields``, and for an import also ``anonymous_id`` (the visitor whose anonymous pixel hits
join the profile) and ``subscriptions`` (a list of ``{resource, channel, contact,
status}``). Read-only names (``profile_id``, ``md5``…) are not written; ``profile_id`` is
the key of ``match: profile_id``. The values' rules are checked later, for the whole batch,
by ``check_profile_values``; here only what no rule could read: a number where text goes,
an unknown key, a subscription to a channel the resource does not have.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.api.errors import api_detail
from profiles.fields import STANDARD_FIELDS
from profiles.models import Profile
from subscriptions.models import Resource, clean_status

from .pixels import clean_anonymous_id

# What a row may write, and what it may send but is not written (as the API's profile).
WRITABLE = {f.name for f in STANDARD_FIELDS if f.in_api and f.editable} - {"database"}
READ_ONLY = {f.name for f in STANDARD_FIELDS if f.in_api and not f.editable}
UNKNOWN_KEY = "Unknown field. Custom field values go under “fields”."
NOT_NULL = "This field may not be null."
NOT_TEXT = "Not a valid string."
SUBSCRIPTION_KEYS = {"resource", "channel", "contact", "status"}
# The subscriptions one row may add (a profile holds at most 200; past 20 in one channel a
# new one replaces an old one, so more in one row only replace each other).
ROW_SUBSCRIPTIONS_MAX = 20


class RowError(Exception):
    """A row that cannot be imported; ``errors`` name its fields as the API does."""

    def __init__(self, errors, *, missing=False):
        super().__init__(errors)
        self.errors = errors
        self.missing = missing  # its profile_id names no profile (a skip in update mode)


@dataclass
class RowSubscription:
    resource: Resource
    channel: object
    contact: str
    status: str | None = None


@dataclass
class ReadRow:
    index: int
    values: dict  # standard field name -> value as sent
    custom: dict | None  # custom values as sent, or None when the row has no "fields"
    profile_id: str = ""  # the key of match: profile_id
    anonymous_id: str = ""
    subscriptions: list = field(default_factory=list)
    # Filled as the batch goes on:
    match_keys: list = field(default_factory=list)  # (kind, value) it is matched by
    keys: list = field(default_factory=list)  # those and its email: what orders the batch
    duplicate_of: int | None = None
    checked: dict | None = None
    created: bool = False


def _kind(model_field):
    if isinstance(model_field, models.JSONField):
        return "list"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DecimalField):
        return "number"
    return "text"


KINDS = {name: _kind(Profile._meta.get_field(name)) for name in WRITABLE}
NULLABLE = {name for name in WRITABLE if Profile._meta.get_field(name).null}


class RowReader:
    """Reads the rows of one batch (the resources of its subscriptions looked up once)."""

    def __init__(self, database):
        self.database = database
        self._resources = {}

    def read(self, index, row):
        """Return the row read (``ReadRow``), or its errors (a dict naming its fields)."""
        if not isinstance(row, dict):
            return {"non_field_errors": ["Enter an object."]}
        errors, values = {}, {}
        for key, value in row.items():
            if key in WRITABLE:
                message = self._type_error(key, value)
                if message:
                    errors[key] = [message]
                else:
                    values[key] = self._value(key, value)
            elif key not in (*READ_ONLY, "fields", "database", "anonymous_id", "subscriptions"):
                errors[str(key)] = [UNKNOWN_KEY]
        if "database" in row and row["database"] != self.database.pk:
            errors["database"] = [f"Every row goes to database {self.database.pk}."]
        custom = row.get("fields")
        if "fields" in row and not isinstance(custom, dict):
            errors["fields"] = [
                NOT_NULL
                if custom is None
                else "Enter an object mapping custom field names to values."
            ]
        profile_id = row.get("profile_id")
        if profile_id not in (None, "") and not isinstance(profile_id, str):
            errors["profile_id"] = ["Enter the profile_id as text."]
        try:
            anonymous_id = clean_anonymous_id(row.get("anonymous_id")) or ""
        except ValidationError as error:
            errors |= api_detail(error)
            anonymous_id = ""
        subscriptions = self._subscriptions(row.get("subscriptions"), errors)
        if errors:
            return errors
        return ReadRow(
            index,
            values,
            custom,
            profile_id=(profile_id or "").strip().lower(),
            anonymous_id=anonymous_id,
            subscriptions=subscriptions,
        )

    def _type_error(self, name, value):
        if value is None:
            return None if name in NULLABLE or name == "phones" else NOT_NULL
        kind = KINDS[name]
        if kind == "list":  # phones: a list, or one text listing them
            return None if isinstance(value, (list, str)) else "Enter a list of phones."
        if kind == "number":
            ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
            return None if ok else "A valid number is required."
        return None if isinstance(value, str) else NOT_TEXT

    def _value(self, name, value):
        """A date-time without an offset is in the current time zone (as the API reads it)."""
        if KINDS[name] == "datetime" and isinstance(value, str):
            try:
                moment = parse_datetime(value.strip())
            except ValueError:
                return value  # the model field's check names the problem
            if moment is not None and timezone.is_naive(moment):
                return timezone.make_aware(moment)
            return moment or value
        return value

    def _subscriptions(self, items, errors):
        if items is None:
            return []
        if not isinstance(items, list):
            errors["subscriptions"] = ["Enter a list of subscriptions."]
            return []
        if len(items) > ROW_SUBSCRIPTIONS_MAX:
            errors["subscriptions"] = [
                f"Enter at most {ROW_SUBSCRIPTIONS_MAX} subscriptions in one row."
            ]
            return []
        read, problems = [], {}
        for position, item in enumerate(items):
            try:
                read.append(self._subscription(item))
            except RowError as error:
                problems[str(position)] = error.errors
        if problems:
            errors["subscriptions"] = problems
        return read

    def _subscription(self, item):
        if not isinstance(item, dict):
            raise RowError({"non_field_errors": ["Enter an object."]})
        problems = {str(key): ["Unknown field."] for key in item if key not in SUBSCRIPTION_KEYS}
        resource = self._resource(item.get("resource"))
        if resource is None:
            problems["resource"] = [f"No resource with id {item.get('resource')!r}."]
            raise RowError(problems)
        channel = resource.channel_map.get(item.get("channel"))
        if channel is None:
            slugs = ", ".join(resource.channel_map) or "none"
            problems["channel"] = [f"Resource “{resource}” has the channels: {slugs}."]
        contact, status = item.get("contact"), item.get("status")
        try:
            contact = channel.clean_contact(contact) if channel else contact
        except ValidationError as error:
            problems["contact"] = error.messages
        if status not in (None, ""):
            try:
                status = clean_status(status)
            except ValidationError as error:
                problems["status"] = error.messages
        if problems:
            raise RowError(problems)
        return RowSubscription(resource, channel, contact, status or None)

    def _resource(self, resource_id):
        if isinstance(resource_id, bool) or not isinstance(resource_id, int):
            if not (isinstance(resource_id, str) and resource_id.strip().isdigit()):
                return None
            resource_id = int(resource_id)
        if resource_id not in self._resources:
            resource = Resource.objects.prefetch_related("channels").filter(pk=resource_id).first()
            if resource is not None:
                resource.channel_map = {
                    channel.slug: channel for channel in resource.channels.all()
                }
            self._resources[resource_id] = resource
        return self._resources[resource_id]
