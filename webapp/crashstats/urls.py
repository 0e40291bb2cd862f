from django.urls import path
from django.views.generic import RedirectView

from webapp.crashstats import views

app_name = "crashstats"

urlpatterns = [
    path("", views.home, name="home"),
    path("home/product/<str:product>", views.product_home, name="product_home"),
    path("home/pick/", views.pick, name="pick"),
    path("__lbheartbeat__", views.lbheartbeat, name="lbheartbeat"),
    path("__heartbeat__", views.heartbeat, name="heartbeat"),
    # Addresses of older Crash Stats pages, still in bugs and bookmarks.
    path("query/", RedirectView.as_view(url="/search/", query_string=True, permanent=True)),
    path("your-crashes/", RedirectView.as_view(url="/profile/")),
    path("permissions/", RedirectView.as_view(url="/profile/")),
]
