from django.urls import path

from webapp.report import views

app_name = "report"

urlpatterns = [
    path("index/<str:crash_id>", views.report_index, name="index"),
    path("status/<str:crash_id>/", views.status, name="status"),
    path("reprocess/<str:crash_id>/", views.reprocess, name="reprocess"),
]
