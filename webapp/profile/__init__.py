"""The profile page: who you are logged in as and what you may see and do."""
