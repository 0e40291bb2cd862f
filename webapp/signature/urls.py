from django.urls import path

from webapp.signature import views

app_name = "signature"

urlpatterns = [
    path("", views.signature_report, name="report"),
    path("summary/", views.tab, {"name": "summary"}, name="summary"),
    path("reports/", views.tab, {"name": "reports"}, name="reports"),
    path("aggregation/<str:field>/", views.tab, {"name": "aggregations"}, name="aggregation"),
    path("graphs/<str:field>/", views.graph_data, name="graph_data"),
    path("graph/<str:field>/", views.tab, {"name": "graphs"}, name="graphs"),
    path("correlations/", views.tab, {"name": "correlations"}, name="correlations"),
    path("comments/", views.tab, {"name": "comments"}, name="comments"),
    path("bugzilla/", views.tab, {"name": "bugzilla"}, name="bugzilla"),
]
