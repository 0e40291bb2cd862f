"""Signature generation: run the rules in order over one crash's data."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from processor.signature.crashdata import convert_to_crash_data, is_processed_crash
from processor.signature.result import Result
from processor.signature.rules import Rule, default_ruleset
from processor.signature.siglists import SignatureLists, load_configured_lists

logger = logging.getLogger(__name__)

ErrorHandler = Callable[..., None]


class SignatureGenerator:
    """Holds the lists and rules; ``generate`` never raises for bad crash data.

    A rule that fails adds the note ``<Rule>: Rule failed: <error>``, is reported to
    ``error_handler(crash_data, exc_info=..., extra={"rule": name})``, and the next rule runs.
    """

    def __init__(
        self,
        lists: SignatureLists | None = None,
        error_handler: ErrorHandler | None = None,
        ruleset: Sequence[Rule] | None = None,
    ) -> None:
        self.lists = lists if lists is not None else load_configured_lists()
        self.error_handler = error_handler
        self.rules = list(ruleset) if ruleset is not None else default_ruleset(self.lists)

    def generate(
        self, crash_data: Any, explain: bool = False, error_handler: ErrorHandler | None = None
    ) -> Result:
        """The signature for crash data (a processed crash is converted first).

        ``explain`` records what happened to each frame in ``Result.frames``;
        ``error_handler`` overrides the generator's own for this call.
        """
        error_handler = error_handler or self.error_handler
        result = Result(frames=[] if explain else None)
        if not isinstance(crash_data, Mapping):
            result.info(
                "SignatureGenerator", f"crash data is {type(crash_data).__name__}, not an object"
            )
            crash_data = {}
        elif is_processed_crash(crash_data):
            crash_data = convert_to_crash_data(crash_data)
        for rule in self.rules:
            try:
                if rule.predicate(crash_data, result):
                    rule.action(crash_data, result)
            except Exception as exc:
                name = rule.name
                if error_handler is not None:
                    error_handler(crash_data, exc_info=sys.exc_info(), extra={"rule": name})
                else:
                    logger.warning("signature rule %s failed: %r", name, exc)
                result.info(name, f"Rule failed: {exc}")
        return result


def generate_signature(
    crash_data: Mapping[str, Any], lists: SignatureLists | None = None
) -> Result:
    """One-off convenience; build a ``SignatureGenerator`` once when signing many crashes."""
    return SignatureGenerator(lists=lists).generate(crash_data)
