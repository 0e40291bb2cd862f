"""Crash reports built to hurt a collector, and the largest honest one, for memory figures.

Each is (name, body, headers): a gzip bomb, JSON ``extra`` expansions (by size and by element
count), a 50 MiB string inside ``extra``, a hundred thousand one-byte dumps, a 2 MB folded part
header block, and the largest report the default limits accept (100 MiB once inflated).
"""

from __future__ import annotations

import gzip
import random
import zlib

from antenna.client import encode_report

MIB = 1024 * 1024
Request = tuple[str, bytes, dict[str, str]]
MULTIPART = {"Content-Type": "multipart/form-data; boundary=x"}
GZIPPED = {**MULTIPART, "Content-Encoding": "gzip"}


def _gzip_stream(chunks: list[bytes]) -> bytes:
    """Compress a body given as chunks without holding it whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return b"".join(out)


def _json_part(head: bytes, repeated: bytes, count: int, tail: bytes) -> list[bytes]:
    """The chunks of a body whose one part is a JSON ``extra`` made of a repeated piece."""
    opening = (
        b'--x\r\nContent-Disposition: form-data; name="extra"\r\n'
        b"Content-Type: application/json\r\n\r\n" + head
    )
    block = repeated * 65536
    chunks = [opening]
    chunks += [block] * (count // 65536) + [repeated * (count % 65536)]
    chunks.append(tail + b"\r\n--x--\r\n")
    return chunks


def hostile_requests() -> list[Request]:
    bomb = encode_report({"ProductName": "Test"}, {"upload_file_minidump": b"\0" * (200 * MIB)})
    many_dumps = encode_report(
        {"ProductName": "Test"}, {f"d{n}": b"x" for n in range(100_000)}, boundary="x"
    )
    folded = b'Content-Disposition: form-data; name="a"' + b"\r\n x" * (2 * MIB // 4)
    expansion = _json_part(b'{"ProductName":"Test","x":[', b"{},", 33 * MIB, b"{}]}")
    elements = _json_part(b'{"ProductName":"Test","x":[', b"{},", MIB, b"{}]}")
    long_string = _json_part(b'{"ProductName":"Test","x":"', b"y", 50 * MIB, b'"}')
    return [
        ("gzip bomb (200 MiB of zeros)", gzip.compress(bomb.body, 9), GZIPPED),
        ("extra expansion (99 MiB of [{},...])", _gzip_stream(expansion), GZIPPED),
        ("extra with a million elements (3 MiB)", _gzip_stream(elements), GZIPPED),
        ("50 MiB string in extra", _gzip_stream(long_string), GZIPPED),
        ("100,000 one-byte dumps", many_dumps.body, MULTIPART),
        ("2 MB folded part header", b"--x\r\n" + folded + b"\r\n\r\nv\r\n--x--\r\n", MULTIPART),
    ]


def largest_accepted(decompressed_limit: int) -> Request:
    """A gzipped report just under the decompressed limit, made of real-looking bytes."""
    rng = random.Random(3)
    block = rng.randbytes(16 * 1024)  # repeats within gzip's 32 KiB window: compresses well
    head = encode_report({"ProductName": "Test"}, {"upload_file_minidump": b""}, boundary="x")
    room = decompressed_limit - len(head.body) - 1024
    dump = block * (room // len(block))
    report = encode_report({"ProductName": "Test"}, {"upload_file_minidump": dump}, boundary="x")
    return ("largest accepted report", gzip.compress(report.body, 6), GZIPPED)
