"""Mistakes named: does every mistake of the catalog (autograder/engine/mistakes.py) appear, by name, in the feedback
on a known-wrong implementation that makes it (tests/variants/)?"""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.engine import mistakes
from tests.grading import Grade, copy_solutions, grade
from tests.test_variants import variant_imports
from tests.variants import VARIANTS

# mistake id -> (chapter, exercise, the start of the wrong variant's description)
TRIGGERS = {
    "float32_constant_in_float64": ("ch09_linear_regression", "9.2", "the targets rounded to float32"),
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
    "input_requires_grad_changed": ("ch02_autograd", "2.1", "x.requires_grad_(True) on the caller's tensor"),
    "dims_swapped": ("ch01_tensors", "1.3", "transposed result"),
    "parameter_not_leaf": ("ch02_autograd", "2.4", "w = w - lr * w.grad makes new tensors"),
    "parameter_rebound": ("ch07_optimization", "7.1", "p = p - lr * p.grad rebinds a local name"),
    "layers_not_registered": ("ch04_modules", "4.3", "layers kept in a plain Python list"),
    "sigmoid_before_logits_loss": ("ch04_modules", "4.2", "forward applies the sigmoid"),
    "log_sigmoid_unstable": ("ch06_losses", "6.2", "sigmoid then log: -inf at large logits"),
    "softmax_before_cross_entropy": ("ch06_losses", "6.3", "softmax applied before F.cross_entropy"),
    "naive_softmax_overflow": ("ch06_losses", "6.3", "naive softmax then log"),
    "train_loader_not_shuffled": ("ch03_data", "3.3", "training loader not shuffled"),
    "val_loader_shuffled": ("ch03_data", "3.3", "validation loader shuffled too"),
    "val_loader_drop_last": ("ch03_data", "3.3", "drop_last=True drops the last batch"),
    "scheduler_before_optimizer": ("ch07_optimization", "7.8", "scheduler.step() before optimizer.step()"),
    "momentum_buffer_lost": ("ch07_optimization", "7.3", "momentum buffer created anew every step"),
    "momentum_buffer_aliases_grad": ("ch07_optimization", "7.3", "momentum buffer aliases p.grad"),
    "optimizer_changed_grad": ("ch07_optimization", "7.3", "weight decay added to p.grad in place"),
    "adam_bias_correction_missing": ("ch07_optimization", "7.5", "no bias correction"),
    "weight_decay_kind_swapped": ("ch07_optimization", "7.6", "L2 weight decay in the gradient"),
    "penalty_on_bias": ("ch11_overfitting", "11.1", "biases penalized too"),
    "dropout_not_scaled": ("ch11_overfitting", "11.4", "no 1 / (1 - p) scaling"),
    "dropout_p_as_keep_probability": ("ch11_overfitting", "11.4", "p taken as the keep probability"),
    "tensor_on_default_device": ("ch12_devices", "12.3", "torch.arange(T) on the default device"),
    "to_device_result_discarded": ("ch12_devices", "12.2", "x.to(device) result discarded"),
    "result_brought_to_cpu": ("ch02_autograd", "2.1", "moves the gradient to the cpu at the end"),
}
# graded with the report in Chinese, in a run of its own (a fast exercise)
IN_CHINESE = "adam_bias_correction_missing"


def variant_for(chapter: str, exercise: str, description: str):
    found = [v for v in VARIANTS if v.chapter_module == chapter and v.exercise == exercise and not v.is_correct
             and v.description.startswith(description)]
    assert len(found) == 1, f"{chapter} {exercise}: expected one wrong variant '{description}...', found {found}"
    return found[0]


def rounds() -> list[list[tuple[str, object]]]:
    """Group the triggers into graded folders, at most one variant per exercise in each (grading is one exercise at
    a time, so variants of different exercises, of any chapters, do not interfere); as few folders as that allows,
    filled evenly."""
    triggers = [(mistake_id, variant_for(*trigger)) for mistake_id, trigger in TRIGGERS.items()]
    per_exercise = defaultdict(int)
    for _, variant in triggers:
        per_exercise[variant.exercise] += 1
    folders: list[list[tuple[str, object]]] = [[] for _ in range(max(per_exercise.values()))]
    for mistake_id, variant in sorted(triggers, key=lambda t: -per_exercise[t[1].exercise]):
        free = [f for f in folders if all(v.exercise != variant.exercise for _, v in f)]
        min(free, key=len).append((mistake_id, variant))
    return folders


def grade_folder(folder, members, extra: tuple[str, ...] = (), env=None) -> Grade:
    """A copy of the solutions with the members' variants appended, graded on the members' exercises only."""
    target = copy_solutions(folder)
    chapters = sorted({variant.chapter_module for _, variant in members})
    for chapter in chapters:
        with open(target / f"{chapter}.py", "a", encoding="utf-8") as file:
            file.write("\n" + variant_imports(chapter))
            for _, variant in (m for m in members if m[1].chapter_module == chapter):
                file.write(f"\n\n{variant.source}\n")
    only = " or ".join(f"test_{variant.exercise.replace('.', '_')}_" for _, variant in members)
    return grade(target, *(f"autograder/test_{chapter}.py" for chapter in chapters), extra=("-k", only, *extra),
                 env=env)


@pytest.fixture(scope="module")
def feedback(tmp_path_factory) -> dict[str, tuple[Grade, str]]:
    def run(number_and_members):
        number, members = number_and_members
        graded = grade_folder(tmp_path_factory.mktemp(f"mistakes-{number}"), members)
        return {mistake_id: (graded, variant.exercise) for mistake_id, variant in members}

    def in_chinese():
        variant = variant_for(*TRIGGERS[IN_CHINESE])
        return grade_folder(tmp_path_factory.mktemp("mistakes-zh"), [(IN_CHINESE, variant)], extra=("--lang", "zh"),
                            env={"COURSEKIT_LANG": "zh"})

    results: dict[str, tuple[Grade, str]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        chinese = pool.submit(in_chinese)
        for found in pool.map(run, enumerate(rounds())):
            results.update(found)
        results["zh"] = (chinese.result(), TRIGGERS[IN_CHINESE][1])
    return results


def test_every_catalog_mistake_has_a_trigger():
    assert set(TRIGGERS) == set(mistakes.CATALOG), set(mistakes.CATALOG) ^ set(TRIGGERS)


@pytest.mark.parametrize("mistake_id", TRIGGERS)
def test_wrong_implementation_is_told_its_mistake(mistake_id, feedback):
    graded, exercise = feedback[mistake_id]
    score, maximum = graded.exercise(exercise)
    assert score < maximum
    assert mistakes.describe(mistake_id) in graded.outputs(exercise), graded.outputs(exercise)


@pytest.mark.parametrize("mistake_id", ["zero_grad_missing", "dropout_active_in_eval", "broadcast_n1_n",
                                        "train_loader_not_shuffled", "tensor_on_default_device"])
def test_the_report_shows_the_named_mistake_under_its_exercise(mistake_id, feedback):
    graded, exercise = feedback[mistake_id]
    lines = graded.output.split("score report")[-1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(exercise + " "))
    assert lines[start + 1].strip() == mistakes.describe(mistake_id), "\n".join(lines[start:start + 4])


def test_the_chinese_report_names_the_mistake_in_chinese(feedback):
    graded, exercise = feedback["zh"]
    report = graded.output.split("score report")[-1]
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(exercise + " "))
    assert lines[start + 1].strip() == mistakes.describe_in(IN_CHINESE, "zh"), "\n".join(lines[start:start + 4])
    assert mistakes.CATALOG[IN_CHINESE].name_zh in report and mistakes.CATALOG[IN_CHINESE].name not in report


def test_every_catalog_mistake_is_written_in_both_languages():
    for mistake in mistakes.CATALOG.values():
        assert mistake.name and mistake.advice and mistake.name_zh and mistake.advice_zh, mistake.id
        assert any("\u4e00" <= c <= "\u9fff" for c in mistake.name_zh + mistake.advice_zh), mistake.id
    sentences = [mistakes.describe(m) for m in mistakes.CATALOG]
    assert not [(a, b) for a in sentences for b in sentences if a != b and a in b], "one sentence contains another"
