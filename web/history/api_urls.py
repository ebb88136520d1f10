from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("events", api.EventViewSet, basename="event")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/history/",
        api.ProfileHistoryView.as_view(),
        name="profile-history",
    ),
    *router.urls,
]
