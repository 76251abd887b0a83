"""Watch mode, driven through real file changes: a first report, a new one after a save, a file that does not
import, and a save in the middle of a run."""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

from coursekit.watch import resolve_chapter
from tests.grading import KIT_ROOT, copy_solutions, grading_env

CHAPTER = "ch12_devices"


class Watcher:
    def __init__(self, target, *args):
        self.process = subprocess.Popen([sys.executable, "-m", "coursekit", "watch", "12", "--target", str(target),
                                         "--interval", "0.1", *args], cwd=KIT_ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=grading_env())
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def until(self, needle: str, timeout: float = 120) -> str:
        """Everything printed until a line containing `needle` (which is included)."""
        deadline, chunk = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            chunk.append(line)
            if needle in line:
                self.seen += chunk
                return "".join(chunk)
        raise AssertionError(f"no {needle!r} within {timeout} s; printed:\n{''.join(self.seen + chunk)}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def save(path, text):
    path.write_text(text, encoding="utf-8")
    os.utime(path)  # a new mtime even within the filesystem's timestamp resolution


def test_chapter_names_resolve():
    assert resolve_chapter("8") == resolve_chapter("ch08") == resolve_chapter("08") == "ch08_training_loop"
    assert resolve_chapter("exercises/ch12_devices.py") == resolve_chapter("12.3") == "ch12_devices"


def test_watch_regrades_on_save_copes_with_a_broken_file_and_a_save_mid_run(tmp_path):
    target = copy_solutions(tmp_path / "target")
    chapter_file = target / f"{CHAPTER}.py"
    good = chapter_file.read_text()
    watcher = Watcher(target)
    try:
        first = watcher.until("[watch] done in")
        assert "Total:" in first and "Exercises: 4 passed." in first

        save(chapter_file, good + "\ndef broken(:\n")
        broken = watcher.until("[watch] done in")
        assert "does not import: Python found a syntax error" in broken and "4 broken" in broken

        save(chapter_file, good + "\n# fixed\n")
        watcher.until("[watch] grading")
        time.sleep(0.5)  # the run has started: save again in the middle of it
        save(chapter_file, good + "\n# fixed twice\n")
        restarted = watcher.until("[watch] done in")
        assert "a file was saved during the run: grading again" in restarted
        assert "Exercises: 4 passed." in restarted.split("grading again")[-1]
    finally:
        watcher.stop()
