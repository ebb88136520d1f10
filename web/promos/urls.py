from django.urls import path

from . import views

app_name = "promos"
urlpatterns = [
    path("<str:profile_id>/promo-codes/attach/", views.attach, name="attach"),
    path("<str:profile_id>/promo-codes/activate/", views.activate, name="activate"),
    path("<str:profile_id>/promo-codes/detach/", views.detach, name="detach"),
]
