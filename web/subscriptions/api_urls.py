from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ProfileSubscriptionViewSet, ResourceViewSet, SubscriptionViewSet

router = SimpleRouter()
router.register("resources", ResourceViewSet, basename="resource")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/subscriptions/",
        ProfileSubscriptionViewSet.as_view({"get": "list", "post": "create"}),
        name="profile-subscriptions",
    ),
    *router.urls,
]
