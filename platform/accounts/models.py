"""The platform's user (a role, a jurisdiction, lockout and password age), its API tokens and
the failed logins the lockout counts.

The jurisdiction is a district/street/community code, ``*`` (``layers.access.WHOLE_PLATFORM``)
for an account that reaches the whole platform, or empty: an account nobody gave one sees and
writes nothing (deny by default; the rule itself lives in ``layers.access``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from layers import codes
from layers.access import WHOLE_PLATFORM
from layers.roles import ROLES


class GridcityUserManager(UserManager["User"]):
    def create_superuser(self, username: str, email: str | None = None, password: str | None = None,
                         **extra_fields: Any) -> User:
        """``createsuperuser`` applies the password validators and the user rules with no way round
        them (Django's command offers to bypass the validators; its ValidationError becomes a
        CommandError)."""
        user = self.model(username=username, email=email or "", **extra_fields)
        user.clean()
        validate_password(password or "", user)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField("角色", max_length=16, choices=list(ROLES.items()))
    jurisdiction_code = models.CharField(
        "管辖范围", max_length=12, blank=True,
        help_text="district (6), street (9) or community (12) code, or * for the whole platform; "
                  "empty: no jurisdiction (sees and writes nothing)",
    )
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    # Set whenever a password is saved (see save); empty: set by the security administrator, so it
    # must be changed at the next login (accounts.passwords.expired).
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    objects = GridcityUserManager()

    # createsuperuser asks for the role and jurisdiction too (an account without a role can read nothing).
    REQUIRED_FIELDS = ["email", "role", "jurisdiction_code"]

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

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Stamp the password's age when a password is saved: one set by ``set_password`` (which
        leaves the raw password in ``_password`` until the save; a hash upgrade at login does not),
        or a new user's, however it was hashed (the manager's ``create_user`` hashes it directly).
        The database revokes the user's tokens when the password changes (migration 0003)."""
        new_user = self._state.adding and self.password_changed_at is None and self.has_usable_password()
        if self._password is not None or new_user:
            self.password_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "password_changed_at"}
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """One device's API token: only the SHA-256 of its key is kept. It is valid while not revoked,
    before ``expires_at`` and within ``idle`` of its last use; the database function
    ``gridcity_token_user`` (migration 0003) applies these rules for Django and the tile fast path."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户")
    name = models.CharField("设备", max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间")
    last_used_at = models.DateTimeField("最近使用")
    expires_at = models.DateTimeField("到期时间")
    idle = models.DurationField("空闲时限")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_reason = models.CharField("吊销原因", max_length=32, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        indexes = [models.Index(fields=["user", "revoked_at"], name="accounts_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class LoginFailure(models.Model):
    """A failed login: who was tried, from where, when (the lockout and throttle count these)."""

    at = models.DateTimeField()
    username = models.CharField(max_length=150)
    address = models.CharField(max_length=45)

    class Meta:
        indexes = [models.Index(fields=["username", "at"], name="accounts_fail_user_idx"),
                   models.Index(fields=["address", "at"], name="accounts_fail_addr_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} from {self.address}"
