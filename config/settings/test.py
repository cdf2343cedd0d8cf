"""Settings for the test suite: the same as production-like local settings, plus
what makes tests fast and deterministic. Services (PostgreSQL, Redis) are used when
DATABASE_URL / REDIS_URL are set, exactly as in production."""

import os

from config.settings import *  # noqa: F403
from config.settings import CACHES, DATABASES, REDIS_URL, VAR_DIR

# Tasks run inline unless a test starts a real worker (tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests sign webhooks with this secret themselves; only the provider is fake.
BILLING_WEBHOOK_SECRET = "test-webhook-secret"  # noqa: S105

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a real Celery worker and a live server see the
    # same test database as the test itself.
    # Named per process so that two test runs side by side do not share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
    }

if REDIS_URL:
    # This process's own namespace: tests clear it freely without touching anything
    # else that shares the Redis database (the broker, a developer's own data).
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
