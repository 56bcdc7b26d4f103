"""HTTP endpoints of this package, mounted by gridcity.urls at /api/gridding/."""

from django.urls import path

from . import views

urlpatterns = [
    path("topology/", views.TopologyCheck.as_view(), name="gridding-topology"),
    path("topology/page/", views.TopologyPage.as_view(), name="gridding-topology-page"),
    path("evaluation-grids/", views.EvaluationSummary.as_view(), name="gridding-evaluation"),
    path("evaluation-grids/build/", views.EvaluationBuild.as_view(), name="gridding-evaluation-build"),
    path("evaluation-grids/builds/<int:pk>/", views.EvaluationBuildDetail.as_view(),
         name="gridding-evaluation-build-detail"),
    path("evaluation-grids/move/", views.EvaluationMove.as_view(), name="gridding-evaluation-move"),
    path("rounds/", views.RoundList.as_view(), name="gridding-rounds"),
    path("rounds/<int:pk>/", views.RoundDetail.as_view(), name="gridding-round"),
    path("rounds/<int:pk>/void/", views.RoundVoid.as_view(), name="gridding-round-void"),
    path("rounds/<int:pk>/replay/", views.RoundReplay.as_view(), name="gridding-round-replay"),
    path("rounds/<int:pk>/export.<str:fmt>", views.RoundExport.as_view(), name="gridding-round-export"),
    path("fishnets/", views.FishnetList.as_view(), name="gridding-fishnets"),
    path("fishnets/<int:pk>/", views.FishnetDetail.as_view(), name="gridding-fishnet"),
]
