"""Exports of the profile list over the API: ``exports/`` queues one (a background job),
``exports/{id}/`` says how it goes and where to download it.

An export holds the personal data of many profiles: it needs the permissions to view and to
export profiles, of a database the user may see. A database the user may not see answers
404 and nothing is queued; so does an export id the user may not follow.
"""

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from core.api.fields import NormalisedListField, StrictCharField
from core.api.serializers import StrictSerializer
from core.status import Status
from jobs.models import Job
from operations.list_exports import FORMATS, KIND, SEARCH_MAX_LENGTH, start_export
from web.jobs.api import HasModelPermissions, JobKindViewSet, job_url
from web.jobs.views import job_file

from .fields import VisibleDatabaseField


def status_list(data):
    """One status, or a list of them (the list page's filter may hold several); an empty
    one filters nothing."""
    values = [data] if isinstance(data, str) else data
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ValidationError("Enter a status, or a list of statuses.")
    return [value for value in values if value.strip()]


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": Status.values},
        "description": "Profiles with any of these global statuses (one text or a list); "
        "empty or null: any status.",
    }
)
class StatusesField(NormalisedListField):
    normalise = staticmethod(status_list)


class ExportRequestSerializer(StrictSerializer):
    """``search`` and ``status`` empty or null filter nothing, as when left out."""

    database = VisibleDatabaseField(help_text="The profile database to export.")
    search = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        trim_whitespace=False,
        help_text=f"As the list's search (at most {SEARCH_MAX_LENGTH} characters); empty or "
        "null: no search.",
    )
    status = StatusesField(allow_null=True)
    format = serializers.ChoiceField(choices=FORMATS, default="csv")

    def validate(self, attrs):
        attrs["search"] = attrs.get("search") or ""
        attrs["status"] = attrs.get("status") or []
        return attrs


class ExportSerializer(serializers.Serializer):
    """An export: its job's status and, once it succeeded, where to download the file."""

    id = serializers.UUIDField(source="pk")
    status = serializers.CharField()
    download_url = serializers.SerializerMethodField()
    job = serializers.UUIDField(source="pk", help_text="The export's job, at `jobs/{id}/`.")
    job_url = serializers.SerializerMethodField()

    def get_job_url(self, job) -> str:
        return job_url(job, self.context["request"])

    def get_download_url(self, job) -> str | None:
        if job.status != Job.Status.SUCCEEDED:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:export-download", args=[job.pk])
        )


class CanExportProfiles(HasModelPermissions):
    perms = ["profiles.view_profile", "profiles.export_profile"]
    message = "Exporting profiles needs the permissions to view and to export profiles."


class ExportViewSet(JobKindViewSet):
    """Exports of the profile list, to CSV or XLSX, run in the background."""

    kind = KIND
    queryset = Job.objects.filter(kind=KIND)  # the router's; get_queryset narrows it
    permission_classes = [CanExportProfiles]
    serializer_class = ExportSerializer
    request_serializer_class = ExportRequestSerializer

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportSerializer})
    def create(self, request):
        """Queue an export of the profiles of ``database`` that match ``search`` and
        ``status``, as the profile list filters them; follow it at ``exports/{id}/``."""
        data = self.read_request(request)
        try:
            job = start_export(
                request.user,
                data["database"],
                search=data["search"],
                status=data["status"],
                fmt=data["format"],
            )
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return self.accepted(job)

    def retrieve(self, request, pk=None):
        """The export's status, and ``download_url`` once it succeeded."""
        return super().retrieve(request, pk)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The exported file (CSV or XLSX)."""
        return job_file(request, self.get_object())
