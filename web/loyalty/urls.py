from django.urls import path

from . import views

app_name = "loyalty"
urlpatterns = [
    path("<str:profile_id>/loyalty/enrol/", views.enrol_in_program, name="enrol"),
    path("<str:profile_id>/loyalty/transactions/", views.add_transaction, name="add-transaction"),
]
