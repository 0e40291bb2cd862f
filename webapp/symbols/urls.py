from django.urls import path

from webapp.symbols import server, views

app_name = "symbols"

urlpatterns = [
    path("upload", views.upload, name="upload"),
    path("upload/<int:pk>", views.upload_json, name="upload-json"),
    path("uploads/", views.uploads, name="uploads"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload-detail"),
    path("missing/", views.missing_symbols, name="missing"),
    path("missing.csv", views.missing_symbols_csv, name="missing-csv"),
    path("<str:first>/<str:second>/<str:name>", server.symbol_file, name="file"),
]
