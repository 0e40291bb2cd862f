"""API tokens: ``Auth-Token`` authentication carrying a chosen subset of the owner's permissions."""
