from rest_framework.routers import SimpleRouter

from .api.views import CustomFieldViewSet, DatabaseViewSet, ProfileViewSet

router = SimpleRouter()
router.register("databases", DatabaseViewSet, basename="database")
router.register("custom-fields", CustomFieldViewSet, basename="customfield")
router.register("profiles", ProfileViewSet, basename="profile")

urlpatterns = router.urls
