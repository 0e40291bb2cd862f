from django.urls import path

from webapp.tokens import views

app_name = "tokens"

urlpatterns = [
    path("", views.home, name="home"),
    path("delete/<int:pk>/", views.delete, name="delete"),
]
