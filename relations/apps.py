from django.apps import AppConfig


class RelationsConfig(AppConfig):
    name = "relations"
    verbose_name = "Relations between profiles"
