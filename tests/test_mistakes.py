"""Mistakes named: does every mistake of the catalog (autograder/engine/mistakes.py) appear, by name, in the feedback
on a known-wrong implementation that makes it (tests/variants/)?"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.engine import mistakes
from tests.grading import Grade, copy_solutions, grade
from tests.test_variants import variant_imports
from tests.variants import VARIANTS

# mistake id -> (chapter, exercise, the start of the wrong variant's description)
TRIGGERS = {
    "zero_grad_missing": ("ch08_training_loop", "8.1", "never calls optimizer.zero_grad()"),
    "step_before_backward": ("ch08_training_loop", "8.1", "optimizer.step() before loss.backward()"),
    "graph_kept_alive": ("ch08_training_loop", "8.1", "total += loss keeps"),
    "mean_of_batch_means": ("ch08_training_loop", "8.1", "epoch loss is the mean of the batch means"),
    "train_mode_missing": ("ch08_training_loop", "8.1", "never calls model.train()"),
    "eval_mode_missing": ("ch08_training_loop", "8.2", "never calls model.eval()"),
    "no_grad_missing": ("ch08_training_loop", "8.2", "gradients left on during validation"),
    "dropout_active_in_eval": ("ch11_overfitting", "11.4", "F.dropout without training=self.training"),
    "broadcast_n1_n": ("ch06_losses", "6.1", "no shape check: (N, 1) - (N,)"),
    "graph_broken": ("ch06_losses", "6.1", "loss through .item()"),
    "input_modified_in_place": ("ch01_tensors", "1.2", "mutates its input"),
    "dims_swapped": ("ch01_tensors", "1.3", "transposed result"),
}


def variant_for(chapter: str, exercise: str, description: str):
    found = [v for v in VARIANTS if v.chapter_module == chapter and v.exercise == exercise and not v.is_correct
             and v.description.startswith(description)]
    assert len(found) == 1, f"{chapter} {exercise}: expected one wrong variant '{description}...', found {found}"
    return found[0]


def rounds() -> list[tuple[str, list[tuple[str, object]]]]:
    """Group the triggers into graded folders: one chapter each, at most one variant per exercise."""
    folders: list[tuple[str, list[tuple[str, object]]]] = []
    for mistake_id, (chapter, exercise, description) in TRIGGERS.items():
        variant = variant_for(chapter, exercise, description)
        home = next((f for f in folders if f[0] == chapter and all(v.exercise != exercise for _, v in f[1])), None)
        if home is None:
            home = (chapter, [])
            folders.append(home)
        home[1].append((mistake_id, variant))
    return folders


@pytest.fixture(scope="module")
def feedback(tmp_path_factory) -> dict[str, tuple[Grade, str]]:
    def run(number_and_round):
        number, (chapter, members) = number_and_round
        target = copy_solutions(tmp_path_factory.mktemp(f"mistakes-{number}"))
        with open(target / f"{chapter}.py", "a", encoding="utf-8") as file:
            file.write("\n" + variant_imports(chapter))
            for _, variant in members:
                file.write(f"\n\n{variant.source}\n")
        only = " or ".join(f"test_{variant.exercise.replace('.', '_')}_" for _, variant in members)
        graded = grade(target, f"autograder/test_{chapter}.py", extra=("-k", only))
        return {mistake_id: (graded, variant.exercise) for mistake_id, variant in members}

    results: dict[str, tuple[Grade, str]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for found in pool.map(run, enumerate(rounds())):
            results.update(found)
    return results


def test_every_catalog_mistake_has_a_trigger():
    assert set(TRIGGERS) == set(mistakes.CATALOG), set(mistakes.CATALOG) ^ set(TRIGGERS)


@pytest.mark.parametrize("mistake_id", TRIGGERS)
def test_wrong_implementation_is_told_its_mistake(mistake_id, feedback):
    graded, exercise = feedback[mistake_id]
    score, maximum = graded.exercise(exercise)
    assert score < maximum
    assert mistakes.describe(mistake_id) in graded.outputs(exercise), graded.outputs(exercise)


@pytest.mark.parametrize("mistake_id", ["zero_grad_missing", "dropout_active_in_eval", "broadcast_n1_n"])
def test_the_report_shows_the_named_mistake_under_its_exercise(mistake_id, feedback):
    graded, exercise = feedback[mistake_id]
    lines = graded.output.split("score report")[-1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(exercise + " "))
    assert lines[start + 1].strip() == mistakes.describe(mistake_id), "\n".join(lines[start:start + 4])
