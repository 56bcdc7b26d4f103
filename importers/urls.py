"""HTTP endpoints of this package, mounted by gridcity.urls at /api/imports/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ImportList.as_view(), name="import-list"),
    path("<int:pk>/", views.ImportDetail.as_view(), name="import-detail"),
    path("<int:pk>/errors.csv", views.ImportErrorsCsv.as_view(), name="import-errors-csv"),
    path("<int:pk>/qa.html", views.ImportQAPage.as_view(), name="import-qa-page"),
]
