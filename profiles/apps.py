from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Profiles"

    def ready(self):
        from core import collation

        # The profile list's name order is an index of the "alphabetical" collation, which
        # SQLite needs on each connection to write a profile (PostgreSQL has ICU's).
        collation.install()
