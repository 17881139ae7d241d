"""Gunicorn's settings for Dekiru (`gunicorn --config deploy/gunicorn.conf.py`).

Read from the environment (systemd's EnvironmentFile, /etc/dekiru/dekiru.env):
DEKIRU_BIND (default 127.0.0.1:8000; several, comma-separated), WEB_CONCURRENCY (workers;
default 2 per core + 1, at most 9), DEKIRU_THREADS (threads per worker, default 4) and
FORWARDED_ALLOW_IPS (default the local Caddy: 127.0.0.1,::1).

A graceful restart (new code, after an upgrade) is `kill -HUP <master pid>`, which
`systemctl reload dekiru-web` sends: the master starts new workers with the new code and lets
the old ones finish their requests (up to graceful_timeout) before they go.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

# The checkout (/opt/dekiru): the app reads its templates, static files, translations and
# migrations beside the `app` package, so it is imported from here.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "app:create_app()"
proc_name = "dekiru-web"

bind = [address.strip() for address in os.environ.get("DEKIRU_BIND", "127.0.0.1:8000").split(",")]

# 2 per core + 1 (one waits on the database while another computes), capped: each worker
# holds its own database connections, and a city's office hours never need more.
MAX_WORKERS = 9
workers = int(
    os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS)
)
# Threads: a phone on a weak signal sending its check-ins slowly holds a thread, not a worker.
worker_class = "gthread"
threads = int(os.environ.get("DEKIRU_THREADS") or 4)

# No preload: each worker builds the app itself, after the fork, so that no database or Redis
# connection is shared between processes, and so that HUP loads the new code (with preload
# the master keeps the old app and its workers are forked from it).
preload_app = False

timeout = 60  # a worker silent this long is killed and replaced (an export takes seconds)
graceful_timeout = 30  # on HUP or stop, what a request in progress may still take
keepalive = 5  # Caddy keeps its connections to us open between requests

# Restart each worker after about a thousand requests (jittered, so they do not all restart
# at once): whatever a long-lived process accumulates is let go.
max_requests = 1000
max_requests_jitter = 100

# No access log: calendar-feed and registration tokens live in URL paths
# (/calendar/instructor/<token>.ics, /public/registrations/<token>), which every access-log
# format would write (%(U)s is the path). The app writes one JSON line per request instead
# (app/logs.py) with the route (/calendar/instructor/<token>.ics), status, duration and
# request id. Gunicorn's own messages (workers starting, timeouts) go to standard error,
# which journald keeps.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Caddy, on this machine, terminates TLS: believe its X-Forwarded-Proto (the app's
# TRUSTED_PROXIES=1 does the same for X-Forwarded-For, the address the login limits count).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
