from django.urls import path

from . import views

app_name = "history"
urlpatterns = [
    path("<str:profile_id>/history/", views.profile_history, name="profile"),
    path("<str:profile_id>/history/export.<str:fmt>", views.export_history, name="export"),
]
