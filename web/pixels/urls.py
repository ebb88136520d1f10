app_name = "pixels"
urlpatterns = []
