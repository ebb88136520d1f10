"""Jobs over the API: ``jobs/`` (the user's), ``jobs/{id}/`` (one job's progress) and
``jobs/{id}/cancel/``.

Who started a job, and staff of its database, may read it; only who started it stops it. A
job of a database the user may not see does not exist for them (404).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.api.serializers import StrictSerializer
from core.api.views import Conflict
from jobs.models import Job
from jobs.runner import cancel

from .access import may_cancel


def job_url(job, request):
    """Where a resource made by a job (its ``job`` the job's id) says to follow it:
    ``jobs/{id}/``."""
    return reverse("api:job-detail", args=[job.pk], request=request)


class JobSerializer(serializers.ModelSerializer):
    """A background job and how far it got."""

    label = serializers.CharField(read_only=True, help_text="What the job does, in words.")
    created_by = serializers.CharField(
        source="created_by.get_username", read_only=True, default=None
    )
    interrupted = serializers.SerializerMethodField(
        help_text="Its worker stopped reporting; it resumes from its last saved step."
    )
    rate = serializers.SerializerMethodField(help_text="Items per second since it started.")
    eta = serializers.SerializerMethodField(help_text="Seconds left at that rate, if known.")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "label",
            "status",
            "done",
            "total",
            "errors",
            "result",
            "created_at",
            "started_at",
            "finished_at",
            "database",
            "created_by",
            "failure",
            "error_samples",
            "interrupted",
            "interruptions",
            "cancel_requested",
            "rate",
            "eta",
        ]
        read_only_fields = fields

    def get_interrupted(self, job) -> bool:
        return job.is_stale()

    def get_rate(self, job) -> float | None:
        rate = job.rate()
        return None if rate is None else round(rate, 1)

    def get_eta(self, job) -> float | None:
        eta = job.eta()
        return None if eta is None else round(eta, 1)


class CancelSerializer(StrictSerializer):
    """The body of ``jobs/{id}/cancel/``: none (a key sent is refused, never ignored)."""


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The jobs a user may follow, newest first; ``status`` one of queued running succeeded
    failed."""

    serializer_class = JobSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user).select_related("created_by")

    def filter_queryset(self, queryset):
        if self.action == "list":  # the list holds the user's own jobs; staff open others
            return queryset.filter(created_by=self.request.user)
        return queryset

    @extend_schema(request=CancelSerializer, responses={200: JobSerializer})
    @action(detail=True, methods=["post"], serializer_class=CancelSerializer)
    def cancel(self, request, pk=None):
        """Stop the job: a queued one at once, a running one after the chunk it is on (what
        its chunks saved stays). Only who started it may; a finished job is a 409."""
        job = self.get_object()
        CancelSerializer(data=request.data).is_valid(raise_exception=True)
        if job.finished:
            raise Conflict("The job has already ended.")
        if not may_cancel(request.user, job):
            raise PermissionDenied("Only who started a job stops it.")
        return Response(JobSerializer(cancel(job)).data)


class HasModelPermissions(permissions.BasePermission):
    """The user holds every one of ``perms`` (set by a subclass, with its ``message``)."""

    perms = ()

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.has_perms(self.perms)


class JobKindViewSet(viewsets.GenericViewSet):
    """A resource made by jobs of one kind (an export, a file import): ``create`` reads its
    request with ``request_serializer_class`` and queues the job, the others answer with
    ``serializer_class``; only the jobs the user may follow exist (404 otherwise)."""

    kind = ""
    request_serializer_class = None
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return Job.objects.filter(kind=self.kind).visible_to(self.request.user)

    def get_serializer_class(self):
        return self.request_serializer_class if self.action == "create" else self.serializer_class

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def read_request(self, request):
        """The request's validated data; a database the user may not see is a 404 (nothing
        is said of it), any other bad value a 400 naming it."""
        request_data = self.get_serializer(data=request.data)
        if not request_data.is_valid():
            database_errors = request_data.errors.get("database", [])
            if any(error.code == "does_not_exist" for error in database_errors):
                raise NotFound("No such profile database.")
            raise serializers.ValidationError(request_data.errors)
        return request_data.validated_data

    def accepted(self, job):
        """The 202 answer of a queued job, as ``serializer_class`` shows it."""
        body = self.serializer_class(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)
