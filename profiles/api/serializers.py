"""Serializers of profile databases, custom fields and profiles.

Every write goes through the same rules as the pages: custom values are checked by
``ProfileDatabase.clean_custom_values`` (one validator per type), phones by
``normalize_phones``, and saving goes through ``profiles.services`` so history is recorded.
"""

from collections.abc import Mapping

from django.db import IntegrityError, models
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ..fieldtypes import FieldType
from ..imports import MAX_IMPORT_ROWS, Matcher
from ..models import CustomField, Profile, ProfileDatabase
from ..services import create_profile, update_profile
from .fields import (
    CustomValuesField,
    OptionsField,
    PhonesField,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictSlugField,
    VisibleDatabaseField,
)

# Keys a browser form may add to a request body; they are not data.
IGNORED_KEYS = {"csrfmiddlewaretoken"}
# (IP field, country field it locates) for location detection.
LOCATION_SOURCES = [("reg_ip", "reg_country"), ("ip", "country")]


class StrictModelSerializer(serializers.ModelSerializer):
    """A model serializer that coerces nothing and rejects keys it does not know."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
    }
    unknown_key_message = "Unknown field."

    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, Mapping):
            for key in data:
                if key not in self.fields and key not in IGNORED_KEYS:
                    errors[str(key)] = [self.unknown_key_message]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            errors.update(error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value


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
        if field_type == FieldType.ENUM and not options:
            errors["options"] = ["An enum field needs at least one option."]
        elif field_type != FieldType.ENUM and options:
            errors["options"] = ["Only enum fields have options."]
        if instance is not None and not errors:
            errors.update(instance.held_value_errors(name, field_type, options))
        if errors:
            raise serializers.ValidationError(errors)
        attrs["options"] = options if field_type == FieldType.ENUM else []
        return attrs


# -- Profiles ----------------------------------------------------------------------------

PROFILE_FIELDS = [
    "profile_id",
    "md5",
    "xxh",
    "database",
    "status",
    "email",
    "phones",
    "first_name",
    "middle_name",
    "last_name",
    "gender",
    "birthday",
    "language",
    "latitude",
    "longitude",
    "reg_date",
    "reg_source",
    "reg_ip",
    "reg_country",
    "reg_city",
    "ip",
    "country",
    "region",
    "city",
    "zip_code",
    "timezone",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "in_control_group",
    "avatar",
    "fields",
    "created_at",
    "updated_at",
]
PROFILE_READ_ONLY_FIELDS = ["profile_id", "md5", "xxh", "avatar", "created_at", "updated_at"]


class ProfileSerializer(StrictModelSerializer):
    """A profile with its standard fields and its custom values under ``fields``.

    Read-only: profile_id, md5, xxh, avatar, created_at, updated_at (sent values are ignored).
    ``database`` is required on create and cannot change afterwards (400 naming it).
    Custom values are replaced on PUT and merged on PATCH. An IP given without its country
    (reg_ip → reg_country, ip → country) has the country detected offline, unless the
    request says ``?detect_location=false``.
    """

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    phones = PhonesField()
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

    def validate(self, attrs):
        instance = self.instance
        database = attrs.get("database") or instance.database
        errors = {}
        if instance is not None and database.pk != instance.database_id:
            errors["database"] = [
                "A profile cannot move to another database; create it in that database instead."
            ]
            database = instance.database
        if "email" in attrs:
            attrs["email"] = attrs["email"].strip().lower()
            if attrs["email"] and self._email_taken(database, attrs["email"]):
                errors["email"] = [self._email_taken_message(database)]
        if "custom_values" in attrs or instance is None:
            merge = instance is not None and self.partial
            cleaned, field_errors = database.clean_custom_values(
                attrs.get("custom_values", {}),
                partial=merge,
                current=instance.custom_values if instance is not None else None,
            )
            if field_errors:
                errors["fields"] = field_errors
            attrs["custom_values"] = cleaned
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _email_taken(self, database, email):
        others = Profile.objects.filter(database=database, email=email)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        return others.exists()

    @staticmethod
    def _email_taken_message(database):
        return f"A profile with this email already exists in database “{database}”."

    def _detect_location(self, profile, attrs, previous):
        """Locate IPs that were given (and changed) without their country."""
        if not self.context.get("detect_location", True):
            return
        fields = [
            country
            for ip, country in LOCATION_SOURCES
            if attrs.get(ip) and country not in attrs and attrs[ip] != previous.get(ip)
        ]
        for country in fields:
            setattr(profile, country, "")
        profile.detect_location(fields)

    def _save(self, profile, save):
        try:
            return save()
        except IntegrityError as error:
            if "email" not in str(error):
                raise
            raise serializers.ValidationError(
                {"email": [self._email_taken_message(profile.database)]}
            ) from None

    def create(self, validated_data):
        profile = Profile(**validated_data)
        self._detect_location(profile, validated_data, previous={})
        source = self.context.get("source", "api")
        return self._save(profile, lambda: create_profile(profile, source=source))

    def update(self, instance, validated_data):
        previous = {ip: getattr(instance, ip) for ip, _ in LOCATION_SOURCES}
        for name, value in validated_data.items():
            setattr(instance, name, value)
        self._detect_location(instance, validated_data, previous)
        source = self.context.get("source", "api")
        changed = list(validated_data)
        return self._save(
            instance, lambda: update_profile(instance, source=source, changed=changed)
        )


# -- Import ------------------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    """The envelope of a batch import; each row is validated later by ProfileSerializer."""

    database = VisibleDatabaseField()
    match = StrictCharField(
        help_text="How a row finds its profile: email, phone, profile_id or field:<custom field>."
    )
    profiles = serializers.ListField(
        child=serializers.JSONField(),
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
            attrs["match"] = Matcher.parse(database, attrs["match"])
        except ValueError as error:
            raise serializers.ValidationError({"match": [str(error)]}) from None
        return attrs


@extend_schema_serializer(component_name="ProfileImportResult")
class ImportRowResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in `profiles`, from 0.")
    status = serializers.ChoiceField(choices=["created", "updated", "error"])
    profile_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(
        help_text="Messages per field (custom fields nested under `fields`); empty on success."
    )


@extend_schema_serializer(component_name="ProfileImportResults")
class ImportResponseSerializer(serializers.Serializer):
    results = ImportRowResultSerializer(many=True)


@extend_schema_serializer(component_name="ProfileImport")
class ImportRequestDocSerializer(serializers.Serializer):
    """The documented shape of an import request (rows as in POST profiles/)."""

    database = serializers.IntegerField()
    match = serializers.CharField(help_text="email, phone, profile_id or field:<custom field name>")
    profiles = ProfileSerializer(many=True)
    detect_location = serializers.BooleanField(required=False, default=True)
