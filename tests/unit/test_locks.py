"""One driver per run: live holders are refused by name, dead ones are taken over and journaled."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from deploytui.journal import Journal
from deploytui.journal.locks import RunLock, RunLocked, StaleLock
from deploytui.model.events import EventType
from tests.core_helpers import make_run


def _insert_lock(
    journal: Journal, host: str, pid: int, since: str = "2026-11-22T01:02:03.000+00:00"
) -> None:
    with journal.db.atomic():
        journal.db.execute(
            "INSERT INTO locks (run_id, host, pid, since, token) VALUES (?, ?, ?, ?, ?)",
            ("run1", host, pid, since, "other"),
        )


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_live_holder_is_refused_naming_host_pid_and_since(journal: Journal) -> None:
    make_run(journal)
    first = RunLock(journal, "run1")
    first.acquire()
    with pytest.raises(RunLocked) as caught:
        RunLock(journal, "run1").acquire()
    message = str(caught.value)
    assert f"pid {os.getpid()} on {socket.gethostname()} since " in message
    assert first.holder() is not None and first.holder().pid == os.getpid()
    first.release()
    assert first.holder() is None
    second = RunLock(journal, "run1")
    second.acquire()  # free again
    second.release()


def test_a_lock_left_by_a_dead_process_is_taken_over_only_when_confirmed(
    journal: Journal,
) -> None:
    make_run(journal)
    dead = _dead_pid()
    _insert_lock(journal, socket.gethostname(), dead)
    with pytest.raises(StaleLock, match=f"pid {dead} on .* process is gone; .*--take-over"):
        RunLock(journal, "run1").acquire()
    assert not [e for e in journal.events("run1") if e.type == EventType.lock_taken_over]
    lock = RunLock(journal, "run1")
    previous = lock.acquire(take_over=True)  # the operator confirmed
    assert previous is not None and previous.pid == dead
    taken = [e for e in journal.events("run1") if e.type == EventType.lock_taken_over]
    assert taken[0].data["previous_pid"] == dead and taken[0].data["forced"] is True
    assert lock.holder().pid == os.getpid()
    lock.release()


def test_a_live_process_is_never_displaced_even_with_take_over(journal: Journal) -> None:
    make_run(journal)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _insert_lock(journal, socket.gethostname(), live.pid, since=_after_start(live.pid))
        with pytest.raises(RunLocked) as caught:
            RunLock(journal, "run1").acquire(take_over=True)
        assert not isinstance(caught.value, StaleLock)
        assert f"is being driven by pid {live.pid} on {socket.gethostname()} since" in str(
            caught.value
        )
    finally:
        live.kill()
        live.wait()


def test_a_lock_from_another_host_needs_take_over(journal: Journal) -> None:
    make_run(journal)
    _insert_lock(journal, "other-laptop", 4242)
    with pytest.raises(RunLocked, match="pid 4242 on other-laptop since 2026-11-22 01:02:03 UTC"):
        RunLock(journal, "run1").acquire()
    with pytest.raises(RunLocked, match="--take-over"):
        RunLock(journal, "run1").acquire()
    lock = RunLock(journal, "run1")
    assert lock.acquire(take_over=True).host == "other-laptop"
    assert journal.events("run1")[-1].data["forced"] is True
    lock.release()


def test_release_only_removes_our_own_lock(journal: Journal) -> None:
    make_run(journal)
    mine = RunLock(journal, "run1")
    mine.acquire(take_over=True)
    theirs = RunLock(journal, "run1")
    theirs.acquire(take_over=True)  # forced take-over replaces our row
    mine.release()
    assert mine.holder() is not None  # theirs is still there
    theirs.release()
    assert theirs.holder() is None


def _after_start(pid: int) -> str:
    """A lock time just after ``pid`` started (as the lock of that process would be)."""
    import time

    from deploytui.journal.store import utc_now

    time.sleep(0.05)
    return utc_now()


def test_a_reused_pid_does_not_pass_for_the_dead_holder(journal: Journal) -> None:
    """After a crash (or a reboot) the holder's pid may name another, live process: one started
    after the lock was taken is not the holder, so the lock is stale, not 'being driven'."""
    make_run(journal)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _insert_lock(journal, socket.gethostname(), other.pid, "2020-01-01T00:00:00.000+00:00")
        with pytest.raises(StaleLock, match="process is gone"):
            RunLock(journal, "run1").acquire()
        assert RunLock(journal, "run1").acquire(take_over=True).pid == other.pid
    finally:
        other.kill()
        other.wait()
