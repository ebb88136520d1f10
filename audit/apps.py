from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        # Imported here: the signals name models, which are loaded only once apps are ready.
        from . import signals

        signals.connect()
