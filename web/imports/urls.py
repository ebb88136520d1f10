from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("new/", views.import_new, name="new"),
    path("new/<str:token>/", views.import_mapping, name="mapping"),
    path("new/<str:token>/preview/", views.import_preview, name="preview"),
]
