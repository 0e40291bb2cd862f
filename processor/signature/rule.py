"""Processor rules that put the signature into a processed crash."""

from __future__ import annotations

import logging
from typing import Any

from processor.signature.crashdata import convert_to_crash_data
from processor.signature.generator import SignatureGenerator

logger = logging.getLogger(__name__)


def _crash_id(raw_crash: dict[str, Any], processed_crash: dict[str, Any]) -> str:
    return str(processed_crash.get("uuid") or raw_crash.get("uuid") or "unknown")


class SignatureGeneratorRule:
    """Sets ``signature``, ``proto_signature``, ``signature_debug`` and signature notes.

    ``signature_debug`` is a protected field (it may quote frame data). ``proto_signature`` is
    only set when the crashing thread had frames, as in Socorro.
    """

    def __init__(self, generator: SignatureGenerator | None = None) -> None:
        self.generator = generator if generator is not None else SignatureGenerator()

    def apply(self, raw_crash: dict[str, Any], processed_crash: dict[str, Any]) -> None:
        crash_id = _crash_id(raw_crash, processed_crash)

        def report(crash_data: Any, exc_info: Any = None, extra: Any = None) -> None:
            rule = (extra or {}).get("rule")
            logger.error(
                "signature rule failed crash_id=%s rule=%s", crash_id, rule, exc_info=exc_info
            )

        crash_data = convert_to_crash_data(processed_crash)
        result = self.generator.generate(crash_data, error_handler=report)
        processed_crash["signature"] = result.signature
        processed_crash.setdefault("processor_notes", []).extend(result.notes)
        if "proto_signature" in result.extra:
            processed_crash["proto_signature"] = result.extra["proto_signature"]
        processed_crash["signature_debug"] = "\n".join(result.debug_log)
        logger.debug("signature crash_id=%s signature=%r", crash_id, result.signature)


class ShutDownHangCrashingThreadRule:
    """Shutdown hangs are signed from thread 0, so record thread 0 as the crashing thread."""

    def apply(self, raw_crash: dict[str, Any], processed_crash: dict[str, Any]) -> None:
        signature = processed_crash.get("signature")
        if isinstance(signature, str) and signature.startswith("shutdownhang"):
            processed_crash["crashing_thread"] = 0
