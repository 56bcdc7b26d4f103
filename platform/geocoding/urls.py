from django.urls import path

from . import views

urlpatterns = [
    path("", views.Geocode.as_view(), name="geocode"),
    path("reverse/", views.ReverseGeocode.as_view(), name="geocode-reverse"),
]
