"""Techmap settings: one module, driven by environment variables (12-factor).

Every variable is listed, with its default and meaning, in the README's
"Configuration" section. Secrets may also come from a file: for any variable
``X`` below read with :func:`env`, ``X_FILE`` names a file holding the value
(Docker and Kubernetes secrets).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """The variable's value, or the contents of the file named by ``NAME_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


class MissingSetting(ImproperlyConfigured):
    """Raised at start-up when production lacks a required variable."""


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = "pytest" in sys.modules or DJANGO_ENV == "test"


def required(name: str, development_default: str) -> str:
    value = env(name)
    if value:
        return value
    if PRODUCTION:
        raise MissingSetting(f"{name} must be set when DJANGO_ENV=production.")
    return development_default


SECRET_KEY = required("SECRET_KEY", "django-insecure-local-development-only")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise MissingSetting("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
DEBUG = env_bool("DEBUG", default=DJANGO_ENV == "development" and not TESTING)
# With DEBUG on, 404 and 500 still show the GOV.UK pages unless DEBUG_PAGES=1 asks for
# Django's debug pages (techmap.middleware.GovukErrorPagesMiddleware).
DEBUG_PAGES = env_bool("DEBUG_PAGES", default=False)
# make run's port; links in emails and exports follow it unless SITE_URL is set.
PORT = env("PORT", "8000") or "8000"
SITE_URL = (env("SITE_URL") or f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    # Failed sign-ins, throttled per account and per IP; attempts and lockouts in admin.
    "axes",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_celery_beat",
    "django_prometheus",
    # The shared layer: its template tags (core/templatetags), no models.
    "core",
    "techmap",
    "accounts",
    "suppliers",
    "engagement",
    "reporting",
    "innovation_den",
]

MIDDLEWARE = [
    # First: every response and log line of a request carries its id.
    "techmap.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before anything validates the Host header: Docker calls 127.0.0.1:8000/healthz.
    "techmap.middleware.OperationsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below), on every page.
    "csp.middleware.CSPMiddleware",
    # Before sessions: a session saved at the end of a request counts as its write.
    "techmap.db_router.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a sign-in refused for too many failures into the GOV.UK lockout page.
    "axes.middleware.AxesMiddleware",
    "techmap.middleware.GovukErrorPagesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "techmap.urls"
WSGI_APPLICATION = "techmap.wsgi.application"
ASGI_APPLICATION = "techmap.asgi.application"
SITE_ID = 1

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
                "techmap.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
# Without DATABASE_URL, manage.py / make run / pytest start an embedded
# PostgreSQL (techmap/embedded.py) and export its URL before settings load.
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    if PRODUCTION:
        raise MissingSetting("DATABASE_URL must be set when DJANGO_ENV=production.")
    DATABASE_URL = "postgres://postgres@127.0.0.1:5432/techmap"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(env("CONN_MAX_AGE", "60") or 0),
        conn_health_checks=True,
    )
}
# A database host that does not answer fails a request in seconds instead of holding a worker.
# A restarted server is survived by the health check above: each request's first query
# replaces a connection that the restart closed (tests/techmap/test_faults_postgres.py).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL backend, counting queries and their time for /metrics.
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
DATABASES["default"]["TEST"] = {"NAME": env("TECHMAP_TEST_DB") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A streaming standby of DATABASE_URL: read-only pages read from it (techmap/db_router.py),
# everything else, every task and every migration uses the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"]["ENGINE"] = DATABASES["default"]["ENGINE"]
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["techmap.db_router.PrimaryReplicaRouter"]
# After a write, that browser reads from the primary this long (longer than replay lag).
DATABASE_REPLICA_PIN_SECONDS = int(env("DATABASE_REPLICA_PIN_SECONDS", "10") or 0)
# GET and HEAD under these paths read from the replica: search, profiles, the market map,
# API reads and exports.
DATABASE_REPLICA_PATHS = (
    "/suppliers/",
    "/techmap/",
    "/api/v1/",
    "/reporting/benchmarks/",
    "/reporting/downloads/",
    "/reporting/suppliers/",
    "/den/lessons/",
)

# --- Redis, cache, Celery -------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if not REDIS_URL:
    if PRODUCTION:
        raise MissingSetting("REDIS_URL must be set when DJANGO_ENV=production.")
    REDIS_URL = "redis://127.0.0.1:6379/0"

# Redis answers on a local network in well under a millisecond: a call that takes longer than
# this has found it down or frozen (SIGSTOP, a dead network path), and gives up, so no request
# waits on it. The cache then fails open (core/cache.py) and a task is left for its sweep.
REDIS_SOCKET_TIMEOUT = float(env("REDIS_SOCKET_TIMEOUT", "0.5") or 0.5)

CACHES = {
    "default": {
        # Django's RedisCache, answering as an empty cache (and logging) while Redis is down.
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "techmap-test" if TESTING else "techmap",
        "TIMEOUT": 300,
        "OPTIONS": {
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
}

# TECHMAP_TEST_BROKER_URL is set by the pytest plugin (techmap/testing.py).
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or env("TECHMAP_TEST_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = None  # tasks write their results to the database
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task is killed well before Redis would hand its message to another worker,
# so a slow task is never run twice at once.
CELERY_BROKER_VISIBILITY_TIMEOUT = 3600
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # A publish to a frozen broker gives up instead of waiting for minutes (the worker's
    # BRPOP is read by its event loop only when the socket is readable, so this is no limit
    # on how long it waits for work).
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
}
# One quick retry (a pooled connection that a broker restart closed), then core.tasks.enqueue
# gives up and the task's periodic sweep sends the work later: a request waits about a second
# at most for a broker that does not answer.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = "Europe/London"
# django-celery-beat keeps the schedule in the database so moderators can change
# the nightly time in admin; CELERY_BEAT_SCHEDULE gives the defaults: beat creates an entry
# the database lacks and never overwrites one it has (techmap/beat.py). Every task an entry
# names is guarded by core.tasks.single_flight, so two workers or two beats do its work once.
CELERY_BEAT_SCHEDULER = "techmap.beat:DefaultsOnlyScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "send-pending-emails": {
        "task": "accounts.tasks.send_pending_emails",
        "schedule": timedelta(minutes=1),
    },
    "engagement-close-due-requests": {
        "task": "engagement.tasks.close_due_requests",
        "schedule": timedelta(minutes=5),
    },
    "engagement-send-pending-alerts": {
        "task": "engagement.tasks.send_pending_alerts",
        "schedule": timedelta(minutes=5),
    },
    "engagement-weekly-alert-digests": {
        "task": "engagement.tasks.send_weekly_alert_digests",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
}
NIGHTLY_HOUR = int(env("NIGHTLY_HOUR", "2") or 2)
NIGHTLY_CRONTAB = crontab(hour=NIGHTLY_HOUR, minute=0)
# After NIGHTLY_CRONTAB, which it uses (the dict above is defined before it).
CELERY_BEAT_SCHEDULE["reporting-nightly-comparison"] = {
    "task": "reporting.tasks.run_nightly_comparison",
    "schedule": NIGHTLY_CRONTAB,
}
# Each night, an active contract past its end date becomes terminated (nothing "Active" ended).
CELERY_BEAT_SCHEDULE["reporting-end-finished-contracts"] = {
    "task": "reporting.tasks.end_finished_contracts",
    "schedule": NIGHTLY_CRONTAB,
}
CELERY_BEAT_SCHEDULE["den-remind-overdue-trials"] = {
    "task": "innovation_den.tasks.remind_overdue_trials",
    "schedule": NIGHTLY_CRONTAB,
}
# Public contract data from Contracts Finder and Find a Tender, after the publishers' own
# overnight runs; the comparison and reminders above do not depend on it.
# Each morning, moderators get one email saying what waits for them (nothing waiting, none).
CELERY_BEAT_SCHEDULE["moderation-daily-digest"] = {
    "task": "suppliers.tasks.send_moderation_digest",
    "schedule": crontab(hour=7, minute=30),
}
CELERY_BEAT_SCHEDULE["suppliers-fetch-public-contracts"] = {
    "task": "suppliers.tasks.fetch_public_contracts",
    "schedule": crontab(hour=(NIGHTLY_HOUR + 1) % 24, minute=30),
}

# A registry search without words reads every published supplier: cache it briefly.
SUPPLIER_SEARCH_CACHE_SECONDS = int(
    env("SUPPLIER_SEARCH_CACHE_SECONDS", "0" if TESTING else "60") or 0
)
# A page of /api/v1/suppliers/ is kept whole this long, and let go as soon as the register
# changes (suppliers.registry_version); 0 turns it off (tests turn it on where they need it).
API_LIST_CACHE_SECONDS = int(env("API_LIST_CACHE_SECONDS", "0" if TESTING else "60") or 0)

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "user_home"  # /home/: what waits for each role
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# allauth's forms with GOV.UK labels, hints, messages and a crispy-forms-gds helper.
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "add_email": "accounts.forms.AddEmailForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Techmap: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# False turns allauth's limits off in tests ({} would keep its defaults, counted in
# Redis across test runs, so a re-run could not send a second confirmation email).
ACCOUNT_RATE_LIMITS = False if TESTING else {"login_failed": "10/m/ip,5/5m/key"}
# django-axes: after AXES_FAILURE_LIMIT failed sign-ins for one account, or from one
# address, further sign-ins for it are refused for AXES_COOLOFF_TIME (the allauth form
# and Django admin alike). Moderators see attempts and lockouts in admin, and unlock there
# (or `manage.py axes_reset`). Off in tests, whose many sign-ins share one address; the
# sign-in throttle tests turn it on.
AXES_ENABLED = env_bool("AXES_ENABLED", not TESTING)
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "10") or 10)
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15") or 15))
# Each of these alone: one account from anywhere, or one address whatever account it tries.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.views.signin_username"
AXES_CLIENT_IP_CALLABLE = "accounts.views.signin_client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.signin_locked"
# Failures only: a row per successful sign-in would grow without end.
AXES_DISABLE_ACCESS_LOG = True
# Civil-servant status is earned by a verified address on one of these domains
# (sub-domains match: cabinetoffice.gov.uk is on gov.uk).
GOV_EMAIL_DOMAINS = env_list("GOV_EMAIL_DOMAINS", "gov.uk")
# Who reads the beta banner's feedback (emailed through the outbox, so moderators also
# see each one in admin's outbox); FEEDBACK_PER_HOUR limits each address's sends.
FEEDBACK_EMAIL = env_list("FEEDBACK_EMAIL", "feedback@techmap.service.gov.uk")
FEEDBACK_PER_HOUR = int(env("FEEDBACK_PER_HOUR", "10") or 10)

# --- Email ----------------------------------------------------------------------
# Outside production nothing is delivered: every email stays readable in the outbox at
# /dev/emails/ (techmap/dev_emails.py), and none scrolls the make run console away.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.dummy.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Techmap <no-reply@techmap.service.gov.uk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
# collectstatic writes here for production (the Docker image); locally and in
# tests WhiteNoise serves straight from STATICFILES_DIRS through the finders.
STATIC_ROOT = env("STATIC_ROOT", str(BASE_DIR / "staticfiles")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # GOV.UK Frontend from npm (package.json); its assets are served at
    # /static/govuk/assets/, which static/build/app.css is compiled to expect.
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Forms ----------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"
CRISPY_FAIL_SILENTLY = not DEBUG

# --- REST framework -------------------------------------------------------------
# Conventions for every endpoint are documented at the top of core/api.
# Throttle rates ("N/second|minute|hour|day"): anonymous callers by IP, signed-in
# browser sessions by user, API tokens each on their own budget.
API_THROTTLE_ANON = env("API_THROTTLE_ANON", "100000/minute" if TESTING else "60/minute")
API_THROTTLE_USER = env("API_THROTTLE_USER", "100000/minute" if TESTING else "600/minute")
API_THROTTLE_TOKEN = env("API_THROTTLE_TOKEN", "100000/minute" if TESTING else "1200/minute")
# How many proxies in front of the site append to X-Forwarded-For: the throttles count the
# address the outermost trusted proxy saw. 0 (the default) trusts no header, only the peer.
NUM_PROXIES = int(env("NUM_PROXIES", "0") or 0)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    # Bearer first: its WWW-Authenticate header makes a missing login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ActionPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonThrottle",
        "core.api.throttling.UserThrottle",
        "core.api.throttling.TokenThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON,
        "user": API_THROTTLE_USER,
        "token": API_THROTTLE_TOKEN,
    },
    "NUM_PROXIES": NUM_PROXIES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_VERSIONING_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Techmap API",
    "DESCRIPTION": (
        "Find, engage, compare and trial technology suppliers. Reads are open to everyone; "
        "writes need an API token (`Authorization: Bearer …`) from the API access page of "
        "your Techmap account. Every error has the same JSON shape (`Error`). Lists use "
        "cursor pagination: follow `next` and `previous`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts each one inside its operation's toggle button (axe
    # nested-interactive) at 14 px high (target-size). templates/api/swagger_ui.html.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Apps add their status enums here when two share a field name ("status").
    "ENUM_NAME_OVERRIDES": {
        "SupplierStatusEnum": "suppliers.models.Supplier.Status",
        "SupplierSizeEnum": "suppliers.models.Supplier.Size",
        # hq_region and regions[] share the ITL1 codes (read from the database).
        "RegionCodeEnum": "suppliers.serializers.region_code_choices",
        "DenProposalStatusEnum": "innovation_den.models.Proposal.Status",
        "EngagementRequestStatusEnum": "engagement.models.EngagementRequest.Status",
        "ContractStatusEnum": "reporting.models.Contract.Status",
        "ContractReportStatusEnum": "reporting.models.ContractReport.Status",
        "ComparisonRunStatusEnum": "reporting.models.ComparisonRun.Status",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# --- Security -------------------------------------------------------------------
# Content Security Policy (django-csp): scripts and style sheets only from this site, plus
# the inline ones a template marks with the request's nonce (base.html's GOV.UK Frontend
# "js-enabled" snippet, the reporting pages' <style>, the API docs' <style>). Style
# attributes (style="…") stay allowed: a few templates use them for layout, and they run no
# code. The API docs are Swagger UI from drf-spectacular-sidecar, served from here, with
# its start-up script a file of its own (SpectacularSwaggerSplitView). Tested in a real
# browser: tests/browser/test_csp.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# TLS ends at the proxy in front (docker-compose.yml's Caddy), which tells Django the
# request was HTTPS in this header. Set it empty when nothing in front sets (and strips)
# the header: a client could otherwise claim HTTPS.
SECURE_PROXY_SSL_HEADER_NAME = env(
    "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if PRODUCTION else ""
)
if SECURE_PROXY_SSL_HEADER_NAME:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + SECURE_PROXY_SSL_HEADER_NAME.strip().upper().replace("-", "_"),
        "https",
    )
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logs and metrics -------------------------------------------------------------
# JSON (one object a line, for a log collector) in production, plain text otherwise.
# Either way each record made during a request carries its request_id, and
# techmap.request logs one line per request (method, path, status, duration_ms).
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "techmap.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "techmap.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The one access log, make run included (gunicorn writes none: techmap/gunicorn_conf.py).
        "techmap.request": {"level": "WARNING" if TESTING else "INFO"},
        # Our request line says 404 too; Django's own warning for it would be a second.
        "django.request": {"level": "ERROR"},
    },
}
# /metrics (Prometheus text format) answers only to "Authorization: Bearer METRICS_TOKEN";
# without a token it is 404, so nothing is exposed by accident.
METRICS_TOKEN = env("METRICS_TOKEN", "")

# Demo sign-ins made by seed_demo (never in production).
DEMO_PASSWORD = env("DEMO_PASSWORD", "techmap-demo-2026")
