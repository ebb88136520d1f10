"""Settings for Profiles, configured by environment variables.

DATABASE_URL  database (default: SQLite file db.sqlite3 in the project folder)
SECRET_KEY    secret key (required in production)
DEBUG         "1" turns debug mode on (off by default)
ALLOWED_HOSTS comma-separated host names
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# Without SECRET_KEY a development key is used; `manage.py check --deploy` flags it.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-key-never-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

INSTALLED_APPS = [
    "web.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_htmx",
    "template_partials",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_tasks",
    "jobs",  # before django_tasks_db: its db_worker also takes up jobs whose worker died
    "django_tasks_db",
    # The domain apps, bottom up; then the pages, API and admin of them all; then demo data.
    "audit",
    "profiles",
    "history",
    "subscriptions",
    "segments",
    "interactions",
    "promos",
    "webforms",
    "relations",
    "market",
    "pixels",
    "loyalty",
    "operations",
    "web",
    "demo",
]

# Background work: django-tasks on its database backend (``manage.py db_worker`` runs it; the
# tests run each task at once, in the request, unless one starts a worker).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A running job whose worker has not reported (after each chunk) for this long lost its
# worker: it shows "interrupted", and the next worker to look takes it up again.
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", "60"))
# Rows an export writes per chunk (each chunk commits the job's position).
EXPORT_CHUNK_ROWS = int(os.environ.get("EXPORT_CHUNK_ROWS", "2000"))
# An export of the list page this small is made at once and downloaded in the same click.
EXPORT_INLINE_ROWS = int(os.environ.get("EXPORT_INLINE_ROWS", "10000"))
# The rows of a file import written (and committed with the job's position) at a time.
IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "5000"))
# Limits on an uploaded import file (core/tabular.py): its size, what a ZIP (or an XLSX, which
# is a ZIP) may unpack to, and how many files a ZIP may hold.
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_BYTES", str(200 * 1000**2)))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(1000**3)))
IMPORT_MAX_ZIP_MEMBERS = int(os.environ.get("IMPORT_MAX_ZIP_MEMBERS", "100"))

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "config.middleware.RetryableConflictMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.auth.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.HtmxMessagesMiddleware",
    "core.middleware.TimezoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.NoStoreMiddleware",
    "config.middleware.NulInPathMiddleware",
    "audit.context.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Every request that may write is one transaction: a change and its audit entry commit
# together. Reads (GET, HEAD, OPTIONS) run outside one (core/transactions.py, applied to
# every URL in config/urls.py).
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share one file: each transaction takes the write lock
    # when it begins (a read that turns into a write would otherwise fail at once, "database
    # is locked"), waits up to 20 s for it; reads, outside a transaction, go on while one
    # writes (WAL): a page or a progress bar does not wait for the worker's import chunk.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
# Read replicas (PostgreSQL streaming standbys): DATABASE_REPLICA_URLS, comma-separated URLs
# as DATABASE_URL, become replica_1, replica_2… The list pages, history, exports and the
# API's GETs read from one of them; everything else, and a user who wrote in the last
# REPLICA_STICKY_SECONDS, uses the primary (core/db_routing.py). In tests a replica is a
# mirror of the test database (no database of its own is created).
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    DATABASES[f"replica_{_number}"] = dj_database_url.parse(
        _url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
        test_options={"MIRROR": "default"},
    )
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["core.db_routing.ReplicaRouter"]
    MIDDLEWARE.append("core.db_routing.ReplicaMiddleware")
REPLICA_STICKY_SECONDS = float(os.environ.get("REPLICA_STICKY_SECONDS", "5"))
# A replica that cannot be reached is left out for this long (its reads go elsewhere).
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "30"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "config.auth.LockoutBackend",
    # Django's, reading a session's user in one plain statement (core.auth).
    "core.auth.ModelBackend",
]
# Brute force: after 5 failed logins for one username from one IP, lock for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0")) or None
AXES_VERBOSE = False

# Email (password resets, trigger mailings). make run writes mails to files in sent-email/,
# so a developer reads them; production sends over SMTP.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "sent-email"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "profiles@localhost")
# Messages of the other channels (SMS, push, messengers…) are POSTed as JSON to this URL (a
# gateway of yours); unset, they are not sent, and each attempt records why.
MESSAGE_WEBHOOK_URL = os.environ.get("MESSAGE_WEBHOOK_URL", "")
MESSAGE_WEBHOOK_TIMEOUT = float(os.environ.get("MESSAGE_WEBHOOK_TIMEOUT", "5"))
# A database's control group is formed inline (in the request) up to this many profiles,
# on the worker above.
CONTROL_GROUP_INLINE_PROFILES = int(os.environ.get("CONTROL_GROUP_INLINE_PROFILES", "5000"))
# A password reset answers after at least this long, known address or not.
PASSWORD_RESET_MIN_SECONDS = float(os.environ.get("PASSWORD_RESET_MIN_SECONDS", "1"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profiles:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Avatars: accepted image formats and the largest upload.
AVATAR_MAX_BYTES = int(os.environ.get("AVATAR_MAX_BYTES", 2 * 1024 * 1024))
# The largest request body taken at all (413 beyond it, before it is read): a batch of 1,000
# profiles or events fits; the API docs say so.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", 10 * 1024 * 1024))
# Large batches (imports, lists of events) running at once on the whole server (PostgreSQL);
# one more is answered 429. Four 1,000-row imports finish in about 16 s on 2 cores.
BATCH_CONCURRENCY = int(os.environ.get("BATCH_CONCURRENCY", "4"))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

# The cache holds what must agree across web processes (API throttling counts, cached
# values): CACHE_URL names a Redis server (Django's own Redis backend), e.g.
# redis://cache.internal:6379/0, shared by every gunicorn process on every host; without
# it each process keeps its own in memory, which is right for one small machine.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ModelPermissions"],
    # DRF's JSON, written by orjson (core/api/renderers.py); the browsable API as before.
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # JSON nested too deeply is a 400 (the stock parser lets RecursionError through as a 500);
    # text with a NUL or a lone surrogate, or a number beyond 64 bits, is a 400 naming it.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.errors.JSONParser",
        "core.api.errors.FormParser",
        "core.api.errors.MultiPartParser",
    ],
    # A load guard, not a security boundary: counted in the default cache (per process,
    # unless CACHE_URL shares it between processes and hosts), two counters a client.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonRateThrottle",
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "300/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "3000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Profiles API",
    "DESCRIPTION": "Profile databases, profiles, subscriptions and action history.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page are public (the contract's one exception to 401/403):
    # they describe the API and hold no data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The 7 statuses shared by profiles and subscriptions get one stable component name.
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "core.status.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
        "config.openapi.add_limits",
    ],
}

# Security headers on every response. HTTPS=1 (production) turns on the HTTPS-only
# settings: redirect to HTTPS and secure cookies. HSTS is sent on HTTPS responses.
HTTPS = env_bool("HTTPS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
# Django's database sessions, each read with its user by one statement (web.accounts.sessions).
SESSION_ENGINE = "web.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: no inline scripts or styles (django-csp). The one inline style
# left, the browsable API's code highlighting, carries the response's nonce (a page that
# reads no nonce sends none); style attributes are refused everywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
