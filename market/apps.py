from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = "Products and orders (market module)"
