"""The web map's pages: the map itself, login and logout (logout is a POST, as Django 5 requires)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("login/", views.LoginPage.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
