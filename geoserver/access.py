"""Who may reach GeoServer's OGC services (``/geoserver/`` behind the proxy).

GeoServer knows nothing of the platform's users: the proxy (``deploy/nginx.conf``) asks this
endpoint with each request's own credentials (``auth_request``) and passes the request on only
when it answers 204. GeoServer serves whole layers, so only users whose jurisdiction is the whole
platform, in the roles of ``GRIDCITY_OGC_ROLES``, may use it; scoped users read through the API
and the tiles, which apply their jurisdiction.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from layers.access import WHOLE_PLATFORM, jurisdiction_of

from .errors import OgcNotAllowed


class OgcAccess(APIView):
    @extend_schema(request=None, responses={204: OpenApiResponse(description="may use the OGC services")})
    def get(self, request: Request) -> Response:
        """204 when the request's session or token may use the OGC services; 401/403 otherwise."""
        user = request.user
        if user.role not in settings.GRIDCITY_OGC_ROLES:
            raise OgcNotAllowed(f"role {user.role!r} may not use the OGC services; roles that may: "
                                f"{', '.join(settings.GRIDCITY_OGC_ROLES)}", field="role")
        jurisdiction = jurisdiction_of(user)
        if jurisdiction != WHOLE_PLATFORM:
            scoped = f"a user scoped to {jurisdiction}" if jurisdiction else "a user without a jurisdiction"
            raise OgcNotAllowed(f"the OGC services serve whole layers, for the whole platform's users only; {scoped} "
                                "reads through the API and the vector tiles", field="jurisdiction")
        return Response(status=204)
