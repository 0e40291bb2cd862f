"""Symbol options: upload limits, late-symbol healing, and the processor's own-store lookup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from everett.manager import Option, parse_bool

from jansky.config import config_manager
from jansky.symbols.upload import UploadLimits
from processor.sizes import parse_size

MAX_HEAL_DAYS = 364  # Super Search's longest date range is 365 days; jobs reach past the upload


class SymbolsConfig:
    """Symbols: the store's upload limits, healing of crashes when symbols arrive late."""

    class Config:
        symbols_upload_max_bytes = Option(
            default="2gb",
            doc=(
                "Largest symbol upload (the zip as sent, or one .sym file); larger ones get a "
                "413. Units of 1024: `2gb`, `512mb`, bytes if bare."
            ),
        )
        symbols_file_max_bytes = Option(
            default="4gb",
            doc="Largest symbol file in an upload, uncompressed.",
        )
        symbols_upload_max_uncompressed_bytes = Option(
            default="20gb",
            doc="Most bytes the symbol files of one upload may hold, uncompressed.",
        )
        symbols_upload_max_files = Option(
            default="20000", parser=int, doc="Most symbol files in one uploaded zip."
        )
        symbols_zip_max_ratio = Option(
            default="100",
            parser=int,
            doc=(
                "Largest compression ratio of a zip member over 1 MiB (symbol text deflates "
                "5-15 times); a member above it is refused as a zip bomb."
            ),
        )
        symbols_store_lookup = Option(
            default="true",
            parser=parse_bool,
            doc=(
                "The processor looks for symbols in Jansky's own store (the uploads) before "
                "SYMBOLS_PATHS and SYMBOLS_URLS."
            ),
        )
        symbols_healing = Option(
            default="true",
            parser=parse_bool,
            doc=(
                "`jansky webapp` heals crashes: when an upload brings symbols that processed "
                "crashes lacked, those crashes are queued for reprocessing (one worker at a "
                "time holds the job, by a lease in the database). `false` when "
                "`jansky symbols heal` runs apart."
            ),
        )
        symbols_heal_rate = Option(
            default="20",
            parser=float,
            doc="Crashes queued for reprocessing per second by healing, at most.",
        )
        symbols_heal_days = Option(
            default="30",
            parser=int,
            doc=(
                "Healing reprocesses the crashes of the last this many days (by crash date) "
                "that lacked the uploaded symbols; at most 364."
            ),
        )


@dataclass(frozen=True)
class SymbolsSettings:
    """The resolved symbol options."""

    limits: UploadLimits
    store_lookup: bool
    healing: bool
    heal_rate: float
    heal_days: int


def load_symbols_settings(env: Mapping[str, str] | None = None) -> SymbolsSettings:
    """Read and check the symbol options; ValueError names a bad one."""
    config = config_manager(env).with_options(SymbolsConfig)

    def size(key: str) -> int:
        try:
            return parse_size(config(key))
        except ValueError as exc:
            raise ValueError(f"{key.upper()}: {exc}") from None

    settings = SymbolsSettings(
        limits=UploadLimits(
            max_upload_bytes=size("symbols_upload_max_bytes"),
            max_file_bytes=size("symbols_file_max_bytes"),
            max_total_bytes=size("symbols_upload_max_uncompressed_bytes"),
            max_files=config("symbols_upload_max_files"),
            max_ratio=config("symbols_zip_max_ratio"),
        ),
        store_lookup=config("symbols_store_lookup"),
        healing=config("symbols_healing"),
        heal_rate=config("symbols_heal_rate"),
        heal_days=config("symbols_heal_days"),
    )
    if not 1 <= settings.heal_days <= MAX_HEAL_DAYS:
        raise ValueError(
            f"SYMBOLS_HEAL_DAYS must be 1 to {MAX_HEAL_DAYS}, got {settings.heal_days}"
        )
    if settings.heal_rate <= 0:
        raise ValueError(f"SYMBOLS_HEAL_RATE must be positive, got {settings.heal_rate:g}")
    if settings.limits.max_files < 1 or settings.limits.max_ratio < 1:
        raise ValueError("SYMBOLS_UPLOAD_MAX_FILES and SYMBOLS_ZIP_MAX_RATIO must be at least 1")
    return settings
