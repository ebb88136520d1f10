"""API permissions: Django model permissions per method."""

from rest_framework import permissions


class ModelPermissions(permissions.DjangoModelPermissions):
    """Require the model's view permission to read and its add/change/delete ones to write."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
