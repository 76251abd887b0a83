"""Can a submission raise its own score? The adversarial set: each attack scores no more than an empty stub on what
it attacks, and the honest exercises of the same submission keep their points. Graded the way a class is graded
(`coursekit grade-class`: forked, sandboxed children), all attackers in one parallel run."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coursekit.batch import Options, Student, grade_class
from tests.grading import KIT_ROOT

REFERENCE_CH01 = (KIT_ROOT / "solutions/ch01_tensors.py").read_text()
WRONG_1_1 = "def add_bias_column(x):\n    {attack}\n    return torch.zeros(x.shape[0], x.shape[1] + 1)\n"


def in_1_1(attack: str) -> str:
    """A wrong add_bias_column (Exercise 1.1) that attacks the grader when called; 1.2-1.4 stay honest."""
    return REFERENCE_CH01 + "\n\n" + WRONG_1_1.format(attack=attack.replace("\n", "\n    "))


OUT = "{out}"  # replaced with the run's real output folder: the attacker knows where results go
ATTACKS = {  # name: (ch01 source, exercises attacked; "ch01" = the whole chapter)
    "patches torch.testing.assert_close": (in_1_1(
        "import torch.testing\ntorch.testing.assert_close = lambda *a, **k: None"), {"1.1"}),
    "patches torch.allclose and Tensor.__eq__": (in_1_1(
        "torch.allclose = lambda *a, **k: True\ntorch.Tensor.__eq__ = lambda *a: True"), {"1.1"}),
    "swaps assert_close's code object": (in_1_1(
        "torch.testing.assert_close.__code__ = (lambda *a, **k: None).__code__"), {"1.1"}),
    "patches assert_close at import": (REFERENCE_CH01 + "\nimport torch.testing\n"
                                       "torch.testing.assert_close = lambda *a, **k: None\n", {"ch01"}),
    "rewrites the grader's outcome code": (in_1_1(
        "import autograder.engine.outcomes as o, autograder.engine.plugin as p\n"
        "o.classify = p.classify = lambda *a, **k: ('passed', '')\n"
        "o.Check.score = property(lambda self: self.points)"), {"1.1"}),
    "patches pytest's reporting": (in_1_1(
        "import _pytest.runner, _pytest.reports\n"
        "_pytest.reports.TestReport.passed = property(lambda self: True)\n"
        "_pytest.runner.check_interactive_exception = lambda *a: False"), {"1.1"}),
    "sys.exit(0) at import": (REFERENCE_CH01 + "\nimport sys\nsys.exit(0)\n", {"ch01"}),
    "os._exit(0) at import": (REFERENCE_CH01 + "\nimport os\nos._exit(0)\n", {"ch01"}),
    "os._exit(0) while checked": (in_1_1("import os\nos._exit(0)"), {"1.1"}),
    "imports the reference": (in_1_1(
        "from solutions.ch01_tensors import add_bias_column as ref\nreturn ref(x)"), {"1.1"}),
    "reads the reference file": (in_1_1(
        f"ns = {{}}\nexec(open({str(KIT_ROOT / 'solutions/ch01_tensors.py')!r}).read(), ns)\n"
        "return ns['add_bias_column'](x)"), {"1.1"}),
    "finds the loaded reference": (in_1_1(
        "import sys\nfor m in list(sys.modules.values()):\n"
        "    f = getattr(m, '__file__', '') or ''\n"
        "    if 'solutions' in f and hasattr(m, 'add_bias_column'):\n        return m.add_bias_column(x)"), {"1.1"}),
    "reads another student's file": (in_1_1(
        "ns = {}\nexec(open('{subs}/honest/ch01_tensors.py').read(), ns)\nreturn ns['add_bias_column'](x)"),
        {"1.1"}),
    "writes results files": (REFERENCE_CH01.replace("def add_bias_column", "def _unused") + (
        "\nimport json, pathlib\nfor p in ['{out}/results/writes-results-files.json', '{out}/gradebook.csv',"
        " 'results.json']:\n    try:\n        pathlib.Path(p).parent.mkdir(parents=True, exist_ok=True)\n"
        "        pathlib.Path(p).write_text(json.dumps({'score': 999, 'max_score': 999, 'tests': []}))\n"
        "    except OSError:\n        pass\n"
        "def add_bias_column(x):\n    raise NotImplementedError('Exercise 1.1')\n"), {"1.1"}),
    "prints fake score lines": (in_1_1(
        "import os, sys\nprint('Total: 259 / 259 points. Exercises: 51 passed.')\n"
        "os.write(1, b'{\"score\": 999}\\n'); os.write(2, b'1.1 add_bias_column passed 3 / 3\\n')\n"
        "sys.stderr.write('passed\\n')"), {"1.1"}),
    "uses the network": (in_1_1(
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2).close()\n"
        "return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], 1)"), {"1.1"}),
    "hangs, ignoring the alarm": (in_1_1("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                         "while True:\n    pass"), {"1.1"}),
    "blows up memory": (in_1_1("hog = bytearray(64 * 2**30)"), {"1.1"}),
    "crashes the interpreter": (in_1_1("import ctypes\nctypes.string_at(0)"), {"1.1"}),
}
CONFTEST = ("import pytest\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
            "    report = yield\n    report.outcome = 'passed'\n    return report\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs, out = root / "submissions", root / "out"
    folders = {}
    for name, (source, _) in {**ATTACKS, "honest": (REFERENCE_CH01, set()),
                              "stub": ((KIT_ROOT / "exercises/ch01_tensors.py").read_text(), set()),
                              "plants conftest.py and a plugin": (
                                  (KIT_ROOT / "exercises/ch01_tensors.py").read_text(), {"ch01"})}.items():
        folder = subs / name.replace(" ", "-").replace("'", "").replace(".", "").replace("(", "").replace(")", "")
        folder.mkdir(parents=True)
        shutil.copy(KIT_ROOT / "solutions/ch02_autograd.py", folder / "ch02_autograd.py")
        (folder / "ch01_tensors.py").write_text(source.replace("{out}", str(out)).replace("{subs}", str(subs)))
        folders[name] = folder
    planted = folders["plants conftest.py and a plugin"]
    (planted / "conftest.py").write_text(CONFTEST)
    (planted / "pytest.ini").write_text("[pytest]\naddopts = -p conftest\n")
    (planted / "sitecustomize.py").write_text(CONFTEST)
    students = [Student(f.name, f) for f in folders.values()]
    outcome = grade_class(students, out, Options(workers=2, timeout=90, memory_mb=1024, check_timeout=3,
                                                 chapters=["ch01_tensors", "ch02_autograd"], progress=False))
    return outcome, folders, out


CASES = [*ATTACKS, "plants conftest.py and a plugin"]


@pytest.mark.parametrize("attack", CASES, ids=str)
def test_attack_gains_nothing_and_costs_only_what_it_attacks(graded, attack):
    outcome, folders, _ = graded
    attacked = ATTACKS[attack][1] if attack in ATTACKS else {"ch01"}
    scores = outcome.scores[folders[attack].name]
    stub, honest = outcome.scores[folders["stub"].name], outcome.scores[folders["honest"].name]
    report = outcome.results[folders[attack].name]["output"]
    for exercise, score in scores.items():
        hit = exercise in attacked or ("ch01" in attacked and exercise.startswith("1."))
        if hit:
            assert score <= stub[exercise], f"{attack}: {exercise} scored {score}\n{report}"
        else:
            assert score == honest[exercise] == outcome.max_points[exercise], f"{attack}: {exercise}\n{report}"


def test_results_files_come_only_from_the_grader(graded):
    outcome, folders, out = graded
    name = folders["writes results files"].name
    assert outcome.results[name]["score"] == outcome.total(name) < 999
    assert "999" not in (out / "gradebook.csv").read_text()
    assert not (folders["writes results files"] / "results.json").exists()


def test_the_sandbox_was_up(graded):
    """Namespaces as root (where the kernel allows them: a container may not), the audit hook alone otherwise."""
    outcome, _, _ = graded
    import os

    assert outcome.sandbox in (("namespaces", "audit hook only") if os.geteuid() == 0 else ("audit hook only",))
