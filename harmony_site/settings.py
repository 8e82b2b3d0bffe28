"""Django settings, derived from the declared configuration in `harmony_site/config.py`."""

from pathlib import Path

import dj_database_url

from harmony_site.config import get_config

BASE_DIR = Path(__file__).resolve().parent.parent
HARMONY = get_config()

CONFIG_DIR: Path = HARMONY["CONFIG_DIR"]
DOWNLOADS_DIR: Path = HARMONY["DOWNLOADS_DIR"]
MUSIC_DIR: Path = HARMONY["MUSIC_DIR"]

SECRET_KEY = HARMONY["SECRET_KEY"]
DEBUG = HARMONY["DEBUG"]
ALLOWED_HOSTS = HARMONY["ALLOWED_HOSTS"]

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
    "accounts",
    "providers",
    "library",
    "downloads",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "harmony_site.urls"
WSGI_APPLICATION = "harmony_site.wsgi.application"

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

if HARMONY["DATABASE_URL"]:
    DATABASES = {
        "default": dj_database_url.parse(
            HARMONY["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
else:
    # Several processes write (gunicorn workers and the task cluster): WAL lets readers run
    # beside the writer, IMMEDIATE takes the write lock up front so a transaction waits for the
    # busy timeout instead of failing with "database is locked" on its first write, and
    # synchronous=FULL because Harmony promises to lose nothing on power loss.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": CONFIG_DIR / "harmony.db",
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# django-q2 delivers tasks; Harmony counts attempts itself (see docs/architecture/hdm.md).
Q_CLUSTER = {
    "name": "harmony",
    "orm": "default",
    "workers": 2,
    "timeout": 300,
    "retry": 900,
    "ack_failures": True,
    "max_attempts": 1,
    "catch_up": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": HARMONY["LOG_LEVEL"]},
}
