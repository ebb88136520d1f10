"""Loyalty programs: ``loyalty-programs/``, ``profiles/{profile_id}/loyalty/`` and the
points transactions of a membership."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("loyalty-programs", api.ProgramViewSet, basename="loyalty-program")

urlpatterns = [
    path(
        "profiles/<str:profile_id>/loyalty/",
        api.ProfileLoyaltyView.as_view(),
        name="profile-loyalty",
    ),
    path(
        "profiles/<str:profile_id>/loyalty/<int:program_id>/transactions/",
        api.MembershipTransactionsView.as_view(),
        name="profile-loyalty-transactions",
    ),
    *router.urls,
]
