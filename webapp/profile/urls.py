from django.urls import path

from webapp.profile import views

app_name = "profile"

urlpatterns = [
    path("", views.profile, name="profile"),
]
