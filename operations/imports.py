"""Importing profiles in batches, set-wise: the engine behind ``profiles/import/`` and the
file import.

A batch (at most ``MAX_IMPORT_ROWS`` from the API; a chunk of a file) goes through four
steps, each done for all its rows at once rather than row by row:

1. **Read** each row in Python (``operations.import_rows.RowReader``): its keys, the JSON
   type of each value, its subscriptions. A bad row is an error result naming its fields.
2. **Match** the rows to their profiles with one query per key for the whole batch
   (``Matcher.find_all``): email, phone, email or phone, profile_id, a custom field's value
   (``field:<name>``, backed on PostgreSQL by the GIN index on the custom values), or the
   contact of a subscription (``subscription_email``, ``subscription_phone``,
   ``push_token``). The mode decides what a match means: ``upsert`` updates a match and
   creates the rest, ``insert`` skips a match, ``update`` skips a row without one.
3. **Check** each row's values against the database's rules (``ProfileValuesCheck``: the
   check of a single create or change, its field definitions read once for the batch) and
   the emails of the batch against the database in one query (none when the rows were
   matched by email: the match read them).
4. **Write** with bulk statements: the new profiles (built from their defaults once per
   batch, ``new_profiles``), their phones, their import events and audit entries in one
   ``COPY``/``INSERT`` each; the changed profiles in one ``UPDATE``. A new profile's row
   is checked as its profile goes into the ``COPY`` (``core.bulk.insert_each``), so
   PostgreSQL writes the rows before it meanwhile.

Rows of one batch that share a key (two rows of one email) run in order, in "waves": the
second sees what the first wrote, so it updates the profile the first created and its
result names the row it repeats (``duplicate_of``). Results are exact per row, in order:
``created``, ``updated``, ``skipped`` (with why) or ``error`` (naming the fields).

Concurrent imports of one database do not wait for each other over new emails: an email
is unique in its database, so a new profile's email another import has written makes the
insert wait for that import's end, and fail if it committed. The wave then runs again in a
fresh savepoint (the failed attempt's row locks go with it), matches that profile and
updates it; past ``WAVE_ATTEMPTS`` it runs row by row, each row matched again. New profiles
go in in the order of their emails, so two inserts never wait each for an email the other
holds. The values no constraint guards (phones, a custom field's value, subscription
contacts) are locked (``core.locks.lock_keys``: a batch of more than 64 values of such a
kind waits for every other import of that kind into the database, as PostgreSQL's lock
table cannot hold a lock per value of thousands). A write the database still refuses is
written row by row, each in its own savepoint, so the one bad row is reported and the
others are kept. A batch PostgreSQL cancels in a deadlock (a later wave locking a profile
another import holds while that one waits for a new email of this batch) rolls back to its
savepoint and, after a short random pause, runs again (``BATCH_ATTEMPTS``); past that the
request runs again whole (``core.transactions``), or the job its chunk.
"""

import copy
import random
import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, prefetch_related_objects
from django.db.models.base import ModelState
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from audit.signals import log_creates, log_updates, snapshot
from core import bulk
from core.api.errors import api_detail
from core.fieldtypes import FieldType, is_empty
from core.locks import lock_keys
from core.lookups import any_of
from core.races import deadlocked
from core.status import Status
from core.text import normalize_email, normalize_phones
from history.models import Event
from history.types import IMPORT_SOURCES
from profiles.models import Profile, ProfilePhone, ProfileValuesCheck, locate
from subscriptions.models import ContactKind, Subscription

from .control_group import new_profile_group
from .import_rows import ReadRow, RowError, RowReader
from .pixels import join_anonymous_hits
from .profiles import create_profile, suppress_address, update_profile
from .subscriptions import subscribe

MAX_IMPORT_ROWS = 1000
MODES = ("upsert", "insert", "update")
MATCH_KEYS = (
    "email",
    "phone",
    "email_or_phone",
    "profile_id",
    "subscription_email",
    "subscription_phone",
    "push_token",
)
FIELD_PREFIX = "field:"
MATCH_HELP = (
    "email, phone, email_or_phone, profile_id, field:<custom field name>, "
    "subscription_email, subscription_phone or push_token"
)
# Custom field types a profile can be matched by: a single value compared exactly.
MATCHABLE_TYPES = {
    FieldType.NUMBER,
    FieldType.FLOAT,
    FieldType.LINE,
    FieldType.DATE,
    FieldType.BOOLEAN,
    FieldType.ENUM,
    FieldType.IP,
}
# The contact kinds a subscription key looks in, and the profile field it also takes.
SUBSCRIPTION_KEYS = {
    "subscription_email": ({ContactKind.EMAIL}, "email"),
    "subscription_phone": ({ContactKind.PHONE, ContactKind.TELEGRAM}, "phones"),
    "push_token": ({ContactKind.TOKEN}, None),
}
EVENT_COLUMNS = ["profile", "type", "occurred_at", "data", "recorded_at"]
# What the audit log leaves out of a profile's entry (as the model signals do).
AUDIT_SKIP = {"updated_at", "md5", "xxh"}
# The kinds of matched value a unique constraint guards, which a batch does not lock.
UNLOCKED_KINDS = {"profile_id", "email"}
# How many times a wave is written whole before its rows go one by one: each attempt after
# the first follows another import's commit of some of its new emails, and matches again.
WAVE_ATTEMPTS = 8
# How many times a batch PostgreSQL cancels in a deadlock is run (from its start) in its
# transaction; then the whole request is (core.transactions), or a file's chunk (its job).
BATCH_ATTEMPTS = 2


@dataclass
class RowResult:
    index: int
    status: str
    profile_id: str | None = None
    errors: dict = field(default_factory=dict)
    duplicate_of: int | None = None  # the earlier row of the batch with the same key
    pk: int | None = None  # the profile's primary key (for a segment of the imported)

    def as_dict(self):
        answer = {
            "index": self.index,
            "status": self.status,
            "profile_id": self.profile_id,
            "errors": self.errors,
        }
        if self.duplicate_of is not None:
            answer["duplicate_of"] = self.duplicate_of
        return answer


@dataclass(frozen=True)
class Matcher:
    """How the rows of a batch find their existing profile in the database."""

    database: object
    key: str
    custom_field: object = None

    @classmethod
    def parse(cls, database, text, mode="upsert"):
        """Return the matcher a ``match`` names; raise ValueError with a sentence."""
        if not isinstance(text, str):
            raise ValueError(f"Enter {MATCH_HELP}.")
        if text == "profile_id" and mode == "insert":
            raise ValueError(
                "profile_id matches profiles that exist: use it with mode update or upsert."
            )
        if text in MATCH_KEYS:
            return cls(database, text)
        if text.startswith(FIELD_PREFIX):
            name = text[len(FIELD_PREFIX) :]
            definition = next((f for f in database.custom_fields.all() if f.name == name), None)
            if definition is None:
                raise ValueError(f"Database “{database}” has no custom field “{name}”.")
            if definition.type not in MATCHABLE_TYPES:
                raise ValueError(
                    f"“{name}” is a {definition.get_type_display()} field; "
                    "match by a field holding a single value."
                )
            return cls(database, "field", definition)
        raise ValueError(f"Enter {MATCH_HELP} (got “{text}”).")

    @property
    def text(self):
        return f"{FIELD_PREFIX}{self.custom_field.name}" if self.key == "field" else self.key

    def values(self, row):
        """The row's values of the matching key, normalised, as (kind, value) pairs: the
        keys of the lock and of the batch's order. Raise RowError for a malformed value."""
        key = self.key
        if key == "profile_id":
            return [("profile_id", row.profile_id)] if row.profile_id else []
        if key == "field":
            return [("field", value) for value in self._custom_values(row)]
        if key in SUBSCRIPTION_KEYS:
            return [(key, contact) for contact in self._contacts(row)]
        pairs = []
        if key in ("email", "email_or_phone") and row.values.get("email"):
            pairs.append(("email", normalize_email(row.values["email"])))
        if key in ("phone", "email_or_phone"):
            pairs += [("phone", number) for number in self._phones(row)]
        return pairs

    def _phones(self, row):
        phones = row.values.get("phones")
        if phones is None:
            return []
        try:
            return normalize_phones(phones)
        except ValidationError as error:
            raise RowError({"phones": error.messages}) from None

    def _custom_values(self, row):
        name = self.custom_field.name
        value = row.custom.get(name) if isinstance(row.custom, dict) else None
        if is_empty(value):
            return []
        try:
            return [self.custom_field.clean_value(value)]
        except ValidationError as error:
            raise RowError({"fields": {name: error.messages}}) from None

    def _contacts(self, row):
        kinds, profile_field = SUBSCRIPTION_KEYS[self.key]
        contacts = [sub.contact for sub in row.subscriptions if sub.channel.contact_kind in kinds]
        if profile_field == "email" and row.values.get("email"):
            contacts.append(normalize_email(row.values["email"]))
        elif profile_field == "phones":
            contacts += self._phones(row)
        return list(dict.fromkeys(contacts))

    def find_all(self, rows, seen=None):
        """Map each row's index to its profile's pk, None (no match) or a RowError; one
        query per kind of key for all the rows (their ``match_keys``, from ``values``).
        ``seen`` (a dict) receives the owners of every pair asked for (a set, maybe empty)."""
        asked = {pair for row in rows for pair in row.match_keys}
        owners = self._owners(asked)
        if seen is not None:
            seen.update((pair, owners.get(pair, set())) for pair in asked)
        return {row.index: self._choose(row.match_keys, owners) for row in rows}

    def _choose(self, pairs, owners):
        if self.key == "email_or_phone":
            email = [pair for pair in pairs if pair[0] == "email"]
            if email and owners.get(email[0]):
                return next(iter(owners[email[0]]))
            pairs = [pair for pair in pairs if pair[0] == "phone"]
        if self.key == "profile_id" and pairs and not owners.get(pairs[0]):
            message = f"No profile with this profile_id in database “{self.database}”."
            return RowError({"profile_id": [message]}, missing=True)
        pks = set().union(*(owners.get(pair, set()) for pair in pairs)) if pairs else set()
        if len(pks) > 1:
            return RowError(self._ambiguous())
        return next(iter(pks), None)

    def _ambiguous(self):
        if self.key == "field":
            message = "More than one profile holds this value; match by another key."
            return {"fields": {self.custom_field.name: [message]}}
        if self.key in ("phone", "email_or_phone"):
            message = "These phones belong to more than one profile; match by another key."
            return {"phones": [message]}
        message = "These contacts belong to more than one profile; match by another key."
        return {"subscriptions": [message]}

    def _owners(self, pairs):
        """Return {(kind, value): {profile pk}} for the pairs, one query per kind."""
        by_kind = {}
        for kind, value in pairs:
            by_kind.setdefault(kind, []).append(value)
        profiles = Profile.objects.filter(database=self.database)
        owners = {}
        for kind, values in by_kind.items():
            if kind == "email":
                found = profiles.filter(any_of("email", values)).values_list("email", "pk")
            elif kind == "profile_id":
                found = profiles.filter(any_of("profile_id", values))
                found = found.values_list("profile_id", "pk")
            elif kind == "phone":
                found = ProfilePhone.objects.filter(
                    any_of("number", values), database=self.database
                ).values_list("number", "profile_id")
            elif kind == "field":
                found = self._field_owners(profiles, values)
            else:
                kinds = SUBSCRIPTION_KEYS[kind][0]
                found = Subscription.objects.filter(
                    any_of("contact", values),
                    profile__database=self.database,
                    channel__contact_kind__in=kinds,
                ).values_list("contact", "profile_id")
            for value, pk in found:
                owners.setdefault((kind, value), set()).add(pk)
        return owners

    def _field_owners(self, profiles, values):
        """Yield (value, pk) of the profiles holding one of ``values`` in the field."""
        name = self.custom_field.name
        if connection.vendor == "postgresql":  # containment: the GIN index answers it
            query = Q()
            for value in values:
                query |= Q(custom_values__contains={name: value})
            holders = profiles.filter(query)
        else:
            holders = profiles.alias(held=KeyTransform(name, "custom_values")).filter(
                held__in=values
            )
        wanted = set(values)
        for pk, custom_values in holders.values_list("pk", "custom_values"):
            value = (custom_values or {}).get(name)
            if value in wanted:
                yield value, pk


def _written_email(row):
    email = row.values.get("email")
    return normalize_email(email) if isinstance(email, str) else ""


def new_profiles(database, count):
    """Return ``count`` unsaved profiles of ``database`` holding their fields' defaults, as
    ``Profile(database=database)`` makes them, without running the model's ``__init__`` for
    each (a third of the Python time of creating a chunk's profiles)."""
    template = Profile(database=database)
    fixed = {key: value for key, value in template.__dict__.items() if key != "_state"}
    made = []  # (attname, default) whose value is made anew for each profile
    for model_field in Profile._meta.concrete_fields:
        if not model_field.has_default():
            continue
        default = model_field.default
        if callable(default):
            made.append((model_field.attname, default))
        elif isinstance(default, (list, dict)):
            made.append((model_field.attname, lambda default=default: copy.deepcopy(default)))
    profiles = []
    for _ in range(count):
        profile = Profile.__new__(Profile)
        values = profile.__dict__
        values.update(fixed)
        for attname, default in made:
            values[attname] = default()
        profile._state = state = ModelState()
        state.db = template._state.db
        state.fields_cache["database"] = database
        profiles.append(profile)
    return profiles


def import_rows(
    database,
    rows,
    *,
    matcher,
    mode="upsert",
    source="api",
    detect_location=True,
    first=0,
    refused=None,
):
    """Import ``rows`` (dicts as in POST profiles/) into ``database``; return one
    ``RowResult`` per row, in order (``first`` is the index of the first row).

    ``refused`` maps the index of a row already found bad (a value no column can store,
    ``core.api.errors.refused_items``) to its errors: it is that row's result, unread.

    Runs in the caller's transaction (one is opened when there is none).
    """
    # The field definitions, read once for the batch (every row's check reads them).
    prefetch_related_objects([database], "custom_fields")
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                batch = Batch(database, matcher, mode, source, detect_location)
                return batch.run(rows, first, refused or {})
        except OperationalError as error:
            # A later wave locking a profile another import held while that one waited
            # for a new email of an earlier wave: the batch lets go of everything it took
            # (the other goes on) and runs again.
            if not deadlocked(error) or attempt >= BATCH_ATTEMPTS:
                raise
            # Let the other take what it waited for before locking again: run again at
            # once, this batch took the same profiles first and met it the same way.
            time.sleep(random.uniform(0.1, 0.3) * attempt)
            attempt += 1


class Batch:
    """One batch of rows on its way into the database."""

    def __init__(self, database, matcher, mode, source, detect_location):
        self.database = database
        self.matcher = matcher
        self.mode = mode
        self.source = source
        self.detect_location = detect_location
        self.values_check = ProfileValuesCheck(database)  # the database's rules, read once
        self.results = {}

    def run(self, rows, first, refused):
        read, reader = [], RowReader(self.database)
        for offset, row in enumerate(rows):
            index = first + offset
            outcome = refused.get(index) or reader.read(index, row)
            if isinstance(outcome, ReadRow):
                read.append(outcome)
            else:
                self.results[index] = RowResult(index, "error", errors=outcome)
        waves = self._waves(read)
        lock_keys(self._lock_keys(read))
        for wave in waves:
            self._run_wave(wave)
        return [self.results[first + offset] for offset in range(len(rows))]

    def _lock_keys(self, rows):
        """The values to lock before matching: those no unique constraint guards. A
        profile_id matches only profiles that exist, and an email is unique in its database:
        a new profile's email another import wrote meanwhile fails the wave's insert, which
        then runs again and finds that profile (``_run_wave``)."""
        keys = []
        for row in rows:
            for kind, value in row.keys:
                if kind not in UNLOCKED_KINDS:
                    keys.append((f"import:{self.database.pk}:{kind}", value))
        return keys

    def _waves(self, rows):
        """Split the rows so that no two of a wave share a key (a matched value, an email
        written): a row comes in the wave after the last earlier row it shares one with."""
        last_seen = {}  # key -> (wave number, row index)
        waves = []
        for row in rows:
            try:
                row.match_keys = self.matcher.values(row)
            except RowError as error:
                self.results[row.index] = RowResult(row.index, "error", errors=error.errors)
                continue
            email = row.values.get("email")
            written = [("email", normalize_email(email))] if isinstance(email, str) else []
            row.keys = list(dict.fromkeys(row.match_keys + written))
            earlier = [last_seen[key] for key in row.keys if key in last_seen]
            number = max((wave for wave, _ in earlier), default=-1) + 1
            if earlier:
                row.duplicate_of = max(earlier)[1]
            for key in row.keys:
                last_seen[key] = (number, row.index)
            if number == len(waves):
                waves.append([])
            waves[number].append(row)
        return waves

    def _run_wave(self, rows):
        """Write the wave, each attempt in a savepoint: one that fails takes its row locks
        with it, so that the next takes them again in key order (a retry holding the locks
        of the attempt before deadlocked with another import retrying). A wave that fails
        ``WAVE_ATTEMPTS`` times (many imports writing the same new emails at once) runs
        again row by row, each row matched again on its own."""
        attempt = 1
        while attempt < WAVE_ATTEMPTS:
            try:
                with transaction.atomic():
                    written = self._attempt(rows, last=False)
                break
            except IntegrityError:
                # Another import wrote one of the wave's new emails and committed (the
                # insert waited for it): match again, the row updates that profile now.
                attempt += 1
            except DataError:
                attempt = WAVE_ATTEMPTS  # the same value fails again: row by row
            self._forget(rows)
        else:
            if len(rows) > 1:
                for row in rows:
                    self._run_wave([row])
                return
            with transaction.atomic():
                written = self._attempt(rows, last=True)
        for row, profile in written:
            if profile is not None:
                self._after_write(row, profile)

    def _attempt(self, rows, last):
        """Match, lock, check and write the rows; return (row, profile) of those written.
        A write the database refuses fails the attempt, or on the ``last`` one is
        written again row by row."""
        seen = {}
        found = self.matcher.find_all(rows, seen)
        # In the order of their keys, as every batch of events takes them, and not FOR
        # UPDATE, which the key-share lock an event's reference takes at commit waits for:
        # an import and a batch of events each holding profiles the other needed waited
        # for each other (a deadlock). A change of email takes the stronger lock itself.
        matched = [pk for pk in found.values() if isinstance(pk, int)]
        locked = Profile.objects.locked_for_change().filter(any_of("pk", matched)).order_by("pk")
        profiles = {profile.pk: profile for profile in locked} if matched else {}
        gone = set(matched) - profiles.keys()
        if gone:  # deleted while the lock waited: no longer the owner of its email
            seen = {pair: owners - gone for pair, owners in seen.items()}
        creates, updates = [], []
        for row in rows:
            target = found[row.index]
            if isinstance(target, RowError):
                if target.missing and self.mode == "update":
                    self._skip(row, None, "No profile has this profile_id.")
                else:
                    self._fail(row, None, target.errors)
                continue
            profile = profiles.get(target)
            if profile is not None and self.mode == "insert":
                self._skip(row, profile, "A profile matches this row; insert mode keeps it.")
            elif profile is None and self.mode == "update":
                self._skip(row, None, "No profile matches this row; update mode creates none.")
            elif profile is None:
                creates.append(row)  # checked as its profile goes into the database
            elif self._check(row, profile):
                updates.append((row, profile))
        taken = self._email_owners(creates, updates, seen)
        for row, profile in updates:
            self._refuse_taken_email(row, profile, row.checked.get("email"), taken)
        updates = [(row, p) for row, p in updates if row.index not in self.results]
        if not last:
            return self._create(creates, taken) + self._update(updates)
        try:
            with transaction.atomic():
                return self._create(creates, taken) + self._update(updates)
        except (IntegrityError, DataError):
            return self._one_by_one(creates, updates, taken)

    def _forget(self, rows):
        """Undo what an attempt at the wave left on its rows, to run it again."""
        for row in rows:
            self.results.pop(row.index, None)
            row.checked, row.created = None, False

    def _one_by_one(self, creates, updates, taken):
        """Write each row on its own, in its own savepoint, so that the one a concurrent
        write refuses fails and the others are kept."""
        creates = [(row, None) for row in creates if self._checked_new(row, taken)]
        return [self._write_one(row, profile) for row, profile in creates + updates]

    # -- checks --------------------------------------------------------------------------

    def _check(self, row, profile):
        """Check the row's values for its profile (or a new one); keep them on the row."""
        values = dict(row.values)
        if row.custom is not None:
            values["custom_values"] = row.custom
        if self.detect_location:
            locate(values, profile)
        try:
            row.checked = self.values_check.check(values, profile=profile, check_email=False)
        except ValidationError as error:
            self._fail(row, profile, api_detail(error))
            return False
        return True

    def _checked_new(self, row, taken):
        """Check a row of a new profile once, and its email's owner: whether it is to be
        written (a row the writes were rolled back before reaching is checked now)."""
        if row.checked is None and row.index not in self.results and self._check(row, None):
            self._refuse_taken_email(row, None, row.checked.get("email"), taken)
        return row.index not in self.results

    def _email_owners(self, creates, updates, known):
        """Return {email: pk} of the profiles of the database holding the emails the rows
        write (one query, none when the matcher has just read the owners of these emails:
        ``known``). A new profile's email is read as its check leaves it: normalised."""
        wanted = {normalize_email(row.values.get("email")) for row in creates}
        wanted |= {row.checked.get("email") for row, _ in updates}
        wanted -= {"", None}
        if not wanted:
            return {}
        if all(("email", email) in known for email in wanted):
            return {email: pk for email in wanted for pk in known[("email", email)]}
        profiles = Profile.objects.filter(any_of("email", wanted), database=self.database)
        return dict(profiles.values_list("email", "pk"))

    def _refuse_taken_email(self, row, profile, email, taken):
        """Refuse an email another profile of the database holds."""
        owner = taken.get(email) if email else None
        if owner is not None and (profile is None or owner != profile.pk):
            message = f"Another profile of database “{self.database}” has the email {email}."
            self._fail(row, profile, {"email": [message]})

    # -- writes --------------------------------------------------------------------------

    def _create(self, rows, taken):
        """Insert the new profiles, each row checked as its profile goes into the COPY (the
        database writes the ones before meanwhile), then their phones, import events and
        audit entries. Return (row, profile) of those written."""
        if not rows:
            return []
        # In the order of their emails, as every import inserts them: two imports writing
        # some of the same new emails wait for each other at the first they share, and
        # never each for one the other holds (a deadlock).
        rows = sorted(rows, key=_written_email)
        group = new_profile_group(self.database)
        self.values_check.prepare()  # no query may run while the COPY does
        now = timezone.now()
        written = []

        def checked_profiles():
            for row, profile in zip(rows, new_profiles(self.database, len(rows)), strict=True):
                if not self._checked_new(row, taken):
                    continue
                for name, value in row.checked.items():
                    if name == "custom_values":
                        value = value.applied_to({})
                    setattr(profile, name, value)
                if group is not None:
                    profile.in_control_group = group.includes(
                        profile.profile_id, group.formed_period
                    )
                profile.prepare_identifiers()
                profile.created_at = profile.updated_at = now
                written.append((row, profile))
                yield profile

        new = bulk.insert_each(Profile, checked_profiles(), len(rows))
        if not new:
            return []
        bulk.insert_rows(
            ProfilePhone,
            ["profile", "database", "number"],
            ((p.pk, p.database_id, number) for p in new for number in p.phones),
        )
        imported = IMPORT_SOURCES[self.source]
        data = {"source": self.source}
        events = [(p.pk, imported, now, data, now) for p in new]
        events += [(p.pk, "control_group_entered", now, {}, now) for p in new if p.in_control_group]
        bulk.insert_rows(Event, EVENT_COLUMNS, events)
        log_creates(new)
        for row, profile in written:
            row.created = True
            profile._loaded_phones = list(profile.phones)
            if profile.status == Status.HARD_BOUNCED:
                suppress_address(profile)
        return written

    def _update(self, updates):
        """Write the changed values of the matched profiles (locked when matched)."""
        if not updates:
            return []
        now = timezone.now()
        changed_profiles, fields, audit, events, phones_changed = [], set(), {}, [], []
        for row, profile in updates:
            before = snapshot(profile, AUDIT_SKIP)
            status = profile.status
            changed = []
            for name, value in row.checked.items():
                if name == "custom_values":
                    value = value.applied_to(profile.custom_values)
                elif name == "email":
                    value = value or profile.fallback_email()
                if getattr(profile, name) != value:
                    setattr(profile, name, value)
                    changed.append(name)
            if not changed:
                continue
            profile.updated_at = now
            changed_profiles.append(profile)
            fields.update(changed)
            after = snapshot(profile, AUDIT_SKIP)
            audit[profile] = {
                key: [before.get(key), after.get(key)]
                for key in before.keys() | after.keys()
                if before.get(key) != after.get(key)
            }
            if "phones" in changed:
                phones_changed.append(profile)
            if status != profile.status:
                data = {"from": status, "to": profile.status, "source": self.source}
                events.append(Event(profile=profile, type="status_changed", data=data))
        if changed_profiles:
            Profile.objects.bulk_update(changed_profiles, [*fields, "updated_at"], batch_size=500)
        if phones_changed:
            ProfilePhone.objects.filter(profile__in=phones_changed).delete()
            ProfilePhone.objects.bulk_create(
                ProfilePhone(profile=profile, database_id=profile.database_id, number=number)
                for profile in phones_changed
                for number in profile.phones
            )
        for event in events:
            event.occurred_at = now
        Event.objects.bulk_create(events)
        log_updates(audit)
        for event in events:
            if event.profile.status == Status.HARD_BOUNCED:
                suppress_address(event.profile)
        return updates

    def _write_one(self, row, profile):
        """Write one row through the single-profile operations, in its own savepoint."""
        try:
            with transaction.atomic():
                if profile is None:
                    row.created = True
                    return row, create_profile(self.database, row.checked, source=self.source)
                return row, update_profile(profile, row.checked, source=self.source)
        except ValidationError as error:
            self._fail(row, profile, api_detail(error))
        except (IntegrityError, DataError):
            self._fail(row, profile, {"non_field_errors": ["The profile could not be saved."]})
        return row, None

    def _after_write(self, row, profile):
        """Join the row's anonymous hits and add its subscriptions; record its result."""
        try:
            if row.anonymous_id or row.subscriptions:
                self._join_and_subscribe(row, profile)
        except RowError as error:
            # The profile stays written; the row says which subscription was refused.
            self.results[row.index] = RowResult(
                row.index, "error", profile.profile_id, error.errors, row.duplicate_of, profile.pk
            )
            return
        status = "created" if row.created else "updated"
        self.results[row.index] = RowResult(
            row.index, status, profile.profile_id, {}, row.duplicate_of, profile.pk
        )

    def _join_and_subscribe(self, row, profile):
        with transaction.atomic():
            if row.anonymous_id:
                join_anonymous_hits(profile, row.anonymous_id)
            for index, subscription in enumerate(row.subscriptions):
                self._subscribe(profile, index, subscription)

    def _subscribe(self, profile, index, subscription):
        live = Subscription.objects.filter(
            profile=profile,
            resource=subscription.resource,
            channel=subscription.channel,
            contact=subscription.contact,
        )
        if live.exists():  # imported before: the same row again changes nothing
            return
        try:
            subscribe(
                profile,
                resource=subscription.resource,
                channel=subscription.channel,
                contact=subscription.contact,
                status=subscription.status,
            )
        except ValidationError as error:
            raise RowError({"subscriptions": {str(index): api_detail(error)}}) from None

    # -- results -------------------------------------------------------------------------

    def _fail(self, row, profile, errors):
        profile_id = profile.profile_id if profile is not None else None
        self.results[row.index] = RowResult(
            row.index, "error", profile_id, errors, row.duplicate_of
        )

    def _skip(self, row, profile, reason):
        profile_id = profile.profile_id if profile is not None else None
        errors = {"non_field_errors": [reason]}
        self.results[row.index] = RowResult(
            row.index, "skipped", profile_id, errors, row.duplicate_of
        )
