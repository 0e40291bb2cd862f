from django.urls import path

from webapp.topcrashers import views

app_name = "topcrashers"

urlpatterns = [
    path("", views.topcrashers, name="topcrashers"),
]
