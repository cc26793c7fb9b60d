"""Roger's one settings module: every value that differs between machines comes from the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default)
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, got {value!r}")
    return value == "True"


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", "True")
SECRET_KEY = envsecret("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is False")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# The absolute address of this Roger, used in the marker written into ERP entries (their link back to Roger).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Search without diacritics on PostgreSQL (unaccent, trigram indexes); harmless on SQLite.
    "django.contrib.postgres",
    "django_htmx",
    "django_q",
    "roger",
    "documents",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language, or the language cookie the switcher sets) ...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ... unless the signed-in user chose one in their profile (kept in the session: no query per request).
    "roger.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "roger.middleware.HtmxMessagesMiddleware",
    # Django answers a wrong method with an empty 405; people get a page that says what happened.
    "roger.middleware.MethodNotAllowedPageMiddleware",
    # Staff in no company (the operator) opening Roger's pages land in /admin/, not on a 403.
    "roger.middleware.StaffWithoutCompanyMiddleware",
]

ROOT_URLCONF = "roger.urls"
WSGI_APPLICATION = "roger.wsgi.application"

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
                "roger.context_processors.membership",
                "roger.context_processors.languages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'roger.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two processes (web + worker) share the file: WAL and IMMEDIATE transactions avoid "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if os.environ.get("DATABASE_TEST_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents:list"
LOGOUT_REDIRECT_URL = "login"

# --- languages and formats (R18) ---------------------------------------------------------------------------
# Danish and English; the user's choice in their profile wins, then the browser's Accept-Language.  English is
# the fallback for a browser that asks for neither (a reader of another language more likely reads English).
LANGUAGE_CODE = "en"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Copenhagen")
USE_I18N = True
USE_TZ = True
# Roger's English formats are unambiguous and 24-hour (1 Oct 2026, 14:30), not the US defaults of Django's "en".
FORMAT_MODULE_PATH = ["roger.formats"]
# Off on purpose: with it on, Django would also group every integer a template prints — ids in URLs, form values
# and data attributes ("doc-1.234").  Amounts are grouped explicitly instead: the ``money`` filter, and
# ``roger.amounts.AmountField`` reads the locale's thousands separator (documents/forms.py).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Documents' files (R17) go through Django's storage API: the file system under ROGER_MEDIA_ROOT by default, or any
# django-storages backend (ROGER_FILE_STORAGE="storages.backends.s3.S3Storage" with ROGER_FILE_STORAGE_OPTIONS as
# JSON).  They are never served from a public URL: a view checks the reader's company first.
MEDIA_ROOT = Path(os.environ.get("ROGER_MEDIA_ROOT", str(BASE_DIR / "media")))
ROGER_DOCUMENT_MAX_BYTES = envint("ROGER_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("ROGER_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("ROGER_FILE_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- security (``manage.py check --deploy`` clean when DEBUG is False) ---------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept readable by default
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- credentials at rest: Fernet keys, newest first (MultiFernet; rotate with `manage.py rotate_credentials`)
ROGER_CREDENTIAL_KEYS = envlist("ROGER_CREDENTIAL_KEYS", "")
if not ROGER_CREDENTIAL_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("ROGER_CREDENTIAL_KEYS must be set when DEBUG is False")
    # A fixed development key so the demo's stored tokens survive restarts; never used with DEBUG off.
    ROGER_CREDENTIAL_KEYS = ["ZGV2LW9ubHktcm9nZXItY3JlZGVudGlhbC1rZXkhISE="]

# --- ERPs: real hosts by default; `make run` points them at the sandbox -----------------------------------
ROGER_SANDBOX_URL = os.environ.get("ROGER_SANDBOX_URL", "http://127.0.0.1:8765").rstrip("/")
XERO_LOGIN_URL = os.environ.get("XERO_LOGIN_URL", "https://login.xero.com")
XERO_IDENTITY_URL = os.environ.get("XERO_IDENTITY_URL", "https://identity.xero.com")
XERO_API_URL = os.environ.get("XERO_API_URL", "https://api.xero.com")
XERO_GO_URL = os.environ.get("XERO_GO_URL", "https://go.xero.com")
XERO_CLIENT_ID = os.environ.get("XERO_CLIENT_ID", "")
XERO_CLIENT_SECRET = envsecret("XERO_CLIENT_SECRET")
# Xero apps created on or after 2 March 2026 get only granular scopes (Roger's default); an older app may ask for
# the broad ones until September 2027 (XERO_BROAD_SCOPES=True), or any space-separated list (XERO_SCOPES).
XERO_SCOPES = tuple(os.environ.get("XERO_SCOPES", "").split())
XERO_BROAD_SCOPES = envbool("XERO_BROAD_SCOPES", "False")
# Seconds to wait for an ERP's answer; past it the outcome of a write is unknown and is reconciled later.
ROGER_ERP_TIMEOUT = (3.05, float(os.environ.get("ROGER_ERP_READ_TIMEOUT", "30")))
ECONOMIC_API_URL = os.environ.get("ECONOMIC_API_URL", "https://restapi.e-conomic.com")
# The newer OpenAPI services (Journals, BookedEntries): <ECONOMIC_APIS_URL>/<service>api/vN/…
ECONOMIC_APIS_URL = os.environ.get("ECONOMIC_APIS_URL", "https://apis.e-conomic.com")
ECONOMIC_APP_URL = os.environ.get("ECONOMIC_APP_URL", "https://secure.e-conomic.com")
ECONOMIC_APP_SECRET_TOKEN = envsecret("ECONOMIC_APP_SECRET_TOKEN")

# --- the sync engine ------------------------------------------------------------------------------------
ROGER_SYNC = {
    # A batch's lease; renewed before each write and whenever a third of it has passed, so it must cover one ERP
    # call and its token refresh with a third gone (checked at start-up, integrations/checks.py).
    "LEASE_SECONDS": envint("ROGER_SYNC_LEASE_SECONDS", "240"),
    # After a write whose outcome is unknown (a timeout, a killed worker), the longest the ERP may still be
    # processing it when the ERP documents no bound of its own.  Nothing is written to that entry again before.
    # Neither Xero nor e-conomic documents one; Xero's own developer evangelist reported a single API call taking
    # 235 s (XeroAPI/xero-python#49), so ten minutes leaves a wide margin.
    "WRITE_SETTLE_SECONDS": float(os.environ.get("ROGER_WRITE_SETTLE_SECONDS", "600")),
    "MAX_ATTEMPTS": envint("ROGER_SYNC_MAX_ATTEMPTS", "6"),  # temporary failures before Requires attention
    "BACKOFF_BASE_SECONDS": float(os.environ.get("ROGER_SYNC_BACKOFF_BASE", "5")),
    "BACKOFF_CAP_SECONDS": float(os.environ.get("ROGER_SYNC_BACKOFF_CAP", "900")),
    "BULK_MAX_DOCUMENTS": envint("ROGER_BULK_MAX_DOCUMENTS", "5000"),
    "BATCH_SIZE": envint("ROGER_SYNC_BATCH_SIZE", "50"),
    # A worker draining one integration hands over after this long when others have work due (fairness).
    "TURN_SECONDS": float(os.environ.get("ROGER_SYNC_TURN_SECONDS", "2")),
}

# Per integration kind, a little under the ERP's published limits (Xero: 60/min, 5 concurrent, 5,000/day per
# organisation; e-conomic: 50,000 calls a day per agreement).  ROGER_RATE_LIMITS_OFF=True lifts them (benchmarks
# against an unlimited sandbox); ROGER_RATE_TIME_SCALE matches a sandbox whose clock runs faster.
ROGER_RATE_LIMITS = (
    {}
    if envbool("ROGER_RATE_LIMITS_OFF", "False")
    else {
        "xero": {"per_minute": 58, "concurrent": 4, "per_day": 4900},
        "economic": {"per_minute": 600, "concurrent": 8, "per_day": 48000},
    }
)
ROGER_RATE_TIME_SCALE = float(os.environ.get("ROGER_RATE_TIME_SCALE", "1"))
# The longest a worker sleeps for a rate-limit slot; a longer wait (a day limit, a long Retry-After) parks the job.
ROGER_RATE_MAX_WAIT = float(os.environ.get("ROGER_RATE_MAX_WAIT", "20"))

# --- django-q2 (DESIGN §5): ORM broker on `default` so an enqueue joins the caller's transaction;
# timeout < retry so a running task is never re-delivered; failures acknowledged because the engine's
# SyncJob rows, not django-q2, own retries and backoff.
Q_CLUSTER = {
    "name": "roger",
    "orm": "default",
    "workers": envint("Q_WORKERS", "2"),
    "timeout": envint("Q_TIMEOUT", "300"),
    "retry": envint("Q_RETRY", "420"),
    "ack_failures": True,
    "max_attempts": 1,
    "save_limit": 500,
    "catch_up": False,
    "poll": float(os.environ.get("Q_POLL", "0.2")),
    "sync": envbool("Q_SYNC", "False"),
    "label": "Task queue",
}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
else:
    # Nothing in Roger relies on a shared cache (limits and leases live in the database), so a local one is
    # enough; with REDIS_URL set, django-q2's monitor stats become visible across processes too.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
