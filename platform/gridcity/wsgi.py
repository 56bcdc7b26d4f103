"""WSGI entry point: the Django site, with cached vector tiles for token clients answered in front of it
(see ``tiles.fastpath``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings.dev")
django_application = get_wsgi_application()

from tiles.fastpath import CachedTiles  # noqa: E402  (needs the apps loaded above)

application = CachedTiles(django_application)
