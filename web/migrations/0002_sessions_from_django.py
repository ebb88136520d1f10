"""Move the sessions kept in Django's table to the web layer's (``web.Session``), each with
the user it is signed in as, so nobody is signed out by the change. Expired sessions and
those of users no longer there are left behind; Django's table is emptied."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.db import migrations
from django.utils import timezone

CHUNK = 2000


def move(apps, schema_editor):
    alias = schema_editor.connection.alias
    old = apps.get_model("sessions", "Session").objects.using(alias)
    new = apps.get_model("web", "Session").objects.using(alias)
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    store = SessionStore()  # Django's: it signs as web.accounts.sessions' store does

    def user_id_of(data):
        try:
            return user_model._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:
            return None

    live = old.filter(expire_date__gt=timezone.now()).order_by("pk")
    last = ""  # the key of the last session moved: each chunk is read from the next
    while chunk := list(live.filter(pk__gt=last)[:CHUNK]):
        users = {session.pk: user_id_of(store.decode(session.session_data)) for session in chunk}
        known = set(
            user_model.objects.using(alias)
            .filter(pk__in={pk for pk in users.values() if pk is not None})
            .values_list("pk", flat=True)
        )
        new.bulk_create(
            [
                new.model(
                    session_key=session.pk,
                    session_data=session.session_data,
                    expire_date=session.expire_date,
                    user_id=users[session.pk],
                )
                for session in chunk
                if users[session.pk] is None or users[session.pk] in known
            ],
            ignore_conflicts=True,
        )
        last = chunk[-1].pk
    old.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0001_session"),
        ("sessions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop, elidable=True)]
