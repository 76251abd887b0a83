"""Is the mutation-testing record current, good enough, and true (issue 9, item 3)?

scripts/mutation_testing.py runs cosmic-ray's mutants of solutions/ against the autograder and writes one record per
chapter (tests/mutation/chNN_topic.json). Here: each record matches today's solution and checks, its score
(killed / non-equivalent mutants) is at least 95%, the README shows the recorded scores, and a sample of the record
is rerun with today's grader.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

KIT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(KIT_ROOT / "scripts"))
import mutation_testing  # noqa: E402

CHAPTERS = mutation_testing.chapters()
RERUN = f"python scripts/mutation_testing.py --chapter {{chapter}}"


def record(chapter: str) -> dict:
    """The chapter's record; a chapter not yet measured is skipped, visibly, with the command that measures it
    (the README's table says "not yet measured" for it, and test_readme_shows_the_recorded_scores holds it to that)."""
    path = mutation_testing.RECORDS / f"{chapter}.json"
    if not path.exists():
        pytest.skip(f"no mutation record for {chapter} yet: run `{RERUN.format(chapter=chapter)}`")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_record_is_current(chapter):
    assert record(chapter)["fingerprint"] == mutation_testing.fingerprint(chapter), (
        f"solutions/{chapter}.py or autograder/test_{chapter}.py changed since its mutation record was made: "
        f"run `{RERUN.format(chapter=chapter)}`")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_score_at_least_95_percent(chapter):
    data = record(chapter)
    survivors = "\n".join(f"  {s['mutant']} (line {s['line']}, in {s['in']}): {s['diff']}" for s in data["survivors"])
    assert data["score"] >= mutation_testing.MINIMUM_SCORE, (
        f"{chapter}: mutation score {data['score']:.1%} < 95%. Kill these with a sharper check, or record them in "
        f"tests/mutation/equivalent.toml with the reason they cannot change a promised behaviour:\n{survivors}")
    assert data["killed"] + data["survived"] + data["equivalent"] + data["incompetent"] == data["mutants"]


def test_every_equivalent_mutant_has_a_reason():
    for (chapter, mutant), reason in mutation_testing.equivalents().items():
        assert chapter in CHAPTERS, f"equivalent.toml names an unknown chapter {chapter}"
        assert len(reason.split()) >= 4, f"{chapter} {mutant}: say why it is equivalent, in a sentence"


def test_readme_shows_the_recorded_scores():
    readme = (KIT_ROOT / "README.md").read_text(encoding="utf-8")
    for chapter in CHAPTERS:
        path = mutation_testing.RECORDS / f"{chapter}.json"
        if not path.exists():
            assert re.search(rf"^\| `{chapter}` \| not yet measured \|", readme, re.M), (
                f"README.md's mutation table must say {chapter} is not yet measured")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        row = re.search(rf"^\| `{chapter}` \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+)% \|", readme, re.M)
        assert row, f"README.md's mutation table has no row for {chapter}"
        assert (int(row[1]), int(row[2]), int(row[3])) == (data["mutants"], data["killed"], data["equivalent"])
        assert float(row[4]) == round(100 * data["score"], 1)


def test_a_sample_of_the_record_grades_as_recorded():
    """Two recorded kills per chapter (and one survivor, if any) rerun with today's grader."""
    done = subprocess.run([sys.executable, "scripts/mutation_testing.py", "--verify", "2"], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
