"""Forms over the REST API.

- ``forms/``: list (``?database=``), create, read, change, delete: ``{id, name, database,
  fields, update_utm}``, ``fields`` a list of ``{name, maps_to}`` (``maps_to`` a standard
  profile field or ``fields.<custom field>``, the name when left out; one must map to
  ``email``).
- ``forms/{id}/submit/``: POST ``{data, utm, anonymous_id}`` → 201 ``{profile_id,
  submission_id, created, joined, unmapped}`` (``operations.webforms.submit``: the profile
  matched by email, created or updated; a bad value is a 400 naming ``data.<field>``).
- ``profiles/{profile_id}/form-submissions/``: the profile's submissions, newest first:
  ``{id, form, form_name, submitted_at, data, utm, anonymous_id}``.

Access: the model permission for the method; submitting needs ``webforms.submit_form``,
the submissions list ``profiles.view_profile`` and ``webforms.view_submission``. Forms and
profiles of databases the user may not see answer 404.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core import scoping
from core.api.errors import api_detail
from core.api.pagination import ProfileCursorPagination
from core.api.permissions import ModelPermissions
from core.api.serializers import DatabaseObjectMixin, StrictModelSerializer, StrictSerializer
from core.api.views import InVisibleDatabasesMixin, UniqueRaceMixin
from operations.webforms import submit
from profiles.filters import DatabaseFilterSet
from profiles.models import Profile
from web.profiles.api.fields import VisibleDatabaseField
from webforms.models import Form, Submission, normalised_fields


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "description": "The key of the submitted data."},
                "maps_to": {
                    "type": "string",
                    "description": "A standard profile field (email, first_name…) or "
                    "fields.<custom field>; the name when left out.",
                },
            },
        },
        "example": [{"name": "email"}, {"name": "name", "maps_to": "first_name"}],
    }
)
class FormFieldsField(serializers.Field):
    """The form's fields; checked against the database in the serializer's validate()."""

    def to_representation(self, value):
        return list(value or [])

    def to_internal_value(self, data):
        return data  # any shape: validate() names what is wrong


class FormSerializer(DatabaseObjectMixin, StrictModelSerializer):
    """A form of a profile database: its fields mapped to profile fields. ``database``
    cannot change after create."""

    unique_name_message = "Database “{database}” already has a form named “{name}”."

    database = VisibleDatabaseField(
        help_text="The profile database; required on create, cannot change afterwards."
    )
    fields = FormFieldsField(required=False)

    class Meta:
        model = Form
        fields = ["id", "name", "database", "fields", "update_utm", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate() to name `name`

    def validate(self, attrs):
        instance = self.instance
        database, _ = self.check_database_and_name(attrs)
        if "fields" in attrs or instance is None:
            custom = set(database.custom_fields.values_list("name", flat=True))
            fields, errors = normalised_fields(attrs.get("fields", []), custom)
            if errors:
                raise serializers.ValidationError({"fields": errors})
            attrs["fields"] = fields
        return attrs


class FormFilter(DatabaseFilterSet):
    class Meta:
        model = Form
        fields = ["database"]


class FormViewSet(UniqueRaceMixin, InVisibleDatabasesMixin, viewsets.ModelViewSet):
    """Forms of the visible databases; filter with ``?database=<id>``."""

    unique_field = "name"  # two creates of one name at once

    serializer_class = FormSerializer
    queryset = Form.objects.order_by("name", "id")
    permission_classes = [ModelPermissions]
    filterset_class = FormFilter


class SubmitSerializer(StrictSerializer):
    data = serializers.JSONField(
        help_text="The values sent, keyed by the form's field names (the email's is required). "
        "Keys no field names are kept in the submission but not mapped to the profile."
    )
    utm = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="UTM tags {utm_source, utm_medium, utm_campaign, utm_term, utm_content}, "
        "each also accepted without its prefix (`source` is `utm_source`) and kept by its "
        "full name: the profile's when the form's update_utm is on (a tag left out is "
        "cleared). Another key is a 400 naming it.",
    )
    anonymous_id = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="The visitor's anonymous id: its pixel hits join the profile.",
    )


class SubmitResultSerializer(serializers.Serializer):
    profile_id = serializers.CharField()
    submission_id = serializers.IntegerField()
    created = serializers.BooleanField(help_text="Whether the profile was created.")
    joined = serializers.IntegerField(help_text="Anonymous pixel hits that joined the profile.")
    unmapped = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of data no field of the form names."
    )


class MayAct(permissions.BasePermission):
    """Authenticated, with every permission of the view's ``required_perms``."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(view.required_perms))


class FormSubmitView(APIView):
    """Submit a form for a visitor."""

    permission_classes = [MayAct]
    required_perms = ["webforms.submit_form"]

    @extend_schema(
        summary="Submit the form",
        description="Creates or updates the profile of the form's database whose email the "
        "submission carries, with the values of the form's mapped fields; keeps the "
        "submission; records a `form_submitted` event; with `update_utm` on, the `utm` tags "
        "become the profile's; with `anonymous_id`, that visitor's pixel hits join the "
        "profile. A submission without the email, or with a value the profile field refuses, "
        "is a 400 naming `data.<field>` and writes nothing. Needs `webforms.submit_form`.",
        request=SubmitSerializer,
        responses={201: SubmitResultSerializer},
    )
    def post(self, request, form_id):
        form = get_object_or_404(
            scoping.visible(Form.objects.select_related("database"), request.user), pk=form_id
        )
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        try:
            result = submit(
                form,
                values["data"],
                utm=values.get("utm"),
                anonymous_id=values.get("anonymous_id"),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_detail(error)) from None
        return Response(
            {
                "profile_id": result.profile.profile_id,
                "submission_id": result.submission.pk,
                "created": result.created,
                "joined": result.joined,
                "unmapped": result.unmapped,
            },
            status=status.HTTP_201_CREATED,
        )


class SubmissionSerializer(serializers.ModelSerializer):
    form_name = serializers.CharField(source="form.name", read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "form", "form_name", "submitted_at", "data", "utm", "anonymous_id"]
        read_only_fields = fields


class ProfileSubmissionsView(generics.ListAPIView):
    """A profile's form submissions, newest first.

    Needs ``profiles.view_profile`` and ``webforms.view_submission``; a profile of a database
    the user may not see answers 404.
    """

    serializer_class = SubmissionSerializer
    permission_classes = [MayAct]
    required_perms = ["profiles.view_profile", "webforms.view_submission"]
    pagination_class = ProfileCursorPagination  # newest first (-id), no count
    filter_backends = []
    queryset = Submission.objects.none()  # the model, for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Submission.objects.none()
        profile = get_object_or_404(
            Profile.objects.visible_to(self.request.user), profile_id=self.kwargs["profile_id"]
        )
        return profile.form_submissions.select_related("form")
