"""The WSGI module gunicorn loads: the application, with what a worker holds frozen."""

import subprocess
import sys


def test_a_worker_loads_its_views_and_freezes_what_it_holds():
    script = (
        "import gc, sys; import config.wsgi as w; "
        "print(gc.get_freeze_count(), 'web.profiles.views.listing' in sys.modules, "
        "callable(w.application))"
    )
    out = subprocess.run(  # noqa: S603 (our own code)
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, views_loaded, callable_app = int(out[0]), out[1], out[2]
    assert frozen > 50_000  # Django's and the app's objects, out of the collector's walks
    assert views_loaded == "True" and callable_app == "True"
