"""doctor: versions, devices, exercises/ against the solutions' layout, and the autograder's integrity hash (in the
doctor's verdict, in every report and in results.json). Also: is the committed manifest current? And the kit's cached
bytecode: a planted .pyc is found by doctor and refused by grading."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.engine import integrity
from coursekit.doctor import check_bytecode, check_layout
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


def _plant(source: Path, replacement: str) -> Path:
    """A .pyc for `source` whose header matches it (size and time) and whose code is `replacement`: what Python's
    loader runs instead of the source."""
    import importlib._bootstrap_external as external
    import importlib.util

    info = source.stat()
    cache = Path(importlib.util.cache_from_source(str(source)))
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(external._code_to_timestamp_pyc(compile(replacement, str(source), "exec"), int(info.st_mtime),
                                                       info.st_size))
    return cache


# The engine's own outcomes.py, with a classify that calls every check "passed".
RIGGED_OUTCOMES = (KIT_ROOT / "autograder/engine/outcomes.py").read_text() + (
    "\n\ndef classify(*args, **kwargs):\n    return 'passed', ''\n")


def test_planted_bytecode_is_found_and_honest_bytecode_is_not(tmp_path):
    import py_compile

    copy = tmp_path / "autograder"
    shutil.copytree(KIT_ROOT / "autograder", copy, ignore=shutil.ignore_patterns("__pycache__"))
    trusted = tmp_path / "trusted.json"
    honest = copy / "engine" / "calls.py"
    py_compile.compile(str(honest), cfile=importlib_cache(honest), doraise=True)  # what Python itself writes
    assert integrity.untrusted_bytecode(roots=(copy,), trusted_file=trusted) == []
    assert str(Path(importlib_cache(honest)).resolve()) in trusted.read_text()  # remembered: later runs only hash
    planted = _plant(copy / "engine" / "outcomes.py", RIGGED_OUTCOMES)
    assert integrity.untrusted_bytecode(roots=(copy,), trusted_file=trusted) == [planted]
    finding = check_bytecode(roots=(copy,), trusted_file=trusted)
    assert not finding.ok and "outcomes.cpython" in finding.text and "NOT compiled" in finding.text
    # A stale cache (the source changed since) is recompiled by Python, never run: nothing to report.
    (copy / "engine" / "outcomes.py").write_text((copy / "engine" / "outcomes.py").read_text() + "\n# edited\n")
    assert integrity.untrusted_bytecode(roots=(copy,), trusted_file=trusted) == []


def importlib_cache(path: Path) -> str:
    import importlib.util

    return importlib.util.cache_from_source(str(path))


def test_grading_refuses_planted_bytecode_and_doctor_says_so(tmp_path):
    """The issue's trial: a .pyc planted beside the engine's outcomes.py (every check "passed") and beside the stub of
    chapter 01 (the reference's code). Grading must refuse, and the stubs must never score."""
    kit = tmp_path / "kit"
    for part in ("autograder", "coursekit", "solutions", "exercises"):
        shutil.copytree(KIT_ROOT / part, kit / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(KIT_ROOT / "pyproject.toml", kit)
    _plant(kit / "autograder" / "engine" / "outcomes.py", RIGGED_OUTCOMES)
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(kit)}
    graded = subprocess.run([sys.executable, "-m", "pytest", "autograder/test_ch01_tensors.py", "-q",
                             "-p", "no:cacheprovider", "--no-record-progress"], cwd=kit, capture_output=True,
                            text=True, env=env, timeout=600)
    assert graded.returncode == 4, graded.stdout[-2000:] + graded.stderr[-2000:]  # pytest's usage error
    assert "Refusing to grade" in graded.stderr and "outcomes.cpython" in graded.stderr
    assert "passed" not in graded.stdout
    doctor = subprocess.run([sys.executable, "-m", "coursekit", "doctor"], cwd=kit, capture_output=True, text=True,
                            env=env, timeout=300)
    assert doctor.returncode == 1 and "[FIX ] bytecode" in doctor.stdout, doctor.stdout[-3000:]


def test_a_planted_stub_bytecode_never_grades(tmp_path):
    """loading.py compiles each chapter from its source: a .pyc of the reference beside an untouched stub is never
    run (Python's own loader would run it)."""
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(KIT_ROOT / "exercises" / "ch01_tensors.py", target)
    _plant(target / "ch01_tensors.py", (KIT_ROOT / "solutions" / "ch01_tensors.py").read_text())
    import importlib.util

    spec = importlib.util.spec_from_file_location("planted_check", target / "ch01_tensors.py")
    planted = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(planted)
    import torch

    assert planted.add_bias_column(torch.ones(2, 2)).shape == (2, 3)  # Python's loader ran the planted reference
    graded = grade(target, "autograder/test_ch01_tensors.py")
    assert graded.results["score"] == 0, graded.output
