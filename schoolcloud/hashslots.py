"""Password-hashing slots shared by all server processes of one instance, granted first come, first
served across them (standard library only: the launcher uses it).

Why: with several worker processes, each hashing at most cores/processes passwords at a time, the kernel
spreads new connections over the processes by address hash (SO_REUSEPORT), not by how much each has to
do. Both processes hash at the same rate, so the difference between their queues of waiting logins
is a random walk: in bench/login_storm.py one process often had four times the other's queue, and its
logins waited four times as long (the 99th percentile came from that process, not from the first wave).
One queue for the instance makes the wait the same for every login, whichever process holds it, and
lets a busy process use the hashing capacity an idle one leaves unused.

How: the supervisor keeps the queue. Each worker has a socket pair with it; a hash asks for a slot
("w"), waits for the grant ("g"), hashes and says it is done ("d"). The supervisor grants in the order
the requests came, from whichever process; when a worker ends, the slots it held come back. (A pipe
holding one byte per slot, read by the waiting threads, was tried first: a thread that just arrived
takes a byte written back before the longest waiter has woken up, and that waiter goes to the end of the
kernel's queue: about one login in thirty waited twice as long, which made the 99th percentile.)
"""

from __future__ import annotations

import collections
import socket
import threading

WANT, GRANT, DONE = b"w", b"g", b"d"


class Slots:
    """A worker's side: blocking calls from its hashing threads."""

    def __init__(self, fd: int):
        self.sock = socket.socket(fileno=fd)
        self.sock.set_inheritable(False)  # passed to this worker, not to what it starts
        self.lock = threading.Lock()
        self.waiting: collections.deque[threading.Event] = collections.deque()
        self.reader: threading.Thread | None = None

    def run(self, function, *args):
        """Call ``function(*args)`` once the instance grants a slot (blocks the calling thread)."""
        granted = threading.Event()
        with self.lock:  # the supervisor grants a worker's requests in the order they were sent
            if self.reader is None:
                self.reader = threading.Thread(target=self._receive, name="hash slots", daemon=True)
                self.reader.start()
            self.waiting.append(granted)
            self.sock.send(WANT)
        granted.wait()
        try:
            return function(*args)
        finally:
            self.sock.send(DONE)

    def _receive(self) -> None:
        while True:
            message = self.sock.recv(64)
            if not message:  # the supervisor is gone; the worker ends with it
                return
            for _ in range(message.count(GRANT)):
                with self.lock:
                    self.waiting.popleft().set()


_slots: Slots | None = None


def configure(fd: int | None) -> None:
    """In a worker: the socket to the supervisor's queue."""
    global _slots
    _slots = Slots(fd) if fd is not None else None


def shared() -> Slots | None:
    """The instance's slots, or None in a process that was not started by the supervisor (one worker,
    tests, commands): it then bounds its hashing by itself."""
    return _slots


class Queue:
    """The supervisor's side: free slots, who holds how many, and who waits, in order."""

    def __init__(self, slots: int):
        self.free = slots
        self.held: dict[int, int] = {}  # by the supervisor's end of a worker's socket (its fd)
        self.queue: collections.deque[int] = collections.deque()
        self.socks: dict[int, socket.socket] = {}

    def connect(self) -> tuple[socket.socket, socket.socket]:
        """(the supervisor's end, the worker's end, to pass and close) of a new worker's socket pair."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.socks[mine.fileno()] = mine
        self.held[mine.fileno()] = 0
        return mine, theirs

    def readable(self, fd: int) -> bool:
        """Handle what a worker sent; False when it closed its end (it ended)."""
        try:
            message = self.socks[fd].recv(64)
        except ConnectionError:
            message = b""
        if not message:
            return False
        for byte in message:
            if byte == DONE[0]:
                self.held[fd] -= 1
                self.free += 1
            elif byte == WANT[0]:
                self.queue.append(fd)
        self._grant()
        return True

    def disconnect(self, fd: int) -> int:
        """Forget a worker that ended: the slots it held are free again (returns how many)."""
        held = self.held.pop(fd, 0)
        self.free += held
        self.queue = collections.deque(waiter for waiter in self.queue if waiter != fd)
        self.socks.pop(fd).close()
        self._grant()
        return held

    def _grant(self) -> None:
        while self.free and self.queue:
            fd = self.queue.popleft()
            try:
                self.socks[fd].send(GRANT)
            except OSError:  # it is ending; disconnect() follows
                continue
            self.free -= 1
            self.held[fd] += 1
