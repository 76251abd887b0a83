"""Watch mode in a real pseudo-terminal, driven by real file changes and real key presses: the first report, a save
that makes the exercise pass and moves on to the next unfinished one, h / l / n / r / q, a file that does not import,
a save in the middle of a run, and the polling fallback."""
from __future__ import annotations

import os
import re
import sys
import time

import pexpect
import pytest

from coursekit.watch import Exercise, first_unfinished, needs_polling, resolve_chapter, start_at
from tests.grading import KIT_ROOT, copy_solutions, grading_env

CHAPTER = "ch12_devices"
STUB_12_1 = '''

def choose_device(prefer: str | None = None) -> torch.device:
    """Exercise 12.1: stub for the watch test."""
    raise NotImplementedError("Exercise 12.1 is not written yet. Guide: docs/en/chapters/ch12-devices.md#ex-12-1")
'''


def spawn_watch(target, *args, store) -> pexpect.spawn:
    env = grading_env(COURSEKIT_PROGRESS=str(store))
    child = pexpect.spawn(sys.executable, ["-m", "coursekit", "watch", *args, "--target", str(target)],
                          cwd=str(KIT_ROOT), env=env, encoding="utf-8", timeout=180, dimensions=(50, 200))
    child.expect(r"saves are seen by")
    return child


def save(path, text):
    path.write_text(text, encoding="utf-8")
    os.utime(path)  # a new mtime even within the filesystem's timestamp resolution


def verdict(child) -> str:
    """Everything printed up to the end of one run (the keys line after "[watch] done")."""
    child.expect(r"\[watch\] done in")
    text = child.before
    child.expect(r"\[q\] quit")
    return text + child.before


def test_chapter_names_resolve():
    assert resolve_chapter("8") == resolve_chapter("ch08") == resolve_chapter("08") == "ch08_training_loop"
    assert resolve_chapter("exercises/ch12_devices.py") == resolve_chapter("12.3") == "ch12_devices"
    with pytest.raises(ValueError, match="no chapter"):
        resolve_chapter("99")


def test_it_starts_at_the_first_unfinished_exercise():
    course = [Exercise(i, f"f{i}", c, "g") for i, c in (("1.1", "ch01"), ("1.2", "ch01"), ("2.1", "ch02"))]
    assert start_at(course, {}, None, KIT_ROOT).id == "1.1"
    assert start_at(course, {"1.1": "passed"}, None, KIT_ROOT).id == "1.2"
    assert first_unfinished(course, {"1.1": "passed", "1.2": "passed", "2.1": "passed"}, after="1.2") is None
    assert first_unfinished(course, {"1.1": "passed", "2.1": "passed"}, after="1.2").id == "1.2"  # itself, last
    assert first_unfinished(course, {"1.2": "passed"}, after="1.2").id == "2.1"
    assert first_unfinished(course, {"1.2": "passed", "2.1": "passed"}, after="1.2").id == "1.1"  # wraps round


def test_polling_is_chosen_where_the_file_system_sends_no_events():
    mounts = ("/dev/sda1 / ext4 rw 0 0\n"
              "server:/home /home nfs4 rw 0 0\n"
              "/dev/sdb1 /home/me/local ext4 rw 0 0\n"
              "me@host:/ /mnt/remote fuse.sshfs rw 0 0\n")
    assert not needs_polling("/srv/kit", mounts)
    assert needs_polling("/home/ann/kit", mounts)
    assert not needs_polling("/home/me/local/kit", mounts)  # the longest mount point decides
    assert needs_polling("/mnt/remote/kit", mounts)


def test_watch_in_a_terminal_keys_saves_breakage_and_a_save_mid_run(tmp_path):
    target = copy_solutions(tmp_path / "target")
    chapter_file = target / f"{CHAPTER}.py"
    good = chapter_file.read_text()
    save(chapter_file, good + STUB_12_1)  # the last definition wins: 12.1 is a stub again
    child = spawn_watch(target, "12.1", store=tmp_path / "progress.sqlite")
    try:
        first = verdict(child)
        assert re.search(r"12\.1\s+choose_device\s+not attempted", first), first
        assert "on exercise 12.1 `choose_device`" in first

        child.send("h")  # a real key press: the next hint of the exercise we are on
        child.expect(r"Hint 2 of \d")

        save(chapter_file, good)  # write the exercise: it passes, and watch moves on
        passed = verdict(child)
        assert re.search(r"12\.1\s+choose_device\s+passed", passed), passed
        assert "exercise 12.1 `choose_device` passed." in passed and "next: exercise 1.1" in passed
        assert re.search(r"save to verdict \d+\.\d+ s", passed)

        child.send("l")
        child.expect(r"exercises passed\.")
        listing = child.before
        assert re.search(r">\s+1\.1\s+add_bias_column", listing) and re.search(r"12\.1\s+choose_device\s+passed",
                                                                                listing)

        child.send("n")  # on to the next unfinished exercise: 1.2, in chapter 1, which is graded
        child.expect(r"next: exercise 1\.2")
        chapter_1 = verdict(child)
        assert "Chapter 01" in chapter_1 and "next: exercise 2.1" in chapter_1  # all of chapter 1 passed

        save(chapter_file, good + "\ndef broken(:\n")
        broken = verdict(child)
        assert "does not import: Python found a syntax error" in broken and "4 broken" in broken

        save(chapter_file, good + "\nimport time as _time\n_time.sleep(3)  # fixed, and slow to import\n")
        child.expect(r"\[watch\] grading ch12_devices")
        time.sleep(0.3)  # the run has started (its import takes 3 s): save again in the middle of it
        save(chapter_file, good + "\n# fixed twice\n")
        restarted = verdict(child)
        assert "a file was saved during the run: grading again" in restarted
        assert "Exercises: 4 passed." in restarted.split("grading again")[-1]

        child.send("r")  # grade the exercise we are on now: 2.1
        assert "Chapter 02" in verdict(child)
        child.send("q")
        child.expect(r"\[watch\] bye\.")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_polling_fallback_sees_a_save(tmp_path):
    target = copy_solutions(tmp_path / "target")
    chapter_file = target / f"{CHAPTER}.py"
    child = spawn_watch(target, "12", "--poll", "--interval", "0.1", store=tmp_path / "progress.sqlite")
    try:
        child.expect(r"\A ?polling\. Keys")  # right after "saves are seen by"
        verdict(child)
        save(chapter_file, chapter_file.read_text() + "\n# saved\n")
        assert "Exercises: 4 passed." in verdict(child)
        child.sendcontrol("c")  # Ctrl-C stops it as cleanly as q
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
