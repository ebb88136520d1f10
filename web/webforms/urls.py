app_name = "webforms"
urlpatterns = []
