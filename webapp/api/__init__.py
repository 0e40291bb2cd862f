"""The public HTTP API under ``/api/``: declared endpoints, validation, errors and reference."""
