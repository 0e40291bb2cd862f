"""The crash report page ``/report/index/<crash id>``, its pending page and reprocessing."""
