from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("pixels", api.PixelViewSet, basename="pixel")

urlpatterns = [
    path("pixels/<int:pixel_id>/hit/", api.PixelHitView.as_view(), name="pixel-hit"),
    *router.urls,
]
