"""The login form, with Chinese labels and messages (SPEC §6: login required, lockout after failures)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.passwords import expired


class LoginForm(AuthenticationForm):
    """Django's authentication form, worded for the platform's users.

    A locked account fails exactly like a wrong password (the lockout backend refuses both), so
    the message names both causes without telling an attacker which one applied.
    """

    error_messages = {
        "invalid_login": "用户名或密码错误，请重新输入。连续多次输错后账户将被暂时锁定。",
        "inactive": "该账户已停用，请联系安全管理员。",
        "password_expired": "密码已过期，请先修改密码（POST /api/auth/password/）后再登录。",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"placeholder": "请输入用户名", "autocomplete": "username"})
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"placeholder": "请输入密码", "autocomplete": "current-password"}
        )

    def confirm_login_allowed(self, user: User) -> None:
        """An expired password must be changed before anything else (SPEC §6)."""
        super().confirm_login_allowed(user)
        if expired(user):
            raise ValidationError(self.error_messages["password_expired"], code="password_expired")
