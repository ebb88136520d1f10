"""Batch upsert of profiles: find each row's profile, then create or update it.

A row is matched within the batch's database by email, phone, profile_id or a custom field
(``field:<name>``). Each row is read by the caller's serializer (the same one as a single
create or update, which writes through ``operations.profiles``) and saved in its own
savepoint, so a bad row is reported and never loses the good ones. The answer has one
result per row, in order, its errors named as the API names them.

A row may carry an ``anonymous_id`` (not stored on the profile): the anonymous pixel hits
of that visitor join the row's profile (``operations.pixels.join_anonymous_hits``).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models.fields.json import KeyTransform
from rest_framework.exceptions import ValidationError as APIValidationError

from core.api.errors import api_detail
from core.fieldtypes import FieldType, is_empty
from core.locks import lock_keys
from core.text import normalize_email, normalize_phones
from profiles.models import Profile

from .pixels import clean_anonymous_id, join_anonymous_hits

MAX_IMPORT_ROWS = 1000
MATCH_MODES = ("email", "phone", "profile_id")
FIELD_PREFIX = "field:"
MATCH_HELP = "email, phone, profile_id or field:<custom field name>"
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


class RowError(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@dataclass
class RowResult:
    index: int
    status: str
    profile_id: str | None = None
    errors: dict = field(default_factory=dict)

    def as_dict(self):
        return {
            "index": self.index,
            "status": self.status,
            "profile_id": self.profile_id,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Matcher:
    """How the rows of a batch find their existing profile in the database."""

    database: object
    mode: str
    custom_field: object = None

    @classmethod
    def parse(cls, database, text):
        """Return the matcher for ``email``, ``phone``, ``profile_id`` or ``field:<name>``."""
        if text in MATCH_MODES:
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

    def lock_keys(self, rows):
        """Return the lock keys of the values the rows are matched by: while one import
        creates the profile of a new email, phone or field value, another import of the
        same value waits, then finds that profile (never a second one)."""
        keys = []
        for row in rows:
            if isinstance(row, dict) and self.mode != "profile_id":
                keys += [f"import:{self.database.pk}:{self.mode}:{v}" for v in self._values(row)]
        return keys

    def _values(self, row):
        """The row's values of the matching key, normalised (none when malformed: such a
        row is refused by ``find`` and creates nothing)."""
        try:
            if self.mode == "email":
                email = row.get("email")
                return [normalize_email(email)] if isinstance(email, str) else []
            if self.mode == "phone":
                return normalize_phones(row.get("phones") or [])
            values = row.get("fields")
            value = values.get(self.custom_field.name) if isinstance(values, dict) else None
            return [] if is_empty(value) else [repr(self.custom_field.clean_value(value))]
        except ValidationError:
            return []

    def find(self, row):
        """Return the row's existing profile, or None to create one; raise RowError."""
        profiles = Profile.objects.filter(database=self.database)
        if self.mode == "email":
            email = row.get("email")
            if not isinstance(email, str) or not email.strip():
                return None
            return profiles.filter(email=normalize_email(email)).first()
        if self.mode == "profile_id":
            return self._find_by_profile_id(profiles, row.get("profile_id"))
        if self.mode == "phone":
            return self._find_by_phones(profiles, row.get("phones"))
        return self._find_by_custom_value(profiles, row.get("fields"))

    def _find_by_profile_id(self, profiles, profile_id):
        if profile_id is None or profile_id == "":
            return None
        if not isinstance(profile_id, str):
            raise RowError({"profile_id": ["Enter the profile_id as text."]})
        profile = profiles.filter(profile_id=profile_id.strip().lower()).first()
        if profile is None:
            raise RowError(
                {"profile_id": [f"No profile with this profile_id in database “{self.database}”."]}
            )
        return profile

    def _find_by_phones(self, profiles, phones):
        if phones is None:
            return None
        try:
            phones = normalize_phones(phones)
        except ValidationError as error:
            raise RowError({"phones": error.messages}) from None
        if not phones:
            return None
        found = list(profiles.filter(phone_index__number__in=phones).distinct()[:2])
        if len(found) > 1:
            raise RowError(
                {"phones": ["These phones belong to more than one profile; match by another key."]}
            )
        return found[0] if found else None

    def _find_by_custom_value(self, profiles, values):
        name = self.custom_field.name
        if not isinstance(values, dict) or is_empty(values.get(name)):
            return None
        try:
            value = self.custom_field.clean_value(values[name])
        except ValidationError as error:
            raise RowError({"fields": {name: error.messages}}) from None
        found = list(
            profiles.alias(match_value=KeyTransform(name, "custom_values")).filter(
                match_value=value
            )[:2]
        )
        if len(found) > 1:
            raise RowError(
                {
                    "fields": {
                        name: ["More than one profile holds this value; match by another key."]
                    }
                }
            )
        return found[0] if found else None


def import_row(index, row, matcher, readers):
    """Create or update the profile of one row inside its own savepoint."""
    if not isinstance(row, dict):
        return RowResult(index, "error", errors={"non_field_errors": ["Enter an object."]})
    database = matcher.database
    if "database" in row and row["database"] != database.pk:
        return RowResult(
            index, "error", errors={"database": [f"Every row goes to database {database.pk}."]}
        )
    try:
        anonymous_id = clean_anonymous_id(row.get("anonymous_id"))
    except ValidationError as error:
        return RowResult(index, "error", errors=api_detail(error))
    row = {key: value for key, value in row.items() if key != "anonymous_id"}
    try:
        profile = matcher.find(row)
    except RowError as error:
        return RowResult(index, "error", errors=error.errors)
    # A create reads every field (as POST), an update the ones given (as PATCH).
    reader = readers[profile is not None]
    existing_id = profile.profile_id if profile is not None else None
    try:
        values = reader.run_validation({**row, "database": database.pk})
        with transaction.atomic():
            saved = reader.create(values) if profile is None else reader.update(profile, values)
            if anonymous_id:  # the visitor is identified: its anonymous pixel hits join
                join_anonymous_hits(saved, anonymous_id)
    except APIValidationError as error:
        detail = (
            error.detail if isinstance(error.detail, dict) else {"non_field_errors": error.detail}
        )
        return RowResult(index, "error", existing_id, _plain(detail))
    except ValidationError as error:
        return RowResult(index, "error", existing_id, api_detail(error))
    except (IntegrityError, DataError):
        errors = {"non_field_errors": ["The profile could not be saved."]}
        return RowResult(index, "error", existing_id, errors)
    return RowResult(index, "updated" if profile is not None else "created", saved.profile_id)


def import_profiles(matcher, rows, *, serializer_class, context):
    """Upsert the rows into the matcher's database and return one result dict per row.

    The rows' matched values are locked first (``Matcher.lock_keys``), so concurrent imports
    of the same values run one after the other. One serializer reads every row of a kind
    (creates, updates): built once, its fields are not built again row by row.
    """
    context = {**context, "database": matcher.database}
    readers = {
        False: serializer_class(context=context),
        True: serializer_class(context=context, partial=True),
    }
    lock_keys(matcher.lock_keys(rows))
    return [import_row(index, row, matcher, readers).as_dict() for index, row in enumerate(rows)]


def _plain(errors):
    """Turn DRF error details into plain lists and dicts of strings."""
    if isinstance(errors, dict):
        return {str(key): _plain(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_plain(value) for value in errors]
    return str(errors)
