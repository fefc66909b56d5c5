"""One settings module for every environment, typed from environment variables.

Defaults are safe for development (SQLite under var/, DEBUG on, a local Redis); production sets
DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL, and then
gets HTTPS-only cookies, HSTS, hashed compressed static files and JSON logs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# Runtime files (SQLite database, beat schedule) live here; a fresh clone has no var/ yet.
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed key only in development; production must bring its own, as strong as
# `check --deploy` wants it (security.W009), or the process refuses to start.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"  # noqa: S105
# Read as is: django-environ would take a key starting with "$" for the name of another variable.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
# Old keys still accepted for sessions and signatures while a new key rolls out to every machine.
SECRET_KEY_FALLBACKS = os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split()
if not DEBUG and (
    SECRET_KEY == DEV_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure-")
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG=false needs DJANGO_SECRET_KEY set to at least 50 random characters, e.g. "
        "the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. Production is served over TLS, normally by a proxy in front of gunicorn that sets
# X-Forwarded-Proto (and must overwrite any such header a client sends). DJANGO_PLAIN_HTTP=true
# turns HTTPS off for a production-mode server on loopback (load tests); check --deploy then warns.
HTTPS = not DEBUG and not env.bool("DJANGO_PLAIN_HTTP", default=False)
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe the web processes directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
# Nothing of ours reads the CSRF cookie from JavaScript (forms carry the token).
CSRF_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver leaves static files to WhiteNoise, as gunicorn does in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "claims",
]

MIDDLEWARE = [
    # Outermost, so redirects and static files get a request id and a log line too.
    "tracker.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records request.user as the author of every history row written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
ASGI_APPLICATION = "tracker.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite under var/ unless DATABASE_URL says otherwise (any URL dj-database-url reads).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"),
}
# A web or worker process keeps its connection between requests: a new PostgreSQL backend
# costs its fork and a cold catalog cache on every request (measured by bench/load.py). Health
# checks drop a connection that died meanwhile (a restarted database) before it is reused.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web process, the worker and beat share one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with the user's and the groups' permissions read in one query.
    "tracker.permissions.ModelBackendOneQuery",
]

# django-axes: 5 failed log-ins for one username from one address lock that pair out for
# 15 minutes. Attempts live in the database, so every web machine sees the same count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "tracker.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tracker.login_throttle.client_ip"
# Failures and lockouts are still logged; this only drops a banner from every manage.py command.
AXES_VERBOSE = False
# How many proxies in front of gunicorn append to X-Forwarded-For; 0 trusts REMOTE_ADDR only.
TRACKER_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and WhiteNoise serves from in production.
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
if DEBUG:
    # Development never runs collectstatic, but WhiteNoise warns about a missing STATIC_ROOT.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed copies (cached forever); development the files as is.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Content Security Policy (django-csp 4), the same in development so tests catch a violation.
# No inline script or style: the UI's JavaScript and CSS are static files. A nonce is added to
# the header only on a page whose template asks for one (the Swagger UI at /api/docs/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "claims:dashboard"
LOGOUT_REDIRECT_URL = "login"

# History rows are evidence: nobody reverts a claim to an old version from the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True
# A history row's "why" is the editor's rationale, kept whole (the default 100 characters made a
# longer rationale fail the save).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# The ingest page shows "running" between "queued" and "done".
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task lost with a killed worker is redelivered after this many seconds. It must exceed the
# longest task's hard limit (120 s: every task is kept short, a full scan is split into chunks),
# or a task still running would be delivered a second time.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=150),
    # Look for lost tasks every 5 s (kombu's default sweep is every ~100 s), so a task whose
    # worker died is back in the queue seconds after its visibility timeout.
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    # Fail fast when Redis is down: the outbox keeps the work, a hanging save keeps nothing.
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "max_retries": 1,
    "interval_start": 0,
}
# The result backend reconnects 20 times, a second apart, by default: a save would hang 20 s.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Workers and beat log through LOGGING below (JSON lines with the request id), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "checks"
# Fetching waits on other people's servers; it gets its own queue so checks never wait behind it.
CELERY_TASK_ROUTES = {
    "claims.tasks.recheck_sources": {"queue": "fetch"},
    "claims.tasks.recheck_source": {"queue": "fetch"},
    "claims.tasks.ingest_url": {"queue": "fetch"},
    "claims.tasks.deliver_webhook": {"queue": "fetch"},
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "worker-heartbeat": {"task": "claims.tasks.record_worker_heartbeat", "schedule": 60.0},
    "sweep-outbox": {"task": "claims.tasks.sweep_outbox", "schedule": 30.0},
    "check-stale-hourly": {"task": "claims.tasks.check_stale", "schedule": crontab(minute=5)},
    "recheck-sources-hourly": {
        "task": "claims.tasks.recheck_sources",
        "schedule": crontab(minute=35),
    },
    "scan-all-nightly": {"task": "claims.tasks.scan_all", "schedule": crontab(hour=2, minute=15)},
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["claims.api.permissions.RolePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["claims.api.parsers.TrackerJSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "claims.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "claims.api.filters.CursorPage",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="30/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
    "EXCEPTION_HANDLER": "claims.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "claims.api.schema.TrackerAutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Claim verification tracker API",
    "DESCRIPTION": (
        "Claims, their sources and chains, flags and reviews (DESIGN §8). Every error has the "
        'shape {"error": {"code", "message", "fields"?}}. Claim edits need If-Match.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response shapes differ (read-only fields), so describe them separately.
    "COMPONENT_SPLIT_REQUEST": True,
    # The one PATCH (claims) requires `reason`; a "Patched" copy would drop that requirement.
    "COMPONENT_SPLIT_PATCH": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI would show a badge from validator.swagger.io (sending it our schema's URL); the
    # Content Security Policy allows no third-party images anyway.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClaimStateEnum": "claims.models.Claim.State",
        "FlagStateEnum": "claims.models.Flag.State",
        "ActorKindEnum": "claims.models.Actor.Kind",
        "SourceKindEnum": "claims.models.Source.Kind",
        "VerdictEnum": "claims.models.Claim.Verdict",
        "LanguageEnum": "claims.models.Language",
        "ArabicOrEnglishEnum": "claims.api.serializers.ARABIC_OR_ENGLISH",
        "FlagKindEnum": "claims.models.Flag.Kind",
        "EventStatusEnum": "claims.models.Event.Status",
    },
}

TRACKER_FOUR_EYES = env.bool("TRACKER_FOUR_EYES", default=True)
TRACKER_UNVERIFIED_SLA_HOURS = env.int("TRACKER_UNVERIFIED_SLA_HOURS", default=48)
# Processes for the rules-and-flags half of a synchronous full scan (`manage.py scan`); the
# Celery scan spreads the same chunks over the workers instead.
TRACKER_SCAN_PROCESSES = env.int("TRACKER_SCAN_PROCESSES", default=min(4, os.cpu_count() or 1))

# One line per record on stderr, so stdout stays clean for commands that print JSON (`scan
# --json`); process managers collect both. JSON in production: timestamp, level, logger, message,
# request_id, and for requests method, path, status, duration_ms, user_id; in a worker task_id and
# task_name. Plain text in development unless DJANGO_LOG_FORMAT=json.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.requestid.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{message}",
            "style": "{",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Celery gives this logger a text handler of its own unless it already has one.
        "celery.task": {"handlers": ["console"], "propagate": False},
    },
}
