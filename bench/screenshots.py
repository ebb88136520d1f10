"""Take the README's screenshots: the profile list and a profile page, at 1440 px.

    .venv/bin/python bench/screenshots.py            # writes docs/screenshots/{list,profile}.png

Loads the demo data (``manage.py seed_demo``) into a SQLite database of its own in a
temporary folder, starts ``manage.py runserver`` on a free port, logs in as the demo
``marketer`` and photographs the pages with the system Chromium (/usr/bin/chromium, as the
browser tests use). Nothing is downloaded. ``--keep`` leaves the database for a second run.
"""

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1440


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, **kwargs):
    return subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, **kwargs
    )


def prepare(env, profiles):
    """Migrate and seed the screenshot database; return the marketer's password and the
    profile to show (the one with the most kinds of things on its page)."""
    manage(env, "migrate", "--no-input", stdout=subprocess.DEVNULL)
    manage(env, "seed_demo", "--profiles", str(profiles), stdout=subprocess.DEVNULL)
    password = secrets.token_urlsafe(12)
    script = f"""
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from profiles.models import Profile
user = get_user_model().objects.get(username="marketer")
user.set_password({password!r})
user.save()
kinds = {{
    "n_pixels": Count("events", filter=Q(events__type="pixel"), distinct=True),
    "n_orders": Count("orders", distinct=True),
    "n_loyalty": Count("loyalty_memberships", distinct=True),
    "n_subscriptions": Count("subscriptions", distinct=True),
    "n_segments": Count("segment_memberships", distinct=True),
    "n_events": Count("events", distinct=True),
}}
best = max(
    Profile.objects.filter(database__name="Online store").annotate(**kinds),
    key=lambda p: (sum(bool(getattr(p, k)) for k in kinds), p.n_events, p.email),
)
print(best.get_absolute_url())
"""
    shown = manage(env, "shell", "-c", script, capture_output=True, text=True).stdout
    return password, shown.strip().splitlines()[-1]


def wait_for(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The server stopped before it answered.")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"No answer from {url} in {seconds} s.")


def photograph(base, password, profile_path, out):
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "marketer")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/profiles/")
        page.mouse.move(0, 0)
        page.screenshot(path=out / "list.png")
        page.goto(f"{base}{profile_path}")
        page.wait_for_load_state("networkidle")
        page.mouse.move(0, 0)
        page.screenshot(path=out / "profile.png", full_page=True)
        browser.close()
    for name in ("list.png", "profile.png"):
        print(f"wrote {(out / name).relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=300, help="demo profiles (default 300)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    options = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")

    folder = Path(tempfile.mkdtemp(prefix="profiles-screenshots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DEBUG": "1",  # runserver serves the static files
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    password, profile_path = prepare(env, options.profiles)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/accounts/login/", server)
        photograph(base, password, profile_path, options.out)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if options.keep:
            print(f"database kept in {folder}")
        else:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()


if __name__ == "__main__":
    main()
