"""Do the site's figures and diagrams say what the pages claim, on the very numbers they are drawn from?

scripts/make_figures.py exposes one function per figure that returns the curves, and scripts/make_diagrams.py one
`*_data` function per diagram that returns what torch reports; the pages' claims are asserted here on the same
functions, with the same seeds. Every figure exists in English (`name.png`) and Chinese (`name.zh.png`); the Chinese
pages show the Chinese ones, and a Chinese figure renders with no missing glyph.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import struct
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
diagrams = figures.load_diagrams()


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


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_main_writes_every_figure_in_both_languages(tmp_path):
    """Does `make_figures.py --out DIR` write every committed PNG, figures and diagrams, in English and Chinese,
    at the committed size (a figure whose layout changed and was not regenerated is caught)?"""
    figures.main(["--out", str(tmp_path)])
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == sorted(p.name for p in FIGURES.glob("*.png")), "committed figures and the script disagree"
    names = list(figures.FIGURES) + list(diagrams.DIAGRAMS)
    assert written == sorted(n for name in names for n in (name, figures.figure_name(name, "zh")))
    for png in tmp_path.glob("*.png"):
        assert png_size(png.read_bytes()) == png_size((FIGURES / png.name).read_bytes()), png.name
    fresh = json.loads((tmp_path / figures.MANIFEST).read_text(encoding="utf-8"))
    committed = json.loads((FIGURES / figures.MANIFEST).read_text(encoding="utf-8"))
    assert sorted(committed["files"]) == written
    for name in written:  # the committed manifest describes the committed files
        assert hashlib.sha256((FIGURES / name).read_bytes()).hexdigest() == committed["files"][name], name
    if fresh["renderer"] != committed["renderer"]:
        pytest.skip(f"byte comparison needs the committed renderer {committed['renderer']}, this is {fresh['renderer']}")
    stale = [name for name in written if fresh["files"][name] != committed["files"][name]]
    assert not stale, f"figures not redrawn after a change (run `python scripts/make_figures.py`): {stale}"


def pages_using(name: str, language: str) -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / language).rglob("*.md")
            if re.search(rf"assets/figures/{re.escape(name)}\)", p.read_text(encoding="utf-8"))]


def test_every_figure_is_used_in_its_language():
    """Is each English figure on an English page, each Chinese figure on a Chinese page, and never the other way?"""
    for png in FIGURES.glob("*.png"):
        own = "zh" if png.name.endswith(".zh.png") else "en"
        other = "en" if own == "zh" else "zh"
        assert pages_using(png.name, own), f"{png.name} is not used in docs/{own}"
        assert not pages_using(png.name, other), f"{png.name} is shown in docs/{other}: {pages_using(png.name, other)}"


CJK = re.compile(r"[\u4e00-\u9fff]")


def small_facts() -> dict:
    """Every figure's and diagram's input, on short runs: enough to draw each one."""
    over = figures.overfitting_curves(epochs=12)
    return {"lin": figures.linear_regression_curves(epochs=5), "log": figures.logistic_regression_boundary(steps=5),
            "opt": figures.compare_optimizers(steps=12), "over": over,
            **{name: (diagrams.gap_data(over["none"]) if make is diagrams.gap_data else make())
               for name, (_, make) in diagrams.DIAGRAMS.items()}}


def texts_of(fig) -> list[str]:
    import matplotlib.text

    texts = (re.sub(r"\$[^$]*\$", "", t.get_text()) for t in fig.findobj(matplotlib.text.Text))  # no math (ticks)
    return [t for t in texts if t.strip()]


def test_chinese_figures_are_in_chinese_and_every_glyph_is_found(caplog):
    """Each zh figure has Chinese in it, no English word of its English twin left, and renders with no missing glyph
    (matplotlib warns, or for mathtext logs, when a font lacks a character: CJK inside $...$ is such a case)."""
    import io
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    facts = small_facts()
    drawers = {**{name: (draw, facts[key]) for name, (draw, key) in figures.FIGURES.items()},
               **{name: (draw, facts[name]) for name, (draw, _) in diagrams.DIAGRAMS.items()}}
    for name, (draw, data) in drawers.items():
        texts = {}
        for lang in ("en", "zh"):
            table = figures.TEXT[lang] if name in figures.FIGURES else diagrams.TEXT[lang]
            with plt.rc_context(figures.style(lang)), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                caplog.clear()
                fig = draw(data, table)
                fig.savefig(io.BytesIO(), format="png")
                texts[lang] = texts_of(fig)
                plt.close(fig)
            missing = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
            missing += [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
            assert not missing, f"{name} ({lang}): {missing[:3]}"
        assert any(CJK.search(t) for t in texts["zh"]), f"{name}: no Chinese text in the zh figure"
        assert not any(CJK.search(t) for t in texts["en"]), f"{name}: Chinese text in the English figure"
        english_words = {w for t in texts["en"] for w in re.findall(r"[A-Za-z_]{5,}", t)} - KEPT_IN_CHINESE
        left = {w for t in texts["zh"] for w in re.findall(r"[A-Za-z_]{5,}", t)} & english_words
        assert not left, f"{name}: English words left in the zh figure: {sorted(left)}"


# Code and names a Chinese figure keeps in English: identifiers, class names, optimizers, the dataset's name.
KEPT_IN_CHINESE = {"Backward", "MulBackward", "AddBackward", "SigmoidBackward", "SubBackward", "PowBackward",
                   "backward", "autograd", "Dataset", "Sampler", "DataLoader", "batch_size", "shuffle", "True",
                   "Linear", "model", "train", "eval", "Dropout", "dropout", "digits", "epoch", "lambda", "momentum"}


def test_no_cjk_font_is_a_clear_error(monkeypatch):
    """Without a CJK font the Chinese figures are not drawn with boxes: the script says what to install."""
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(FileNotFoundError, match="fonts-wqy-microhei"):
        figures.cjk_font()


# ------------------------------------------------------------------------------------------------ diagrams
def test_computation_graph_is_autograds_own():
    """The diagram's nodes are the grad_fn classes torch records, and the leaves' gradients are the chain rule's."""
    data = diagrams.computation_graph_data()
    assert sorted(data["nodes"].values()) == sorted(
        ["w", "b", "MulBackward0", "AddBackward0", "SigmoidBackward0", "SubBackward0", "PowBackward0"])
    assert len(data["edges"]) == 6
    w, b, x = torch.tensor(data["w"]), torch.tensor(data["b"]), torch.tensor(data["x"])
    s = torch.sigmoid(w * x + b)
    dz = 2 * (s - 1) * s * (1 - s)
    assert data["grads"]["w"] == pytest.approx((dz * x).item()) and data["grads"]["b"] == pytest.approx(dz.item())
    assert data["loss"] == pytest.approx(((s - 1) ** 2).item())


def test_broadcasting_diagram_shows_torchs_results():
    data = diagrams.broadcasting_data()
    assert tuple(data["sum"].shape) == torch.broadcast_shapes(data["a"].shape, data["b"].shape) == (3, 4)
    torch.testing.assert_close(data["sum"], data["a"].expand(3, 4) + data["b"].expand(3, 4))
    assert torch.broadcast_shapes((3, 1), (3,)) == tuple(data["difference"].shape) == (3, 3)


def test_pipeline_diagram_shows_what_the_loader_yields():
    data = diagrams.pipeline_data()
    assert [len(y) for _, y in data["batches"]] == [4, 4, 2]
    assert sorted(data["order"]) == list(range(10)) and data["order"] != list(range(10))
    assert data["order"] == diagrams.pipeline_data()["order"], "the same seed gives the same order"
    for x, y in data["batches"]:
        torch.testing.assert_close(x[:, 0], y.float())  # sample i is (i, i): the loader kept the pairs together


def test_mlp_diagram_shapes_are_the_hooks():
    data = diagrams.mlp_flow_data()
    assert [s for _, s in sorted(data["activations"])] == [(4, 5), (4, 5), (4, 2)]
    for k, shape in data["activations"]:
        assert data["gradients"][k][1] == shape, "a gradient has the shape of what it is the gradient of"
    assert data["input_grad"] == data["input"] == (4, 3)
    assert data["param_grads"] == {"0.weight": (5, 3), "0.bias": (5,), "2.weight": (2, 5), "2.bias": (2,)}


def test_dropout_diagram_is_the_reference_dropout():
    data = diagrams.dropout_data()
    x, trained, p = data["x"], data["train"], data["p"]
    kept = trained != 0
    torch.testing.assert_close(trained[kept], x[kept] / (1 - p))
    assert 0.25 < 1 - kept.float().mean().item() < 0.75
    assert torch.equal(data["eval"], x)


def test_gap_diagram_measures_the_gap():
    curve = {"train": [1.0, 0.5, 0.2, 0.1], "val": [1.1, 0.8, 0.7, 0.9]}
    data = diagrams.gap_data(curve)
    assert data["best_epoch"] == 2 and data["gap"] == pytest.approx(figures.generalization_gap(curve)) and data["gap"] > 0
