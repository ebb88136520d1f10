"""File imports over the API: ``imports/`` uploads a file and queues its import (a
background job), ``imports/{id}/`` says how far it got, ``imports/{id}/report/`` is the
per-row report (a CSV, one line per row of the file).

An import adds and changes profiles: it needs both permissions, in a database the user may
see. A database the user may not see answers 404 and nothing is stored or queued; so does
an import id the user may not follow.
"""

import json

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.errors import FormParser, JSONParser, MultiPartParser
from core.api.fields import StrictBooleanField, StrictCharField
from core.api.serializers import StrictSerializer
from jobs.models import Job
from operations.file_imports import (
    KIND,
    MODES,
    FileRefused,
    discard_upload,
    import_summary,
    start_file_import,
    store_upload,
)
from web.jobs.api import HasModelPermissions, JobKindViewSet, job_url
from web.jobs.views import job_file
from web.profiles.api.fields import VisibleDatabaseField


@extend_schema_field(
    {
        "type": "string",
        "description": "A JSON object: each column of the file → a standard field name, "
        '"fields.<custom field>", "subscription.<resource id>.<channel>" or "skip".',
        "example": '{"E-mail": "email", "Plan": "fields.plan", "Notes": "skip"}',
    }
)
class MappingField(serializers.Field):
    """The column mapping: a JSON object of texts (sent as one text in a multipart form)."""

    default_error_messages = {
        "invalid": "Enter a JSON object mapping each column of the file to a target.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in data.items()
        ):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ImportRequestSerializer(StrictSerializer):
    database = VisibleDatabaseField(help_text="The profile database to import into.")
    file = serializers.FileField(help_text="CSV, XLSX, or a ZIP of them.")
    mapping = MappingField()
    mode = serializers.ChoiceField(choices=MODES, default="upsert")
    match = StrictCharField(
        default="email",
        help_text="How a row finds an existing profile: email, phone, email_or_phone, "
        "profile_id, field:<name>, subscription_email, subscription_phone or push_token.",
    )
    header = StrictBooleanField(default=True, help_text="The first row names the columns.")
    detect_location = StrictBooleanField(
        default=False, help_text="Fill the location from the IPs (as an event's IP sets it)."
    )
    skip_triggers = StrictBooleanField(default=False, help_text="Start no trigger.")
    segment_name = StrictCharField(
        default="",
        allow_blank=True,
        help_text="Create a static segment of this name from the imported profiles.",
    )


class ImportSerializer(serializers.Serializer):
    """A file import: how far it got, and once it succeeded where its report is.

    The counts come from ``import_summary`` (the job's progress, then its result); the
    fields below describe them for the schema.
    """

    id = serializers.UUIDField()
    status = serializers.CharField(help_text="queued, running, succeeded or failed.")
    total = serializers.IntegerField(help_text="Data rows in the file (0 until known).")
    processed = serializers.IntegerField(help_text="Rows handled so far.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="Rows refused (the report says why).")
    report_url = serializers.URLField(allow_null=True, help_text="Once it succeeded.")
    job = serializers.UUIDField(help_text="The import's job, at `jobs/{id}/`.")
    job_url = serializers.URLField()

    def to_representation(self, job):
        return {
            "id": str(job.pk),
            **import_summary(job),
            "report_url": self.get_report_url(job),
            "job": str(job.pk),
            "job_url": job_url(job, self.context["request"]),
        }

    def get_report_url(self, job) -> str | None:
        if job.status != Job.Status.SUCCEEDED:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:import-report", args=[job.pk])
        )


class CanImportProfiles(HasModelPermissions):
    perms = ["profiles.add_profile", "profiles.change_profile"]
    message = "Importing profiles needs the permissions to add and to change profiles."


class ImportViewSet(JobKindViewSet):
    """Imports of a file of profiles (CSV, XLSX or a ZIP of them), run in the background."""

    kind = KIND
    queryset = Job.objects.filter(kind=KIND)  # the router's; get_queryset narrows it
    permission_classes = [CanImportProfiles]
    # A file travels in a multipart form; a JSON body is read too, so that it is refused
    # for what it lacks (the file) and for any unknown key, by name, rather than as a 415.
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    serializer_class = ImportSerializer
    request_serializer_class = ImportRequestSerializer

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={202: ImportSerializer},
    )
    def create(self, request):
        """Upload a file and queue its import into ``database`` with the columns mapped by
        ``mapping``; follow it at ``imports/{id}/``."""
        data = self.read_request(request)
        token = None
        try:
            token = store_upload(data["file"])
            job = start_file_import(
                request.user,
                data["database"],
                token,
                mapping=data["mapping"],
                mode=data["mode"],
                match=data["match"],
                header=data["header"],
                detect_location=data["detect_location"],
                skip_triggers=data["skip_triggers"],
                segment_name=data["segment_name"],
                name=data["file"].name or "",
            )
        except FileRefused as error:
            raise serializers.ValidationError({"file": [str(error)]}) from None
        except ValidationError as error:
            discard_upload(token)  # nothing will import it
            raise serializers.ValidationError(_message_dict(error)) from None
        return self.accepted(job)

    def retrieve(self, request, pk=None):
        """The import's counts, and ``report_url`` once it succeeded."""
        return super().retrieve(request, pk)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The per-row report: row, status, profile_id, errors."""
        return job_file(request, self.get_object())


def _message_dict(error):
    return error.message_dict if hasattr(error, "error_dict") else {"file": error.messages}
