"""The learner edition (`coursekit edition`): no reference solution code in it, and its local grade is one to trust.

Built once per session into a temporary folder, then used as a learner would: grade the stubs, grade the reference
as a submission, `coursekit doctor`, `coursekit reset`, `--target solutions`. And every variant of tests/variants/
is graded in it: a correct one never loses a point the edition can decide, a wrong one is caught there unless every
check that could catch it is one the edition leaves to the instructor's grader.
"""
from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from tests.grading import KIT_ROOT, SOLUTIONS, Grade, copy_solutions, grade, grading_env
from tests.test_variants import grade_round, rounds
from tests.variants import VARIANTS

CHAPTERS = sorted(path.stem for path in SOLUTIONS.glob("ch[0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edition") / "course"
    done = subprocess.run([sys.executable, "-m", "coursekit", "edition", str(out)], cwd=KIT_ROOT, capture_output=True,
                          text=True, env=grading_env(), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ checks replay \d+ recorded reference answers", done.stdout), done.stdout
    return out


def run_in(kit: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=kit, capture_output=True, text=True, env=grading_env(),
                          timeout=600)


def solution_regions() -> list[str]:
    """Every reference solution's code between nbgrader's markers, whitespace folded (what the stubs leave out)."""
    regions = []
    for path in SOLUTIONS.glob("ch[0-9][0-9]_*.py"):
        for body in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", path.read_text(), re.S):
            folded = " ".join(body.split())
            if len(folded) > 60:  # a one-liner such as `return x.sum()` may well be a hint's example
                regions.append(folded)
    return regions


def test_edition_holds_no_reference_code(edition):
    """No solutions/, no tests/ (the variants are implementations), and no solution region anywhere in its text."""
    for left_out in ("solutions", "tests", "benchmarks", "scripts", ".ci"):
        assert not (edition / left_out).exists(), left_out
    assert (edition / "README.md").read_text().startswith("> **This is the learner edition of the course kit.**")
    regions = solution_regions()
    assert len(regions) > 40, "the solutions' markers were not found: the test would prove nothing"
    texts = {path: " ".join(path.read_text(encoding="utf-8", errors="replace").split())
             for path in edition.rglob("*") if path.is_file() and path.suffix in (".py", ".md", ".txt", ".toml", ".yml")}
    leaks = [(path.relative_to(edition), region[:60]) for region in regions for path, text in texts.items()
             if region in text]
    assert not leaks, f"reference solution code in the edition: {leaks[:5]}"


def test_edition_stubs_are_made_from_the_solutions(edition):
    """The edition's exercises/ (and the copy `coursekit reset` uses) are the stubs as `coursekit stubs` makes them,
    whatever the author's own exercises/ holds."""
    from coursekit.stubs import generate

    for chapter in CHAPTERS:
        made = generate(SOLUTIONS / f"{chapter}.py")
        assert (edition / "exercises" / f"{chapter}.py").read_text() == made, chapter
        assert (edition / "autograder" / "data" / "stubs" / f"{chapter}.py").read_text() == made, chapter


def test_recorded_answers_are_plain_data(edition):
    """The records load with weights_only (no pickled code can run on load) and hold answers for many checks."""
    records = sorted((edition / "autograder" / "data" / "recorded").glob("*.pt"))
    assert len(records) >= 10
    answers = 0
    for path in records:
        data = torch.load(path, weights_only=True)
        answers += sum(len(entry["answers"]) for entry in data.values())
        assert all(set(entry) == {"hidden", "answers"} for entry in data.values()), path
    assert answers > 100


@pytest.fixture(scope="module")
def reference_grade(edition, tmp_path_factory) -> Grade:
    return grade(copy_solutions(tmp_path_factory.mktemp("reference")), kit=edition)


def test_reference_scores_every_checkable_point(reference_grade):
    """The reference, handed in as a submission, passes every check the edition decides; the rest are named."""
    result = reference_grade
    assert result.results["score"] == result.results["max_score"] > 250, result.output[-3000:]
    hidden = [t for t in result.results["tests"] if t["max_score"] == 0]
    assert hidden and all("instructor" in t["output"] for t in hidden)
    assert re.search(r"\d+ more points are checked only by your instructor's grader", result.output), result.output[-2000:]


def test_stubs_score_nothing_and_say_where_to_start(edition):
    result = grade(edition / "exercises", kit=edition)
    assert result.results["score"] == 0
    assert "Start with exercise 1.1" in result.output or "Start here" in result.output, result.output[-1500:]


def test_reference_target_is_refused_with_a_reason(edition):
    done = run_in(edition, "-m", "pytest", "autograder", "--target", "solutions", "-q")
    assert done.returncode != 0
    assert "learner edition" in done.stdout + done.stderr


def test_doctor_says_unmodified_and_reset_works(edition, tmp_path):
    doctor = run_in(edition, "-m", "coursekit", "doctor")
    assert doctor.returncode == 0 and "autograder unmodified" in doctor.stdout, doctor.stdout + doctor.stderr
    assert "names as in autograder/data/stubs/" in doctor.stdout
    compare = run_in(edition, "-m", "coursekit", "compare", "1.1")
    assert compare.returncode != 0
    mine = edition / "exercises" / "ch01_tensors.py"
    original = mine.read_text()
    try:
        mine.write_text(original.replace("raise NotImplementedError", "return None  # my attempt", 1))
        reset = run_in(edition, "-m", "coursekit", "reset", "1.1")
        assert reset.returncode == 0, reset.stdout + reset.stderr
        assert "NotImplementedError" in mine.read_text().split("def add_bias_column", 1)[1].split("\ndef ", 1)[0]
    finally:
        mine.write_text(original)


# -- every variant, graded in the edition --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def edition_grades(edition, tmp_path_factory) -> dict:
    graded: dict = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(grade_round, n, variants, set(CHAPTERS), tmp_path_factory.mktemp(f"edition-round{n}"),
                               kit=edition)
                   for n, variants in enumerate(rounds(set(CHAPTERS)))]
        for future in futures:
            graded.update(future.result())
    return graded


def local_score(result: Grade, exercise: str) -> tuple[float, float, int]:
    """(score, checkable points, checks left to the instructor) of one exercise in an edition's results.json."""
    tests = [t for t in result.results["tests"] if t["number"] == exercise]
    assert tests, f"exercise {exercise} was not graded:\n{result.output[-3000:]}"
    return (sum(t["score"] for t in tests), sum(t["max_score"] for t in tests),
            sum(t["max_score"] == 0 for t in tests))


def test_correct_variants_lose_nothing_in_the_edition(edition_grades):
    lost = [(v.name, local_score(edition_grades[v], v.exercise)) for v in VARIANTS if v.is_correct
            and local_score(edition_grades[v], v.exercise)[0] < local_score(edition_grades[v], v.exercise)[1]]
    assert not lost, f"correct implementations lost points in the learner edition: {lost[:10]}"


def test_wrong_variants_are_caught_or_left_to_the_instructor(edition_grades, record_property):
    """A wrong variant that keeps every checkable point must be in an exercise with checks the edition hands to the
    instructor's grader (which catches it: tests/test_variants.py)."""
    wrong = [v for v in VARIANTS if not v.is_correct]
    escaped = []
    for variant in wrong:
        score, points, hidden = local_score(edition_grades[variant], variant.exercise)
        if score == points:
            escaped.append((variant.name, hidden))
    unexplained = [name for name, hidden in escaped if not hidden]
    record_property("wrong caught in the edition", f"{len(wrong) - len(escaped)} of {len(wrong)}")
    print(f"\nlearner edition: {len(wrong) - len(escaped)} of {len(wrong)} wrong variants caught locally; "
          f"{len(escaped)} left to the instructor's checks")
    assert not unexplained, f"wrong variants the edition passes with no instructor check to catch them: {unexplained}"


def test_figures_in_the_docs_are_measured(reference_grade, edition_grades, edition):
    """The README's and the instructor guides' figures for the edition are today's."""
    from autograder.engine import catalog, recorded_reference

    checked = reference_grade.results["max_score"]
    total = sum(entry.points for entry in catalog.read().values())
    records = [r for path in (edition / "autograder" / "data" / "recorded").glob("*.pt")
               for r in recorded_reference.read(path.name, path.parent).values()]
    wrong = [v for v in VARIANTS if not v.is_correct]
    caught = sum(local_score(edition_grades[v], v.exercise)[0] < local_score(edition_grades[v], v.exercise)[1]
                 for v in wrong)
    correct = sum(v.is_correct for v in VARIANTS)
    readme = " ".join((KIT_ROOT / "README.md").read_text().split())
    assert (f"today {checked:g} of {total:g} points are checked in the edition, {sum(bool(r.hidden) for r in records)} "
            f"of the {len(records)} checks that ask the reference are the instructor's") in readme
    assert f"all {correct} correct ones keep every point, and {caught} of the {len(wrong)} wrong ones" in readme
    assert f"each of the other {len(wrong) - caught} is in an exercise" in readme
    english = " ".join((KIT_ROOT / "docs" / "en" / "instructors.md").read_text().split())
    assert f"the edition checks {checked:g} of the {total:g} points itself" in english
    assert f"all {correct} correct implementations keep every point" in english
    assert f"{caught} of the {len(wrong)} wrong ones are caught by the edition alone" in english
    chinese = (KIT_ROOT / "docs" / "zh" / "instructors.md").read_text()
    assert f"目前学习者版自己检查 {total:g} 分中的 {checked:g} 分" in chinese
    assert f"{correct} 个正确实现" in chinese and f"{len(wrong)} 个错误实现中有 {caught} 个" in chinese

