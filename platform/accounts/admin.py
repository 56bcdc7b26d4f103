"""The Django admin's user pages, for the security administrator only (三员): no other role, not
even a Django superuser of another role, sees or changes users there. The product's own user
management is the API at /api/accounts/users/ (accounts.users)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from layers.editing import acting_as
from layers.roles import SECADMIN

from .models import User


def _security_administrator(request: HttpRequest) -> bool:
    return request.user.is_active and getattr(request.user, "role", None) == SECADMIN


@admin.register(User)
class GridcityUserAdmin(UserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("first_name", "last_name", "email")}),
        ("gridcity", {"fields": ("role", "jurisdiction_code", "is_active", "is_staff", "locked_until",
                                 "password_changed_at", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2",
                                                               "role", "jurisdiction_code")}),)
    readonly_fields = ("password_changed_at", "last_login", "date_joined")
    list_display = ("username", "role", "jurisdiction_code", "is_active", "locked_until")
    list_filter = ("role", "is_active")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _security_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _security_administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _security_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _security_administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # users are deactivated, never deleted: the audit log names them

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        """As the administrator (the audit trigger names them); a new user's password, chosen by
        the administrator, has expired at once, as in the API (accounts.users)."""
        with acting_as(request.user.get_username()):
            super().save_model(request, obj, form, change)
            if not change:
                User.objects.filter(pk=obj.pk).update(password_changed_at=None)
