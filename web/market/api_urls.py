from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("products", api.ProductViewSet, basename="product")
router.register("orders", api.OrderViewSet, basename="order")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/orders/",
        api.ProfileOrdersView.as_view(),
        name="profile-orders",
    ),
    *router.urls,
]
