from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("triggers", api.TriggerViewSet, basename="trigger")
router.register("scenarios", api.ScenarioViewSet, basename="scenario")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/triggers/<int:trigger_id>/send/",
        api.SendTriggerView.as_view(),
        name="profile-trigger-send",
    ),
    path(
        "profiles/<str:profile_id>/scenarios/<int:scenario_id>/engage/",
        api.EngageView.as_view(),
        name="profile-scenario-engage",
    ),
    path(
        "profiles/<str:profile_id>/participations/",
        api.ProfileParticipationsView.as_view(),
        name="profile-participations",
    ),
    path(
        "databases/<int:database_id>/control-group/",
        api.ControlGroupView.as_view(),
        name="control-group",
    ),
    path(
        "databases/<int:database_id>/control-group/reform/",
        api.ReformControlGroupView.as_view(),
        name="control-group-reform",
    ),
    *router.urls,
]
