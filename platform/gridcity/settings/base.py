"""Settings shared by every configuration; values come from the environment (12-factor).

``DATABASE_URL`` points at any PostGIS, logging in as the platform's unprivileged app role;
``GRIDCITY_OWNER_DATABASE_URL`` at the same database as the owner role, for ``gridcity migrate``
only (``gridcity.roles``). Without ``DATABASE_URL`` the embedded cluster under ``.gridcity/`` is
used, with both roles (see ``gridcity.cluster``). ``dev``, ``test`` and ``prod`` refine this module.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from gridcity.cluster import Cluster
from gridcity.errors import SetupError

PLATFORM_DIR = Path(__file__).resolve().parents[2]


def database_from_url(url: str) -> dict[str, object]:
    """A Django DATABASES entry for a ``postgresql://user:pass@host:port/name`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "postgis"):
        raise SetupError(f"DATABASE_URL must start with postgresql:// (got scheme {parts.scheme!r})")
    if not parts.path.strip("/"):
        raise SetupError("DATABASE_URL names no database: postgresql://user:password@host:5432/DBNAME")
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": int(os.environ.get("GRIDCITY_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
    }


def owner_database(app: dict[str, object], url: str | None) -> dict[str, object] | None:
    """The owner role's login (USER, PASSWORD) for the app's database, from
    ``GRIDCITY_OWNER_DATABASE_URL``: the same server and database as ``DATABASE_URL``, another role."""
    if not url:
        return None
    owner = database_from_url(url)
    for key in ("NAME", "HOST", "PORT"):
        if owner[key] != app[key]:
            raise SetupError(f"GRIDCITY_OWNER_DATABASE_URL must name the database of DATABASE_URL with the owner "
                             f"role's login; its {key.lower()} is {owner[key]!r}, DATABASE_URL's {app[key]!r}")
    if owner["USER"] == app["USER"]:
        raise SetupError(f"DATABASE_URL and GRIDCITY_OWNER_DATABASE_URL both log in as {app['USER']!r}: the app "
                         "must run as an unprivileged role and migrations as the owner role (two roles, see "
                         "deploy/db/gridcity-roles.sh)")
    return {"USER": owner["USER"], "PASSWORD": owner["PASSWORD"]}


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


_EXTERNAL = bool(os.environ.get("DATABASE_URL"))
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or Cluster.default().url(role="app"))}
# The owner role's login, used by `gridcity migrate` only (gridcity.roles); None when not given.
GRIDCITY_OWNER_DATABASE = owner_database(
    DATABASES["default"],
    os.environ.get("GRIDCITY_OWNER_DATABASE_URL") or (None if _EXTERNAL else Cluster.default().url(role="owner")))
# The role the platform runs as (DATABASE_URL's): the migrations grant it what it may do.
GRIDCITY_APP_ROLE = str(DATABASES["default"]["USER"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "procrastinate.contrib.django",
    "accounts",
    "audit",
    "layers",
    "jobs",
    "tiles",
    "importers",
    "gridding",
    "fleet",
    "geocoding",
    "webmap",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gridcity.csp.ContentSecurityPolicyMiddleware",
    "gridcity.http_errors.ErrorMiddleware",
]
# Everything the pages load is served by the platform itself (vendored map assets, tiles, APIs);
# tiles.fastpath sends the same header on the token tiles it answers.
GRIDCITY_CSP = os.environ.get("GRIDCITY_CSP") or (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

ROOT_URLCONF = "gridcity.urls"
WSGI_APPLICATION = "gridcity.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
# SPEC §6: complexity and length; demo accounts are made by `gridcity demo`, not through these.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.ComplexityValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "accounts.passwords.SM3PasswordHasher",
]
CSRF_FAILURE_VIEW = "gridcity.http_errors.csrf_failure"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
# SPEC §6: idle sessions end after 10 minutes; each request renews the window.
SESSION_COOKIE_AGE = int(os.environ.get("GRIDCITY_SESSION_IDLE_SECONDS", "600"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
# SPEC §6: lockout after at most 5 failed logins, throttled by source address too (accounts.lockout):
# failures on one account from one address, from one address on any accounts, on one account from all.
GRIDCITY_LOCKOUT_ATTEMPTS = int(os.environ.get("GRIDCITY_LOCKOUT_ATTEMPTS", "5"))
GRIDCITY_ADDRESS_ATTEMPTS = int(os.environ.get("GRIDCITY_ADDRESS_ATTEMPTS", "20"))
GRIDCITY_ACCOUNT_ATTEMPTS = int(os.environ.get("GRIDCITY_ACCOUNT_ATTEMPTS", "20"))
GRIDCITY_LOCKOUT_MINUTES = int(os.environ.get("GRIDCITY_LOCKOUT_MINUTES", "15"))
# Proxies in front of the app that append the client's address to X-Forwarded-For (compose nginx: 1).
GRIDCITY_TRUSTED_PROXIES = int(os.environ.get("GRIDCITY_TRUSTED_PROXIES", "0"))
# API tokens (accounts.tokens): the session's idle limit, and an absolute lifetime.
GRIDCITY_TOKEN_IDLE_SECONDS = SESSION_COOKIE_AGE
GRIDCITY_TOKEN_LIFETIME_HOURS = float(os.environ.get("GRIDCITY_TOKEN_LIFETIME_HOURS", "12"))
# SPEC §6: password expiry (0: never); an expired password must be changed before anything else.
GRIDCITY_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("GRIDCITY_PASSWORD_MAX_AGE_DAYS", "90"))

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Collected static files (production images set it; development serves them from the apps via WhiteNoise).
STATIC_ROOT = os.environ.get("GRIDCITY_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("GRIDCITY_MAX_BODY_BYTES", str(10 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # 三员 and password expiry (accounts.permissions); the accounts and audit views set their own.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.PasswordCurrent",
        "accounts.permissions.WorksWithData",
    ],
    "EXCEPTION_HANDLER": "gridcity.http_errors.exception_handler",
    # Bodies are JSON (uploads name their own parser): nested deeper than 32 levels or holding NUL
    # characters they are a 400 (layers.api.parsers); a form post to a JSON endpoint is a 415.
    "DEFAULT_PARSER_CLASSES": ["layers.api.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridcity API",
    "DESCRIPTION": "GeoJSON feature API over the layer registry (EPSG:4490).",
    "VERSION": "0.1.0",
    # The schema maps the platform: only logged-in users read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation documents the error body on its 4xx/503 answers (gridcity.openapi).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "gridcity.openapi.document_errors",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
}

# The platform's own knobs.
GRIDCITY_DEMO = env_flag("GRIDCITY_DEMO")
GRIDCITY_MAX_PAGE = int(os.environ.get("GRIDCITY_MAX_PAGE", "5000"))
GRIDCITY_DEFAULT_PAGE = int(os.environ.get("GRIDCITY_DEFAULT_PAGE", "1000"))
# Area (m²) a unit grid may stick out of its community before it is refused (float noise, not gaps).
GRIDCITY_NESTING_TOLERANCE_M2 = float(os.environ.get("GRIDCITY_NESTING_TOLERANCE_M2", "1.0"))
# City class 1–3 of the evaluation sampling rule (SPEC §5.2: A3 B2 C3 / A2 B2 C2 / A2 B1 C2); a request may override it.
GRIDCITY_CITY_CLASS = int(os.environ.get("GRIDCITY_CITY_CLASS", "2"))

# Offline packages (tiles/packages.py): where built MBTiles are kept, default zooms, size limit.
GRIDCITY_PACKAGE_DIR = os.environ.get("GRIDCITY_PACKAGE_DIR", str(Cluster.default().home / "packages"))
GRIDCITY_PACKAGE_ZOOMS = os.environ.get("GRIDCITY_PACKAGE_ZOOMS", "12-16")
GRIDCITY_PACKAGE_MAX_TILES = int(os.environ.get("GRIDCITY_PACKAGE_MAX_TILES", "20000"))
# Who may build offline packages (roles), how many builds run at once in the whole cluster, how many
# unfinished jobs one user may have queued, and how long built packages are kept.
GRIDCITY_PACKAGE_ROLES = os.environ.get("GRIDCITY_PACKAGE_ROLES",
                                        "admin,surveyor,supervisor,dispatcher,planner").split(",")
GRIDCITY_PACKAGE_BUILDS_AT_ONCE = int(os.environ.get("GRIDCITY_PACKAGE_BUILDS_AT_ONCE", "2"))
GRIDCITY_JOBS_PER_USER = int(os.environ.get("GRIDCITY_JOBS_PER_USER", "3"))
GRIDCITY_PACKAGE_RETENTION_HOURS = float(os.environ.get("GRIDCITY_PACKAGE_RETENTION_HOURS", "24"))

# Background jobs (procrastinate, see jobs/): a job whose worker sent no heartbeat for this long is
# failed; upload folders no unfinished import holds are deleted after the retention, procrastinate's rows
# of finished jobs after theirs.
GRIDCITY_STALLED_SECONDS = float(os.environ.get("GRIDCITY_STALLED_SECONDS", "60"))
GRIDCITY_QUEUE_RETENTION_HOURS = int(os.environ.get("GRIDCITY_QUEUE_RETENTION_HOURS", str(7 * 24)))
GRIDCITY_UPLOAD_RETENTION_HOURS = float(os.environ.get("GRIDCITY_UPLOAD_RETENTION_HOURS", "24"))
# Zip archives (zipped shapefiles, XLSX): the most their members may inflate to in all, and the
# highest compression ratio a member may have; beyond either the file is refused before it is read.
GRIDCITY_ZIP_MAX_BYTES = int(os.environ.get("GRIDCITY_ZIP_MAX_BYTES", str(2 * 1024**3)))
GRIDCITY_ZIP_MAX_RATIO = float(os.environ.get("GRIDCITY_ZIP_MAX_RATIO", "100"))
# The tile cache's gzipped tiles, at most (tiles.cache.prune drops the oldest beyond it).
GRIDCITY_TILE_CACHE_MAX_BYTES = int(float(os.environ.get("GRIDCITY_TILE_CACHE_MAX_MB", "2048")) * 1024 * 1024)
# Vertices one geometry written through the API may have (a district outline has a few thousand).
# Roles whose platform-wide users may use GeoServer's OGC services through the proxy (geoserver.access).
GRIDCITY_OGC_ROLES = tuple(r for r in os.environ.get("GRIDCITY_OGC_ROLES", "admin,planner").split(",") if r)
GRIDCITY_MAX_VERTICES = int(os.environ.get("GRIDCITY_MAX_VERTICES", "50000"))
# Component photos: at most this many, each a path under GRIDCITY_MEDIA_URL or an https URL of at most
# GRIDCITY_MAX_PHOTO_URL characters (layers.photos).
GRIDCITY_MEDIA_URL = os.environ.get("GRIDCITY_MEDIA_URL", "/media/")
GRIDCITY_MAX_PHOTOS = int(os.environ.get("GRIDCITY_MAX_PHOTOS", "20"))
GRIDCITY_MAX_PHOTO_URL = int(os.environ.get("GRIDCITY_MAX_PHOTO_URL", "500"))

# GPS ingest and live positions (platform/fleet, docs/fleet.md).
GRIDCITY_FLEET_MAX_BATCH = int(os.environ.get("GRIDCITY_FLEET_MAX_BATCH", "5000"))
GRIDCITY_FLEET_MAX_FUTURE_SECONDS = int(os.environ.get("GRIDCITY_FLEET_MAX_FUTURE_SECONDS", "300"))
GRIDCITY_FLEET_MAX_SPEED_KMH = float(os.environ.get("GRIDCITY_FLEET_MAX_SPEED_KMH", "200"))
# Day partitions older than this are detached by `gridcity fleet maintain`; older fixes are refused.
GRIDCITY_FLEET_RETENTION_DAYS = int(os.environ.get("GRIDCITY_FLEET_RETENTION_DAYS", "180"))
GRIDCITY_FLEET_PARTITIONS_AHEAD = int(os.environ.get("GRIDCITY_FLEET_PARTITIONS_AHEAD", "7"))
# 信号接收超时: a vehicle whose newest fix is older than this is offline.
GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS = int(os.environ.get("GRIDCITY_FLEET_SIGNAL_TIMEOUT_SECONDS", "300"))
# The vehicles layer (tiles, GeoJSON) takes a vehicle's live position at most this often; the live
# list and stream are immediate.
GRIDCITY_FLEET_LAYER_REFRESH_SECONDS = float(os.environ.get("GRIDCITY_FLEET_LAYER_REFRESH_SECONDS", "30"))
# A live stream (server-sent events) ends after this long; the browser's EventSource reconnects.
GRIDCITY_FLEET_STREAM_SECONDS = int(os.environ.get("GRIDCITY_FLEET_STREAM_SECONDS", "300"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDCITY_LOG_LEVEL", "INFO")},
    # procrastinate says at INFO how it registers its tasks, in every process that loads Django
    "loggers": {name: {"level": "WARNING"} for name in ("procrastinate.periodic", "procrastinate.blueprints")},
}
# Debian 12 ships GDAL 3.6; spatial references come from our own code and files, not from URLs.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
