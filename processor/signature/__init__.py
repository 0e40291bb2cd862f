"""Socorro-compatible crash signatures: normalize frames, walk them with lists, apply rules."""

from processor.signature.generator import SignatureGenerator, generate_signature
from processor.signature.result import Result
from processor.signature.siglists import SignatureLists, load_configured_lists, load_lists

__all__ = [
    "Result",
    "SignatureGenerator",
    "SignatureLists",
    "generate_signature",
    "load_configured_lists",
    "load_lists",
]
