from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self):
        """Register the kinds of job the operations run, in every process (web and worker)."""
        # Imported here: the modules name models, which are loaded once the apps are ready.
        from . import list_exports  # noqa: F401
