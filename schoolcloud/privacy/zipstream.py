"""A ZIP archive written as a stream of chunks, for downloads of any size in bounded memory.

The standard ``zipfile`` writes to any object with ``write``; without ``seek`` it puts each entry's
sizes and checksum in a data descriptor after the entry, so nothing has to be held back. Each chunk of
an entry goes out as soon as it is compressed: memory stays at about one chunk from the store.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime


class _Sink:
    """The file object zipfile writes to; ``take`` hands over what was written so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


@dataclass
class Entry:
    name: str
    modified: datetime
    content: bytes | AsyncIterable[bytes]
    compress: bool = True


def _info(entry: Entry) -> zipfile.ZipInfo:
    stamp = entry.modified.timetuple()[:6]
    info = zipfile.ZipInfo(entry.name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
    info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


async def stream_zip(entries: AsyncIterable[Entry]) -> AsyncIterator[bytes]:
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", allowZip64=True)
    async for entry in entries:
        with archive.open(_info(entry), "w", force_zip64=True) as target:
            if isinstance(entry.content, bytes):
                target.write(entry.content)
            else:
                async for chunk in entry.content:
                    target.write(chunk)
                    if data := sink.take():
                        yield data
        if data := sink.take():
            yield data
    archive.close()
    yield sink.take()
