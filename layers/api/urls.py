from django.urls import path

from . import views

urlpatterns = [
    path("layers/", views.LayerList.as_view(), name="layer-list"),
    path("layers/<str:layer>/", views.LayerDetail.as_view(), name="layer-detail"),
    path("layers/<str:layer>/features/", views.FeatureList.as_view(), name="feature-list"),
    path("layers/<str:layer>/features/<int:pk>", views.FeatureDetail.as_view(), name="feature-detail"),
    path("layers/<str:layer>/features/<int:pk>/", views.FeatureDetail.as_view()),
    path("component-classes/", views.ComponentClassList.as_view(), name="component-classes"),
]
