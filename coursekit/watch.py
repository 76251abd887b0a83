"""`coursekit watch [exercise | chapter]`: regrade the chapter you are editing on every save, like rustlings.

One key does one thing: h the next hint, n the next exercise, l the list of exercises, r regrade now, q quit.
With no argument it starts at the first exercise you have not finished (from the progress store); when the
exercise you are on passes, it moves on to the next unfinished one.

Fast because only your file is new: a grading server started once holds torch, torch._dynamo, pytest and the
checks in memory (imported, collected once, torch settled); for every save it forks, and the fork runs
`pytest autograder/test_chNN_*.py` in-process and prints the usual score report. Nothing of your code lives in the
server: each run loads your file afresh in a fork that then exits. Saves are seen through `watchfiles` (the
operating system's file events); on file systems without events (network and FUSE mounts, WSL's /mnt) or with
`--poll` it polls instead, and without watchfiles at all it falls back to comparing modification times.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.kit import find_root

KEYS = "[h] hint  [n] next exercise  [l] list  [r] regrade  [q] quit"
_NO_EVENTS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "vboxsf", "drvfs", "sshfs", "afs", "ncpfs", "davfs")


# ---------------------------------------------------------------- the grading server (a separate, warm process)

def serve(root: str, status_fd: int, target: str = "exercises") -> None:
    """Run as `python -c 'from coursekit.watch import serve; serve(ROOT, FD, TARGET)'`: warm up, then one fork per
    request.

    Requests arrive on stdin as JSON lists of pytest arguments; for each, the status pipe gets {"pid": ...} when the
    fork starts and {"exit": code, "seconds": s} when it ends. The forks print to the terminal (our stdout).
    """
    os.chdir(root)
    sys.path.insert(0, root)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for `coursekit watch`, which stops us
    status = os.fdopen(status_fd, "w", buffering=1)
    _warm_up(root, target)
    status.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        arguments = json.loads(line)
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the fork: grade, print the report, leave
            os.setpgid(0, 0)  # its own group: stopping it also stops any DataLoader workers it started
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 3
            try:
                import pytest

                code = int(pytest.main(arguments))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        status.write(json.dumps({"pid": pid}) + "\n")
        _, wait_status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(wait_status)
        status.write(json.dumps({"exit": code, "seconds": time.perf_counter() - started}) + "\n")


def _warm_up(root: str, target: str = "exercises") -> None:
    """Import and collect everything a chapter's grading needs, once, with the output thrown away (collecting runs
    none of the learner's code: the checks load it when they run)."""
    import io

    import pytest

    from autograder.engine import global_state

    tests = sorted(str(p) for p in (Path(root) / "autograder").glob("test_ch[0-9][0-9]_*.py"))
    shown, sys.stdout = sys.stdout, io.StringIO()
    try:
        pytest.main([*tests, "--collect-only", "-q", "--target", target, "-p", "no:cacheprovider"])
    finally:
        sys.stdout = shown
        global_state.forget_internals()  # each fork records the grader's internals afresh before grading


# ---------------------------------------------------------------- the course: exercises, chapters, statuses

@dataclass
class Exercise:
    id: str
    function: str
    chapter: str
    guide: str


def course(root: Path) -> list[Exercise]:
    from autograder.engine import catalog

    return [Exercise(e.id, e.function, e.chapter, e.guide) for e in catalog.read(root / "autograder").values()]


def chapter_files(root: Path) -> dict[str, Path]:
    """{'ch01_tensors': autograder/test_ch01_tensors.py, ...}"""
    return {p.stem.removeprefix("test_"): p for p in sorted((root / "autograder").glob("test_ch[0-9][0-9]_*.py"))}


def resolve_chapter(text: str, root: Path | None = None) -> str:
    """'8', '08', 'ch08', 'ch08_training_loop', '8.1' or a path to the file -> 'ch08_training_loop'."""
    stem = Path(text).stem.removeprefix("test_")
    number = stem.removeprefix("ch").split("_")[0].split(".")[0]
    for chapter in chapter_files(root or find_root()):
        if chapter == stem or (number.isdigit() and chapter[2:4] == f"{int(number):02d}"):
            return chapter
    raise ValueError(f"no chapter {text!r}: give a number (8), an exercise (8.1), a name (ch08_training_loop) or a file")


def first_unfinished(exercises: list[Exercise], statuses: dict[str, str], after: str | None = None,
                     chapter: str | None = None) -> Exercise | None:
    """The first exercise not passed (in course order; after `after` when given, wrapping round; in `chapter`)."""
    pool = [e for e in exercises if chapter is None or e.chapter == chapter]
    if after is not None:
        index = next((i for i, e in enumerate(pool) if e.id == after), -1)
        pool = pool[index + 1:] + pool[:index + 1]
    return next((e for e in pool if statuses.get(e.id) != "passed"), None)


# ---------------------------------------------------------------- seeing saves

def needs_polling(folder: Path, mounts: str | None = None) -> bool:
    """Is `folder` on a file system that sends no change events (network, FUSE, WSL's Windows drives)? Decided by
    the longest mount point above it in /proc/self/mounts (or `mounts`, text in that format)."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text()
        except OSError:
            return False
    best, kind = "", ""
    resolved = str(Path(folder).resolve())
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) > 2 and (resolved == parts[1] or resolved.startswith(parts[1].rstrip("/") + "/")) \
                and len(parts[1]) >= len(best):
            best, kind = parts[1], parts[2]
    return kind in _NO_EVENTS or kind.startswith("fuse")


class SaveWatcher:
    """Reports the chapters whose file in `folder` was saved, by writing their names to a pipe (select-able)."""

    def __init__(self, folder: Path, chapters: list[str], poll: bool, interval: float = 0.2):
        self.folder, self.chapters, self.interval = folder, set(chapters), interval
        self.read_fd, self._write_fd = os.pipe()
        self._stop = threading.Event()
        self._buffer = b""
        self.how = "polling" if poll else "file events"
        try:
            import watchfiles  # noqa: F401
        except ImportError:
            self.how = "polling (watchfiles is not installed)"
            target = self._poll
        else:
            target = self._watchfiles
        self._force_polling = poll
        threading.Thread(target=target, daemon=True).start()

    def _report(self, paths) -> None:
        names = {Path(p).stem for p in paths} & self.chapters
        if names:
            os.write(self._write_fd, ("\n".join(sorted(names)) + "\n").encode())

    def _watchfiles(self) -> None:
        import watchfiles

        try:
            for changes in watchfiles.watch(self.folder, stop_event=self._stop, step=50, debounce=400,
                                            recursive=False, force_polling=self._force_polling,
                                            poll_delay_ms=int(self.interval * 1000), raise_interrupt=False):
                self._report(path for _, path in changes)
        except Exception:  # noqa: BLE001 - no events on this file system (or too many watches): poll instead
            if not self._stop.is_set():
                self.how = "polling"
                self._poll()

    def _poll(self) -> None:
        state = self._snapshot()
        while not self._stop.wait(self.interval):
            now = self._snapshot()
            self._report(p for p in now if now[p] != state.get(p))
            state = now

    def _snapshot(self) -> dict[Path, tuple[int, int]]:
        state = {}
        for chapter in self.chapters:
            path = self.folder / f"{chapter}.py"
            try:
                stat = path.stat()
                state[path] = (stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                state[path] = (0, -1)
        return state

    def saved(self) -> set[str]:
        """The chapters saved since the last call (call it when read_fd is readable)."""
        self._buffer += os.read(self.read_fd, 65536)
        *lines, self._buffer = self._buffer.split(b"\n")
        return {line.decode() for line in lines if line}

    def stop(self) -> None:
        self._stop.set()


# ---------------------------------------------------------------- the session

@dataclass
class Session:
    root: Path
    target: Path
    exercises: list[Exercise]
    statuses: dict[str, str]
    current: Exercise | None
    lang: str = "en"
    extra: list[str] = field(default_factory=list)
    out: object = None

    def say(self, text: str) -> None:
        print(f"[watch] {text}", file=self.out, flush=True)


class Watch:
    """The loop: saves and keys in, runs of the grading server out."""

    def __init__(self, session: Session, *, poll: bool = False, interval: float = 0.2,
                 max_runs: int | None = None, keys=None):
        self.s = session
        self.max_runs, self.runs = max_runs, 0
        self.keys = keys  # a file descriptor to read keys from, or None
        self.results = Path(tempfile.mkdtemp(prefix="coursekit-watch-")) / "results.json"
        chapters = list(chapter_files(session.root))
        self.saves = SaveWatcher(session.target, chapters, poll or needs_polling(session.target), interval)
        status_read, status_write = os.pipe()
        self.server = subprocess.Popen(
            [sys.executable, "-c", "from coursekit.watch import serve; "
                                   f"serve({str(session.root)!r}, {status_write}, {str(session.target)!r})"],
            cwd=session.root, stdin=subprocess.PIPE, text=True, pass_fds=(status_write,))
        os.close(status_write)
        self.status = os.fdopen(status_read, "r", buffering=1)
        self.ready = False
        self.running_pid: int | None = None
        self.running: list[str] = []
        self.cancelled = False
        self.pending: set[str] = set()
        self.saved_at: float | None = None

    # -- requests to the server
    def start(self, chapters: list[str]) -> None:
        if self.s.out is not None and getattr(self.s.out, "isatty", lambda: False)():
            print("\033[2J\033[H", end="", file=self.s.out, flush=True)
        self.running, self.cancelled = sorted(chapters), False
        self.results.unlink(missing_ok=True)
        tests = [str((self.s.root / "autograder" / f"test_{c}.py").relative_to(self.s.root)) for c in self.running]
        self.s.say(f"grading {', '.join(self.running)} ({self.s.target.name}/) at {time.strftime('%H:%M:%S')}")
        arguments = [*tests, "--target", str(self.s.target), "-q", "--results", str(self.results), *self.s.extra]
        self.server.stdin.write(json.dumps(arguments) + "\n")
        self.server.stdin.flush()
        self.running_pid = -1  # until the server says which fork it is

    def cancel(self) -> None:
        if self.running_pid and self.running_pid > 0 and not self.cancelled:
            self.cancelled = True
            try:
                os.killpg(self.running_pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def on_status(self, message: dict) -> bool:
        """A line from the server; True when the session should end (max_runs reached)."""
        if message.get("ready"):
            self.ready = True
        elif "pid" in message:
            self.running_pid = message["pid"]
            if self.cancelled or self.pending:  # saved again before the fork started
                self.cancel()
        elif "exit" in message:
            self.running_pid = None
            if self.cancelled:
                self.s.say("a file was saved during the run: grading again")
                self.pending |= set(self.running)
                return False
            self.runs += 1
            self.finished(message)
            return self.max_runs is not None and self.runs >= self.max_runs
        return False

    def finished(self, message: dict) -> None:
        s = self.s
        graded = self.read_results()
        before = s.statuses.get(s.current.id) if s.current else None
        s.statuses.update(graded)
        timing = f"save to verdict {time.perf_counter() - self.saved_at:.2f} s" if self.saved_at else \
            f"{message['seconds']:.2f} s"
        s.say(f"done in {message['seconds']:.2f} s ({timing}, exit {message['exit']}). Watching "
              f"{s.target.name}/ for saves.")
        if s.current and s.current.id in graded and graded[s.current.id] == "passed" and before != "passed":
            upcoming = first_unfinished(s.exercises, s.statuses, after=s.current.id)
            s.say(f"exercise {s.current.id} `{s.current.function}` passed.")
            self.move_to(upcoming)
        elif s.current:
            s.say(f"on exercise {s.current.id} `{s.current.function}` ({s.statuses.get(s.current.id, 'not graded')})"
                  f" in {s.target.name}/{s.current.chapter}.py")
        s.say(KEYS)
        self.saved_at = None

    def read_results(self) -> dict[str, str]:
        try:
            data = json.loads(self.results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        by_exercise: dict[str, list[dict]] = {}
        for test in data.get("tests", []):
            by_exercise.setdefault(test["number"], []).append(test)
        return {e: _status(tests) for e, tests in by_exercise.items()}

    def move_to(self, exercise: Exercise | None) -> None:
        s = self.s
        s.current = exercise
        if exercise is None:
            s.say("every exercise has passed. Well done!")
            return
        from autograder.engine import i18n

        s.say(f"next: exercise {exercise.id} `{exercise.function}` in {s.target.name}/{exercise.chapter}.py. "
              f"Guide: {i18n.guide_link(exercise.guide, s.lang)}")

    # -- keys
    def on_key(self, key: str) -> bool:
        """True to quit."""
        s = self.s
        if key in ("q", "\x04"):
            return True
        if key == "h":
            self.hint()
        elif key == "n":
            upcoming = first_unfinished(s.exercises, s.statuses, after=s.current.id if s.current else None)
            self.move_to(upcoming)
            if upcoming is not None:
                self.request([upcoming.chapter])
        elif key == "l":
            self.list()
        elif key == "r":
            self.request([s.current.chapter] if s.current else self.running or [s.exercises[0].chapter])
        return False

    def hint(self) -> None:
        from autograder.engine.progress_store import ProgressStore
        from coursekit.hints import next_hint

        if self.s.current is None:
            return
        _, text = next_hint(self.s.current.id, ProgressStore(root=self.s.root), self.s.lang, root=self.s.root)
        print(text, file=self.s.out, flush=True)

    def list(self) -> None:
        s = self.s
        lines = []
        for exercise in s.exercises:
            mark = ">" if s.current and exercise.id == s.current.id else " "
            lines.append(f"{mark} {exercise.id:<5} {exercise.function:<32} {s.statuses.get(exercise.id, 'not graded')}")
        done = sum(s.statuses.get(e.id) == "passed" for e in s.exercises)
        lines.append(f"{done} of {len(s.exercises)} exercises passed.")
        print("\n".join(lines), file=s.out, flush=True)

    def request(self, chapters: list[str]) -> None:
        self.pending |= set(chapters)
        if self.running_pid is not None:
            self.cancel()

    # -- the loop
    def loop(self) -> int:
        first = [self.s.current.chapter] if self.s.current else [self.s.exercises[0].chapter]
        self.pending = set(first)
        self.s.say(f"starting the grader (torch, pytest and the checks load once); saves are seen by "
                   f"{self.saves.how}. Keys: {KEYS}")
        while True:
            if self.ready and self.running_pid is None and self.pending:
                chapters, self.pending = sorted(self.pending), set()
                self.start(chapters)
            sources = [self.status, self.saves.read_fd] + ([self.keys] if self.keys is not None else [])
            readable, _, _ = select.select(sources, [], [], 1.0)
            if self.status in readable:
                line = self.status.readline()
                if not line:
                    self.s.say("the grading server stopped unexpectedly.")
                    return 1
                if self.on_status(json.loads(line)):
                    return 0
            if self.saves.read_fd in readable:
                chapters = self.saves.saved()
                if chapters:
                    self.saved_at = time.perf_counter()
                    self.request(list(chapters))
            if self.keys is not None and self.keys in readable:
                data = os.read(self.keys, 64).decode(errors="ignore")
                if not data:
                    self.keys = None  # end of input (not a terminal): saves still drive the loop
                for key in data.lower():
                    if self.on_key(key):
                        self.s.say("bye.")
                        return 0

    def close(self) -> None:
        self.saves.stop()
        self.cancel()
        if self.server.poll() is None:
            self.server.stdin.close()
            self.server.terminate()
            try:
                self.server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        import shutil

        shutil.rmtree(self.results.parent, ignore_errors=True)


def _status(tests: list[dict]) -> str:
    if all(t["status"] == "passed" for t in tests):
        return "passed"
    if all(t["output"].split("] ", 1)[-1].startswith("Not attempted") for t in tests if t["status"] != "passed") \
            and not any(t["status"] == "passed" for t in tests):
        return "not attempted"
    return "failed"


def _cbreak(fd: int):
    """Keys one at a time, without echo (restored on exit); output is processed as usual."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    return lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def start_at(exercises: list[Exercise], statuses: dict[str, str], where: str | None, root: Path) -> Exercise | None:
    """The exercise to start on: the one named, the first unfinished of the chapter named, or of the course."""
    if where:
        chosen = next((e for e in exercises if e.id == where), None)
        if chosen:
            return chosen
        chapter = resolve_chapter(where, root)
        return first_unfinished(exercises, statuses, chapter=chapter) or \
            next(e for e in exercises if e.chapter == chapter)
    return first_unfinished(exercises, statuses) or exercises[0]


def watch(root: Path, target: Path, where: str | None = None, *, poll: bool = False, interval: float = 0.2,
          max_runs: int | None = None, extra: list[str] | None = None, lang: str = "en", out=None) -> int:
    """Watch `target`'s chapter files and regrade on every save. Returns on q, Ctrl-C, or after max_runs."""
    from autograder.engine.progress_store import ProgressStore

    exercises = course(root)
    statuses = {k: v["status"] for k, v in ProgressStore(root=root).results().items()}
    session = Session(root, target, exercises, statuses, start_at(exercises, statuses, where, root), lang,
                      extra or [], out or sys.stdout)
    keys = sys.stdin.fileno() if sys.stdin is not None and not sys.stdin.closed else None
    restore = _cbreak(keys) if keys is not None and os.isatty(keys) else None
    loop = Watch(session, poll=poll, interval=interval, max_runs=max_runs, keys=keys)
    try:
        return loop.loop()
    except KeyboardInterrupt:
        session.say("stopped.")
        return 0
    finally:
        loop.close()
        if restore:
            restore()
