from django.apps import AppConfig


class PixelsConfig(AppConfig):
    name = "pixels"
    verbose_name = "Pixels, goals and anonymous visitors"
