from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("relation-types", api.RelationTypeViewSet, basename="relation-type")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/relations/",
        api.ProfileRelationsView.as_view(),
        name="profile-relations",
    ),
    path(
        "profiles/<str:profile_id>/relations/<int:relation_id>/",
        api.ProfileRelationView.as_view(),
        name="profile-relation",
    ),
    *router.urls,
]
