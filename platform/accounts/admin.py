from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class GridcityUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("gridcity", {"fields": ("role", "jurisdiction_code", "locked_until")}))
    list_display = ("username", "role", "jurisdiction_code", "is_active", "locked_until")
    list_filter = ("role", "is_active")
