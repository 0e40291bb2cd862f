"""Documentation pages: help, the Super Search guide and field reference, the data dictionary
(generated from the crash schemas) and the protected data policy."""
