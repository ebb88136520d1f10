from django.urls import path

from . import views

app_name = "relations"
urlpatterns = [
    path("<str:profile_id>/relations/", views.relation_add, name="add"),
    path(
        "<str:profile_id>/relations/<int:relation_id>/remove/",
        views.relation_remove,
        name="remove",
    ),
]
