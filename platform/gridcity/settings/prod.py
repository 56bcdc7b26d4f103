"""Production: every secret and host from the environment; demo accounts refused (see accounts.checks)."""

from .base import *  # noqa: F403
from .base import SetupError, env_flag, os


def _required(name: str, how: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SetupError(f"{name} is not set: {how}")
    return value


DEBUG = False
GRIDCITY_DEMO = False
SECRET_KEY = _required("DJANGO_SECRET_KEY", "set it to a long random string, e.g. `openssl rand -base64 48`")
ALLOWED_HOSTS = _required("DJANGO_ALLOWED_HOSTS", "a comma-separated list of host names").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# nginx (deploy/nginx.conf) terminates TLS and redirects port 80 itself; this catches any plain-HTTP
# request that reaches the app by another way.
SECURE_SSL_REDIRECT = env_flag("GRIDCITY_SSL_REDIRECT", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
