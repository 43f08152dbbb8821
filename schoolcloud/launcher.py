"""How server processes start: a small pre-fork launcher in front of uvicorn (`schoolcloud serve` execs
into it after its start checks).

    python -m schoolcloud.launcher --host 127.0.0.1 --port 8000 --workers 2 ...

With one worker there is no supervisor: the process binds the port and serves. With several, the
supervising process starts WORKERS processes (`--worker`, started afresh with `python -m`, not forked)
that each run uvicorn on a socket of their own, and

- spreads the connections over the workers: each worker's socket is bound to the port with
  SO_REUSEPORT, so the kernel hands each new connection to one of them by its address hash. On one
  shared socket, the worker that woke first accepted every connection waiting (up to the backlog per
  wakeup): in bench/login_storm.py one of two workers held two thirds to four fifths of the open
  connections. A socket joins once its worker listens, after the app's start-up, and leaves when the
  worker ends (the supervisor keeps no copy), so no connection waits on a worker that is starting or
  gone; the connections still queued on a worker that dies are reset, as its open ones are. Each
  socket has the whole backlog (BACKLOG);
- keeps the instance's queue for password hashing (schoolcloud/hashslots.py): one hash per core at a
  time for all workers together, granted first come, first served whichever worker asks, so that a
  login waits as long in either worker;
- imports only the standard library, never the app, so it stays small (a few MB, where uvicorn's own
  supervisor held about 26 MB and multiprocessing's resource tracker 13 MB beside it);
- starts a new worker in place of one that died, at once after a long life, with a growing delay
  (up to MAX_BACKOFF) after short ones, so that a crash loop does not spin;
- gives up (exit code of the worker, usually 3) when a worker fails to start before all the first ones
  were ready: a wrong configuration or an unreachable database fails the start visibly;
- on SIGTERM or SIGINT tells each worker to shut down gracefully (SIGTERM: uvicorn stops listening and
  finishes the requests in flight), waits for them and exits 0. A second signal makes them quit at once.

Workers run in a process group of their own, so Ctrl-C in a terminal reaches only the supervisor (which
forwards it once, as a graceful stop), and each asks the kernel for SIGTERM should the supervisor die.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

from schoolcloud import hashslots

BACKLOG = 2048  # uvicorn's default listen queue
MAX_BACKOFF = 30.0
#: A worker that lived this long had no start-up problem: the next one starts at once.
HEALTHY_LIFE = 10.0
STARTUP_FAILURE = 3  # uvicorn's exit code when the app's lifespan start fails
ALL_READY = "serving with"  # logged once every first worker is ready (tests/support/server.py waits for it)
GRACEFUL, FORCE = signal.SIGTERM, signal.SIGINT  # what uvicorn takes as "finish, then stop" / "stop now"


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(prog="python -m schoolcloud.launcher", description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--app", default="schoolcloud.asgi:app")
    options.add_argument("--host", default="127.0.0.1")
    options.add_argument("--port", type=int, default=8000)
    options.add_argument("--workers", type=int, default=1)
    options.add_argument("--log-level", default="info")
    options.add_argument("--hash-slots", type=int, default=0,
                         help="password hashes running at a time in the whole instance (default: one per core; "
                              "see schoolcloud/hashslots.py)")
    options.add_argument("--forwarded-allow-ips", default="127.0.0.1,::1")
    # set by the supervisor for its workers
    options.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    options.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    options.add_argument("--supervisor", type=int, help=argparse.SUPPRESS)
    options.add_argument("--hash-slots-fd", type=int, help=argparse.SUPPRESS)
    return options


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A socket bound to the port as uvicorn binds it (SO_REUSEADDR, so a restart finds the port free);
    listening, unless it is one of several on the port (reuse_port), which listens once its worker is
    ready (uvicorn calls listen)."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    if not reuse_port:
        sock.listen(BACKLOG)
    return sock


# --- worker ------------------------------------------------------------------------------------------

#: uvicorn's httptools protocol without two copies of each request body piece (imported by uvicorn in
#: the worker, so that this module stays free of the app's imports)
HTTP_PROTOCOL = "schoolcloud.web.http_protocol:PiecesHttpToolsProtocol"


def worker_config(args: argparse.Namespace):
    """uvicorn's settings of a worker: the client address from X-Forwarded-For only from trusted proxies,
    no Server header, request bodies handed over without copies (schoolcloud.web.http_protocol)."""
    import uvicorn

    return uvicorn.Config(args.app, log_level=args.log_level, backlog=BACKLOG, proxy_headers=True,
                          forwarded_allow_ips=args.forwarded_allow_ips, server_header=False, http=HTTP_PROTOCOL)


def _exit_with_supervisor(supervisor: int) -> None:
    """Ask Linux for SIGTERM when the supervisor dies, so that no worker outlives it (e.g. after SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != supervisor:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def serve(args: argparse.Namespace, sock: socket.socket, ready_fd: int | None = None) -> None:
    """Run uvicorn on the listening socket until told to stop; write to ready_fd once it serves."""
    from schoolcloud.memory import skip_unused_modules

    skip_unused_modules()  # before uvicorn and the app import what they would load
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started and ready_fd is not None:
                os.write(ready_fd, b"r")
                os.close(ready_fd)

    Server(worker_config(args)).run(sockets=[sock])


# --- supervisor --------------------------------------------------------------------------------------

def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def log(message: str) -> None:
    print(f"schoolcloud launcher [{os.getpid()}]: {message}", file=sys.stderr, flush=True)


class Worker:
    def __init__(self, process: subprocess.Popen, ready: int, hash_slots: int):
        self.process, self.ready_pipe, self.started, self.ready = process, ready, time.monotonic(), False
        self.hash_slots = hash_slots  # the supervisor's end of its socket to the hashing queue (fd)


class Supervisor:
    def __init__(self, args: argparse.Namespace):
        # A socket without SO_REUSEPORT fails to bind where anything listens on the port already, e.g.
        # a second launcher, whose workers would otherwise join this port's group and share its connections.
        with bind(args.host, args.port) as guard:
            self.args, self.port = args, guard.getsockname()[1]  # the port the system chose for port 0
        self.workers: dict[int, Worker] = {}  # by pid
        self.pending: list[float] = []  # when to start a new worker in place of one that ended
        self.quick_deaths = 0  # workers in a row that died young
        self.stopping = False
        self.ever_ready = False
        self.exit_code = 0
        self.selector = selectors.DefaultSelector()
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        self.signals: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, lambda number, _frame: self.signals.append(number))
        self.selector.register(self.wake_read, selectors.EVENT_READ)
        self.hash_slots = hashslots.Queue(args.hash_slots or cores())

    def start(self) -> None:
        sock = bind(self.args.host, self.port, reuse_port=True)
        ready_read, ready_write = os.pipe()
        hash_mine, hash_theirs = self.hash_slots.connect()
        command = [sys.executable, "-m", "schoolcloud.launcher", "--worker", "--fd", str(sock.fileno()),
                   "--ready-fd", str(ready_write), "--supervisor", str(os.getpid()), "--app", self.args.app,
                   "--log-level", self.args.log_level, "--forwarded-allow-ips", self.args.forwarded_allow_ips,
                   "--hash-slots-fd", str(hash_theirs.fileno())]
        try:
            process = subprocess.Popen(command, pass_fds=(sock.fileno(), ready_write, hash_theirs.fileno()),
                                       process_group=0)
        except BaseException:
            self.hash_slots.disconnect(hash_mine.fileno())
            raise
        finally:
            sock.close()  # the worker's socket only: it leaves the port with the worker
            os.close(ready_write)
            hash_theirs.close()
        self.workers[process.pid] = Worker(process, ready_read, hash_mine.fileno())
        self.selector.register(hash_mine, selectors.EVENT_READ, ("hash", process.pid))
        self.selector.register(ready_read, selectors.EVENT_READ, process.pid)

    def run(self) -> int:
        for _ in range(self.args.workers):
            self.start()
        while self.workers or (self.pending and not self.stopping):
            self.start_due()
            timeout = max(0.0, min(self.pending) - time.monotonic()) \
                if self.pending and not self.stopping else None
            for key, _events in self.selector.select(timeout):
                if key.fd == self.wake_read:
                    self.drain_wakeups()
                elif isinstance(key.data, tuple):
                    if not self.hash_slots.readable(key.fd):
                        self.selector.unregister(key.fd)  # the worker ended; reap() returns its slots
                else:
                    self.mark_ready(key.data)
            self.handle_signals()
            self.reap()
        return self.exit_code

    def drain_wakeups(self) -> None:
        try:
            while os.read(self.wake_read, 512):
                pass
        except BlockingIOError:
            pass

    def mark_ready(self, pid: int) -> None:
        worker = self.workers[pid]
        self.selector.unregister(worker.ready_pipe)
        said = os.read(worker.ready_pipe, 1)  # empty: the worker ended before it was ready
        os.close(worker.ready_pipe)
        worker.ready_pipe = -1
        if said:
            worker.ready = True
            if not self.ever_ready and sum(w.ready for w in self.workers.values()) == self.args.workers:
                self.ever_ready = True
                log(f"{ALL_READY} {self.args.workers} workers on port {self.port}")

    def handle_signals(self) -> None:
        while self.signals:
            number = self.signals.pop(0)
            if number == signal.SIGCHLD:
                continue
            if not self.stopping:
                log(f"{signal.Signals(number).name}: stopping the workers (they finish their requests)")
                self.stop(GRACEFUL)
            else:
                log(f"{signal.Signals(number).name} again: the workers stop at once")
                self.stop(FORCE)

    def stop(self, how: signal.Signals) -> None:
        if not self.stopping:
            self.stopping = True
            self.pending.clear()
        for worker in self.workers.values():
            worker.process.send_signal(how)

    def reap(self) -> None:
        for pid, worker in list(self.workers.items()):
            code = worker.process.poll()
            if code is None:
                continue
            del self.workers[pid]
            if worker.hash_slots in self.selector.get_map():
                self.selector.unregister(worker.hash_slots)
            returned = self.hash_slots.disconnect(worker.hash_slots)
            if returned:
                log(f"worker {pid} ended holding {returned} hashing slot{'s' if returned > 1 else ''}; put back")
            if worker.ready_pipe != -1:
                self.selector.unregister(worker.ready_pipe)
                os.close(worker.ready_pipe)
            if self.stopping:
                continue
            self.replace(worker, code)

    def replace(self, worker: Worker, code: int) -> None:
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        if not worker.ready and not self.ever_ready:
            log(f"worker {worker.process.pid} failed to start ({how}); stopping")
            self.exit_code = code if code > 0 else 1
            self.stop(GRACEFUL)
            return
        lived = time.monotonic() - worker.started
        delay = self.again(quick=lived < HEALTHY_LIFE)
        log(f"worker {worker.process.pid} ended ({how}) after {lived:.0f} s; a new one starts in {delay:.1f} s")

    def again(self, quick: bool) -> float:
        """Schedule a new worker: at once after a long life, later and later after short ones."""
        self.quick_deaths = self.quick_deaths + 1 if quick else 0
        delay = min(MAX_BACKOFF, 0.5 * 2 ** (self.quick_deaths - 1)) if self.quick_deaths else 0.0
        self.pending.append(time.monotonic() + delay)
        return delay

    def start_due(self) -> None:
        now = time.monotonic()
        for due in [when for when in self.pending if when <= now]:
            self.pending.remove(due)
            try:
                self.start()
            except OSError as exc:  # e.g. another program took the port while no worker held it
                log(f"cannot bind port {self.port} for a new worker ({exc}); trying again in "
                    f"{self.again(quick=True):.1f} s")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.worker:
        _exit_with_supervisor(args.supervisor)
        hashslots.configure(args.hash_slots_fd)
        serve(args, socket.socket(fileno=args.fd), args.ready_fd)
        return 0
    try:
        sock = bind(args.host, args.port) if args.workers <= 1 else None
        supervisor = Supervisor(args) if sock is None else None
    except OSError as exc:
        log(f"cannot listen on {args.host}:{args.port}: {exc}")
        return 1
    if supervisor is None:
        serve(args, sock)  # one worker: no supervisor, this process is the server
        return 0
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
