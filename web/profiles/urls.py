from django.urls import path

from .views import avatar, bulk, delete, detail, edit, export, listing, tabs

app_name = "profiles"
urlpatterns = [
    path("", listing.profile_list, name="list"),
    path("new/", listing.profile_create, name="create"),
    path("export/", listing.profile_list_export, name="list_export"),
    path("bulk/", bulk.profile_bulk, name="bulk"),
    path("<str:profile_id>/", detail.profile_detail, name="detail"),
    path("<str:profile_id>/status/", detail.profile_status, name="status"),
    path("<str:profile_id>/data/", detail.profile_data, name="data"),
    path("<str:profile_id>/loyalty/", detail.profile_loyalty, name="loyalty"),
    path("<str:profile_id>/edit/", edit.profile_edit, name="edit"),
    path("<str:profile_id>/tabs/", tabs.tab_settings, name="tab_settings"),
    path("<str:profile_id>/tabs/fields/", tabs.tab_fields, name="tab_fields"),
    path("<str:profile_id>/tabs/default/", tabs.tab_default, name="tab_default"),
    path("<str:profile_id>/tabs/new/", tabs.tab_new, name="tab_new"),
    path("<str:profile_id>/tabs/remove/", tabs.tab_remove, name="tab_remove"),
    path("<str:profile_id>/avatar/", avatar.avatar, name="avatar"),
    path("<str:profile_id>/avatar/edit/", avatar.avatar_edit, name="avatar_edit"),
    path("<str:profile_id>/avatar/remove/", avatar.avatar_remove, name="avatar_remove"),
    path("<str:profile_id>/export/", export.profile_export, name="export"),
    path("<str:profile_id>/delete/", delete.profile_delete, name="delete"),
]
