from django.urls import path

from . import views

app_name = "segments"
urlpatterns = [
    path("<str:profile_id>/interactions/", views.profile_interactions, name="profile"),
    path("<str:profile_id>/segments/", views.segment_add, name="add"),
    path("<str:profile_id>/segments/<int:segment_id>/remove/", views.segment_remove, name="remove"),
]
