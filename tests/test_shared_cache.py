"""CACHE_URL: one cache for every web process (API throttling, cached values), through Redis.

A real ``redis-server`` (Debian's package; ``.ci/run`` installs it) is started on a free
port for these tests, and the processes that use it are real ones too.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_url(tmp_path):
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (the system's redis-server)
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait()


def in_a_process(code, cache_url=None):
    """Run code in a new Python process with the project's settings; return what it prints."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CACHE_URL", None)
    if cache_url:
        env["CACHE_URL"] = cache_url
    setup = "import django; django.setup(); from django.core.cache import cache; "
    done = subprocess.run(  # noqa: S603 (our own code)
        [sys.executable, "-c", setup + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_without_cache_url_each_process_keeps_its_own_cache():
    backend = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"

    assert in_a_process(backend) == "django.core.cache.backends.locmem.LocMemCache"


def test_with_cache_url_every_process_sees_the_same_counts(cache_url):
    count = "cache.add('hits', 0); print(cache.incr('hits'))"

    assert [in_a_process(count, cache_url) for _ in range(3)] == ["1", "2", "3"]


def test_the_api_rate_limit_holds_across_processes(cache_url):
    # Two web processes, one user, a limit of 3 a minute (the API's own throttle class,
    # counting in the default cache): the fourth call is refused whichever process takes it.
    calls = """
from types import SimpleNamespace
from core.api.throttling import UserRateThrottle
UserRateThrottle.THROTTLE_RATES = {"user": "3/minute"}
UserRateThrottle.timer = staticmethod(lambda: 6_000_030.0)  # both calls in one minute's middle
request = SimpleNamespace(user=SimpleNamespace(pk=424242, is_authenticated=True), META={})
print(",".join(str(UserRateThrottle().allow_request(request, None)) for _ in range(2)))
"""
    first = in_a_process(calls, cache_url)
    second = in_a_process(calls, cache_url)

    assert (first, second) == ("True,True", "True,False")
