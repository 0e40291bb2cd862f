from django.urls import path

from webapp.crashstats import views

app_name = "crashstats"

urlpatterns = [
    path("", views.home, name="home"),
    path("home/product/<str:product>", views.product_home, name="product_home"),
    path("home/pick/", views.pick, name="pick"),
    path("__lbheartbeat__", views.lbheartbeat, name="lbheartbeat"),
    path("__heartbeat__", views.heartbeat, name="heartbeat"),
]
