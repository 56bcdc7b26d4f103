"""HTTP endpoints of this package, mounted by gridcity.urls."""

urlpatterns: list = []
