"""Benchmark-only settings: production settings (``DJANGO_DEBUG=off``) served over
plain HTTP on loopback, with the baseline view's URL added.

Only what plain HTTP and isolation need is changed; everything else (middleware,
sessions in Redis, persistent database connections, WhiteNoise and the manifest
static storage) is exactly what production runs."""

import os
from pathlib import Path

from config.settings import *  # noqa: F403

# Plain http://127.0.0.1: a Secure-only cookie would never come back to the server.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

ROOT_URLCONF = "bench.urls"

# collectstatic of each run goes to its own temporary folder, not ./staticfiles.
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])

# Each run's Celery messages go to its own queue, so no other worker sharing the
# Redis database takes them and no stale message from elsewhere reaches ours.
if os.environ.get("BENCH_CELERY_QUEUE"):
    CELERY_TASK_DEFAULT_QUEUE = os.environ["BENCH_CELERY_QUEUE"]
