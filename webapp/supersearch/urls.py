from django.urls import path

from webapp.supersearch import custom, views

app_name = "supersearch"

urlpatterns = [
    path("", views.search, name="search"),
    path("results/", views.results, name="results"),
    path("fields/", views.fields, name="fields"),
    path("quick/", views.quick, name="quick"),
    path("custom/", custom.custom, name="custom"),
    path("query/", custom.run, name="query"),
]
