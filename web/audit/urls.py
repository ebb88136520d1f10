from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("<str:profile_id>/changes/", views.profile_changes, name="profile"),
]
