"""Does autograder.zip work the way Gradescope runs it?

Gradescope's documented layout (https://gradescope-autograders.readthedocs.io/en/latest/specs/), reproduced on this
machine: the zip is unpacked INTO /autograder/source; setup.sh runs there, once, as root, in a clean environment with
the system's Python 3 (Debian/Ubuntu: no virtual environment given, no kit installed); run_autograder is copied to
/autograder/run_autograder and run from /autograder with the upload in /autograder/submission; the harness reads
/autograder/results/results.json. /autograder is a bind mount of a temporary folder inside a private mount namespace,
so nothing on the machine changes and two runs cannot collide.

Then uploads as students make them: a zip of the folder with macOS's __MACOSX and a backup/ of stubs beside
exercises/; files at the top with browser-renamed names and a notebook; chapters split across folders. Each must
grade the right files, say what was graded and ignored, follow the spec's keys, and give the same file twice.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from coursekit.gradescope import RESULTS_KEYS, TEST_KEYS, build_zip, student_text

CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # the system's python3, as on Gradescope
SPEC_STATUSES = {"passed", "failed"}


def _unshare() -> list[str]:
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private"]


def in_autograder(root: Path, command: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `command` from /autograder, with `root` mounted there, in a clean environment."""
    script = f'mount --bind "{root}" /autograder && cd /autograder && {command}'
    env = {"PATH": CLEAN_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT"):  # the machine's package mirror
        if name in os.environ:
            env[name] = os.environ[name]
    return subprocess.run([*_unshare(), "bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    """A Gradescope image: the zip unpacked into /autograder/source, setup.sh run, run_autograder copied."""
    if shutil.which("unshare") is None or not Path("/usr/bin/python3").exists():
        pytest.skip("needs unshare(1) and a system python3 to reproduce Gradescope's /autograder")
    probe = subprocess.run([*_unshare(), "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode()[-300:]}")
    created = not Path("/autograder").exists()
    if created:
        Path("/autograder").mkdir()  # an empty mount point; removed again below
    root = tmp_path_factory.mktemp("gradescope")
    root.chmod(0o755)  # as /autograder is on Gradescope: the grader's unprivileged children read the kit through it
    archive = build_zip(root.parent / "autograder.zip", visibility="after_published", check_timeout=10,
                        torch_index="")  # '' : torch's CPU build from pip's configuration (here, the local mirror)
    (root / "source").mkdir()
    with zipfile.ZipFile(archive) as zipped:
        assert {"setup.sh", "run_autograder"} <= set(zipped.namelist())  # at the root, as the spec requires
        assert "coursekit/batch.py" in zipped.namelist() and "solutions/ch01_tensors.py" in zipped.namelist()
        zipped.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):  # zipfile does not restore modes; Gradescope's unzip does
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    setup = in_autograder(root, "cd /autograder/source && ./setup.sh")
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "autograder ready: torch 2.13.0" in setup.stdout
    venv_packages = subprocess.run([str(root / "venv/bin/python"), "-m", "pip", "list", "--format=json"],
                                   capture_output=True, text=True, check=True).stdout
    names = {p["name"].lower() for p in json.loads(venv_packages)}
    assert "pytorch-course-kit" not in names and "mkdocs" not in names and "nbgrader" not in names
    yield root
    if created:
        try:
            Path("/autograder").rmdir()
        except OSError:
            pass


def submit(root: Path, files: dict[str, bytes], run_autograder: str = "/autograder/run_autograder") -> tuple[dict, str]:
    """Put an upload in /autograder/submission, run the autograder, return results.json (and its raw text)."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    (root / "submission").mkdir()
    for name, data in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    done = in_autograder(root, run_autograder)
    results = root / "results" / "results.json"
    assert results.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    return json.loads(text), text


def solution(chapter: str, root: Path) -> bytes:
    """The reference the image was built with (its checks are from the same moment)."""
    return (root / "source" / "solutions" / f"{chapter}.py").read_bytes()


def stub(chapter: str, root: Path) -> bytes:
    """The stub as released with this autograder (the kit may have changed since the image was built)."""
    return (root / "source" / "exercises" / f"{chapter}.py").read_bytes()


def chapter_points(results: dict, number: str) -> float:
    return sum(t["score"] for t in results["tests"] if t["number"].split(".")[0] == number)


def chapter_max(results: dict, number: str) -> float:
    return sum(t["max_score"] for t in results["tests"] if t["number"].split(".")[0] == number)


def assert_by_the_spec(results: dict, text: str) -> None:
    assert set(results) <= set(RESULTS_KEYS), set(results) - set(RESULTS_KEYS)
    assert results["visibility"] == "after_published" and results["tests"]
    for test in results["tests"]:
        assert set(test) <= set(TEST_KEYS) and {"name", "score", "max_score", "status"} <= set(test)
        assert test["status"] in SPEC_STATUSES and test["visibility"] == "after_published"
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert "/tmp" not in text and "/autograder" not in text and "pytest autograder" not in text
    assert "coursekit" not in text.lower()


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_the_folder_with_macosx_and_a_backup_of_stubs(autograder):
    """The upload that scored 0: backup/ (stubs) beside exercises/ (the work), and macOS's __MACOSX/ folder."""
    chapters = sorted(p.stem for p in (autograder / "source" / "exercises").glob("ch[0-9][0-9]_*.py"))
    entries = {f"my-work/backup/{c}.py": stub(c, autograder) for c in chapters}
    entries |= {f"my-work/exercises/{c}.py": stub(c, autograder) for c in chapters}
    entries["my-work/exercises/ch01_tensors.py"] = solution("ch01_tensors", autograder)
    entries["__MACOSX/my-work/exercises/._ch01_tensors.py"] = b"\x00\x05\x16\x07 resource fork"
    upload = {"my-work.zip": zip_of(entries)}
    results, text = submit(autograder, upload)
    assert_by_the_spec(results, text)
    assert chapter_points(results, "1") == chapter_max(results, "1") > 0, results["output"]  # exercises/, not backup/
    assert sum(t["max_score"] for t in results["tests"]) > results["score"]  # every chapter: the default assignment
    assert set(results["extra_data"]["graded"].values()) == {f"my-work.zip/my-work/exercises/{c}.py" for c in chapters}
    assert "my-work.zip/my-work/exercises/ch01_tensors.py" in results["output"]
    assert "my-work.zip/my-work/backup/: 12 files (the unchanged stub)" in results["output"]
    assert "__MACOSX" in results["output"]
    assert results["extra_data"]["graded"]["ch01_tensors"] == "my-work.zip/my-work/exercises/ch01_tensors.py"
    again, text_again = submit(autograder, upload)
    assert text_again == text  # no timings, no temporary paths: the same upload, the same file


def test_files_at_the_top_renamed_by_a_browser_and_a_notebook(autograder):
    """ch01 renamed by a browser, ch02 as `Ch02_Autograd.py`, ch04 as a notebook, an unrelated file beside them."""
    code = solution("ch04_modules", autograder).decode()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("my notes"),
                                               nbformat.v4.new_code_cell(code)])
    upload = {"ch01_tensors (1).py": solution("ch01_tensors", autograder),
              "Ch02_Autograd.py": solution("ch02_autograd", autograder),
              "ch04_modules.ipynb": nbformat.writes(notebook).encode(), "notes.docx": b"PK\x03\x04 not a zip"}
    results, text = submit(autograder, upload)
    assert_by_the_spec(results, text)
    for chapter in "124":
        assert chapter_points(results, chapter) == chapter_max(results, chapter) > 0, results["output"]
    assert chapter_points(results, "3") == 0
    assert "ch01_tensors (1).py  (graded as ch01_tensors.py)" in results["output"]
    assert "notes.docx: not a chapter file" in results["output"]


def test_a_one_chapter_assignment_with_chapters_split_across_folders(autograder, tmp_path):
    """`--chapters ch01_tensors`: out of ch01's points only; a ch02 file elsewhere is listed as not part of it."""
    archive = build_zip(tmp_path / "ch01.zip", visibility="after_published", chapters=["ch01_tensors"],
                        torch_index="")
    with zipfile.ZipFile(archive) as zipped:  # the same kit: only the script that names the chapters differs
        (autograder / "run_autograder_ch01").write_bytes(zipped.read("run_autograder"))
    (autograder / "run_autograder_ch01").chmod(0o755)
    upload = {"part1/ch01_tensors.py": solution("ch01_tensors", autograder),
              "part2/ch02_autograd.py": solution("ch02_autograd", autograder)}
    results, text = submit(autograder, upload, "/autograder/run_autograder_ch01")
    assert_by_the_spec(results, text)
    assert sum(t["max_score"] for t in results["tests"]) == chapter_max(results, "1") == results["score"] > 0, \
        results["output"]
    assert {t["number"].split(".")[0] for t in results["tests"]} == {"1"}
    assert "part2/ch02_autograd.py: ch02_autograd is not part of this assignment" in results["output"]


def test_an_upload_with_no_chapter_file_still_gets_results(autograder):
    results, text = submit(autograder, {"homework.pdf": b"%PDF-1.4"})
    assert_by_the_spec(results, text)
    assert results["score"] == 0 and "Files graded: none" in results["output"]


def test_the_zip_is_laid_out_as_the_spec_says_and_setup_never_breaks_system_packages(tmp_path):
    """Checks that need no image: the layout, what setup.sh does in which order, and that the same kit gives the same
    zip (fixed dates and modes)."""
    first = build_zip(tmp_path / "a.zip", chapters=["ch02_autograd", "ch01_tensors"])
    second = build_zip(tmp_path / "b.zip", chapters=["ch02_autograd", "ch01_tensors"])
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zipped:
        names = zipped.namelist()
        setup, run = zipped.read("setup.sh").decode(), zipped.read("run_autograder").decode()
        modes = {info.filename: info.external_attr >> 16 & 0o777 for info in zipped.infolist()}
    assert names[:2] == ["setup.sh", "run_autograder"] and not any(n.startswith("source/") for n in names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "--break-system-packages" not in setup and 'python3 -m venv "$VENV"' in setup
    assert setup.index('"torch==2.13.0" --index-url "$TORCH_INDEX"') < setup.index("nbformat")
    assert 'TORCH_INDEX="https://download.pytorch.org/whl/cpu"' in setup
    assert "--chapters ch01_tensors ch02_autograd" in run and "/autograder/venv/bin/python -m coursekit" in run
    assert not any(n.startswith(("tests/", "docs/", ".git")) for n in names)


def test_feedback_names_no_kit_command_and_links_to_the_course_site():
    report = ("  1.1   add_bias_column   failed   0 / 4\n"
              "        Hint 1 of 3: join the ones first. (next hint: coursekit hint 1.1)\n"
              "Next: exercise 1.1 in submission/ch01_tensors.py: `pytest autograder --exercise 1.1` grades just it.\n"
              "Start with exercise 1.1: read http://127.0.0.1:8000/chapters/ch01-tensors/#ex-1-1 first.\n")
    plain = student_text(report)
    assert "coursekit" not in plain and "pytest autograder" not in plain and "127.0.0.1" not in plain
    assert "Hint 1 of 3: join the ones first." in plain
    assert "the course guide, chapters/ch01-tensors#ex-1-1" in plain
    linked = student_text(report, site_url="https://course.example.edu/pytorch/")
    assert "https://course.example.edu/pytorch/chapters/ch01-tensors/#ex-1-1" in linked


def test_hidden_inputs_go_into_run_autograder_only(tmp_path):
    """`coursekit gradescope --hidden-inputs SECRET` hands the secret to grade-submission in run_autograder (which
    students never see), quoted for the shell; a bundle without it passes no such option."""
    from coursekit.gradescope import build_zip

    with zipfile.ZipFile(build_zip(tmp_path / "secret.zip", hidden_inputs="it's a secret")) as zipped:
        script = zipped.read("run_autograder").decode()
        assert "--hidden-inputs 'it'\"'\"'s a secret'" in script
        assert not any(b"it's a secret" in zipped.read(name) for name in zipped.namelist() if name != "run_autograder")
    with zipfile.ZipFile(build_zip(tmp_path / "plain.zip")) as zipped:
        assert "--hidden-inputs" not in zipped.read("run_autograder").decode()
