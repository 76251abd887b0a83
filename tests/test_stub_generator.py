"""Does `coursekit stubs` turn solutions into stubs through nbgrader, name every exercise, refuse bad markers with
the file and line, and never overwrite a learner's edits without --force?"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.stubs import StubError, generate, learner_edited, write_stubs

KIT_ROOT = Path(__file__).resolve().parents[1]

SOLUTION = '''"""A tiny chapter."""
import torch


def double(x):
    """Exercise 9.1: twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


class Scale(torch.nn.Module):
    """Exercise 9.2: multiply by a learned scale."""

    def __init__(self):
        super().__init__()
        ### BEGIN SOLUTION
        self.scale = torch.nn.Parameter(torch.ones(()))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.scale * x
        ### END SOLUTION
'''


def folders(tmp_path: Path, source: str = SOLUTION) -> tuple[Path, Path]:
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    (solutions / "ch09_tiny.py").write_text(source)
    return solutions, exercises


def test_stub_replaces_each_solution_region_with_a_named_not_implemented(tmp_path):
    solutions, _ = folders(tmp_path)
    stub = generate(solutions / "ch09_tiny.py")
    assert "return 2 * x" not in stub and "self.scale * x" not in stub and "BEGIN SOLUTION" not in stub
    assert stub.count('raise NotImplementedError("Exercise 9.1 is not written yet. Guide: '
                      'docs/en/chapters/ch09-tiny.md#ex-9-1")') == 1
    assert stub.count("Exercise 9.2 is not written yet") == 2  # __init__ and forward, named from the class docstring
    assert '"""Exercise 9.1: twice x."""' in stub  # the task stays
    compile(stub, "stub", "exec")


@pytest.mark.parametrize("source, line, words", [
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", 3, "nested"),
    ("def f():\n    \"\"\"Exercise 1.1\"\"\"\n    ### BEGIN SOLUTION\n    pass\n", 3, "never closed"),
    ("def f():\n    pass\n    ### END SOLUTION\n", 3, "without"),
])
def test_bad_markers_name_file_and_line(tmp_path, source, line, words):
    solutions, _ = folders(tmp_path, source)
    with pytest.raises(StubError, match=rf"ch09_tiny.py:{line}: .*{words}"):
        generate(solutions / "ch09_tiny.py")


def test_region_outside_an_exercise_is_refused(tmp_path):
    solutions, _ = folders(tmp_path, "def helper():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n")
    with pytest.raises(StubError, match="Exercise N.M"):
        generate(solutions / "ch09_tiny.py")


def test_learner_edits_are_kept_unless_forced(tmp_path):
    solutions, exercises = folders(tmp_path)
    assert [o.action for o in write_stubs(solutions, exercises)] == ["written"]
    stub = exercises / "ch09_tiny.py"
    assert not learner_edited(stub)
    stub.write_text(stub.read_text().replace('raise NotImplementedError("Exercise 9.1', 'return x + x  # ("', 1))
    edited = stub.read_text()

    # The solution changes: an untouched stub would be rewritten, an edited one is kept.
    (solutions / "ch09_tiny.py").write_text(SOLUTION.replace("twice x", "two times x"))
    assert write_stubs(solutions, exercises)[0].action.startswith("kept")
    assert stub.read_text() == edited

    outcome = write_stubs(solutions, exercises, force=True)[0]
    assert outcome.action.startswith("replaced")
    assert (exercises / "ch09_tiny.py.bak").read_text() == edited
    assert "two times x" in stub.read_text() and not learner_edited(stub)


def test_untouched_stub_follows_its_solution(tmp_path):
    solutions, exercises = folders(tmp_path)
    write_stubs(solutions, exercises)
    (solutions / "ch09_tiny.py").write_text(SOLUTION.replace("twice x", "two times x"))
    assert write_stubs(solutions, exercises, check=True)[0].action == "differs"
    assert write_stubs(solutions, exercises)[0].action == "written"
    assert "two times x" in (exercises / "ch09_tiny.py").read_text()


def test_cli_check_fails_on_a_stale_stub(tmp_path):
    solutions, exercises = folders(tmp_path)
    write_stubs(solutions, exercises)
    (solutions / "ch09_tiny.py").write_text(SOLUTION.replace("twice x", "two times x"))
    command = [sys.executable, "-m", "coursekit", "stubs", "--check", "--solutions", str(solutions),
               "--exercises", str(exercises)]
    done = subprocess.run(command, cwd=KIT_ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and "differs" in done.stdout and "coursekit stubs" in done.stderr
