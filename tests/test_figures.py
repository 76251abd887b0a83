"""Do the site's figures say what the pages claim, on the very numbers they are drawn from?

scripts/make_figures.py exposes one function per figure that returns the curves; the pages' claims are
asserted here on the same functions, with the same seeds.
"""
from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "assets" / "figures"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "scripts" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = _load_script()


@pytest.fixture(autouse=True)
def one_thread():
    """The script fixes one thread so the numbers are the same on every machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng():
        yield
    torch.set_num_threads(threads)


def mean_last(values, k=10):
    return sum(values[-k:]) / k


def test_gradient_descent_reaches_the_closed_form_loss():
    """Does full-batch gradient descent on the diabetes data approach the least-squares loss, faster with a larger lr?"""
    result = figures.linear_regression_curves()
    best = result["closed_form"]
    finals = [losses[-1] for _, losses in sorted(result["lrs"].items())]
    assert finals == sorted(finals, reverse=True), "a larger (stable) learning rate should end lower here"
    assert finals[-1] < best * 1.01, f"lr={max(result['lrs'])} ends at {finals[-1]:.4f}, closed form {best:.4f}"
    for lr, losses in result["lrs"].items():
        assert all(b <= a + 1e-7 for a, b in zip(losses, losses[1:])), f"loss went up with lr={lr}"


def test_logistic_regression_separates_the_blobs():
    """Does the logistic-regression boundary classify held-out points well (> 90 %)?"""
    result = figures.logistic_regression_boundary()
    assert result["val_accuracy"] > 0.9 and result["train_accuracy"] > 0.9
    assert result["losses"][-1] < 0.5 * result["losses"][0]


def test_adam_and_momentum_beat_plain_sgd_in_150_steps():
    """The FAQ says: after 150 steps, plain SGD is near 0.8 while momentum and Adam are near 0.1. True here?"""
    curves = figures.compare_optimizers()
    sgd, momentum, adam = (mean_last(curves[name]) for name in figures.OPTIMIZERS)
    assert len(curves["Adam (lr=0.01)"]) == 150
    assert adam < sgd / 4 and momentum < sgd / 4, (sgd, momentum, adam)
    assert 0.5 < sgd < 1.2 and adam < 0.2 and momentum < 0.2, (sgd, momentum, adam)


def test_regularization_narrows_the_generalization_gap():
    """The overfitting FAQ says: Dropout and L2 each end with a smaller train/validation gap and a lower
    validation loss than no regularization. True on the figure's numbers?"""
    curves = figures.overfitting_curves()
    plain, dropout, l2 = (curves[name] for name in figures.REGULARIZERS)
    assert plain["train"][-1] < 0.01, "the unregularized model should (over)fit its 100 training images"
    for name, curve in (("dropout", dropout), ("L2", l2)):
        assert figures.generalization_gap(curve) < figures.generalization_gap(plain), name
        assert mean_last(curve["val"]) < mean_last(plain["val"]), name


def test_l2_penalty_skips_biases():
    """Is the figure's L2 penalty over weights only, as the course teaches?"""
    model = figures._mlp([3, 4, 2])
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.bias.fill_(100.0)
    expected = 1e-3 * sum((m.weight ** 2).sum() for m in model.modules() if isinstance(m, torch.nn.Linear))
    torch.testing.assert_close(figures.l2_penalty(model, 1e-3), expected)


def test_figures_run_the_reference_solutions():
    """Do the figures come from the course's reference solutions (DESIGN.md), loaded from solutions/?"""
    for chapter in ("ch07_optimization", "ch09_linear_regression", "ch10_logistic_regression", "ch11_overfitting"):
        module = figures.load_solution(chapter)
        assert Path(module.__file__).resolve() == ROOT / "solutions" / f"{chapter}.py"
    ch07, ch11 = figures.load_solution("ch07_optimization"), figures.load_solution("ch11_overfitting")
    optimizers = {name: make([torch.nn.Parameter(torch.zeros(1))]) for name, make in figures.OPTIMIZERS.items()}
    assert all(isinstance(o, (ch07.SGD, ch07.Adam)) for o in optimizers.values()), optimizers
    assert any(isinstance(m, ch11.Dropout) for m in figures._mlp([3, 4, 2], dropout=0.5).modules())
    result = figures.logistic_regression_boundary(steps=5)
    slope, intercept = figures.load_solution("ch10_logistic_regression").decision_boundary(
        result["weight"], torch.tensor(result["bias"]))
    assert (result["slope"], result["intercept"]) == (slope.item(), intercept.item())


def test_main_writes_every_figure_quickly(tmp_path):
    """Does `make_figures.py --out DIR` write the four PNGs, in well under 20 seconds?"""
    start = time.perf_counter()
    figures.main(["--out", str(tmp_path)])
    elapsed = time.perf_counter() - start
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == sorted(p.name for p in FIGURES.glob("*.png")), "committed figures and the script disagree"
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert elapsed < 20, f"make_figures took {elapsed:.1f} s"


def test_every_figure_is_used_in_both_languages():
    """Is each committed figure shown on an English page and on a Chinese page?"""
    for png in FIGURES.glob("*.png"):
        for language in ("en", "zh"):
            used = any(re.search(re.escape(png.name), p.read_text(encoding="utf-8"))
                       for p in (ROOT / "docs" / language).rglob("*.md"))
            assert used, f"{png.name} is not used in docs/{language}"
