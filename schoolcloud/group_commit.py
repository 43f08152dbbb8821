"""Group commit on SQLite: the short write transactions of concurrent requests in one process share one
database transaction, so one wait for SQLite's write lock and one commit (one fsync) serve them all.

Why: SQLite lets one connection write at a time across all server processes, and Tortoise gives each
process a single connection that a transaction holds (reads included) from BEGIN to COMMIT. With many
small uploads finishing at once, each queued for the write lock (the other process's waiters sleep in
SQLite's busy handler, with growing pauses) and paid its own commit. Measured with 16 clients on 2
processes: about 7 ms per upload waiting in BEGIN IMMEDIATE plus 5 ms holding the lock.

How: ``transaction(work)`` queues a unit; the process's leader (a task of its own) opens one
transaction, runs the queued units one after the other, each inside a SAVEPOINT and in its caller's
context (contextvars), takes in the units that arrive meanwhile, and commits. A unit that raises is
rolled back to its savepoint alone and its caller gets its error; the others are unaffected. Nobody is
answered before the COMMIT has returned, so an acknowledged unit is as durable as a transaction of its
own; a failing COMMIT fails every unit of the batch, and none of their writes stays. Units see the
earlier units of their batch as they would see them committed.

On PostgreSQL (a connection per transaction, its own group commit), or when the caller is inside a
transaction already, a unit runs as a transaction (or savepoint) of its own, as before.

A unit must be a short series of queries on the connection it is given (no waiting for other requests,
no network): the whole batch holds the process's connection meanwhile.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.connection import connections
from tortoise.transactions import in_transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[BaseDBAsyncClient], Awaitable[T]]

#: Units per batch at most: later ones wait for the next batch (keeps a batch's time bounded, so the
#: process's reads are not held back for long).
MAX_UNITS = 32


class CancelledAfterCommit(asyncio.CancelledError):
    """The caller was cancelled while its unit ran, and the unit was committed: its rows stand."""


class TransactionLost(RuntimeError):
    """SQLite ended the shared transaction by itself (it does so on I/O errors or a full disk)."""


async def transaction(work: Work[T], connection_name: str = "default") -> T:
    """Run ``work(connection)`` in a transaction (on SQLite: grouped with others, see the module
    docstring) and return its result. The unit runs to its end even if the caller is cancelled
    meanwhile; the caller then gets ``CancelledAfterCommit`` if it was committed."""
    unit = submit(work, connection_name)
    try:
        return await asyncio.shield(unit)
    except asyncio.CancelledError:
        await asyncio.wait([unit])
        if not unit.cancelled() and unit.exception() is None:
            raise CancelledAfterCommit() from None
        raise


def submit(work: Work[T], connection_name: str = "default") -> asyncio.Future[T]:
    """Queue ``work`` and return the future of its result (see ``transaction``)."""
    loop = asyncio.get_running_loop()
    client = connections.get(connection_name)
    if client.capabilities.dialect != "sqlite" or isinstance(client, TransactionalDBClient):
        return loop.create_task(_alone(work, connection_name))
    global _batcher
    if _batcher is None or _batcher.loop is not loop or _batcher.name != connection_name:
        _batcher = _Batcher(loop, connection_name)
    return _batcher.submit(work)


async def _alone(work: Work[T], connection_name: str) -> T:
    async with in_transaction(connection_name) as connection:
        return await work(connection)


_batcher: _Batcher | None = None


class _Batcher:
    """The queue and the leader of one event loop (one server process)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str):
        self.loop, self.name = loop, name
        self.queue: deque[tuple[Work[Any], contextvars.Context, asyncio.Future[Any]]] = deque()
        self.leader: asyncio.Task[None] | None = None

    def submit(self, work: Work[T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self.loop.create_future()
        self.queue.append((work, contextvars.copy_context(), future))
        if self.leader is None:
            self.leader = self.loop.create_task(self._lead())
        return future

    async def _lead(self) -> None:
        try:
            while self.queue:
                await self._batch()
        finally:
            self.leader = None
            while self.queue:  # only if the leader itself was cancelled (shutdown)
                _settle(self.queue.popleft()[2], error=asyncio.CancelledError())

    async def _batch(self) -> None:
        done: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        unit = self.queue.popleft()
        try:
            async with in_transaction(self.name) as shared:
                while True:
                    work, context, future = unit
                    if not shared._connection.in_transaction:
                        raise TransactionLost("the shared transaction was rolled back by SQLite")
                    result, error = await self._run_unit(shared, work, context)
                    done.append((future, result, error))
                    if not self.queue or len(done) >= MAX_UNITS:
                        break
                    unit = self.queue.popleft()
        except BaseException as exc:  # BEGIN or COMMIT failed: nothing of this batch is stored
            if not done or done[-1][0] is not unit[2]:
                done.append((unit[2], None, exc))
            for future, _, error in done:
                _settle(future, error=error or exc)
            if not isinstance(exc, Exception):
                raise
            log.warning("a group commit of %d transaction(s) failed: %s", len(done), exc)
            return
        for future, result, error in done:
            _settle(future, result, error)

    async def _run_unit(self, shared: BaseDBAsyncClient, work: Work[T],
                        context: contextvars.Context) -> tuple[T | None, BaseException | None]:
        async def unit() -> T:
            # The caller's context is copied, so this only affects the unit: queries that do not name a
            # connection use the shared transaction.
            connections.set(self.name, shared)
            async with shared._in_transaction() as savepoint:
                return await work(savepoint)

        try:
            return await self.loop.create_task(unit(), context=context), None
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the unit's own error, for its caller; rolled back to its savepoint
            return None, exc


def _settle(future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
