"""The accounts endpoints, mounted by gridcity.urls under /api/: the user's own (auth/) and the
security administrator's (accounts/users/)."""

from django.urls import path

from . import users, views

urlpatterns = [
    path("auth/token/", views.ObtainToken.as_view(), name="auth-token"),
    path("auth/logout/", views.Logout.as_view(), name="auth-logout"),
    path("auth/me/", views.Me.as_view(), name="auth-me"),
    path("auth/password/", views.ChangePassword.as_view(), name="auth-password"),
    path("auth/tokens/", views.OwnTokens.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:pk>/", views.OwnToken.as_view(), name="auth-token-detail"),
    path("accounts/users/", users.UserList.as_view(), name="user-list"),
    path("accounts/users/<int:pk>/", users.UserDetail.as_view(), name="user-detail"),
    path("accounts/users/<int:pk>/unlock/", users.UserUnlock.as_view(), name="user-unlock"),
    path("accounts/users/<int:pk>/password/", users.UserPassword.as_view(), name="user-password"),
    path("accounts/users/<int:pk>/tokens/", users.UserTokens.as_view(), name="user-tokens"),
    path("accounts/users/<int:pk>/tokens/<int:token>/", users.UserToken.as_view(), name="user-token"),
]
