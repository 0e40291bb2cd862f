"""Synthetic processed crashes with realistic shapes, for the conformance suite and the bench.

Deterministic for a seed. Signatures follow a Zipf law; products, versions, platforms and
process types are skewed the way real crash populations are; values include the awkward ones
(wildcard and regex characters, non-ASCII, empty strings, missing fields, lists).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

SIGNATURE_SEEDS = [
    "OOM | small",
    "OOM | large | mozalloc_abort | moz_xmalloc",
    "js::GCMarker::markAndTraverse",
    "mozilla::ipc::FatalError | mozilla::ipc::IProtocol::HandleFatalError",
    "shutdownhang | nsThread::Spin",
    "IPCError-browser | ShutDownKill",
    "EMPTY: no crashing thread identified; ERROR_NO_MINIDUMP_HEADER",
    "core::option::expect_failed | style::properties::cascade",
    "Ünïcødé::Crash | ナイトリー",
    "strange*chars?[here] | \\back\\slash",
    "RtlUserThreadStart",
    "libxul.so@0x1a2b3c",
    "nsTArray_base<T>::EnsureCapacity",
    "java.lang.IllegalStateException: Fragment not attached",
    "mozilla::dom::ContentParent::KillHard",
]
PRODUCTS = [("Firefox", 60), ("Fenix", 20), ("Thunderbird", 12), ("Focus", 5), ("SeaMonkey", 3)]
VERSIONS = {
    "Firefox": ["133.0", "133.0.3", "134.0b5", "134.0b9", "135.0a1", "128.5.0esr"],
    "Fenix": ["133.1.0", "134.0b3", "135.0a1"],
    "Thunderbird": ["128.5.2esr", "134.0b1"],
    "Focus": ["133.0"],
    "SeaMonkey": ["2.53.19"],
}
CHANNELS = {"b": "beta", "a": "nightly", "esr": "esr"}
PLATFORMS = [
    ("Windows NT", "10.0.19045", 55),
    ("Windows NT", "6.1.7601 Service Pack 1", 8),
    ("Mac OS X", "14.5 23F79", 12),
    ("Linux", "6.8.0-45-generic", 10),
    ("Android", "34", 15),
]
PROCESS_TYPES = [
    ("parent", 40),
    ("content", 35),
    ("gpu", 10),
    ("utility", 5),
    ("rdd", 3),
    (None, 7),
]
CPU_ARCHS = [("amd64", 70), ("x86", 10), ("arm64", 18), ("arm", 2)]
MODULES = ["xul.dll", "ntdll.dll", "kernel32.dll", "nss3.dll", "libxul.so", "XUL", "mozglue.dll"]
ADDONS = ["uBlock0@raymondhill.net:1.61.0", "{d10d0bc8}:5.2", "jid1-MnnxcxisBPnSXQ@jetpack:2024"]


def _weighted(rng: random.Random, choices: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    total = sum(choice[-1] for choice in choices)
    point = rng.uniform(0, total)
    for choice in choices:
        point -= choice[-1]
        if point <= 0:
            return choice
    return choices[-1]


def signatures(count: int) -> list[str]:
    """``count`` distinct signatures: the seeds, then generated ``module::Function`` names."""
    found = list(SIGNATURE_SEEDS[:count])
    index = 0
    while len(found) < count:
        found.append(f"mozilla::Module{index % 97}::Function{index} | caller{index % 13}")
        index += 1
    return found


def crash_id(rng: random.Random, when: datetime) -> str:
    hexes = f"{rng.getrandbits(128):032x}"
    return f"{hexes[:8]}-{hexes[8:12]}-{hexes[12:16]}-{hexes[16:20]}-{hexes[20:25]}0{when:%y%m%d}"


class Corpus:
    """A reproducible stream of crashes over ``days`` days before ``now``."""

    def __init__(
        self,
        now: datetime,
        days: int = 30,
        seed: int = 5,
        signature_count: int = 200,
        zipf_s: float = 1.1,
    ) -> None:
        self.now = now.astimezone(UTC)
        self.days = days
        self.seed = seed
        self.signatures = signatures(signature_count)
        weights = [1 / (rank + 1) ** zipf_s for rank in range(signature_count)]
        total = sum(weights)
        self._cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight / total
            self._cumulative.append(running)

    def _signature(self, rng: random.Random) -> str:
        from bisect import bisect_left

        index = bisect_left(self._cumulative, rng.random())
        return self.signatures[min(index, len(self.signatures) - 1)]

    def crashes(self, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
        rng = random.Random(self.seed)
        span = self.days * 86_400 * 1_000_000
        # crashes arrive in time order, oldest first
        ages = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
        for number, age in enumerate(ages):
            when = self.now - timedelta(microseconds=age)
            if number % 50 == 0:
                when = when.replace(microsecond=0)
            yield self.crash(rng, when)

    def crash(self, rng: random.Random, when: datetime) -> tuple[str, dict[str, Any]]:
        identifier = crash_id(rng, when)
        product = _weighted(rng, PRODUCTS)[0]
        version = rng.choice(VERSIONS[product])
        channel = next((name for key, name in CHANNELS.items() if key in version), "release")
        os_name, os_version, _ = _weighted(rng, PLATFORMS)
        process_type = _weighted(rng, PROCESS_TYPES)[0]
        install_time = int(when.timestamp()) - rng.randrange(86_400 * 90)
        crash: dict[str, Any] = {
            "uuid": identifier,
            "crash_id": identifier,
            "date_processed": when.isoformat(),
            "signature": self._signature(rng),
            "product": product,
            "version": version,
            "major_version": int(version.split(".")[0]),
            "release_channel": channel,
            "build": str(20241000000000 + rng.randrange(90) * 1_000_000 + rng.randrange(24)),
            "os_name": os_name,
            "os_version": os_version,
            "cpu_arch": _weighted(rng, CPU_ARCHS)[0],
            "json_dump": {"system_info": {"cpu_count": rng.choice([2, 4, 8, 16])}},
            "uptime": rng.randrange(0, 100_000),
            "uptime_ts": round(rng.uniform(0, 1000), 3),
            "install_age": rng.randrange(0, 10_000_000),
            "install_time": install_time,
            "startup_crash": rng.random() < 0.1,
            "reason": rng.choice(["EXCEPTION_ACCESS_VIOLATION_READ", "SIGSEGV /SEGV_MAPERR", ""]),
            "address": f"0x{rng.getrandbits(32):x}",
            "modules_in_stack": ";".join(rng.sample(MODULES, rng.randrange(1, 4))),
            "addons": rng.sample(ADDONS, rng.randrange(0, 3)),
            "memory_measures": {"explicit": rng.randrange(10**6, 10**10)},
        }
        if process_type is not None:
            crash["process_type"] = process_type
        if rng.random() < 0.7:
            crash["accessibility"] = rng.random() < 0.3
        if rng.random() < 0.2:
            crash["moz_crash_reason"] = rng.choice(
                ["MOZ_RELEASE_ASSERT(aIndex < Length())", "MOZ_CRASH(Shutdown hanging)"]
            )
        if rng.random() < 0.15:
            crash["user_comments"] = rng.choice(["It crashed while typing", "Ünïcødé comment"])
            crash["url"] = rng.choice(["https://example.com/a", "https://example.org/?q=1"])
        return identifier, crash
