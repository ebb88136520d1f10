"""The web layer's one table: the sessions of people signed in with a browser."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    """Django's database session, with the user it is signed in as beside its data: a
    request reads its session and that user in one statement (``web.accounts.sessions``),
    and a user's sessions end with the user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Who is signed in with this session (none before a login).",
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "web_session"

    @classmethod
    def get_session_store_class(cls):
        from web.accounts.sessions import SessionStore

        return SessionStore
