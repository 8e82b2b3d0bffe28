"""Django settings, derived from the declared configuration in `harmony_site/config.py`."""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url

from harmony_site.config import (
    KNOBS,
    MIN_API_KEY_LENGTH,
    ConfigError,
    ensure_private_sqlite,
    get_config,
)
from harmony_site.hosts import allowed_host_names
from harmony_site.logs import logging_config
from harmony_site.version import __version__

BASE_DIR = Path(__file__).resolve().parent.parent
HARMONY = get_config()

CONFIG_DIR: Path = HARMONY["CONFIG_DIR"]
DOWNLOADS_DIR: Path = HARMONY["DOWNLOADS_DIR"]
MUSIC_DIR: Path = HARMONY["MUSIC_DIR"]

SECRET_KEY = HARMONY["SECRET_KEY"]
DEBUG = HARMONY["DEBUG"]
# Django cannot express "any IP address", so harmony_site.hosts.HostGuardMiddleware checks the
# Host header against these names (DNS rebinding) and Django itself accepts every host.
HARMONY_ALLOWED_HOSTS = allowed_host_names(HARMONY["ALLOWED_HOSTS"])
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_prometheus",
    "harmony_site",
    "rest_framework_api_key",
    "axes",
    "corsheaders",
    "csp",
    "accounts",
    "providers",
    "library",
    "downloads",
    "harmony_site.integrations",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "harmony_site.logs.RequestIdMiddleware",
    # Outside everything that can fail, so even its errors reach API clients as JSON.
    "harmony_site.api.middleware.ApiErrorMiddleware",
    "harmony_site.hosts.HostGuardMiddleware",
    # Before CORS answers a preflight: open mode refuses other web sites (accounts/origins.py).
    "accounts.origins.OpenModeOriginMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "accounts.csp.HarmonyCSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UILoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "harmony_site.urls"
WSGI_APPLICATION = "harmony_site.wsgi.application"

TEMPLATES = [
    {
        # Django templates, with output UTF-8 can always encode (harmony_site/templates_backend.py).
        "BACKEND": "harmony_site.templates_backend.HarmonyTemplates",
        "NAME": "django",  # the alias DRF's exception pages look up (engines["django"])
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "harmony_site.ui.role_flags",
                "accounts.exposure.api_open_banner",
            ],
        },
    },
]

if HARMONY["DATABASE_URL"]:
    DATABASES = {
        "default": dj_database_url.parse(
            HARMONY["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
else:
    ensure_private_sqlite(CONFIG_DIR / "harmony.db")
    # Several processes write (gunicorn workers and the task cluster): WAL lets readers run
    # beside the writer, IMMEDIATE takes the write lock up front so a transaction waits for the
    # busy timeout instead of failing with "database is locked" on its first write, and
    # synchronous=FULL because Harmony promises to lose nothing on power loss.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": CONFIG_DIR / "harmony.db",
            # Reuse a worker's connection for a minute: opening one (and re-reading the schema)
            # costs about a millisecond, a sizeable share of a small API request.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": HARMONY["SQLITE_BUSY_TIMEOUT"],
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
                ),
            },
            # A file, not :memory:, so multi-process tests share one test database.
            "TEST": {"NAME": str(CONFIG_DIR / "test_harmony.db")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = HARMONY["TIME_ZONE"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the source folders as well, so a checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    # Conventions of the REST API (harmony_site/api/, docs/api.md): one error shape, JSON only,
    # page-number pagination, django-filter + ordering on list endpoints.
    "DEFAULT_SCHEMA_CLASS": "harmony_site.api.schema.HarmonyAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["harmony_site.api.renderers.HarmonyJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["harmony_site.api.parsers.JSONParser"],
    "URL_FORMAT_OVERRIDE": None,  # JSON only; frees `?format=` for filters
    "EXCEPTION_HANDLER": "harmony_site.api.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "harmony_site.api.pagination.HarmonyPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Access control: docs/operations/security.md. Views narrow it with accounts.auth classes.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.APIKeyAuthentication",
        "accounts.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.auth.IsViewerReadAdminWrite"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.auth.CallerRateThrottle"],
}

# django-q2 delivers tasks; Harmony counts attempts itself (see docs/architecture/hdm.md).
# The HDM's knobs, read through `downloads.jobs.conf.knob()` so tests can override them per test.
HDM = {knob.name: HARMONY[knob.name] for knob in KNOBS if knob.section == "Downloads"}
# Watchlist knobs (downloads/watchlists.py), overridable per test like HDM.
WATCHLISTS = {knob.name: HARMONY[knob.name] for knob in KNOBS if knob.section == "Watchlists"}
# Integration knobs (integrations/conf.py), overridable per test like HDM.
INTEGRATIONS = {k.name: HARMONY[k.name] for k in KNOBS if k.section == "Integrations"}

Q_CLUSTER = {
    "name": "harmony",
    "orm": "default",
    "workers": HARMONY["HDM_WORKERS"],
    "timeout": HARMONY["HDM_TASK_TIMEOUT_S"],
    # Redelivery after a lost worker must come well after the task timeout, or a slow task
    # would run twice; Harmony's own sweeper re-runs lost jobs long before this anyway.
    "retry": max(HARMONY["HDM_TASK_RETRY_S"], 2 * HARMONY["HDM_TASK_TIMEOUT_S"]),
    "ack_failures": True,
    "max_attempts": 1,
    "catch_up": False,
    # Successful tasks are not stored: saving one cost a prune scan and two writes per task
    # (docs/benchmarks.md). Failures still are, and the DLQ is Harmony's own dead jobs.
    "save_limit": -1,
}
if HARMONY["HARMONY_BROKER_URL"].startswith(("redis://", "rediss://", "unix://")):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = HARMONY["HARMONY_BROKER_URL"]

# JSON lines on stdout with request ids; configured secrets are redacted (harmony_site/logs.py).
LOGGING = logging_config(HARMONY["LOG_LEVEL"])

# Shared by the gunicorn workers and the task cluster on this host: django-q2 publishes its
# cluster state here (GET /api/v1/status), and counters such as throttles stay consistent.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(CONFIG_DIR / "cache"),
    }
}

# --- Security (accounts; docs/operations/security.md, docs/ui/csp.md) ---------------------
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses a locked-out user name + IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.AdminRoleBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/ui/"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_AGE = HARMONY["SESSION_AGE"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HARMONY["UI_COOKIES_SECURE"]
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HARMONY["UI_COOKIES_SECURE"]
CSRF_COOKIE_HTTPONLY = True  # pages carry the token in <body hx-headers>; scripts never read it
CSRF_TRUSTED_ORIGINS = HARMONY["CSRF_TRUSTED_ORIGINS"]
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HARMONY["BEHIND_PROXY"]:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HARMONY["TLS_ENABLED"]:
    SECURE_SSL_REDIRECT = True
    # Probes, metrics scrapers and the loopback OAuth callback bind speak plain HTTP.
    SECURE_REDIRECT_EXEMPT = [
        r"^live$",
        r"^api/health/",
        r"^api/v1/health$",
        r"^api/v1/metrics$",
        r"^callback$",
    ]
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # Harmony cannot speak for sibling hosts.
# HSTS for subdomains and the preload list are decisions for the domain's owner (set them at
# the reverse proxy), not for one application on it.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Strict CSP: no inline script or style anywhere. Path exceptions live in accounts/csp.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://i.scdn.co"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
    }
}

CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = "*" in HARMONY["ALLOWED_ORIGINS"]
CORS_ALLOWED_ORIGINS = [o for o in HARMONY["ALLOWED_ORIGINS"] if o != "*"]
CORS_ALLOW_CREDENTIALS = False  # API clients authenticate with a key header, never cookies.
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "idempotency-key", "x-api-key"]

AXES_FAILURE_LIMIT = HARMONY["LOGIN_FAILURE_LIMIT"]
AXES_COOLOFF_TIME = timedelta(minutes=HARMONY["LOGIN_COOLOFF_MINUTES"])
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "accounts.auth.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2"]

if any(len(key) < MIN_API_KEY_LENGTH for key in HARMONY["HARMONY_API_KEYS"]):
    # A short shared key is guessable despite the failure throttle; refuse it at start-up.
    raise ConfigError(
        f"HARMONY_API_KEYS: every key must be at least {MIN_API_KEY_LENGTH} characters long"
    )
API_KEY_FAILURE_LIMIT = HARMONY["API_KEY_FAILURE_LIMIT"]
API_KEY_FAILURE_WINDOW_S = HARMONY["LOGIN_COOLOFF_MINUTES"] * 60
_rate = HARMONY["API_THROTTLE_RATE"]
if _rate and not re.fullmatch(r"\d+/[smhd]\w*", _rate):
    raise ConfigError(f"API_THROTTLE_RATE must look like 600/minute, got {_rate!r}")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"caller": _rate or None}

# --- REST API (harmony_site/api/, docs/api.md) --------------------------------------------
# Django's own limit for form bodies; JSON bodies are capped by ApiErrorMiddleware (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = HARMONY["API_MAX_BODY_BYTES"]
SPECTACULAR_SETTINGS = {
    "TITLE": "Harmony API",
    "DESCRIPTION": "Harmony's REST API. Conventions, authentication and flows: docs/api.md.",
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api(/v1)?",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LibraryFileStateEnum": "library.models.LibraryFile.State",
        "ScanStateEnum": "library.models.ScanRun.State",
        "AuditKindEnum": "library.models.AuditEvent.Kind",
        "JobKindEnum": "downloads.models.JobKind",
        "JobStateEnum": "downloads.models.JobState",
        "JobScopeEnum": "downloads.models.JobScope",
        "DeadReasonEnum": "downloads.models.DeadReason",
        "CandidateStateEnum": "downloads.models.Candidate.State",
        "ProbeStateEnum": "providers.api.serializers.PROBE_STATES",
        "WatchlistKindEnum": "downloads.models.Watchlist.Kind",
        "WatchlistSyncStatusEnum": "downloads.models.WatchlistSync.Status",
        "SubmitStatusEnum": "downloads.api.serializers.SUBMIT_STATUSES",
        "ProviderNameEnum": "providers.api.serializers.PROVIDERS",
        "IntegrationKindEnum": "harmony_site.integrations.models.Kind",
        "IntegrationEventEnum": "harmony_site.integrations.services.SUBSCRIBABLE",
        "EventKindEnum": "harmony_site.integrations.models.EventKind",
        "DeliveryStateEnum": "harmony_site.integrations.models.Delivery.State",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "harmony_site.api.schema.add_plain_endpoints",
    ],
}
