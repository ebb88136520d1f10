from django.apps import AppConfig


class PromosConfig(AppConfig):
    name = "promos"
    verbose_name = "Promo codes"
