"""`coursekit watch [chapter]`: regrade the chapter you are editing every time you save it, like rustlings.

It polls the modification times of exercises/chNN_*.py (no extra dependency; a poll every 0.2 s costs nothing),
waits for the save to settle, and runs `pytest autograder/test_chNN_*.py` in a child process whose output (the score
report) goes straight to the terminal. A file that does not import is reported as broken, as usual; a file saved
while its chapter is being graded stops that run and starts a fresh one.

To show the report sooner, a child is started ahead of time: it imports torch, pytest and the grading engine, then
waits for the go. Every run still gets a fresh process (nothing of your code is cached between runs).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]

# The child: import the heavy parts now, wait for the arguments on stdin, then grade.
_WARM_CHILD = """\
import json, sys
import torch, pytest
import autograder.engine.plugin
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
sys.stdout.flush()
sys.exit(pytest.main(json.loads(line)))
"""


def chapter_files(root: Path = KIT_ROOT) -> dict[str, Path]:
    """{'ch01_tensors': autograder/test_ch01_tensors.py, ...}"""
    return {p.stem.removeprefix("test_"): p for p in sorted((root / "autograder").glob("test_ch[0-9][0-9]_*.py"))}


def resolve_chapter(text: str, root: Path = KIT_ROOT) -> str:
    """'8', '08', 'ch08', 'ch08_training_loop', '8.1' or a path to the file -> 'ch08_training_loop'."""
    stem = Path(text).stem.removeprefix("test_")
    number = stem.removeprefix("ch").split("_")[0].split(".")[0]
    for chapter in chapter_files(root):
        if chapter == stem or (number.isdigit() and chapter[2:4] == f"{int(number):02d}"):
            return chapter
    raise ValueError(f"no chapter {text!r}: give a number (8), a name (ch08_training_loop) or a file")


class Grader:
    """One grading child at a time, plus one warmed up for the next run."""

    def __init__(self, target: Path, extra: list[str], env: dict[str, str]):
        self.target, self.extra, self.env = target, extra, env
        self.running: subprocess.Popen | None = None
        self.warm: subprocess.Popen | None = None
        self.started = 0.0

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", _WARM_CHILD], cwd=KIT_ROOT, stdin=subprocess.PIPE,
                                env=self.env, text=True, start_new_session=hasattr(os, "setsid"))

    def prepare(self) -> None:
        if self.warm is None or self.warm.poll() is not None:
            self.warm = self._spawn()

    def start(self, chapters: list[str]) -> None:
        self.prepare()
        files = [str(chapter_files()[c].relative_to(KIT_ROOT)) for c in chapters]
        arguments = [*files, "--target", str(self.target), "-q", "-p", "no:cacheprovider", *self.extra]
        self.running, self.warm = self.warm, None
        self.running.stdin.write(json.dumps(arguments) + "\n")
        self.running.stdin.flush()
        self.started = time.perf_counter()

    def finished(self) -> bool:
        return self.running is not None and self.running.poll() is not None

    def stop(self) -> None:
        for process in (self.running, self.warm):
            if process is not None and process.poll() is None:
                _terminate(process)
        self.running = self.warm = None


def _terminate(process: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=3)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def snapshot(files: list[Path]) -> dict[Path, tuple[int, int]]:
    state = {}
    for path in files:
        try:
            stat = path.stat()
            state[path] = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            state[path] = (0, -1)
    return state


def watch(target: Path, chapter: str | None = None, *, interval: float = 0.2, settle: float = 0.15,
          max_runs: int | None = None, extra: list[str] | None = None, out=None) -> int:
    """Watch `target`'s chapter files and regrade on every save. Returns when interrupted or after max_runs."""
    out = out or sys.stdout
    env = dict(os.environ)
    clear = out.isatty() if hasattr(out, "isatty") else False

    def say(text: str) -> None:
        print(f"[watch] {text}", file=out, flush=True)

    chapters = [chapter] if chapter else list(chapter_files())
    files = {target / f"{c}.py": c for c in chapters}
    grader = Grader(target, extra or [], env)
    state = snapshot(list(files))
    if chapter:
        current = [chapter]
    else:  # the chapter edited last
        newest = max(state, key=lambda p: state[p][0])
        current = [files[newest]]
    runs, pending, pending_since = 0, current, 0.0
    try:
        while True:
            if pending and time.perf_counter() - pending_since >= settle:
                if grader.running is not None and grader.running.poll() is None:
                    _terminate(grader.running)
                    grader.running = None
                    pending = sorted(set(pending) | set(current))
                    say("a file was saved during the run: grading again")
                if clear:
                    print("\033[2J\033[H", end="", file=out, flush=True)
                say(f"grading {', '.join(pending)} ({target.name}/) at {time.strftime('%H:%M:%S')}. Ctrl-C stops.")
                grader.start(pending)
                current, pending = pending, []
            if grader.finished():
                runs += 1
                seconds = time.perf_counter() - grader.started
                code = grader.running.returncode
                grader.running = None
                say(f"done in {seconds:.2f} s (exit {code}). Watching {', '.join(f'{target.name}/{c}.py' for c in current)}"
                    f"{'' if chapter else ' and the other chapters'} for changes.")
                if max_runs is not None and runs >= max_runs:
                    return 0
                grader.prepare()  # warm the next child while you edit
            time.sleep(interval)
            now = snapshot(list(files))
            changed = [files[p] for p in files if now[p] != state[p]]
            state = now
            if changed:
                pending = sorted(set(pending) | set(changed)) if chapter is None else [chapter]
                pending_since = time.perf_counter()
    except KeyboardInterrupt:
        say("stopped.")
        return 0
    finally:
        grader.stop()
