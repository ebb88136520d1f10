"""The WSGI application gunicorn serves (``gunicorn config.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from core.startup import freeze_loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def settle():
    """Load what the first request would (the URLconf and every view it imports), then
    freeze what the worker holds (``core.startup.freeze_loaded``)."""
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and the views)
    freeze_loaded()


application = get_wsgi_application()
settle()
