"""Development and demo: the embedded cluster, DEBUG on, bound to localhost."""

import secrets

from .base import *  # noqa: F403
from .base import Cluster, env_flag, os

DEBUG = env_flag("DJANGO_DEBUG", default=True)
# Development is demo mode: the demo accounts work and the server binds to localhost only.
GRIDCITY_DEMO = env_flag("GRIDCITY_DEMO", default=True)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


def _checkout_secret() -> str:
    """A secret key made once per checkout and kept in .gridcity/ (never committed)."""
    path = Cluster.default().home / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _checkout_secret()
WHITENOISE_USE_FINDERS = True
