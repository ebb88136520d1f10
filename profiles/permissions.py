"""API permissions: Django model permissions per method, plus the dedicated ones."""

from rest_framework import permissions


class ModelPermissions(permissions.DjangoModelPermissions):
    """Require the model's view permission to read and its add/change/delete ones to write."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class CanImportProfiles(permissions.BasePermission):
    """A batch import creates and updates profiles, so it needs both permissions."""

    message = "Importing profiles needs the permissions to add and to change profiles."

    def has_permission(self, request, view):
        return request.user.has_perms(["profiles.add_profile", "profiles.change_profile"])


class CanExportProfile(permissions.BasePermission):
    """The personal-data export needs its dedicated permission.

    Checked on the object, after the look-up, so a profile of a database the user may not
    see still answers 404.
    """

    message = "Exporting a profile's personal data needs the export permission."

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm("profiles.export_profile")
