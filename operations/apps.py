from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self):
        """Register the kinds of job the operations run and the worker's periodic work, in
        every process (web and worker)."""
        # Imported here: the modules name models, which are loaded once the apps are ready.
        from jobs import periodic

        from . import (  # noqa: F401
            bulk_profiles,
            control_group,
            file_imports,
            list_exports,
            scenarios,
            subscriptions,
        )

        periodic.register("scenario steps", 1, scenarios.advance_due)
        periodic.register("control groups", 60, control_group.reform_due)
        periodic.register("import uploads", 3600, file_imports.purge_uploads)
        periodic.register("suspensions", 60, subscriptions.resume_due)
