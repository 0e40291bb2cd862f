"""The signature report: one signature's crashes summarized, aggregated, listed and graphed."""
