"""doctor: versions, devices, exercises/ against the solutions' layout, and the autograder's integrity hash (in the
doctor's verdict, in every report and in results.json). Also: is the committed manifest current?"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from autograder.engine import integrity
from coursekit.doctor import check_layout
from tests.grading import KIT_ROOT, grade


def test_integrity_manifest_is_current():
    """autograder/INTEGRITY must hold the digest of the autograder as committed."""
    assert integrity.recorded() == integrity.digest(), (
        "autograder/ changed since autograder/INTEGRITY was written: run `coursekit doctor --update-integrity` and "
        "commit the manifest with your change.")


def test_integrity_notices_any_change(tmp_path):
    copy = tmp_path / "autograder"
    shutil.copytree(KIT_ROOT / "autograder", copy, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = copy / "INTEGRITY"
    integrity.write_manifest(copy, manifest)
    assert integrity.state(copy, manifest)[1] == "unmodified"
    check = copy / "test_ch01_tensors.py"
    original = check.read_text()
    check.write_text(original + "\n# one more line\n")
    assert integrity.state(copy, manifest)[1] == "modified"
    check.write_text(original)
    assert integrity.state(copy, manifest)[1] == "unmodified"
    (copy / "engine" / "extra.py").write_text("x = 1\n")
    assert integrity.state(copy, manifest)[1] == "modified"
    manifest.unlink()
    assert integrity.state(copy, manifest)[1] == "no manifest"


def test_layout_finds_missing_files_names_signatures_and_syntax_errors(tmp_path):
    exercises = tmp_path / "exercises"
    shutil.copytree(KIT_ROOT / "exercises", exercises, ignore=shutil.ignore_patterns("__pycache__", "*.bak"))
    assert all(f.ok for f in check_layout(exercises, KIT_ROOT / "solutions"))
    (exercises / "ch12_devices.py").unlink()
    (exercises / "ch02_autograd.py").write_text("def gradient(:\n")
    ch01 = exercises / "ch01_tensors.py"
    ch01.write_text(ch01.read_text().replace("def one_hot(", "def onehot(").replace("def standardize(x",
                                                                                     "def standardize(data"))
    problems = "\n".join(f.text for f in check_layout(exercises, KIT_ROOT / "solutions") if not f.ok)
    assert "ch12_devices.py is missing" in problems
    assert "ch02_autograd.py does not parse: line 1" in problems
    assert "missing one_hot" in problems and "signature changed: standardize(data" in problems


def test_doctor_command_reports_versions_devices_and_integrity():
    env = {**os.environ, "NO_COLOR": "1"}
    before = integrity.digest()  # others may be editing autograder/ meanwhile: either digest will do
    done = subprocess.run([sys.executable, "-m", "coursekit", "doctor"], cwd=KIT_ROOT, capture_output=True, text=True,
                          env=env, timeout=120)
    import torch

    assert f"torch {torch.__version__}" in done.stdout and "Python 3." in done.stdout
    assert "devices   cpu" in done.stdout
    assert "integrity" in done.stdout
    assert before[:16] in done.stdout or integrity.digest()[:16] in done.stdout
    assert done.returncode == (0 if "FIX" not in done.stdout else 1)


def test_reports_and_results_state_the_digest():
    before = integrity.state()
    graded = grade("solutions", "autograder/test_ch12_devices.py")
    digest, state = integrity.state()
    if graded.results["extra_data"]["autograder_sha256"] == before[0]:
        digest, state = before  # autograder/ was edited during the run (others at work in the same tree)
    assert f"Autograder: sha256 {digest[:16]}" in graded.output
    assert graded.results["extra_data"] == {"autograder_sha256": digest, "autograder_integrity": state}
