"""gunicorn settings for the web process (`gunicorn -c gunicorn.conf.py`, see Procfile).

Every value comes from the environment with a production default. There is no access log:
tracker.requestid's middleware writes one JSON line per request, with its request id.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "tracker.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Sync workers: a request is a few queries; the slow work (fetching, checks) is Celery's.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak never grows; the jitter keeps them from all
# restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# The TLS proxy's address, so gunicorn believes its X-Forwarded-Proto (Django trusts it through
# SECURE_PROXY_SSL_HEADER in any case).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicornc's control socket defaults to one path per user, which two servers on one machine
# would share; it is opened only where GUNICORN_CONTROL_SOCKET names a path of its own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's own lines (start, worker boot, timeouts) as JSON on stderr like the application's.
# gunicorn merges this over its defaults key by key, so every key it has is given here; its
# access logger, which a logconfig_dict switches on, is silenced.
_json_formatter = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "{levelname}{name}{message}",
    "style": "{",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": True,
}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": _json_formatter},
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
