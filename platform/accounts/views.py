"""Token login for API and mobile clients, and who-am-I."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def whoami(user: object) -> dict[str, object]:
    return {"username": user.username, "role": user.role,  # type: ignore[attr-defined]
            "jurisdiction_code": user.jurisdiction_code}  # type: ignore[attr-defined]


class ObtainToken(APIView):
    """POST username + password → a token for ``Authorization: Token …`` (lockout applies)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=AuthTokenSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, **whoami(user)})


class Me(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(whoami(request.user))
