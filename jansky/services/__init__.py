"""The local real servers (MinIO, ElasticMQ, OpenSearch, Elasticsearch, PostgreSQL) for tests and
development, run by `jansky services start|stop|status` from what `bin/provision` installed.
"""
