from django.urls import path

from . import views

app_name = "subscriptions"
urlpatterns = [
    path("<str:profile_id>/subscriptions/", views.profile_subscriptions, name="profile"),
    path("<str:profile_id>/subscriptions/add/", views.add_subscription, name="add"),
    path("<str:profile_id>/subscriptions/rows/", views.subscription_rows, name="rows"),
    path(
        "<str:profile_id>/subscriptions/<str:subscription_id>/",
        views.change_subscription,
        name="change",
    ),
    path(
        "<str:profile_id>/subscriptions/<str:subscription_id>/fields/",
        views.change_fields,
        name="fields",
    ),
    path(
        "<str:profile_id>/subscriptions/<str:subscription_id>/categories/",
        views.change_categories,
        name="categories",
    ),
    path(
        "<str:profile_id>/subscriptions/<str:subscription_id>/delete/",
        views.delete_subscription,
        name="delete",
    ),
]
