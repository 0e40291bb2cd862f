"""A symbol server on the loopback interface serving Jansky's own store to the stackwalker.

The stackwalker reads symbols from local folders and from symbol servers over HTTP. A store on
files is a local folder in the Breakpad layout already; a store in S3 is not, and the
stackwalker cannot sign S3 requests. So each processor process serves the store at
``http://127.0.0.1:<port>/<debug_file>/<debug_id>/<file>.sym``, streamed from S3 with the
crash storage's credentials, and passes that URL to the stackwalker first. What it downloads
lands in the symbols cache (STACKWALKER_SYMBOLS_CACHE_PATH), which the cache manager keeps
bounded, like anything fetched from the upstream SYMBOLS_URLS.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from jansky.storage import StorageError
from jansky.symbols.layout import InvalidSymbolName, SymbolKey, parse_symbol_path
from jansky.symbols.store import SymbolStore
from processor.metrics import METRICS

logger = logging.getLogger(__name__)


def key_of(path: str) -> SymbolKey | None:
    """The key a request path names (the query, such as minidump-stackwalk's ``code_file``
    and ``code_id``, is ignored); None for anything else."""
    parts = [unquote(part) for part in urlsplit(path).path.split("/")]
    if len(parts) != 4 or parts[0]:
        return None
    try:
        return parse_symbol_path(*parts[1:])
    except InvalidSymbolName:
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the stackwalker reuses its connection
    server: _StoreServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        key = key_of(self.path)
        if key is None:
            self._empty(HTTPStatus.NOT_FOUND)
            return
        try:
            stored = self.server.store.open(key)
        except StorageError as exc:
            logger.error("symbol store: %s", exc)
            METRICS.incr("symbols_store.error")
            self._empty(HTTPStatus.BAD_GATEWAY)
            return
        if stored is None:
            METRICS.incr("symbols_store.miss")
            self._empty(HTTPStatus.NOT_FOUND)
            return
        METRICS.incr("symbols_store.hit")
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(stored.size))
            self.end_headers()
            if with_body:
                for chunk in stored.chunks():
                    self.wfile.write(chunk)
        finally:
            stored.close()

    def _empty(self, status: HTTPStatus) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("symbol store request: " + format, *args)


class _StoreServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: SymbolStore) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.store = store


class StoreSymbolServer:
    """The store served on an ephemeral loopback port until :meth:`close`."""

    def __init__(self, store: SymbolStore) -> None:
        self._server = _StoreServer(store)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="store-symbol-server", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
