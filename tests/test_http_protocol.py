"""The server's HTTP protocol (schoolcloud.web.http_protocol): uvicorn's httptools protocol handing the
request body's pieces over without copying them into a bytearray and out again. Run with a real
uvicorn server on a real socket, configured as the launcher configures its workers."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket

import uvicorn
from uvicorn.importer import import_from_string

from schoolcloud import launcher
from schoolcloud.web.http_protocol import BodyPieces, PiecesHttpToolsProtocol

MiB = 1024 * 1024


async def body_report(scope, receive, send):
    """Reads the body as an upload does and answers what it saw: sha256, size, largest message."""
    if scope["type"] != "http":
        return
    digest, size, largest, types = hashlib.sha256(), 0, 0, set()
    delay = float(dict(scope["headers"]).get(b"x-delay", b"0"))
    while True:
        if delay:
            await asyncio.sleep(delay)  # a slow consumer: pieces pile up until reading pauses
        message = await receive()
        assert message["type"] == "http.request"
        body = message["body"]
        types.add(type(body).__name__)
        digest.update(body)
        size, largest = size + len(body), max(largest, len(body))
        if not message.get("more_body"):
            break
    reply = json.dumps({"sha256": digest.hexdigest(), "size": size, "largest": largest,
                        "types": sorted(types)}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode())]})
    await send({"type": "http.response.body", "body": reply})


class Served:
    """uvicorn with the launcher's worker settings, serving body_report on a free port."""

    async def __aenter__(self):
        args = launcher.parser().parse_args(["--port", "0", "--log-level", "warning"])
        config = launcher.worker_config(args)
        config.app = body_report
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc):
        self.server.should_exit = True
        await self.task
        self.sock.close()


async def read_response(reader: asyncio.StreamReader) -> dict:
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    return json.loads(await reader.readexactly(length))


def request(body_length: int, *, delay: float = 0.0, chunked: bool = False) -> bytes:
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {body_length}"
    return (f"POST /upload HTTP/1.1\r\nHost: test\r\n{framing}\r\nX-Delay: {delay}\r\n\r\n").encode()


def expected(data: bytes) -> tuple[str, int]:
    return hashlib.sha256(data).hexdigest(), len(data)


async def test_the_launcher_runs_workers_with_this_protocol():
    config = launcher.worker_config(launcher.parser().parse_args([]))
    assert import_from_string(config.http) is PiecesHttpToolsProtocol


def test_one_waiting_piece_is_handed_over_as_it_is():
    pieces = BodyPieces()
    piece = os.urandom(256 * 1024)
    pieces += piece
    assert len(pieces) == len(piece) and bytes(pieces) is piece  # no copy
    pieces += b"more"
    assert len(pieces) == len(piece) + 4 and bytes(pieces) == piece + b"more"
    assert bytes(BodyPieces()) == b""


async def test_bodies_arrive_whole_and_in_order_on_a_kept_alive_connection():
    """Large writes, small writes and pauses; then a second request on the same connection (the
    protocol's state between requests), then a body of one byte."""
    async with Served() as served:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        data = os.urandom(6 * MiB + 7)
        writer.write(request(len(data)))
        offset = 0
        for size in (1, 100, 65536, 2 * MiB, 3, 300_001, 4096):
            writer.write(data[offset : offset + size])
            offset += size
            await writer.drain()
            await asyncio.sleep(0.005)
        writer.write(data[offset:])
        first = await read_response(reader)
        assert (first["sha256"], first["size"]) == expected(data)
        assert first["types"] == ["bytes"]

        second = os.urandom(3 * MiB)
        writer.write(request(len(second)) + second)
        reply = await read_response(reader)
        assert (reply["sha256"], reply["size"]) == expected(second)

        writer.write(request(1) + b"x")
        assert (await read_response(reader))["size"] == 1
        writer.close()


async def test_a_slow_reader_gets_the_waiting_pieces_joined_and_reading_pauses_meanwhile():
    """The app reads slower than the client sends: several small pieces wait and come joined in one
    message, and the server stops reading above uvicorn's limit (64 KiB) instead of gathering the
    whole body."""
    async with Served() as served:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        data = os.urandom(2 * MiB)
        writer.write(request(len(data), delay=0.01))
        for offset in range(0, len(data), 8 * 1024):  # small pieces, each read on its own
            writer.write(data[offset : offset + 8 * 1024])
            await writer.drain()
            await asyncio.sleep(0.0005)
        reply = await read_response(reader)
        assert (reply["sha256"], reply["size"]) == expected(data)
        assert 8 * 1024 < reply["largest"] < 512 * 1024, reply  # joined, yet bounded by the flow control
        writer.close()


async def test_a_chunked_body_arrives_whole():
    async with Served() as served:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        data = os.urandom(MiB + 3)
        writer.write(request(0, chunked=True))
        for offset in range(0, len(data), 100_000):
            piece = data[offset : offset + 100_000]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        writer.write(b"0\r\n\r\n")
        reply = await read_response(reader)
        assert (reply["sha256"], reply["size"]) == expected(data)
        writer.close()
