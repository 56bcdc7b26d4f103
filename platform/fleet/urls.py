from django.urls import path

from . import views

urlpatterns = [
    path("vehicles/", views.VehicleList.as_view(), name="vehicle-list"),
    path("vehicles/live/", views.LiveList.as_view(), name="vehicle-live"),
    path("vehicles/live/stream/", views.LiveStream.as_view(), name="vehicle-live-stream"),
    path("vehicles/<int:pk>/", views.VehicleDetail.as_view(), name="vehicle-detail"),
    path("vehicles/<int:pk>/track/", views.TrackView.as_view(), name="vehicle-track"),
    path("vehicles/<int:pk>/day/", views.DayView.as_view(), name="vehicle-day"),
    path("gps/fixes/", views.FixIngest.as_view(), name="gps-fixes"),
    path("fleet/passed/", views.Passed.as_view(), name="fleet-passed"),
    path("fleet/nearest/", views.Nearest.as_view(), name="fleet-nearest"),
    path("fleet/daily/", views.Daily.as_view(), name="fleet-daily"),
]
