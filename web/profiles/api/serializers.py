"""Serializers of profile databases, custom fields and profiles.

A serializer reads the request's JSON into Python values (strictly: no coercion, no
unknown key); the rules are checked once, by the domain and the operations it calls
(``check_profile_values``, ``operations.profiles``), whose errors the API names its way
(``core.api.errors.api_detail``).
"""

import copy
import functools
from datetime import UTC, datetime

import orjson
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import ISO_8601, api_settings

from core.api.fields import (
    CustomValuesField,
    OptionsField,
    PhonesField,
    StrictBooleanField,
    StrictCharField,
    domain_checked,
)
from core.api.serializers import StrictModelSerializer, StrictSerializer
from core.fieldtypes import clean_options
from operations.imports import MATCH_HELP, MAX_IMPORT_ROWS, MODES, Matcher
from operations.profiles import create_profile, update_profile
from profiles.fields import STANDARD_FIELDS
from profiles.models import CustomField, Profile, ProfileDatabase, locate

from .fields import AvatarURLField, VisibleDatabaseField

# -- Profile databases -------------------------------------------------------------------


class DatabaseSerializer(StrictModelSerializer):
    """A profile database: the set of profiles sharing one structure."""

    class Meta:
        model = ProfileDatabase
        fields = ["id", "name", "description", "default_tab", "created_at"]
        read_only_fields = ["default_tab", "created_at"]


# -- Custom fields -----------------------------------------------------------------------


class CustomFieldSerializer(StrictModelSerializer):
    """A custom profile field of a database: a name, one of 8 types, enum options.

    ``database`` cannot change; ``name`` and ``type`` cannot change (and enum options in use
    cannot be removed) while profiles hold values for the field.
    """

    database = VisibleDatabaseField()
    options = OptionsField(
        help_text="Enum options: a list or one comma-separated line. Only enum fields have them."
    )

    class Meta:
        model = CustomField
        fields = ["id", "database", "name", "label", "type", "options", "required", "position"]
        validators = []  # name uniqueness per database is checked in validate() to name `name`

    def validate(self, attrs):
        instance = self.instance
        database = attrs.get("database", getattr(instance, "database", None))
        name = attrs.get("name", getattr(instance, "name", None))
        field_type = attrs.get("type", getattr(instance, "type", None))
        options = attrs.get("options", getattr(instance, "options", []))
        errors = {}
        if instance is not None and database.pk != instance.database_id:
            errors["database"] = ["A custom field cannot move to another database."]
        taken = CustomField.objects.filter(database=database, name=name)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if "database" not in errors and taken.exists():
            errors["name"] = [f"Database “{database}” already has a field named “{name}”."]
        try:
            options = clean_options(field_type, options)
        except ValidationError as error:
            errors["options"] = error.messages
        if instance is not None and not errors:
            errors.update(instance.held_value_errors(name, field_type, options))
        if errors:
            raise serializers.ValidationError(errors)
        attrs["options"] = options
        return attrs


# -- Profiles ----------------------------------------------------------------------------

# (serializer class, time zone name) -> the steps of ProfileSerializer.to_representation
_PLANS = {}

PROFILE_FIELDS = [field.name for field in STANDARD_FIELDS if field.in_api] + ["fields"]
PROFILE_READ_ONLY_FIELDS = [
    field.name for field in STANDARD_FIELDS if field.in_api and not field.editable
]


def _iso_datetime(field):
    """DRF's ``DateTimeField.to_representation`` of ``field`` (its time zone pinned), written
    out for what a profile's times are: aware datetimes in ISO 8601, DRF's default format
    (DRF checks the format, the zone and the value's kind for each one). Any other value or
    format, and a time the zone cannot hold, go to DRF's method."""
    drf = field.to_representation
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return drf
    zone = field.timezone
    if zone is None:
        return drf

    def represent(value):
        if value.__class__ is not datetime or value.tzinfo is None:
            return drf(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return drf(value)  # DRF's error for it
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    if getattr(zone, "key", None) != "UTC":
        return represent

    def represent_in_utc(value):
        # The zone is UTC and so is what the database driver gives: orjson writes the same
        # text as isoformat() with "Z" in a third of the time (a page of 50 profiles has
        # up to 150 times to write).
        if value.__class__ is datetime and value.tzinfo is UTC:
            return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()
        return represent(value)

    return represent_in_utc


def _plain_boolean(drf):
    """DRF's ``BooleanField.to_representation``: a bool as it is (DRF looks it up in its
    sets of true and false values first), anything else DRF's."""
    return lambda value: value if value.__class__ is bool else drf(value)


class ProfileSerializer(StrictModelSerializer):
    """A profile with its standard fields and its custom values under ``fields``.

    Read-only: profile_id, md5, xxh, in_control_group (the database's global control group
    decides it), avatar, created_at, updated_at (sent values are ignored).
    ``database`` is required on create and cannot change afterwards (400 naming it).
    Custom values are replaced on PUT and merged on PATCH. An IP given without its country
    (reg_ip → reg_country, ip → country) has the country detected offline, unless the
    request says ``?detect_location=false`` (for ``ip`` also the time zone, as an event's
    IP sets it: ``profiles.location``).
    """

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    phones = PhonesField()
    avatar = AvatarURLField(help_text="The avatar image's URL (the API sends it), or null.")
    # The output key is `fields`; the attribute is the model's `custom_values`. Declared
    # fields are popped from the class body, so this does not hide Serializer.fields.
    fields = CustomValuesField(source="custom_values")
    unknown_key_message = "Unknown field. Custom field values go under “fields”."

    class Meta:
        model = Profile
        fields = PROFILE_FIELDS
        read_only_fields = PROFILE_READ_ONLY_FIELDS
        extra_kwargs = {
            "latitude": {"coerce_to_string": False},
            "longitude": {"coerce_to_string": False},
        }
        validators = []  # email uniqueness per database is checked in validate() to name `email`

    def to_representation(self, instance):
        # Written out: DRF's generic path runs its generic getter (a Mapping check, a
        # callable check, a try) for every field of every row, and looks the current time
        # zone up for every date. The steps are planned once per serializer from its own
        # fields, so the output is DRF's, key for key and byte for byte
        # (tests/profiles/test_api_profile_representation.py); writes stay DRF's.
        representation = {}
        for key, attname, represent in self._representation_steps:
            if attname is None:  # not a plain model column: DRF's own path for the field
                represent = self._own_fields[key]
                try:
                    value = represent.get_attribute(instance)
                except SkipField:
                    continue
                bare = value.pk if isinstance(value, PKOnlyObject) else value
                representation[key] = None if bare is None else represent.to_representation(value)
                continue
            value = getattr(instance, attname)
            representation[key] = value if value is None or represent is None else represent(value)
        return representation

    @functools.cached_property
    def _representation_steps(self):
        """The plan of this class in the current time zone: built once per process from a
        serializer of its own (building a serializer's fields costs about a millisecond,
        more than writing out a page of profiles), so a read never builds ``fields``; found
        once per serializer (a page's rows share one), not once per row."""
        key = (type(self), timezone.get_current_timezone_name())
        steps = _PLANS.get(key)
        if steps is None:
            steps = _PLANS[key] = type(self)()._plan()
        return steps

    @functools.cached_property
    def _own_fields(self):
        """The plan's fields that take DRF's path, bound to this serializer (its context:
        the request an avatar's URL is built from)."""
        fields = {}
        for key, attname, field in self._representation_steps:
            if attname is None:
                fields[key] = copy.deepcopy(field)  # a new, unbound field of the same kind
                fields[key].bind(key, self)
        return fields

    def _plan(self):
        """(key, attname, represent) per readable field, in order: a column of the model
        read through the field's stock getter is read by its attribute and written by the
        field's own ``to_representation`` (``str`` for text, nothing for a related id, as
        DRF's ``PKOnlyObject``); any other field is ``(key, None, field)``: DRF's path."""
        model = self.Meta.model
        steps = []
        for field in self._readable_fields:
            key, field_class = field.field_name, type(field)
            try:
                column = model._meta.get_field(field.source)
            except FieldDoesNotExist:
                column = None
            if column is None or not column.concrete or column.many_to_many:
                steps.append((key, None, field))
            elif column.is_relation:
                if (
                    field_class.get_attribute is serializers.RelatedField.get_attribute
                    and field.use_pk_only_optimization()
                    and field_class.to_representation
                    is serializers.PrimaryKeyRelatedField.to_representation
                    and field.pk_field is None
                ):
                    steps.append((key, column.attname, None))
                else:
                    steps.append((key, None, field))
            elif field_class.get_attribute is not serializers.Field.get_attribute:
                steps.append((key, None, field))
            elif field_class.to_representation is serializers.CharField.to_representation:
                steps.append((key, column.attname, str))
            elif isinstance(field, serializers.DateTimeField) and not hasattr(field, "timezone"):
                # The current time zone, looked up once per serializer, not per value (the
                # same DRF method, given the zone it would have looked up).
                pinned = copy.deepcopy(field)
                pinned.timezone = field.default_timezone()
                steps.append((key, column.attname, _iso_datetime(pinned)))
            elif field_class.to_representation is serializers.BooleanField.to_representation:
                steps.append((key, column.attname, _plain_boolean(field.to_representation)))
            else:
                steps.append((key, column.attname, field.to_representation))
        return steps

    def build_standard_field(self, field_name, model_field):
        """Read the value's type only: its model field's rules are checked once, with the
        others, by ``check_profile_values`` (the schema still shows them)."""
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs["domain_validators"] = kwargs.pop("validators", [])
        return domain_checked(field_class), kwargs

    def validate(self, attrs):
        instance = self.instance
        if instance is not None and "database" in attrs and attrs["database"] != instance.database:
            raise serializers.ValidationError(
                {
                    "database": [
                        "A profile cannot move to another database; "
                        "create it in that database instead."
                    ]
                }
            )
        return attrs

    def _locate(self, values, profile=None):
        if self.context.get("detect_location", True):
            locate(values, profile)
        return values

    def create(self, validated_data):
        database = validated_data.pop("database")
        values = self._locate(validated_data)
        return create_profile(database, values, source=self.context.get("source", "api"))

    def update(self, instance, validated_data):
        validated_data.pop("database", None)
        values = self._locate(validated_data, instance)
        return update_profile(
            instance,
            values,
            source=self.context.get("source", "api"),
            replace_custom_values=not self.partial,
        )


# -- Import ------------------------------------------------------------------------------


class ImportRequestSerializer(StrictSerializer):
    """The envelope of a batch import; each row is validated later by ProfileSerializer."""

    database = VisibleDatabaseField()
    match = StrictCharField(help_text=f"How a row finds its profile: {MATCH_HELP}.")
    mode = serializers.ChoiceField(
        choices=MODES,
        default="upsert",
        help_text="upsert: update a match, create the rest; insert: create only (a match is "
        "skipped); update: update only (a row without a match is skipped).",
    )
    # Rows as parsed, any JSON value: each is read and answered on its own (a null row or
    # one the parser refused is that row's error, not the batch's).
    profiles = serializers.ListField(
        allow_empty=False,
        max_length=MAX_IMPORT_ROWS,
        help_text=f"The rows, as in POST profiles/; at most {MAX_IMPORT_ROWS} per request.",
    )
    detect_location = StrictBooleanField(required=False)

    def validate(self, attrs):
        # One query for the field definitions, reused by every row of the batch.
        database = ProfileDatabase.objects.prefetch_related("custom_fields").get(
            pk=attrs["database"].pk
        )
        attrs["database"] = database
        try:
            attrs["match"] = Matcher.parse(database, attrs["match"], attrs["mode"])
        except ValueError as error:
            raise serializers.ValidationError({"match": [str(error)]}) from None
        return attrs


@extend_schema_serializer(component_name="ProfileImportResult")
class ImportRowResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in `profiles`, from 0.")
    status = serializers.ChoiceField(choices=["created", "updated", "skipped", "error"])
    profile_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(
        help_text="Messages per field (custom fields nested under `fields`); why a row was "
        "skipped under `non_field_errors`; empty on success."
    )
    duplicate_of = serializers.IntegerField(
        required=False,
        help_text="Present when an earlier row of the batch has the same key: this row ran "
        "after it (and so updates the profile it created).",
    )


@extend_schema_serializer(component_name="ProfileImportResults")
class ImportResponseSerializer(serializers.Serializer):
    results = ImportRowResultSerializer(many=True)


class ImportSubscriptionDocSerializer(serializers.Serializer):
    resource = serializers.IntegerField(help_text="The resource's id.")
    channel = serializers.CharField(help_text="A channel slug the resource has (email, sms…).")
    contact = serializers.CharField(help_text="Address, phone or token, as the channel takes.")
    status = serializers.CharField(required=False, help_text="subscribed (default) or another.")


@extend_schema_serializer(component_name="ProfileImportRow")
class ImportRowDocSerializer(ProfileSerializer):
    """A row: as in POST profiles/, plus the visitor it identifies and its subscriptions."""

    anonymous_id = serializers.CharField(
        required=False,
        help_text="The anonymous visitor of the pixels this row identifies: their hits join "
        "the profile's history. Not stored on the profile.",
    )
    subscriptions = ImportSubscriptionDocSerializer(
        many=True,
        required=False,
        help_text="Subscriptions to add (a contact the profile already has is left as it is).",
    )

    class Meta(ProfileSerializer.Meta):
        fields = [*PROFILE_FIELDS, "anonymous_id", "subscriptions"]


@extend_schema_serializer(component_name="ProfileImport")
class ImportRequestDocSerializer(serializers.Serializer):
    """The documented shape of an import request (rows as in POST profiles/)."""

    database = serializers.IntegerField()
    match = serializers.CharField(help_text=MATCH_HELP)
    mode = serializers.ChoiceField(choices=MODES, default="upsert")
    profiles = ImportRowDocSerializer(many=True)
    detect_location = serializers.BooleanField(required=False, default=True)
