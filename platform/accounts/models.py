"""The platform's user: a role, a jurisdiction and lockout state.

The jurisdiction is a district/street/community code, ``*`` (``layers.access.WHOLE_PLATFORM``)
for an account that reaches the whole platform, or empty: an account nobody gave one sees and
writes nothing (deny by default; the rule itself lives in ``layers.access``).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from layers import codes
from layers.access import WHOLE_PLATFORM
from layers.roles import ROLES


class User(AbstractUser):
    role = models.CharField("角色", max_length=16, choices=list(ROLES.items()))
    jurisdiction_code = models.CharField(
        "管辖范围", max_length=12, blank=True,
        help_text="district (6), street (9) or community (12) code, or * for the whole platform; "
                  "empty: no jurisdiction (sees and writes nothing)",
    )
    failed_logins = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)

    # createsuperuser asks for the role too (an account without one can read nothing).
    REQUIRED_FIELDS = ["email", "role"]

    class Meta:
        verbose_name = "用户"

    def clean(self) -> None:
        super().clean()
        if self.role not in ROLES:
            raise ValidationError({"role": ValidationError(f"unknown role {self.role!r}", code="role")})
        if self.jurisdiction_code and self.jurisdiction_code != WHOLE_PLATFORM:
            try:
                codes.check_jurisdiction_code(self.jurisdiction_code)
            except ValidationError as exc:
                raise ValidationError({"jurisdiction_code": exc}) from None
