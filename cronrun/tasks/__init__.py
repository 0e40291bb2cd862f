"""What the jobs do, as plain functions of the backends; the management commands call them."""
