from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("forms", api.FormViewSet, basename="form")

urlpatterns = [
    path("forms/<int:form_id>/submit/", api.FormSubmitView.as_view(), name="form-submit"),
    path(
        "profiles/<str:profile_id>/form-submissions/",
        api.ProfileSubmissionsView.as_view(),
        name="profile-form-submissions",
    ),
    *router.urls,
]
