"""uvicorn's httptools protocol, handing a request body's pieces to the app without copying them twice.

uvicorn (0.54) appends each piece the parser gives it (up to 256 KiB, one socket read) to a bytearray
and hands ``bytes(bytearray)`` to the app: two copies of every byte on the event loop's thread, on top
of the two that uvloop and httptools make. For a 1 GiB upload that was about a third of the event
loop's CPU (perf: memmove 0.33 of 0.8 s per GiB). Here the pieces are kept as they are and a
``receive()`` gets the one piece as it is (the usual case: the app asks for the body as fast as it
comes) or the pieces joined. Flow control is uvicorn's, unchanged: reading pauses above 64 KiB
waiting and resumes when the app asks for more.

This relies on how uvicorn's ``RequestResponseCycle`` uses ``body``: ``+=`` for each piece, ``len()``
against the flow-control limit, ``bytes()`` in ``receive()`` and a new ``bytearray()`` after it.
uvicorn is pinned; tests/test_http_protocol.py checks these uses against a real server.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class BodyPieces:
    """A request body's pieces waiting for the app, where uvicorn keeps a bytearray."""

    __slots__ = ("pieces", "size")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0

    def __iadd__(self, piece: bytes) -> BodyPieces:
        self.pieces.append(piece if type(piece) is bytes else bytes(piece))
        self.size += len(piece)
        return self

    def __len__(self) -> int:
        return self.size

    def __bytes__(self) -> bytes:
        # bytes(x) returns what __bytes__ returns, the same object when it is exactly bytes
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)


class PiecesHttpToolsProtocol(HttpToolsProtocol):
    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        # receive() leaves a fresh bytearray behind; from the next piece on, pieces are kept
        if type(cycle.body) is bytearray and not cycle.body:
            cycle.body = BodyPieces()
        super().on_body(body)
