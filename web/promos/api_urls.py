from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("promo-pools", api.PromoPoolViewSet, basename="promopool")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/promo-codes/",
        api.ProfileCodesView.as_view(),
        name="profile-promo-codes",
    ),
    path(
        "profiles/<str:profile_id>/promo-codes/<int:code_id>/",
        api.ProfileCodeView.as_view(),
        name="profile-promo-code",
    ),
    path(
        "profiles/<str:profile_id>/promo-codes/<int:code_id>/activate/",
        api.ActivateCodeView.as_view(),
        name="profile-promo-code-activate",
    ),
    *router.urls,
]
