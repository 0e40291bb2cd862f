"""Super Search pages: the search form with its field builder, results, facets, quick search."""
