"""Settings shared by every configuration; values come from the environment (12-factor).

``DATABASE_URL`` points at any PostGIS; without it the embedded cluster under ``.gridcity/``
is used (see ``gridcity.cluster``). ``dev``, ``test`` and ``prod`` refine this module.
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


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL") or Cluster.default().url())}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "accounts",
    "audit",
    "layers",
    "tiles",
    "importers",
    "gridding",
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
    "gridcity.http_errors.ErrorMiddleware",
]

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
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
# SPEC §6: idle sessions end after 10 minutes; each request renews the window.
SESSION_COOKIE_AGE = int(os.environ.get("GRIDCITY_SESSION_IDLE_SECONDS", "600"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
# SPEC §6: lockout after at most 5 failed logins.
GRIDCITY_LOCKOUT_ATTEMPTS = int(os.environ.get("GRIDCITY_LOCKOUT_ATTEMPTS", "5"))
GRIDCITY_LOCKOUT_MINUTES = int(os.environ.get("GRIDCITY_LOCKOUT_MINUTES", "15"))

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
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "gridcity.http_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridcity API",
    "DESCRIPTION": "GeoJSON feature API over the layer registry (EPSG:4490).",
    "VERSION": "0.1.0",
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
# The tile cache's gzipped tiles, at most (tiles.cache.prune drops the oldest beyond it).
GRIDCITY_TILE_CACHE_MAX_BYTES = int(float(os.environ.get("GRIDCITY_TILE_CACHE_MAX_MB", "2048")) * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDCITY_LOG_LEVEL", "INFO")},
}
# Debian 12 ships GDAL 3.6; spatial references come from our own code and files, not from URLs.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
