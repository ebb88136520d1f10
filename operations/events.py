"""Events reported from outside the product, recorded with what they mean for the profile.

``history.services.record_event`` writes an event for a change the product made itself.
An action reported by an integration (a mail server's bounce, a click) also has
consequences, applied here — the one place each lives, calling the operation that owns
the change:

- ``hard_bounce``: the profile's status becomes hard_bounced and its address is suppressed
  (the subscription it names too: status hard_bounced, an email contact suppressed);
- ``complaint``: the profile's status becomes complainer (and the subscription it names);
- ``unsubscribe_click`` naming a subscription: that subscription is unsubscribed;
- ``confirmation_click``: double opt-in (``operations.subscriptions.confirm``);
- ``click`` carrying UTM tags: the profile's utm_* fields take the link's tags;
- any event whose data carries an ``ip``: the profile's Tracked location follows it
  (``operations.location``).
"""

import contextlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from audit.signals import log_updates
from core import bulk
from core.lookups import any_of
from core.races import LostRace
from core.status import Status
from core.text import normalize_email
from history.models import Event
from history.reports import UTM_TAGS, clean_reported_event, click_utm, reported_profile_id
from history.services import record_event
from profiles.location import PLACE_FIELDS, location_change
from profiles.models import Profile
from subscriptions.models import ContactKind, Subscription, SuppressedAddress

from .location import locate_from_event, newest_located_actions
from .profiles import change_status, lock_profile
from .subscriptions import confirm, set_status, status_event

UNSET = object()


# Each effect gets the event (its profile loaded), the live subscription the event's data
# names (checked to be the profile's during validation) or None, and what makes the changes:
# ``AT_ONCE`` for one event (each change through the operation that owns it), a batch's
# ``_BatchChanges`` (the same changes collected, then written set-wise).


def _hard_bounce(event, subscription, changes):
    profile = event.profile
    if profile.status == Status.HARD_BOUNCED:
        # Already hard bounced: a new bounce suppresses the address again if it was lifted.
        changes.suppress(profile.email, profile)
    changes.profile_status(profile, Status.HARD_BOUNCED, source=event.type)
    if subscription is not None:
        changes.subscription_status(subscription, Status.HARD_BOUNCED)
        if subscription.channel.contact_kind == ContactKind.EMAIL:
            changes.suppress(subscription.contact, profile)
    # The address the mail server reports bounced is suppressed, a subscription's or not
    # (the profile's and the subscription's are above).
    _, contact = reported_contact(event.data)
    done = {profile.email, getattr(subscription, "contact", None)}
    if contact and EMAIL_LIKE.fullmatch(contact) and contact not in done:
        changes.suppress(contact, profile)


def _complaint(event, subscription, changes):
    changes.profile_status(event.profile, Status.COMPLAINER, source=event.type)
    if subscription is not None:
        changes.subscription_status(subscription, Status.COMPLAINER)


def _confirmation_click(event, subscription, changes):
    changes.confirm(event.profile, subscription)


def _unsubscribe_click(event, subscription, changes):
    if subscription is not None:
        changes.subscription_status(subscription, Status.UNSUBSCRIBED)


def _click(event, subscription, changes):
    tags = click_utm(event.data)
    if not tags:
        return
    profile = event.profile
    lock_profile(profile.pk)
    if _later_tagged_clicks({profile.pk: event.occurred_at}, exclude=[event.pk]):
        return  # reported late: the tags stay those of the later click
    # The latest tagged click defines all five tags: the ones it lacks are cleared.
    for tag in UTM_TAGS:
        setattr(profile, tag, tags.get(tag, "")[:200])
    profile.save(update_fields=[*UTM_TAGS, "updated_at"])


EFFECTS = {
    "hard_bounce": _hard_bounce,
    "complaint": _complaint,
    "confirmation_click": _confirmation_click,
    "unsubscribe_click": _unsubscribe_click,
    "click": _click,
}


class _AtOnce:
    """Make each change of an effect at once, through the operation that owns it."""

    @staticmethod
    def profile_status(profile, status, *, source):
        if profile.status != status:
            change_status(profile, status, source=source)

    @staticmethod
    def subscription_status(subscription, status):
        set_status(subscription, status)

    @staticmethod
    def suppress(address, profile):
        SuppressedAddress.objects.suppress(address, reason="hard_bounced", profile=profile)

    @staticmethod
    def confirm(profile, subscription):
        confirm(profile, subscription)


AT_ONCE = _AtOnce()


# The keys of the data that may name a subscription by its contact (an integration knows
# the address a message went to, not the subscription's id), in order of preference.
CONTACT_KEYS = ("contact", "email")
EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+")


def reported_contact(data):
    """Return (key, contact) the event data names a contact by, the contact normalised as
    subscriptions keep it (an email in lower case), or (None, None)."""
    for key in CONTACT_KEYS:
        value = (data or {}).get(key) if isinstance(data, dict) else None
        if isinstance(value, str) and value.strip():
            value = value.strip()
            return key, normalize_email(value) if EMAIL_LIKE.fullmatch(value) else value
    return None, None


def named_subscription(profile, data):
    """Return the profile's live subscription the event data names, or None if none named.

    ``subscription`` names one by its id: ValidationError (keyed ``subscription``) when the
    profile has no such subscription. Without it, ``contact`` (or ``email``) names the
    profile's subscription with that contact, if it has one (the oldest, if several).
    """
    public_id = (data or {}).get("subscription")
    if public_id is None:
        _, contact = reported_contact(data)
        if contact is None:
            return None
        subscription = (
            Subscription.objects.select_related("profile", "resource", "channel")
            .filter(profile=profile, contact=contact)
            .order_by("pk")
            .first()
        )
        if subscription is not None:
            subscription.profile = profile
        return subscription
    subscription = (
        Subscription.objects.select_related("profile", "resource", "channel")
        .filter(profile=profile, public_id=str(public_id))
        .first()
    )
    if subscription is None:
        raise ValidationError({"subscription": f"This profile has no subscription “{public_id}”."})
    subscription.profile = profile
    return subscription


def apply_effects(event, subscription=UNSET):
    """Apply what a reported event means for its profile (see the module docstring)."""
    effect = EFFECTS.get(event.type)
    if effect:
        if subscription is UNSET:
            subscription = named_subscription(event.profile, event.data)
        effect(event, subscription, AT_ONCE)
    locate_from_event(event)


def has_effects(type, data):
    """Whether an event of this type and data changes more than the history."""
    return type in EFFECTS or (isinstance(data, dict) and bool(data.get("ip")))


def ingest_event(profile, type, data=None, occurred_at=None):
    """Record an action reported from outside the product and apply its side effects.

    Raise ValidationError (nothing saved) when the data names a subscription the profile
    does not have.
    """
    subscription = named_subscription(profile, data) if type in EFFECTS else None
    with transaction.atomic():
        event = record_event(profile, type, data, occurred_at)
        apply_effects(event, subscription)
    return event


# -- Ingestion of a batch ------------------------------------------------------------------
#
# The batch is applied set-wise, in a number of queries that does not grow with its size:
# one for the profiles, one for the subscriptions the events name (when any does), one
# write of all the events (ids taken from the sequence, then COPY on PostgreSQL), and, for
# the effects, one read under lock of the rows of the profiles they touch (then of the
# subscriptions named). The rare effects (bounces, complaints, unsubscribe and
# confirmation clicks) run first, oldest first, through the same effect functions as one
# event, their changes collected and written with one query per kind of write (statuses,
# history events, audit entries, suppressed addresses); then the click tags and the IPs
# are folded per profile in time order, written with one UPDATE and one audit insert.

# The fields the per-profile fold of clicks and IPs may change.
FOLDED_FIELDS = (*UTM_TAGS, "ip", "country", *PLACE_FIELDS)
EVENT_FIELDS = ("id", "profile", "type", "occurred_at", "recorded_at", "data")


@dataclass
class Outcome:
    """The answer for one reported event: the id of the event created, or the errors by
    field."""

    index: int
    id: int | None = None
    errors: dict = field(default_factory=dict)

    @property
    def status(self):
        return "error" if self.errors else "created"


@dataclass
class _Accepted:
    outcome: Outcome
    pk: int  # the profile's
    type: str
    occurred_at: object
    data: dict
    subscription: object = None


def ingest_events(user, items, refused=None):
    """Validate and record reported events; return one Outcome per item, in order.

    Good events are kept whatever happens to the bad ones. All events are written in one
    insert; their side effects are applied in time order (see above). ``refused`` maps the
    index of an item already found bad (a value no column can store,
    ``core.api.errors.refused_items``) to its errors: it is that item's outcome, unread.

    The profiles and subscriptions the items name are read first, from the items as sent;
    then each item is checked as it goes into the events' COPY, so that on PostgreSQL the
    database writes the events before it while the next one is checked (on two cores, side
    by side instead of one after the other).
    """
    now = timezone.now()
    refused = refused or {}
    outcomes = [Outcome(index, errors=refused.get(index, {})) for index in range(len(items))]
    items = [None if index in refused else item for index, item in enumerate(items)]
    profile_ids = [reported_profile_id(item) for item in items]
    named = set(profile_ids) - {None}
    keys = (
        dict(
            Profile.objects.visible_to(user)
            .filter(any_of("profile_id", named))
            .order_by()
            .values_list("profile_id", "pk")
        )
        if named
        else {}
    )
    subscriptions = _named_subscriptions(items) if keys else {}
    by_contact = _subscriptions_by_contact(items, keys) if keys else {}
    accepted = []

    def checked():
        for outcome, item in zip(outcomes, items, strict=True):
            if outcome.errors:  # refused
                continue
            values, outcome.errors = clean_reported_event(item, now)
            if outcome.errors:
                continue
            pk = keys.get(values["profile_id"])
            if pk is None:
                outcome.errors = {"profile_id": [f"Unknown profile “{values['profile_id']}”."]}
                continue
            subscription = None
            if values["type"] in EFFECTS:
                public_id = values["data"].get("subscription")
                if public_id is not None:
                    subscription = subscriptions.get(str(public_id))
                    if subscription is None or subscription.profile_id != pk:
                        message = f"This profile has no subscription “{public_id}”."
                        outcome.errors = {"data": {"subscription": [message]}}
                        continue
                else:
                    subscription = by_contact.get((pk, reported_contact(values["data"])[1]))
            event = _Accepted(
                outcome, pk, values["type"], values["occurred_at"], values["data"], subscription
            )
            accepted.append(event)
            yield event

    if not keys:  # no item names a profile this user sees: nothing to write
        for _ in checked():
            pass
        return outcomes
    count = sum(profile_id in keys for profile_id in profile_ids)
    with transaction.atomic():
        _write_events(checked(), count, now)
        effectful = sorted(
            (event for event in accepted if has_effects(event.type, event.data)),
            key=lambda event: event.occurred_at,
        )
        if effectful:
            _apply_batch_effects(effectful)
    return outcomes


def _named_subscriptions(items):
    """Return {public id: live subscription} of those the items of effectful types name,
    read from the items as sent (one query)."""
    named = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            continue
        type, data = item.get("type"), item["data"]
        if not isinstance(type, str) or type not in EFFECTS:
            continue
        value = data.get("subscription")
        if value is None or value == "":
            continue
        named.add(str(value))  # its check keeps an id as sent (clean_line)
    if not named:
        return {}
    return {
        subscription.public_id: subscription
        for subscription in Subscription.objects.select_related("resource", "channel")
        .filter(any_of("public_id", named))
        .order_by()
    }


def _subscriptions_by_contact(items, keys):
    """Return {(profile pk, contact): its oldest live subscription with that contact} for
    the items of effectful types that name a contact and no subscription (one query)."""
    wanted = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            continue
        if item.get("type") not in EFFECTS or item["data"].get("subscription") is not None:
            continue
        pk = keys.get(reported_profile_id(item))
        contact = reported_contact(item["data"])[1]
        if pk is not None and contact is not None:
            wanted.add((pk, contact))
    if not wanted:
        return {}
    found = {}
    rows = (
        Subscription.objects.select_related("resource", "channel")
        .filter(any_of("profile_id", {pk for pk, _ in wanted}))
        .filter(any_of("contact", {contact for _, contact in wanted}))
        .order_by("-pk")
    )
    for subscription in rows:  # the oldest last: it is the one kept
        if (subscription.profile_id, subscription.contact) in wanted:
            found[subscription.profile_id, subscription.contact] = subscription
    return found


def _write_events(accepted, count, now):
    """Insert the events (at most ``count``) as the iterable ``accepted`` yields them and
    give each outcome its event's id."""
    if connection.vendor == "postgresql":
        ids = iter(bulk.take_ids(Event, count))  # before the COPY starts: no query during it
        bulk.insert_text(Event, EVENT_FIELDS, _event_lines(accepted, ids, now.isoformat()))
        return
    accepted = list(accepted)
    objects = Event.objects.bulk_create(
        Event(
            profile_id=event.pk,
            type=event.type,
            occurred_at=event.occurred_at,
            recorded_at=now,
            data=event.data,
        )
        for event in accepted
    )
    for event, stored in zip(accepted, objects, strict=True):
        event.outcome.id = stored.pk


def _event_lines(accepted, ids, recorded_at):
    """Yield the events ``accepted`` yields as COPY's text, about 100 a chunk, each given the
    next of ``ids``: written here (a type's slug, two times, JSON) in a third of the time a
    row at a time takes. Ids of events never yielded stay unused."""
    lines = []
    for event in accepted:
        event.outcome.id = pk = next(ids)
        data = bulk.json_text(event.data).replace("\\", "\\\\")
        lines.append(
            f"{pk}\t{event.pk}\t{event.type}\t{event.occurred_at.isoformat()}\t{recorded_at}\t{data}\n"
        )
        if len(lines) == 100:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _apply_batch_effects(effectful):
    """Apply the effects of the events (oldest first) to the rows of their profiles, read
    under lock in the order of their keys (as every batch takes them: no deadlock): the
    rare ones' changes collected and written set-wise, then the clicks' tags and the IPs
    folded per profile."""
    rare = [event for event in effectful if event.type in EFFECTS and event.type != "click"]
    tagged, located = _fold_inputs(effectful)
    if not rare and not tagged and not located:
        return
    fields = ["id", "profile_id", *FOLDED_FIELDS]
    if rare:
        fields += ["status", "email"]
    wanted = {event.pk for event in rare} | tagged.keys() | located.keys()
    rows = (
        Profile.objects.locked_for_change()
        .filter(any_of("pk", wanted))
        .order_by("pk")
        .values_list(*fields)
    )
    profiles = {values[0]: Profile.from_db(connection.alias, fields, values) for values in rows}
    if len(profiles) < len(wanted):
        # Deleted since the batch read it: its events would fail at commit anyway.
        raise LostRace("A profile of the batch was deleted meanwhile.")
    if rare:
        _apply_rare_effects(rare, profiles)
    if tagged or located:
        newest = _newest_located(effectful, located)
        batch = [event.outcome.id for event in effectful if event.pk in tagged]
        moments = {pk: moment for pk, (moment, _) in tagged.items()}
        for pk in _later_tagged_clicks(moments, exclude=batch):
            del tagged[pk]
        _fold(profiles, tagged, located, newest)


def _newest_located(effectful, located):
    """{profile pk: when its latest action with an IP before this batch happened}; read
    once the rows are locked, so that an action committed while this batch waited counts."""
    if not located:
        return {}
    since = min(moment for actions in located.values() for moment, _ in actions)
    batch = [event.outcome.id for event in effectful if event.pk in located]
    return newest_located_actions(located.keys(), since, exclude=batch)


def _later_tagged_clicks(moments, *, exclude=()):
    """The profiles of ``moments`` ({profile pk: when a tagged click of this write
    happened}) that have a tagged click reported before and made later, whose tags they
    keep (one query, on the index of a profile's events by type; read once their rows are
    locked, so that a click committed while this write waited counts; the events
    ``exclude`` names left out)."""
    if not moments:
        return set()
    clicks = (
        Event.objects.filter(
            any_of("profile_id", moments), type="click", occurred_at__gt=min(moments.values())
        )
        .filter(models.Q(data__has_any_keys=UTM_TAGS) | models.Q(data__url__icontains="utm_"))
        .exclude(any_of("pk", exclude))
        .values_list("profile_id", "occurred_at", "data")
        .order_by()
    )
    return {pk for pk, moment, data in clicks if moment > moments[pk] and click_utm(data)}


def _fold_inputs(effectful):
    """Return ({profile pk: (when, the tags) of its latest tagged click}, {profile pk:
    [(moment, ip)] in time order}) of the events (oldest first)."""
    tagged, located = {}, defaultdict(list)
    ip_field = Profile._meta.get_field("ip")
    for event in effectful:
        if event.type == "click":
            tags = click_utm(event.data)
            if tags:
                tagged[event.pk] = (event.occurred_at, tags)
        ip = event.data.get("ip")
        if ip and isinstance(ip, str):
            with contextlib.suppress(ValidationError):
                located[event.pk].append((event.occurred_at, ip_field.clean(ip, None)))
    return tagged, located


def _apply_rare_effects(rare, profiles):
    """Run the effects of the rare events (bounces, complaints, unsubscribe and confirmation
    clicks) one by one on the locked rows, as one event at a time would, and write what
    they changed in one query per kind of write."""
    subscriptions = {
        event.subscription.pk: event.subscription for event in rare if event.subscription
    }
    if subscriptions:
        # As operations.subscriptions.update_subscription: the row as stored, under lock.
        stored = Subscription.all_objects.select_for_update().filter(pk__in=subscriptions)
        for row in stored.order_by("pk"):
            for model_field in Subscription._meta.concrete_fields:
                setattr(
                    subscriptions[row.pk], model_field.attname, getattr(row, model_field.attname)
                )
    changes = _BatchChanges()
    for accepted in rare:
        profile = profiles[accepted.pk]
        if accepted.subscription is not None:
            accepted.subscription.profile = profile
        event = Event(
            pk=accepted.outcome.id,
            profile=profile,
            type=accepted.type,
            occurred_at=accepted.occurred_at,
            data=accepted.data,
        )
        EFFECTS[accepted.type](event, accepted.subscription, changes)
    changes.write()


class _BatchChanges:
    """The changes ``AT_ONCE`` makes, made to the rows in memory and collected with the
    history events and audit entries the operations record, in the order they record them,
    then written in one query per kind of write."""

    def __init__(self):
        self.profiles, self.subscriptions = {}, {}  # pk -> the row changed
        self.events, self.audit, self.suppressed = [], [], []

    def profile_status(self, profile, status, *, source):
        """As operations.profiles.change_status."""
        before = profile.status
        if before == status:
            return
        profile.status = status
        self.profiles[profile.pk] = profile
        self.audit.append((profile, {"status": [before, status]}))
        data = {"from": before, "to": status, "source": source}
        self.events.append(Event(profile_id=profile.pk, type="status_changed", data=data))
        if status == Status.HARD_BOUNCED:
            self.suppress(profile.email, profile)

    def subscription_status(self, subscription, status):
        """As operations.subscriptions.set_status."""
        before = subscription.status
        if before == status:
            return
        if subscription.is_deleted:
            raise ValidationError({NON_FIELD_ERRORS: ["This subscription was deleted."]})
        subscription.status = status
        changed = {"status": [before, status]}
        if status != Status.SUSPENDED and subscription.suspended_until is not None:
            changed["suspended_until"] = [_audited(subscription.suspended_until), None]
            subscription.suspended_until = None
        self.subscriptions[subscription.pk] = subscription
        self.audit.append((subscription, changed))
        type, data = status_event(subscription, before, status)
        self.events.append(Event(profile_id=subscription.profile_id, type=type, data=data))

    def suppress(self, address, profile):
        self.suppressed.append((address, profile))

    def confirm(self, profile, subscription):
        """As operations.subscriptions.confirm."""
        if subscription is not None and subscription.status == Status.UNCONFIRMED:
            self.subscription_status(subscription, Status.SUBSCRIBED)
        if profile.status == Status.UNCONFIRMED:
            self.profile_status(profile, Status.SUBSCRIBED, source="confirmation")

    def write(self):
        now = timezone.now()
        for row in (*self.profiles.values(), *self.subscriptions.values()):
            row.updated_at = now
        if self.profiles:
            _update_rows(Profile, self.profiles.values(), ["status", "updated_at"])
        if self.subscriptions:
            names = ["status", "suspended_until", "updated_at"]
            _update_rows(Subscription, self.subscriptions.values(), names)
        Event.objects.bulk_create(self.events)
        log_updates(self.audit)
        if self.suppressed:
            SuppressedAddress.objects.suppress_many(self.suppressed, reason="hard_bounced")


def _fold(profiles, tagged, located, newest):
    """Fold the clicks' tags and the IPs into the profiles' rows; write them in one UPDATE
    and one audit insert."""
    now = timezone.now()
    changed, audit = [], {}
    for pk in sorted(tagged.keys() | located.keys()):
        profile = profiles[pk]
        before = {name: getattr(profile, name) for name in FOLDED_FIELDS}
        for moment, ip in located.get(pk, ()):
            # An action older than the latest located one before this batch changes nothing.
            if pk in newest and newest[pk] > moment:
                continue
            for name, value in location_change(profile, ip).items():
                setattr(profile, name, value)
        _, tags = tagged.get(pk, (None, None))
        if tags is not None:
            # The latest tagged click defines all five tags: the ones it lacks are cleared.
            for tag in UTM_TAGS:
                setattr(profile, tag, tags.get(tag, "")[:200])
        changes = {
            name: [_audited(before[name]), _audited(getattr(profile, name))]
            for name in FOLDED_FIELDS
            if getattr(profile, name) != before[name]
        }
        if changes or tags is not None:  # a tagged click's save touches the profile anyway
            profile.updated_at = now
            changed.append(profile)
            audit[profile] = changes
    if changed:
        # Only the columns some row changes are written (the others would be set to what
        # they hold): fewer values to send, and less for the database to write.
        written = set().union(*audit.values())
        names = [name for name in FOLDED_FIELDS if name in written]
        _update_rows(Profile, changed, [*names, "updated_at"])
        log_updates(audit)


def _update_rows(model, rows, names):
    """Write the fields ``names`` of the ``model`` instances ``rows`` in one UPDATE.

    On PostgreSQL the rows go as one JSON parameter that ``jsonb_to_recordset`` reads back
    with the columns' types: one value written by orjson, where an array per field had
    psycopg quote each element (a fifth of a batch's fold). Django's bulk_update builds a
    CASE per field and row, slower than the rest of a batch.
    """
    rows = list(rows)
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, names)
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    types = (f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
    record = ", ".join(["id bigint", *types])
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    # A value the database reads as Python holds it, or as the field prepares it to be saved
    # (an IP address's "" is NULL); orjson writes what it does not know (a Decimal, an
    # address) as its text, which the column's type reads.
    prepared = [(f.column, f.attname, None if isinstance(f, _AS_HELD) else f) for f in fields]
    records = [
        {
            "id": row.pk,
            **{
                column: value if field is None else field.get_db_prep_save(value, connection)
                for column, attname, field in prepared
                for value in (getattr(row, attname),)
            },
        }
        for row in rows
    ]
    with connection.cursor() as cursor:
        table = quote(model._meta.db_table)
        sql = f"UPDATE {table} AS t SET {sets} FROM jsonb_to_recordset(%s::jsonb) AS v({record}) WHERE t.id = v.id"  # noqa: S608, E501 (the model's names)
        cursor.execute(sql, [orjson.dumps(records, default=str).decode()])


# The fields whose values the database reads as Python holds them.
_AS_HELD = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.FloatField,
    models.DateTimeField,
    models.ForeignKey,
)


def _audited(value):
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
