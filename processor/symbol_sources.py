"""Where the stackwalker looks for symbols: Jansky's own store first, then the configured
folders (SYMBOLS_PATHS, DATA_DIR/symbols), then the upstream symbol servers (SYMBOLS_URLS).

The stackwalker searches every local folder before any server, and its on-disk cache between
the two (rust-minidump's order). A store on files is a local folder, put first; a store in S3 is
served by a loopback symbol server (:mod:`processor.store_symbol_server`) put first among the
servers, so that its files go through the bounded symbols cache like upstream ones.

A symbol file that was missing is looked up again by the next walk (neither the stackwalker
service nor minidump-stackwalk remembers misses), so a crash reprocessed after its symbols were
uploaded finds them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from jansky.symbols.store import SymbolStore, open_symbol_store
from processor.config import ProcessorSettings
from processor.store_symbol_server import StoreSymbolServer


@dataclass
class OwnStoreSources:
    """The own store as a symbols path or URL; close it to stop the loopback server."""

    paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    server: StoreSymbolServer | None = None

    def applied_to(self, settings: ProcessorSettings) -> ProcessorSettings:
        """``settings`` with the own store ahead of the configured sources."""
        return dataclasses.replace(
            settings,
            symbols_paths=(*self.paths, *settings.symbols_paths),
            symbols_urls=(*self.urls, *settings.symbols_urls),
        )

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def sources_for(store: SymbolStore) -> OwnStoreSources:
    """The store as the stackwalker can read it: a folder, or a loopback symbol server."""
    directory = store.local_directory()
    if directory is not None:
        return OwnStoreSources(paths=(str(directory),))
    server = StoreSymbolServer(store)
    return OwnStoreSources(urls=(server.url,), server=server)


def open_own_store_sources(storage_url: str, enabled: bool = True) -> OwnStoreSources:
    """The sources of the store on ``storage_url``; none when SYMBOLS_STORE_LOOKUP is off."""
    if not enabled:
        return OwnStoreSources()
    return sources_for(open_symbol_store(storage_url))
