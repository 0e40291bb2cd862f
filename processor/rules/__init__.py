"""Processor rules: each one reads the raw crash and dumps and fills processed-crash fields."""
