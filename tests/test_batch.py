"""Does `coursekit grade-class` grade a class as an LMS hands it over: per-student folders and zips, nested
exercises/, notebooks, browser-renamed files, Canvas and Moodle exports; a gradebook row with a status for every
submission, per-chapter subtotals, Canvas and Moodle imports; results written as each student finishes, `--resume`,
and Ctrl-C that leaves no grading process behind? And is each grade the one `pytest autograder` gives?"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest

from coursekit import intake
from tests.grading import KIT_ROOT, grade

CHAPTERS = ("ch01_tensors", "ch02_autograd")


def solution(chapter: str) -> str:
    return (KIT_ROOT / "solutions" / f"{chapter}.py").read_text()


def stub(chapter: str) -> str:
    return (KIT_ROOT / "exercises" / f"{chapter}.py").read_text()


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def zip_bytes(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def notebook_of(code: str) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# my answers"), nbformat.v4.new_code_cell("%matplotlib inline"),
        nbformat.v4.new_code_cell(code)]))


def lms_class(root: Path) -> Path:
    """One submission in every shape the issue names, ch01 and ch02 solved unless said otherwise."""
    for chapter in CHAPTERS:  # ada: a nested exercises/ with a backup/ of stubs beside it
        write(root / "ada" / "my-work" / "exercises" / f"{chapter}.py", solution(chapter))
        write(root / "ada" / "my-work" / "backup" / f"{chapter}.py", stub(chapter))
    write(root / "bo.zip", zip_bytes({"bo/ch01_tensors.py": solution("ch01_tensors"),  # a zip; ch02 missing
                                      "__MACOSX/bo/._ch01_tensors.py": "\x00\x05"}))
    write(root / "cy" / "ch01_tensors.py", solution("ch01_tensors"))  # cy: ch02 does not import
    write(root / "cy" / "ch02_autograd.py", "def gradient(:\n")
    write(root / "lovelaceada_123_456_ch01_tensors.py", solution("ch01_tensors"))  # Canvas, flat
    write(root / "lovelaceada_LATE_123_457_ch02_autograd.py", solution("ch02_autograd"))
    moodle = root / "Grace Hopper_777_assignsubmission_file_"  # Moodle, a folder per student; renamed files
    write(moodle / "ch01_tensors (1).py", solution("ch01_tensors"))
    write(moodle / "Ch02_Autograd.py", solution("ch02_autograd"))
    write(root / "nb" / "ch01_tensors.ipynb", notebook_of(solution("ch01_tensors")))  # a notebook and a .py.txt
    write(root / "nb" / "ch02_autograd.py.txt", solution("ch02_autograd"))
    write(root / "dee" / "notes.md", "I ran out of time")  # nothing to grade
    hang = solution("ch01_tensors").replace("def add_bias_column(x", "def add_bias_column(x, *_):\n    while True:\n"
                                            "        pass\n\n\ndef _unused(x", 1)
    write(root / "eve" / "ch01_tensors.py", hang)  # 1.1 never returns
    write(root / "eve" / "ch02_autograd.py", solution("ch02_autograd"))
    write(root / "README.txt", "exported by the LMS")
    return root


def test_intake_picks_the_right_file_in_every_shape(tmp_path):
    submissions, unclaimed = intake.read_class(lms_class(tmp_path / "subs"), list(CHAPTERS))
    by_name = {s.name: s for s in submissions}
    assert sorted(by_name) == ["Grace_Hopper_777", "ada", "bo", "cy", "dee", "eve", "lovelaceada_123", "nb"]
    assert {c: x.shown for c, x in by_name["ada"].chosen.items()} == {
        c: f"my-work/exercises/{c}.py" for c in CHAPTERS}
    assert all(why.startswith("the unchanged stub") for _, why in by_name["ada"].ignored)
    assert list(by_name["bo"].chosen) == ["ch01_tensors"] and by_name["bo"].ignored == [
        ("bo.zip/__MACOSX/bo/._ch01_tensors.py", "macOS archive metadata")]
    assert by_name["lovelaceada_123"].lms_id == "123" and by_name["lovelaceada_123"].label == "lovelaceada"
    assert sorted(by_name["lovelaceada_123"].chosen) == list(CHAPTERS)
    assert by_name["Grace_Hopper_777"].lms_id == "777" and by_name["Grace_Hopper_777"].label == "Grace Hopper"
    assert sorted(by_name["Grace_Hopper_777"].chosen) == list(CHAPTERS)
    notebook = by_name["nb"].chosen["ch01_tensors"]
    assert notebook.kind == "ipynb" and "# %matplotlib inline" in notebook.code
    assert "def add_bias_column" in notebook.code and by_name["nb"].chosen["ch02_autograd"].kind == "txt"
    assert by_name["dee"].chosen == {} and by_name["dee"].ignored == [("notes.md", "not a chapter file")]
    assert unclaimed == [("README.txt", "a loose file that names no student")]


def test_browser_renamed_and_lms_names_map_to_chapters():
    assert intake.chapter_of("ch01_tensors (1).py") == ("ch01_tensors", "py")
    assert intake.chapter_of("Ch02_Autograd.py") == ("ch02_autograd", "py")
    assert intake.chapter_of("ch01_tensors.py.txt") == ("ch01_tensors", "txt")
    assert intake.chapter_of("CH03_DATA - Copy.ipynb") == ("ch03_data", "ipynb")
    assert intake.chapter_of("lastfirst_123_456_ch01_tensors.py") == ("ch01_tensors", "py")
    assert intake.chapter_of("ch01.py") == ("ch01_tensors", "py")
    assert intake.chapter_of("ch13_future.py") is None and intake.chapter_of("tensors.py") is None


def run_grade_class(subs: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out", str(out),
                           "--workers", "2", "--chapters", *CHAPTERS, "--check-timeout", "10", *extra],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=900, env=env)


def test_grade_class_of_an_lms_export(tmp_path):
    subs, out = lms_class(tmp_path / "subs"), tmp_path / "out"
    done = run_grade_class(subs, out, "--assignment", "Chapters 1-2")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "graded 8 submissions" in done.stdout and "memory per worker" in done.stdout
    assert "grading [" in done.stderr and "ETA" in done.stderr  # the progress bar, with its estimate
    assert "ignored: 3 files in submissions" in done.stdout and "README.txt: a loose file" in done.stdout
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    header = next(csv.reader((out / "gradebook.csv").open()))
    assert header[:3] == ["student", "status", "1.1"] and header[-5:] == [*CHAPTERS, "total", "max_total", "notes"]
    maximum = float(rows["ada"]["max_total"])
    ch01 = sum(float(rows["ada"][e]) for e in header if e.startswith("1."))
    assert {name: row["status"] for name, row in rows.items()} == {
        "ada": "graded", "bo": "partial", "cy": "broken chapters", "dee": "nothing found", "eve": "time limit",
        "lovelaceada_123": "graded", "Grace_Hopper_777": "graded", "nb": "graded"}
    for name in ("ada", "lovelaceada_123", "Grace_Hopper_777", "nb"):
        assert float(rows[name]["total"]) == maximum > 0, (name, rows[name])
    assert float(rows["bo"]["total"]) == float(rows["bo"]["ch01_tensors"]) == ch01 > 0
    assert float(rows["cy"]["ch02_autograd"]) == 0 and "does not import: ch02_autograd" in rows["cy"]["notes"]
    assert float(rows["dee"]["total"]) == 0 and "notes.md (not a chapter file)" in rows["dee"]["notes"]
    assert float(rows["eve"]["1.1"]) == 0 < float(rows["eve"]["1.2"]) and "time limit: ch01_tensors" in rows["eve"][
        "notes"]
    assert "not found: ch02_autograd" in rows["bo"]["notes"]
    canvas = list(csv.reader((out / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Chapters 1-2"]
    assert canvas[1][0] == "Points Possible" and float(canvas[1][5]) == maximum
    assert ["lovelaceada", "123", "", "", "", f"{maximum:g}"] in canvas
    moodle = {r["Full name"]: r for r in csv.DictReader((out / "moodle.csv").open())}
    assert moodle["Grace Hopper"]["Identifier"] == "Participant 777"
    assert float(moodle["Grace Hopper"]["Grade"]) == float(moodle["Grace Hopper"]["Maximum Grade"]) == maximum
    for name, row in rows.items():  # results and reports for every submission, the staged files beside them
        results = json.loads((out / "results" / f"{name}.json").read_text())
        assert results["score"] == float(row["total"])
        assert (out / "reports" / f"{name}.txt").read_text().startswith("Graded: ")
    assert sorted(p.name for p in (out / "submissions" / "nb").iterdir()) == [f"{c}.py" for c in CHAPTERS]
    # The same grade as a learner's own `pytest autograder` run of the same folder.
    alone = grade(out / "submissions" / "cy", *(f"autograder/test_{c}.py" for c in CHAPTERS))
    class_run = json.loads((out / "results" / "cy.json").read_text())
    assert {t["name"]: t["score"] for t in alone.results["tests"]} == \
           {t["name"]: t["score"] for t in class_run["tests"]}


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_ctrl_c_keeps_finished_students_kills_every_child_and_resume_grades_the_rest(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for number in range(6):
        for chapter in CHAPTERS:
            # each student takes a second longer (a slow import), so that Ctrl-C lands while some are still left
            # however fast the grading itself gets
            write(subs / f"s{number}" / f"{chapter}.py",
                  solution(chapter) + f"\nimport time as _time\n_time.sleep(1)\n# student {number}\n")
    marker = f"COURSEKIT_TEST_RUN={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    grader = subprocess.Popen([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out", str(out),
                               "--workers", "1", "--chapters", *CHAPTERS, "--check-timeout", "10", "--no-progress"],
                              cwd=KIT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "records").glob("*.json"))) < 2:
        time.sleep(0.2)
    grader.send_signal(signal.SIGINT)  # what Ctrl-C sends
    stdout, stderr = grader.communicate(timeout=120)
    assert grader.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "--resume" in stderr
    time.sleep(0.5)
    assert _processes_with(marker) == []  # no grading child, no DataLoader worker left running
    kept = sorted(p.stem for p in (out / "records").glob("*.json"))
    assert 2 <= len(kept) < 6
    for name in kept:  # whatever was written is whole
        json.loads((out / "results" / f"{name}.json").read_text())
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(r["student"] for r in rows) == kept
    resumed = run_grade_class(subs, out, "--resume", "--no-progress")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert f"graded {6 - len(kept)} submissions" in resumed.stdout
    assert f"{len(kept)} kept from the last run" in resumed.stdout
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == [f"s{n}" for n in range(6)]
    assert all(r["status"] == "graded" and r["total"] == r["max_total"] for r in rows)
    shutil.rmtree(out)


@pytest.mark.parametrize("hidden_inputs", [None, "course-2026"])
def test_class_grader_children_replay_and_never_draw(tmp_path, monkeypatch, hidden_inputs):
    """batch.py draws every check's examples once, in the grader, before it forks (with --hidden-inputs, the
    instructor's own examples too): a child grading a correct submission only replays them. Hypothesis's engine (what draws, and what reruns a failing check to shrink it) counts
    its calls from forked children in a page of shared memory, which survives the fork and the child's walls."""
    import mmap
    import struct

    import hypothesis.core

    from coursekit.batch import Options, Student, grade_class

    grader, calls_in_children = os.getpid(), mmap.mmap(-1, 8)
    engine = hypothesis.core.StateForActualGivenExecution.run_engine

    def counted_engine(self, *args, **kwargs):
        if os.getpid() != grader:
            calls_in_children[:8] = struct.pack("q", struct.unpack("q", calls_in_children[:8])[0] + 1)
        return engine(self, *args, **kwargs)

    monkeypatch.setattr(hypothesis.core.StateForActualGivenExecution, "run_engine", counted_engine)
    students = []
    for name in ("ada", "bo"):
        for chapter in CHAPTERS:
            write(tmp_path / "subs" / name / f"{chapter}.py", solution(chapter))
        students.append(Student(name, tmp_path / "subs" / name))
    outcome = grade_class(students, tmp_path / "out", Options(workers=2, timeout=240, check_timeout=20,
                                                              chapters=list(CHAPTERS), progress=False,
                                                              hidden_inputs=hidden_inputs))
    assert all(outcome.total(name) == sum(outcome.max_points.values()) > 0 for name in ("ada", "bo"))
    assert struct.unpack("q", calls_in_children[:8])[0] == 0, "a child drew examples (or reran a check) itself"


def test_a_working_directory_deleted_mid_run_loses_no_student(tmp_path):
    """The folder the instructor started in is removed while students are graded: every student is still written
    to --out (student_done used to crash returning to it); a command started in a folder already gone says so."""
    subs, out, launch = tmp_path / "subs", tmp_path / "out", tmp_path / "launch"
    for number in range(3):
        write(subs / f"s{number}" / "ch01_tensors.py",
              solution("ch01_tensors") + "\nimport time as _time\n_time.sleep(1)\n")
    launch.mkdir()
    grader = subprocess.Popen([sys.executable, "-m", "coursekit", "grade-class", str(subs), "--out", str(out),
                               "--workers", "1", "--chapters", "ch01_tensors", "--no-progress",
                               "--check-timeout", "60"], cwd=launch,  # a loaded machine must not cost a point here
                              env={**os.environ, "PYTHONPATH": str(KIT_ROOT)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "records").glob("*.json")):
        time.sleep(0.1)
    shutil.rmtree(launch)
    stdout, stderr = grader.communicate(timeout=300)
    assert grader.returncode == 0, stdout[-2000:] + stderr[-2000:]
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == ["s0", "s1", "s2"]
    assert all(r["total"] == r["max_total"] for r in rows)

    gone = tmp_path / "gone"
    gone.mkdir()
    started_in_nothing = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.rmdir(os.getcwd()); from coursekit.cli import main; "
                               f"sys.exit(main(['grade-class', {str(subs)!r}, '--out', {str(tmp_path / 'o2')!r}]))"],
        cwd=gone, env={**os.environ, "PYTHONPATH": str(KIT_ROOT)}, capture_output=True, text=True, timeout=120)
    assert started_in_nothing.returncode == 2
    assert "no longer exists" in started_in_nothing.stderr and "Traceback" not in started_in_nothing.stderr
