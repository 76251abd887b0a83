"""A second clock for each check, for learner code that keeps the first one from ringing.

pytest-timeout stops a check with SIGALRM. Code that ignores or blocks that signal (`signal.signal(SIGALRM,
SIG_IGN)`, `signal.pthread_sigmask`) would then run for ever. `deadline(seconds)` starts a thread that, past
`seconds`, raises CheckTimedOut in the checked thread at its next Python instruction (PyThreadState_SetAsyncExc),
and again every half second until the check ends (an `except BaseException` cannot keep it going).

What no thread can stop is a single call into C that never returns to Python (a catastrophic regular expression, a
huge torch operation): in a learner's own run that check ends when the call does. `coursekit grade-class` kills such
a child at its deadline and grades the rest in a fresh one.
"""
from __future__ import annotations

import contextlib
import ctypes
import _thread

from _pytest.outcomes import Failed

GRACE_SECONDS = 2.0  # after pytest-timeout's own alarm, which gives a better traceback when it works
REPEAT_SECONDS = 0.5
MAX_RAISES = 40  # 20 s of repeated interruptions at most, whatever happens to the check
# The class grader's child turns it off: its parent kills a child at the deadline and grades the rest in a fresh one,
# which also stops what no thread can (and a hypothesis replay interrupted by a second kind of exception would read
# as "flaky" rather than as the time limit it is).
enabled = True


class CheckTimedOut(Failed):
    """Raised into a check that outlived its time limit with the alarm blocked or ignored."""

    def __init__(self, msg: str = "Timeout: the check ran past its time limit with the alarm signal blocked or "
                                  "ignored, and was stopped.") -> None:
        super().__init__(msg, pytrace=False)


def _raise_in(thread_id: int, exception_type=CheckTimedOut) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exception_type) if exception_type else None)


_running: list = []  # the "done" lock of the check now running, if any


@contextlib.contextmanager
def deadline(seconds: float):
    """Run the body under the second clock: past `seconds` + GRACE_SECONDS it is interrupted (see above).

    The watch is a bare _thread, not a threading.Thread: pytest-timeout dumps the stack of every thread that
    threading knows of when its alarm rings, and a watchdog must not add itself to that dump."""
    if not enabled:
        yield
        return
    for earlier in _running:  # a check whose own ending was interrupted: its watch ends now
        _release(earlier)
    _running.clear()
    target = _thread.get_ident()
    done, finished = _thread.allocate_lock(), _thread.allocate_lock()
    done.acquire()
    finished.acquire()
    _running.append(done)

    def watch() -> None:
        try:
            if done.acquire(timeout=seconds + GRACE_SECONDS):
                return
            for _ in range(MAX_RAISES):
                _raise_in(target)
                if done.acquire(timeout=REPEAT_SECONDS):
                    return
        finally:
            finished.release()

    try:
        _thread.start_new_thread(watch, ())
    except RuntimeError:  # no thread to be had (a process limit the code under test used up): the alarm alone
        _running.clear()
        yield
        return
    try:
        yield
    finally:
        _release(done)
        finished.acquire()
        _raise_in(target, None)  # one raised just as the body ended is withdrawn
        _running.clear()


def _release(lock) -> None:
    try:
        lock.release()
    except RuntimeError:  # already released
        pass
