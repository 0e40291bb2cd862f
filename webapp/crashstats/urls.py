from django.urls import path

from webapp.crashstats import views

app_name = "crashstats"

urlpatterns = [
    path("", views.home, name="home"),
    path("__lbheartbeat__", views.lbheartbeat, name="lbheartbeat"),
    path("__heartbeat__", views.heartbeat, name="heartbeat"),
]
