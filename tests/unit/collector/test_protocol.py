"""The connection protocol's guards: request-head deadline and size, half-closed bodies."""

from __future__ import annotations

import asyncio

from uvicorn.config import Config
from uvicorn.server import ServerState

from antenna.body import BODY_CUT_SHORT
from antenna.protocol import guarded_protocol


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8800)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class App:
    """Records scopes and reads the body, answering once it is whole (or cut short)."""

    def __init__(self) -> None:
        self.scopes: list[dict] = []
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        self.scopes.append(scope)
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def connect(app, head_timeout=0.2, max_head=200):
    config = Config(app=app, lifespan="off", log_config=None)
    config.load()
    protocol_class = guarded_protocol(head_timeout, max_head)
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


def test_a_trickled_request_head_gets_408_and_is_closed():
    async def go():
        app = App()
        _protocol, transport = connect(app)
        for piece in (b"POST /submit HTTP/1.1\r\n", b"Host: x\r\n", b"X-Slow: 1\r\n"):
            _protocol.data_received(piece)
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.1)
        return app, transport

    app, transport = asyncio.run(go())
    assert transport.written.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert transport.closed and app.scopes == []


def test_a_connection_that_never_speaks_is_closed_without_an_answer():
    async def go():
        _protocol, transport = connect(App())
        await asyncio.sleep(0.3)
        return transport

    transport = asyncio.run(go())
    assert transport.closed and transport.written == b""


def test_an_oversized_request_head_gets_431():
    async def go():
        app = App()
        protocol, transport = connect(app, head_timeout=5)
        protocol.data_received(
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"y" * 300 + b"\r\n\r\n"
        )
        await asyncio.sleep(0.01)
        return app, transport

    app, transport = asyncio.run(go())
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert transport.closed and app.scopes == []


def test_a_prompt_request_is_served_and_its_connection_kept():
    async def go():
        app = App()
        protocol, transport = connect(app, head_timeout=0.2)
        protocol.data_received(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        await asyncio.sleep(0.05)
        served = bytes(transport.written)
        await asyncio.sleep(0.3)  # idle after the answer: the next head is due, then closed
        return app, served, transport

    app, served, transport = asyncio.run(go())
    assert app.bodies == [b"abc"] and served.startswith(b"HTTP/1.1 200 OK")
    assert transport.closed


def test_a_half_close_mid_body_ends_it_as_cut_short_and_keeps_the_way_back():
    async def go():
        app = App()
        protocol, transport = connect(app, head_timeout=5)
        protocol.data_received(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        await asyncio.sleep(0.01)
        keep_open = protocol.eof_received()
        await asyncio.sleep(0.01)
        return app, transport, keep_open

    app, transport, keep_open = asyncio.run(go())
    assert keep_open is True
    assert app.bodies == [b"abc"] and app.scopes[0][BODY_CUT_SHORT] is True
    assert transport.written.startswith(b"HTTP/1.1 200 OK")  # this toy app answers anyway
