"""The instance's password-hashing slots (schoolcloud/hashslots.py): the launcher's supervisor grants them
to its workers first come, first served, and takes back those of a worker that died holding one. Real
launcher and worker processes, with a minimal app (tests/support/hash_slots_app.py) that holds a slot as
the password checks do."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.support.server import ROOT


@pytest.fixture
def one_slot_two_workers():
    process = subprocess.Popen(
        [sys.executable, "-m", "schoolcloud.launcher", "--port", "0", "--workers", "2", "--hash-slots", "1",
         "--app", "tests.support.hash_slots_app:app", "--log-level", "warning"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "serving with" in line:
            break
    match = re.search(r"on port (\d+)", "".join(lines))
    assert match, "".join(lines)
    log = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    log.start()
    yield f"http://127.0.0.1:{match.group(1)}", lines
    process.terminate()
    process.wait(30)


def hold(base_url: str, seconds: float) -> dict:
    return httpx.get(f"{base_url}/hold", params={"seconds": seconds}, timeout=60).json()


def test_one_slot_for_both_workers_in_the_order_asked(one_slot_two_workers):
    base_url, _log = one_slot_two_workers
    results: list[dict | None] = [None] * 12

    def ask(index: int) -> None:
        results[index] = hold(base_url, 0.25)

    threads = []
    for index in range(len(results)):  # a new connection each: both workers get some
        threads.append(threading.Thread(target=ask, args=(index,)))
        threads[-1].start()
        time.sleep(0.1)  # apart, so that most ask while the slot is held by another
    for thread in threads:
        thread.join(60)
    assert len({result["pid"] for result in results}) == 2
    in_order_asked = sorted(results, key=lambda result: result["asked"])
    starts = [result["start"] for result in in_order_asked]
    assert starts == sorted(starts)  # granted in the order asked, whichever worker asked
    spans = sorted((result["start"], result["end"]) for result in results)
    assert all(previous_end <= start for (_, previous_end), (start, _) in zip(spans, spans[1:]))  # one at a time


def test_the_slot_of_a_worker_that_died_holding_it_comes_back(one_slot_two_workers):
    base_url, log = one_slot_two_workers
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base_url}/die", timeout=30)
    # without the slot back, this would wait for ever: the instance has only the one
    deadline = time.monotonic() + 30
    while True:
        try:
            assert hold(base_url, 0.01)["pid"]
            break
        except httpx.HTTPError:  # the connection reached the dead worker's socket before it left the port
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert any("holding 1 hashing slot; put back" in line for line in log), "".join(log)
