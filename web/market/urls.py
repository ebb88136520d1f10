app_name = "market"
urlpatterns = []
