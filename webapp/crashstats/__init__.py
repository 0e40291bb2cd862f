"""The shared Crash Stats app: models, permissions, redaction and the Super Search bridge.

Every page family and the API import from here; this app imports none of them.
"""
