"""Settings for the Một cửa Survey portal.

Every value comes from the environment (django-environ). With nothing set the
portal runs on SQLite (WAL) with an embedded, file-based Celery broker, so a
new machine needs no services. Set ``DJANGO_ENV=production`` and the portal
refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, production or test, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    # No defaults for secrets in production: fail loudly instead.
    try:
        SECRET_KEY = env.str("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "Production settings need SECRET_KEY and ALLOWED_HOSTS in the environment."
        ) from exc
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must not be empty in production.")
    DEBUG = env.bool("DEBUG", default=False)
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-not-for-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DEBUG = env.bool("DEBUG", default=True)

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally (no CDN)
    "django_filters",
    "django_celery_beat",
    "portal",
    "offices",
    "surveys",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.scope",
            ],
        },
    },
]

# Database: SQLite (WAL, immediate transactions) unless DATABASE_URL says otherwise.
SQLITE_PATH = env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "db.sqlite3"))
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Measured: WAL + IMMEDIATE + a 20 s timeout avoids "database is locked"
    # when the web process and a Celery worker write at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal-home"
LOGOUT_REDIRECT_URL = "portal-home"

# Vietnamese first; English complete.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve static files straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: an embedded broker on the file system unless CELERY_BROKER_URL is set.
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / "var" / "celery")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="fsatomic://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith(("fsatomic", "filesystem"))
    else {}
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Một cửa Survey API",
    "DESCRIPTION": "Dossiers, survey responses and statistics of the one-stop satisfaction portal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DossierChannelEnum": "offices.models.Channel.choices",
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mot-cua-survey@localhost")
SMS_BACKEND = env.str("SMS_BACKEND", default="surveys.sms.ConsoleSMSBackend")

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://")
    if "CACHE_URL" in env
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if "CACHE_URL" not in env and "REDIS_URL" in env:
    # Rate limits must be shared by every web process: use Redis when it is there.
    # Seconds to connect to or hear from Redis: the cache holds rate-limit counts only,
    # so a Redis that stops answering costs a submission this long at most, never a hang.
    _redis_timeout = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("REDIS_URL"),
        "OPTIONS": {"socket_connect_timeout": _redis_timeout, "socket_timeout": _redis_timeout},
    }

# Submissions allowed per client IP and per kiosk device ("count/window": s, m, h, d).
SURVEY_RATE_LIMIT_IP = env.str("SURVEY_RATE_LIMIT_IP", default="30/10m")
SURVEY_RATE_LIMIT_DEVICE = env.str("SURVEY_RATE_LIMIT_DEVICE", default="600/h")
# With Redis: seconds between a web process's syncs of its rate-limit counts (0: one
# round trip per submission, exact across processes; see surveys.ratelimit).
SURVEY_RATE_LIMIT_SYNC_SECONDS = env.float(
    "SURVEY_RATE_LIMIT_SYNC_SECONDS", default=0.25 if PRODUCTION else 0.0
)
# Seconds each web process keeps an office and its questionnaire for submissions (0: off).
SURVEY_CONFIG_CACHE_SECONDS = env.int(
    "SURVEY_CONFIG_CACHE_SECONDS", default=30 if PRODUCTION else 0
)
# Run a response's integrity checks and follow-up hook in the web process right after
# it is stored (development, tests) instead of only in the minutely beat task.
SURVEY_CHECK_INLINE = env.bool("SURVEY_CHECK_INLINE", default=not PRODUCTION)

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Kiosks and integrity checks (surveys.kiosk_auth, surveys.integrity).
KIOSK_SETUP_HOURS = env.int("KIOSK_SETUP_HOURS", default=24)
KIOSK_IDLE_SECONDS = env.int("KIOSK_IDLE_SECONDS", default=60)
KIOSK_THANKS_SECONDS = env.int("KIOSK_THANKS_SECONDS", default=5)
KIOSK_RETRY_SECONDS = env.int("KIOSK_RETRY_SECONDS", default=15)
INTEGRITY_BURST_MINUTES = env.int("INTEGRITY_BURST_MINUTES", default=5)
INTEGRITY_BURST_MAX_DEVICE = env.int("INTEGRITY_BURST_MAX_DEVICE", default=10)
INTEGRITY_BURST_MAX_IP = env.int("INTEGRITY_BURST_MAX_IP", default=5)
INTEGRITY_ALL_MAX_RUN = env.int("INTEGRITY_ALL_MAX_RUN", default=15)
INTEGRITY_READING_BASE_SECONDS = env.int("INTEGRITY_READING_BASE_SECONDS", default=1)
INTEGRITY_READING_SECONDS_PER_QUESTION = env.float(
    "INTEGRITY_READING_SECONDS_PER_QUESTION", default=1.0
)
INTEGRITY_HOURS_GRACE_MINUTES = env.int("INTEGRITY_HOURS_GRACE_MINUTES", default=30)
INTEGRITY_OFFICER_MINUTES = env.int("INTEGRITY_OFFICER_MINUTES", default=30)
INTEGRITY_OFFICER_MIN = env.int("INTEGRITY_OFFICER_MIN", default=5)

# Dashboards, public scoreboard, alerts and digests (reports.views, reports.alerts).
PUBLIC_SCOREBOARD_MIN_ANSWERS = env.int("PUBLIC_SCOREBOARD_MIN_ANSWERS", default=30)
ALERT_NEGATIVE_WINDOW_MINUTES = env.int("ALERT_NEGATIVE_WINDOW_MINUTES", default=60)
ALERT_NEGATIVE_MIN_RATINGS = env.int("ALERT_NEGATIVE_MIN_RATINGS", default=4)
ALERT_NEGATIVE_SHARE = env.float("ALERT_NEGATIVE_SHARE", default=0.5)
ALERT_SILENT_WORKING_DAYS = env.int("ALERT_SILENT_WORKING_DAYS", default=3)
if not 0 < ALERT_NEGATIVE_SHARE <= 1:
    raise ImproperlyConfigured("ALERT_NEGATIVE_SHARE must be a fraction in (0, 1].")
# Dashboard figures are cached per page and filter until the next roll-up refresh (0: off).
REPORTS_CACHE_SECONDS = env.int("REPORTS_CACHE_SECONDS", default=300)
