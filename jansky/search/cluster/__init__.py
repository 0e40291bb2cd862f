"""Super Search on Elasticsearch 8 and OpenSearch 2: one query translation, two clients."""
