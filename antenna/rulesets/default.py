"""The default rule set: accept every crash (a small deployment wants them all)."""

from __future__ import annotations

from antenna.throttler import WHOLE_CRASH, Result, Rule

RULES = [Rule("accept_everything", WHOLE_CRASH, lambda _crash: True, Result.ACCEPT)]
