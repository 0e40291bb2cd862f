"""The signature generator of this process, shared by the API and the report page."""

from __future__ import annotations

import functools

from processor.signature.generator import SignatureGenerator


@functools.cache
def signature_generator() -> SignatureGenerator:
    """One generator per process: loading the signature lists takes a while."""
    return SignatureGenerator()
