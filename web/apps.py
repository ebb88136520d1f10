import pkgutil
from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

# Modules an app package may have that register something when imported.
REGISTERING_MODULES = ("admin", "sections")


class WebConfig(AppConfig):
    default = True
    name = "web"
    verbose_name = "Pages, API and admin"

    def ready(self):
        """Load each app package's ``admin`` and ``sections`` modules: they register its
        models in the admin and its section of the profile page."""
        for package in pkgutil.iter_modules(import_module(self.name).__path__):
            for module in REGISTERING_MODULES:
                name = f"{self.name}.{package.name}.{module}"
                if package.ispkg and find_spec(name) is not None:
                    import_module(name)


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin app on this project's site (INSTALLED_APPS names it, not Django's)."""

    default = False
    default_site = "web.admin_site.AdminSite"
