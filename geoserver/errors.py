"""The OGC services' errors (one class per failure, mapped to HTTP by ``gridcity.http_errors``)."""

from __future__ import annotations

from layers.errors import GridcityError


class OgcNotAllowed(GridcityError):
    """A logged-in user who may not use the OGC services (their role, or a jurisdiction GeoServer cannot
    enforce: it serves whole layers)."""

    status = 403
    rule = "ogc_access"
