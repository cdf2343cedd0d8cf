"""Settings for every environment, each value read from the environment.

Local development needs no variables at all: SQLite under ``var/``, Celery's
filesystem broker under ``var/``, a local-memory cache and e-mail printed to the
console. Production sets ``DJANGO_DEBUG=off`` and must then provide a secret key and
its allowed hosts; ``.env.example`` lists every variable.
"""

from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.observability import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off: "
            "production refuses to start with a guessable key."
        )
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "health_check",
    "accounts",
    "crm",
    "portal",
    "billing",
    "outbox",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before the host check and the HTTPS redirect.
    "config.health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files in every mode: runserver's own serving is switched off
    # (whitenoise.runserver_nostatic), so `make run` is served the way production is.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A request id, the CRM and the user on every log line; one line per request.
    "config.observability.RequestContextMiddleware",
    # A 503 with Retry-After while the database (or a rate limit's counters) is
    # away: outside the session, whose loading and saving touch the database.
    "config.faults.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.tenant",
            ],
        },
    },
]

# Form widgets render with the project's templates (templates/crm/widgets/), the
# built-in widgets' templates coming from django.forms.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------
# No DATABASE_URL: a SQLite file under var/, so a fresh clone runs with no services.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # WAL lets the web process, the worker and beat share the file without
    # "database is locked" errors on every concurrent write.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions and the Celery broker ------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # --- faults: a Redis outage degrades, it does not 500 (config/cache.py) ---
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            "OPTIONS": {
                # A Redis that does not answer costs a page this long, then is left
                # alone for RETRY_AFTER seconds (every cache call a miss meanwhile).
                "socket_connect_timeout": env.float("REDIS_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_TIMEOUT", default=0.5),
                "RETRY_AFTER": env.float("REDIS_RETRY_AFTER", default=5),
            },
        }
    }
    # Sessions live in the database, read through the cache: a Redis restart signs
    # nobody out, and while Redis is away sessions are read from the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # --- end of faults ---
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # A real broker with no server: messages are files that the worker picks up.
    CELERY_BROKER_DIR = Path(
        env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker"))
    )
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Without it kombu writes its control exchange into the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The default of one second is felt as lag on a "being created" CRM.
        "polling_interval": 0.2,
    }
    for folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)

# --- Celery ---------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged once it has finished: a worker killed mid-task leaves it in
# the broker, and it runs again (tasks are safe twice: outbox.services).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A broker that is down must not hang a web request for long.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# --- faults: the outbox (outbox/services.py) ---
# Every job and e-mail asked for is a row written with the change that asked for it;
# the relay offers what the broker has not taken yet, every OUTBOX_RELAY_SECONDS.
OUTBOX_RELAY_SECONDS = env.float("OUTBOX_RELAY_SECONDS", default=10)
# Offered, not done after this long: the message may have been lost with a broker
# restarted without its data; offered again (a duplicate is a no-op).
OUTBOX_REPUBLISH_AFTER_SECONDS = env.int("OUTBOX_REPUBLISH_AFTER_SECONDS", default=300)
# A message that never runs (a task that keeps failing) stops being offered.
OUTBOX_MAX_PUBLISHES = env.int("OUTBOX_MAX_PUBLISHES", default=20)
OUTBOX_KEEP_DONE_DAYS = env.int("OUTBOX_KEEP_DONE_DAYS", default=7)
# --- end of faults ---
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.tasks.relay", "schedule": OUTBOX_RELAY_SECONDS},
    # A CRM whose provisioning message was lost (broker down at creation, worker
    # killed) is picked up again instead of staying "being created" for ever.
    "crm-requeue-stuck-provisioning": {
        "task": "crm.tasks.requeue_stuck_provisioning",
        "schedule": 30.0,
    },
    # Deletion: claim CRMs whose grace period is over, keep purges going, remind.
    "crm-claim-due-purges": {"task": "crm.tasks.claim_due_purges", "schedule": 60.0},
    "crm-requeue-stalled-purges": {
        "task": "crm.tasks.requeue_stalled_purges",
        "schedule": 120.0,
    },
    "crm-send-deletion-reminders": {
        "task": "crm.tasks.send_deletion_reminders",
        "schedule": 60.0 * 15,
    },
    "crm-delete-stale-sso-tokens": {
        "task": "crm.tasks.delete_stale_sso_tokens",
        "schedule": 60.0 * 30,
    },
}

# --- Accounts and authentication ------------------------------------------------------
AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:crm_list"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory in production: sign-up then answers alike whether or not an address has
# an Account, and an unconfirmed Account cannot sign in. Optional locally, where
# e-mail goes to the console.
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory"
)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "portal.forms.SignupWithCrmForm",
    # allauth's forms with the product's own labels (sentence case).
    "login": "accounts.forms.LoginForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "set_password": "accounts.forms.SetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# allauth's limits for the portal; the CRM login borrows the same machinery under its
# own action names so that both doors are throttled alike.
ACCOUNT_RATE_LIMITS = {
    "crm_login": "30/m/ip",
    "crm_password_reset": "10/15m/ip,3/h/key",
    "crm_login_failed": "10/m/ip,5/5m/key",
    "crm_create": "10/m/user",
    "crm_connect": "20/10m/user,40/10m/ip",
    "find_my_crms": "5/10m/ip,3/h/key",
    "crm_user_lookup": "30/m/key",
    "referral_click": "30/m/ip",
    # Wrong passwords or codes where a signed-in CRM user confirms with theirs (My
    # profile, signing in again): per person and client address, failures only.
    "crm_password_check": "5/15m/key",
    # Signing in again before a sensitive step (allauth's page), per Account.
    "reauthenticate": "5/5m/user",
    # Wrong second-factor codes at a CRM's sign-in, per CRM user.
    "crm_code_failed": "5/5m/key",
    # Invitation e-mails: per CRM, and per address from all CRMs together.
    "crm_invite": "20/h/key",
    "crm_invite_address": "5/h/key",
}
# --- faults: each rate limit's choice while Redis, which holds its counters, is away
# "closed": the step answers 503 (templates/503.html) until Redis is back. For the
# limits that stop guessing (a password, a code, a connection code), where counting
# nothing would let guesses run free: signing in waits for Redis, those signed in
# stay so. "open": the step goes on uncounted. For limits on floods and on e-mails
# to an address, where refusing would stop people (asking for a password reset,
# inviting someone) for the whole outage, and a few more e-mails is the lesser harm.
# A limit missing here fails closed; tests/test_faults.py checks each one is listed.
# DRF's per-key API throttle (API_RATE_LIMIT) fails open: a key is its CRM's own.
RATE_LIMITS_IF_CACHE_DOWN = {
    "login_failed": "closed",
    "crm_login_failed": "closed",
    "crm_password_check": "closed",
    "crm_code_failed": "closed",
    "reauthenticate": "closed",
    "change_password": "closed",
    "crm_connect": "closed",
    "request_login_code": "closed",
    "verify_phone": "closed",
    "login": "open",
    "crm_login": "open",
    "webauthn_login": "open",
    "signup": "open",
    "crm_create": "open",
    "reset_password": "open",
    "reset_password_from_key": "open",
    "crm_password_reset": "open",
    "find_my_crms": "open",
    "confirm_email": "open",
    "manage_email": "open",
    "change_phone": "open",
    "crm_invite": "open",
    "crm_invite_address": "open",
    "crm_user_lookup": "open",
    "referral_click": "open",
}
# The Retry-After of a 503 while the database or a closed limit's counters are away.
SERVICE_UNAVAILABLE_RETRY_AFTER = env.int("SERVICE_UNAVAILABLE_RETRY_AFTER", default=10)
# --- end of faults ---
ACCOUNT_PREVENT_ENUMERATION = True
# Sensitive steps (deleting a CRM, downloading its export, changing the password, the
# second factors themselves) ask again for what signs the Account in, if it was not
# given in the last five minutes (ACCOUNT_REAUTHENTICATION_TIMEOUT seconds): with a
# second factor on, for that factor.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int(
    "ACCOUNT_REAUTHENTICATION_TIMEOUT", default=300
)
# An e-mail to the Account's address when its password, e-mail or second factors
# change: the owner hears of a change they did not make.
ACCOUNT_EMAIL_NOTIFICATIONS = True

# A second factor for Accounts (allauth.mfa): an authenticator app with recovery
# codes, and security keys or passkeys (WebAuthn). Browsers allow WebAuthn on https
# and on localhost only; over plain http elsewhere it is refused unless allowed here.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="CRM Portal")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool(
    "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG
)
# Staff must have a second factor to use /admin/ (off only where DEBUG is on).
ADMIN_REQUIRES_SECOND_FACTOR = env.bool(
    "ADMIN_REQUIRES_SECOND_FACTOR", default=not DEBUG
)
# How many proxies of ours stand in front of the site and append to X-Forwarded-For.
# 0: the header is ignored and the client is REMOTE_ADDR; behind one proxy every
# visitor would otherwise share its address and one IP limit. Never more than there
# are: the client could then pick its own address by sending the header.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)

# --- CRMs -----------------------------------------------------------------------------
SSO_TOKEN_TTL_SECONDS = env.int("SSO_TOKEN_TTL_SECONDS", default=30)
CONNECTION_CODE_TTL_MINUTES = env.int("CONNECTION_CODE_TTL_MINUTES", default=15)
CRM_MAX_OWNED_PER_ACCOUNT = env.int("CRM_MAX_OWNED_PER_ACCOUNT", default=300)
CRM_DELETION_GRACE_DAYS = env.int("CRM_DELETION_GRACE_DAYS", default=7)
# A purge deletes in chunks, each its own short transaction. A chunk's size adapts
# to how long the previous one took, aiming at CRM_PURGE_CHUNK_SECONDS, within the
# MIN and MAX row counts; a table's first chunk starts from CRM_PURGE_CHUNK_SIZE.
# 0.1 s: each chunk's commit costs the same however small the chunk, and at 0.05 s
# a purge of a million rows took 25 s in 552 chunks where 0.1 s takes 21 s in 276,
# its longest transaction 170 ms, within the 250 ms no one waits behind.
CRM_PURGE_CHUNK_SIZE = env.int("CRM_PURGE_CHUNK_SIZE", default=2000)
CRM_PURGE_CHUNK_MIN_SIZE = env.int("CRM_PURGE_CHUNK_MIN_SIZE", default=100)
CRM_PURGE_CHUNK_MAX_SIZE = env.int("CRM_PURGE_CHUNK_MAX_SIZE", default=20000)
CRM_PURGE_CHUNK_SECONDS = env.float("CRM_PURGE_CHUNK_SECONDS", default=0.1)
# While other sessions of the database are at work, a purge pauses this many times
# each chunk's time after it (0: never).
CRM_PURGE_YIELD_SHARE = env.float("CRM_PURGE_YIELD_SHARE", default=2.0)

# --- Billing and the referral program ------------------------------------------------
# The shared secret the payment provider signs its webhooks with (HMAC-SHA256). Empty:
# every webhook is refused, so an unconfigured site never takes unsigned money.
BILLING_WEBHOOK_SECRET = env.str("BILLING_WEBHOOK_SECRET", default="")
# How far a webhook's signed timestamp may be from now, in seconds, before it is
# refused as stale (a replay).
BILLING_WEBHOOK_TOLERANCE_SECONDS = env.int(
    "BILLING_WEBHOOK_TOLERANCE_SECONDS", default=300
)
# The currency of a CRM's ledger until its first entry fixes it (ISO 4217).
BILLING_DEFAULT_CURRENCY = env.str("BILLING_DEFAULT_CURRENCY", default="USD").upper()
REFERRAL_ATTRIBUTION_DAYS = env.int("REFERRAL_ATTRIBUTION_DAYS", default=7)
REFERRAL_REWARD_PERCENT = Decimal(env.str("REFERRAL_REWARD_PERCENT", default="50"))
REFERRAL_REWARD_MONTHS = env.int("REFERRAL_REWARD_MONTHS", default=12)
REFERRAL_MIN_PAYOUT = Decimal(env.str("REFERRAL_MIN_PAYOUT", default="20"))

# --- E-mail ---------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG.get("EMAIL_FILE_PATH"):
    # filemail:///srv/outbox names an absolute folder; environ drops the leading slash.
    EMAIL_CONFIG["EMAIL_FILE_PATH"] = "/" + EMAIL_CONFIG["EMAIL_FILE_PATH"].lstrip("/")
vars().update(EMAIL_CONFIG)  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_FILE_PATH, ...
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="CRM Portal <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("uk", _("Ukrainian")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: exports go through an owner-only view
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# --- Files: object storage (prodshape) ----------------------------------------------
# Exports and imports are written by one process (a worker) and read by another (a
# web process), maybe on another machine: with a bucket set they live in S3 or any
# S3-compatible store (MinIO, ...); without one, under MEDIA_ROOT, which only works
# while every process shares that disk (`make run`, one machine).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _FILE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            # Empty: AWS itself. MinIO and others: their address.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty: boto3's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in
            # the environment, an instance role, ...).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            # A folder inside the bucket, to share one bucket between deployments.
            "location": env.str("AWS_LOCATION", default=""),
            # MinIO and moto want path-style addresses (http://host/bucket/key).
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            # Private objects; a name taken gets a suffix instead of replacing it.
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    _FILE_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# --- end of object storage -------------------------------------------------------
STORAGES = {
    "default": _FILE_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# With DEBUG on, WhiteNoise serves the files where the finders find them (static/,
# each app's static/) and picks up edits without a restart: no collectstatic needed.
# Production serves the collected, compressed STATIC_ROOT. Fixed here rather than
# left to WhiteNoise, which reads DEBUG when the first request comes, and the test
# runner has turned DEBUG off by then.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- REST API -------------------------------------------------------------------------
# /api/v1/: an API key (Settings → API) in "Authorization: Bearer" picks the CRM and
# acts as its owner. Errors share one JSON shape (crm.api.exceptions).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["crm.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.HasActiveCrm"],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["crm.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.ApiPagination",
    "EXCEPTION_HANDLER": "crm.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per API key, e.g. "600/m" (also /s, /h, /d). Empty: no limit. Read at
# every request by crm.api.throttling, so an override applies at once.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/m")
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    # Markdown: the docs would take a bare <key> for an HTML tag and drop it, so
    # whatever has angle brackets goes in a code span.
    "DESCRIPTION": _(
        "The REST API of one CRM. Send an API key from Settings → API as "
        "`Authorization: Bearer <key>`; the key decides the CRM and acts with full "
        "rights. Lists take `?page_size=` (at most 100); lists of contacts, "
        "companies and deals follow their `next` and `previous` links (a cursor), "
        "the others take `?page=`. "
        'Every error is `{"error": {"code", "message", "fields"}}`. Integrations '
        "written for amoCRM use amoCRM's API v4 at `/api/v4/` instead, with the "
        "same keys: [its own docs](/api/v4/docs/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are public: they describe the API, not a CRM's data.
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Separate request and response shapes: ids and dates are never sent.
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/v4/ (amoCRM's API) has its own document: crm.amo.schema.
    "PREPROCESSING_HOOKS": ["crm.amo.schema.without_v4"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.api.schema.postprocess",
    ],
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy (django-csp): scripts and styles only from our own
# origin or carrying the response's nonce, so injected markup cannot run or restyle
# anything. The project's JavaScript and CSS live in static/; an inline <script> or
# <style> must carry nonce="{{ request.csp_nonce }}"; style="" and on*="" attributes
# are refused. A nonce is fresh per response and is only sent when a page asked for it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The header, e.g. X-Forwarded-Proto, by which a proxy in front says a request came
# over HTTPS. Only when one is configured: without a proxy that sets it, a client
# could send it and pass plain HTTP off as secure.
_PROXY_SSL_HEADER = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="")
if _PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _PROXY_SSL_HEADER.strip().upper().replace("-", "_"),
        "https",
    )
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int(
        "DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list is the operator's decision, not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logs and error reports (prodshape) ---------------------------------------------
# structlog renders every log line: JSON, one object per line, for a log collector
# (default with DEBUG off), or aligned text for a person (LOG_FORMAT=console). Lines
# carry the request id, the CRM and the user (config.observability).
LOGGING = logging_config(
    log_format=env.str("LOG_FORMAT", default="console" if DEBUG else "json"),
    level=env.str("LOG_LEVEL", default="INFO"),
)
# Celery's worker keeps the handlers above instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Errors go to Sentry only when a DSN is given; nothing is sent otherwise.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
# --- end of logs and error reports ------------------------------------------------
