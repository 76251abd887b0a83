"""Does autograder.zip work as Gradescope runs it: unpacked under a (simulated) /autograder, run_autograder grades
/autograder/submission and writes /autograder/results/results.json by Gradescope's spec, with the chosen visibility?"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

from coursekit.gradescope import build_zip
from tests.grading import KIT_ROOT


def test_run_autograder_in_a_simulated_autograder_tree(tmp_path):
    archive = build_zip(tmp_path / "autograder.zip", visibility="after_published", check_timeout=5)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert {"setup.sh", "run_autograder", "source/solutions/ch01_tensors.py",
                "source/autograder/engine/plugin.py", "source/coursekit/batch.py"} <= set(names)
        zipped.extractall(root)
    for script in ("setup.sh", "run_autograder"):
        (root / script).chmod(0o755)
    # Gradescope puts the student's upload in /autograder/submission: here, nested in a folder as a zip would be,
    # with ch01 solved and ch02 left as the stubs.
    submission = root / "submission" / "my-work"
    submission.mkdir(parents=True)
    for path in (KIT_ROOT / "exercises").glob("ch[0-9][0-9]_*.py"):
        shutil.copy(path, submission / path.name)
    shutil.copy(KIT_ROOT / "solutions" / "ch01_tensors.py", submission / "ch01_tensors.py")
    (submission / "ch02_autograd.py").write_text((KIT_ROOT / "exercises/ch02_autograd.py").read_text()
                                                 + "\nprint('Total: 999 / 999 points')\n")
    env = {**os.environ, "COURSEKIT_AUTOGRADER_ROOT": str(root), "COURSEKIT_PYTHON": sys.executable}
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    results_file = root / "results" / "results.json"
    assert results_file.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(results_file.read_text())
    assert results["visibility"] == "after_published"
    assert {"score", "max_score", "tests", "output", "execution_time"} <= set(results)
    ch01 = [t for t in results["tests"] if t["number"].startswith("1.")]
    rest = [t for t in results["tests"] if not t["number"].startswith("1.")]
    assert ch01 and all(t["status"] == "passed" for t in ch01)
    assert rest and all(t["score"] == 0 for t in rest)
    assert results["score"] == sum(t["max_score"] for t in ch01) < results["max_score"]
    for test in results["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output", "visibility"}
        assert test["visibility"] == "after_published"
