"""A minimal ASGI app for tests/test_hash_slots.py, run by the real launcher: it takes the instance's
hashing slots (schoolcloud.hashslots) as the password checks do, around a sleep or an exit."""

from __future__ import annotations

import asyncio
import json
import os
import time
from urllib.parse import parse_qs

from schoolcloud import hashslots


def _hold(seconds: float) -> tuple[float, float]:
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def _ask_and_hold(slots: hashslots.Slots, seconds: float) -> tuple[float, float, float]:
    # stamped right before asking the supervisor, so the test compares the grant order with the order the
    # slots were asked for, not with the order the clients connected (which load may reorder)
    asked = time.time()
    return (asked, *slots.run(_hold, seconds))


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    query = parse_qs(scope["query_string"].decode())
    slots = hashslots.shared()
    if scope["path"] == "/die":  # dies while it holds a slot
        await asyncio.to_thread(slots.run, os._exit, 1)
    asked, start, end = await asyncio.to_thread(_ask_and_hold, slots, float(query["seconds"][0]))
    body = json.dumps({"pid": os.getpid(), "asked": asked, "start": start, "end": end}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
