from django.urls import path

from . import views

app_name = "interactions"
urlpatterns = [
    path("<str:profile_id>/triggers/send/", views.send, name="send"),
    path("<str:profile_id>/scenarios/engage/", views.engage_in_scenario, name="engage"),
]
