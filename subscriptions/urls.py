from django.urls import path

from . import views

app_name = "subscriptions"
urlpatterns = [
    path("<str:profile_id>/subscriptions/", views.profile_subscriptions, name="profile"),
]
