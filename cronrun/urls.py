from django.urls import path

from cronrun import views

app_name = "cronrun"

urlpatterns = [path("", views.cron_monitoring, name="monitoring")]
