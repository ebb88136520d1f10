from rest_framework.routers import SimpleRouter

from .api.exports import ExportViewSet
from .api.views import CustomFieldViewSet, DatabaseViewSet, ProfileViewSet

router = SimpleRouter()
router.register("databases", DatabaseViewSet, basename="database")
router.register("custom-fields", CustomFieldViewSet, basename="customfield")
router.register("profiles", ProfileViewSet, basename="profile")
router.register("exports", ExportViewSet, basename="export")

urlpatterns = router.urls
