"""HTTP/1.1 to an S3 server on the event loop, for the S3 store's hot small requests.

The minio SDK sends through urllib3 and http.client in a worker thread: on a 2-core machine that cost
about 1 ms CPU more per request than the request itself (16 KiB PUTs to SeaweedFS: 1.5-1.9 ms per PUT
through the SDK, 0.68 ms over a plain socket parsed by ``httptools``; ``email.parser`` for the response
headers, urllib3's bookkeeping and the thread hop). Here the SDK still builds and signs the request
(see ``S3Store._request``); this module only carries it: keep-alive connections per endpoint, kept up to
``max_idle`` (as urllib3's pool keeps ``maxsize``, without blocking when more are in use), TLS with the
given CA file, responses parsed by ``httptools`` (installed with uvicorn), a body read with bounded
memory (reading from the socket pauses while ``buffer_limit`` bytes wait). Retries as urllib3's
``Retry(total=5, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504])`` did: connection errors,
time-outs and those answers are tried again (only idempotent requests come here), and a kept
connection the server had closed meanwhile is replaced by a fresh one without counting as a failure.
A request cancelled or failed half-way closes its connection: only a connection whose answer arrived
whole goes back to the pool.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import Any
from urllib.parse import urlsplit

import httptools

RETRY_STATUSES = frozenset((500, 502, 503, 504))


class _Connection(asyncio.Protocol):
    """One connection and the answer to its current request (httptools calls the ``on_*`` methods)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, buffer_limit: int):
        self.loop = loop
        self.buffer_limit = buffer_limit
        self.transport: Any = None
        self.lost = False  # closed by either side, or unusable: never reused
        self.parser: Any = None  # set while a request is under way
        self.waiter: asyncio.Future[None] | None = None
        self.error: BaseException | None = None
        self.received = False  # any byte of the answer
        self.head_done = self.done = self.keep_alive = self.paused = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body: collections.deque[bytes] = collections.deque()
        self.buffered = 0

    def start(self, head: bytes, body: bytes | memoryview | None) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.received = self.head_done = self.done = False
        self.headers = {}
        self.transport.write(head)
        if body:
            self.transport.write(body)

    async def wait(self, timeout: float) -> None:
        """Until something arrives (or the connection ends, or ``timeout`` passes without a byte)."""
        if self.error is not None:
            raise self.error
        self.waiter = self.loop.create_future()
        timer = self.loop.call_later(timeout, self._timed_out, timeout)
        try:
            await self.waiter
        finally:
            timer.cancel()
            self.waiter = None
        if self.error is not None:
            raise self.error

    def take(self, size: int) -> bytes:
        """Up to ``size`` bytes of the body received so far."""
        pieces, taken = [], 0
        while self.body and taken < size:
            piece = self.body.popleft()
            if taken + len(piece) > size:
                self.body.appendleft(piece[size - taken:])
                piece = piece[:size - taken]
            pieces.append(piece)
            taken += len(piece)
        self.buffered -= taken
        if self.paused and self.buffered < self.buffer_limit:
            self.resume()
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def resume(self) -> None:
        self.paused = False
        if not self.lost:
            self.transport.resume_reading()

    def close(self) -> None:
        self.lost = True
        self.parser = None
        if self.transport is not None:
            self.transport.abort()  # no lingering: nothing of ours is left to send

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _timed_out(self, timeout: float) -> None:
        self._fail(TimeoutError(f"S3 sent nothing for {timeout:.0f} s"))

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.parser is None or self.done:  # bytes nobody asked for: the connection is unusable
            self.close()
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"S3 sent no valid HTTP answer: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        self.lost = True
        if self.parser is not None and not self.done:
            self._fail(ConnectionResetError("S3 closed the connection before its answer was complete"))
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.parser is not None and not self.done:
            self._fail(exc or ConnectionResetError("the connection to S3 was closed"))

    # -- httptools callbacks ------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        self.head_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.buffered += len(body)
        if self.buffered >= self.buffer_limit and not self.paused:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.done = True
        self._wake()


class Response:
    """An answer whose head has arrived; its body is read with ``read``. ``release`` (always call it)
    returns the connection to the pool if the whole answer arrived, else closes it."""

    def __init__(self, pool: Pool, netloc: str, connection: _Connection):
        self._pool = pool
        self._netloc = netloc
        self._connection: _Connection | None = connection
        self.status = connection.status
        self.headers = connection.headers  # names in lower case

    async def read(self, size: int) -> bytes:
        """``size`` bytes of the body, fewer only at its end (b"" past it)."""
        connection = self._connection
        if connection is None:
            return b""
        while connection.buffered < size and not connection.done:
            if connection.paused:
                connection.resume()
            await connection.wait(self._pool.timeout)
        return connection.take(size)

    async def read_all(self) -> bytes:
        """The rest of the body (for answers known to be small)."""
        connection = self._connection
        if connection is None:
            return b""
        while not connection.done:
            if connection.paused:
                connection.resume()
            await connection.wait(self._pool.timeout)
        return connection.take(connection.buffered)

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.put_back(self._netloc, connection)


class Pool:
    """Keep-alive connections to S3 endpoints (``host:port``), on the running event loop."""

    def __init__(
        self,
        *,
        secure: bool,
        timeout: float,
        max_idle: int,
        ssl_context: ssl.SSLContext | None = None,
        retries: int = 5,
        backoff_factor: float = 0.2,
        buffer_limit: int = 1024 * 1024,
    ):
        self.secure = secure
        self.timeout = timeout  # to connect, and for each wait for the answer
        self.max_idle = max_idle
        self.ssl_context = ssl_context
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.buffer_limit = buffer_limit
        self.idle: dict[str, list[_Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def request(
        self, method: str, netloc: str, target: str, headers: dict[str, str], body: bytes | memoryview | None
    ) -> Response:
        """Send a request (idempotent: it may go more than once) and wait for its answer's head."""
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None and not any(name.lower() == "content-length" for name in headers):
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        failures = 0
        while True:
            connection = self._take(netloc)
            kept = connection is not None
            try:
                if connection is None:
                    connection = await self._connect(netloc)
                connection.start(head, body)
                while not connection.head_done:
                    await connection.wait(self.timeout)
            except BaseException as exc:  # cancelled too: a half-done exchange never goes back
                if connection is not None:
                    connection.close()
                if not isinstance(exc, OSError) or isinstance(exc, ssl.SSLCertVerificationError):
                    raise  # (a certificate S3 shows does not change from one try to the next)
                if kept and not connection.received:
                    continue  # the server had closed the kept connection: again on a fresh one
                failures += 1
                if failures > self.retries:
                    raise
                await asyncio.sleep(self._backoff(failures))
                continue
            response = Response(self, netloc, connection)
            if response.status in RETRY_STATUSES and failures < self.retries:
                response.release()  # reused if the (small) error answer is in, else closed
                failures += 1
                await asyncio.sleep(self._backoff(failures))
                continue
            return response

    def _backoff(self, failures: int) -> float:
        """urllib3's: nothing after the first failure, then backoff_factor * 2 ** (failures - 1)."""
        return 0.0 if failures <= 1 else min(self.backoff_factor * 2 ** (failures - 1), 120.0)

    def _take(self, netloc: str) -> _Connection | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections of another (finished) loop cannot be used here
            self.idle.clear()
            self._loop = loop
        idle = self.idle.get(netloc)
        while idle:
            connection = idle.pop()
            if not connection.lost:
                return connection
        return None

    async def _connect(self, netloc: str) -> _Connection:
        loop = asyncio.get_running_loop()
        address = urlsplit("//" + netloc)
        host = address.hostname or ""
        port = address.port or (443 if self.secure else 80)
        _, connection = await asyncio.wait_for(
            loop.create_connection(
                lambda: _Connection(loop, self.buffer_limit),
                host,
                port,
                ssl=self.ssl_context if self.secure else None,
                server_hostname=host if self.secure else None,
            ),
            self.timeout,
        )
        return connection

    def put_back(self, netloc: str, connection: _Connection) -> None:
        reusable = connection.done and connection.keep_alive and connection.error is None
        connection.parser = None
        connection.body.clear()
        connection.buffered = 0
        idle = self.idle.setdefault(netloc, [])
        if not reusable or connection.lost or len(idle) >= self.max_idle:
            connection.close()
            return
        if connection.paused:
            connection.resume()  # so that a close by the server is seen while it waits
        idle.append(connection)

    def close(self) -> None:
        """Close the kept connections (as urllib3's ``PoolManager.clear``: a later request opens new
        ones, as the checks after a store's close do)."""
        for idle in self.idle.values():
            for connection in idle:
                connection.close()
        self.idle.clear()
