"""Super Search on SQLite: the embedded default backend."""
