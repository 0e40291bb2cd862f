"""Top crashers: a product's most frequent signatures and how their ranks moved."""
