"""Make the course website's figures: `python scripts/make_figures.py` writes PNGs to docs/assets/figures/.

Every figure is drawn twice, from the same numbers: `name.png` in English and `name.zh.png` in Chinese (titles,
axes and legends translated; a CJK font from Debian's fonts-wqy-microhei or fonts-noto-cjk, never a download).
The diagrams of scripts/make_diagrams.py are written by the same command.

Every figure comes from a function that returns the numbers it plots, with a fixed seed, so the
claims the pages make about them ("Adam reaches a lower loss than SGD here", "Dropout narrows the
gap here") are checked by tests/test_figures.py on the very same numbers.

The experiments run the course's own reference solutions (solutions/chNN_*.py, loaded by path:
solutions/ is not a package) wherever a chapter covers the step: least squares and the gradient-descent
fit (chapter 09), logistic-regression training, accuracy and the decision boundary (chapter 10), the
SGD-with-momentum and Adam optimizers (chapter 07), Dropout, the L2 penalty and the train/validation
measurement (chapter 11). Plain torch supplies only what no exercise covers (nn.Linear, the data).
The data are scikit-learn's bundled datasets (no download) and small synthetic blobs; every run is
seeded, and the whole script runs in a few seconds on one CPU thread.
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

KIT_ROOT = Path(__file__).resolve().parent.parent
FIGURES_DIR = KIT_ROOT / "docs" / "assets" / "figures"
SOLUTIONS_DIR = KIT_ROOT / "solutions"


@functools.lru_cache(maxsize=None)
def load_solution(chapter: str) -> ModuleType:
    """The reference solution module solutions/<chapter>.py, e.g. load_solution("ch09_linear_regression")."""
    path = SOLUTIONS_DIR / f"{chapter}.py"
    name = f"_figure_solutions_{chapter}"  # a private name: never shadows a learner's or the grader's module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no reference solution at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def _standardize(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (x - mean) / std


# --------------------------------------------------------------------------- linear regression
def linear_regression_curves(epochs: int = 200, lrs=(0.01, 0.05, 0.2), seed: int = 0) -> dict:
    """Full-batch gradient descent on the diabetes data (10 standardized features -> disease progression).

    Chapter 09's reference solutions do the work: `least_squares` gives the closed-form fit (in float64) and
    `fit_linear_regression` the gradient-descent curves. Returns {"lrs": {lr: [mse per epoch]}, "closed_form": mse of
    the least-squares solution}. The target is standardized too, so the losses are comparable across learning rates
    (1.0 = predicting the mean).
    """
    from sklearn.datasets import load_diabetes

    ch09 = load_solution("ch09_linear_regression")
    data = load_diabetes()
    x = torch.tensor(data.data, dtype=torch.float32)  # (442, 10)
    y = torch.tensor(data.target, dtype=torch.float32)  # (442,)
    x = _standardize(x, x.mean(0), x.std(0))
    y = _standardize(y, y.mean(), y.std())

    w, b = ch09.least_squares(x.double(), y.double())  # (10,), ()
    closed_form = (x.double() @ w + b - y.double()).pow(2).mean().item()

    curves = {}
    for lr in lrs:
        torch.manual_seed(seed)
        model = nn.Linear(10, 1)
        optimizer = load_solution("ch07_optimization").SGD(model.parameters(), lr=lr)
        curves[lr] = ch09.fit_linear_regression(model, x, y, optimizer, steps=epochs)
    return {"lrs": curves, "closed_form": closed_form}


# ------------------------------------------------------------------------- logistic regression
def make_blobs(n_per_class: int = 150, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two overlapping Gaussian clouds in 2-D, labels 0 and 1 (float, shape (N,))."""
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(n_per_class, 2, generator=g) * 1.0 + torch.tensor([-1.2, -0.8])
    x1 = torch.randn(n_per_class, 2, generator=g) * 1.0 + torch.tensor([1.2, 0.9])
    x = torch.cat([x0, x1])
    y = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)])
    return x, y


def logistic_regression_boundary(steps: int = 500, lr: float = 0.1, seed: int = 0) -> dict:
    """Train logistic regression (nn.Linear(2, 1) on logits) on the blobs; hold out 1/3.

    Chapter 10's reference solutions do the work: `train_logistic_regression` (binary cross-entropy from logits),
    `accuracy`, and `decision_boundary` (the line where P(y = 1 | x) = 0.5). Returns the data split, the learned
    weight (2,) and bias, the boundary's slope and intercept, the loss curve and the accuracies.
    """
    ch10 = load_solution("ch10_logistic_regression")
    x, y = make_blobs(seed=seed)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_train = 2 * len(x) // 3
    tr, va = perm[:n_train], perm[n_train:]
    torch.manual_seed(seed)
    model = nn.Linear(2, 1)
    optimizer = load_solution("ch07_optimization").SGD(model.parameters(), lr=lr)
    losses = ch10.train_logistic_regression(model, x[tr], y[tr], optimizer, steps=steps)

    with torch.no_grad():
        weight, bias = model.weight[0].clone(), model.bias[0].clone()  # (2,), ()
        slope, intercept = ch10.decision_boundary(weight, bias)
        return {
            "x_train": x[tr], "y_train": y[tr], "x_val": x[va], "y_val": y[va],
            "weight": weight, "bias": bias.item(), "slope": slope.item(), "intercept": intercept.item(),
            "losses": losses,
            "train_accuracy": ch10.accuracy(model(x[tr]), y[tr]), "val_accuracy": ch10.accuracy(model(x[va]), y[va]),
        }


# ------------------------------------------------------------------------ optimizers compared
def _digits(n_train: int | None = None, seed: int = 0):
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1]; a seeded train/validation split."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0  # (1797, 64)
    y = torch.tensor(data.target)  # (1797,)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    x, y = x[perm], y[perm]
    n_val = 600
    x_val, y_val, x_tr, y_tr = x[:n_val], y[:n_val], x[n_val:], y[n_val:]
    if n_train is not None:
        x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    return x_tr, y_tr, x_val, y_val


def _mlp(sizes, dropout: float = 0.0) -> nn.Sequential:
    """Linear layers with ReLU between them, and chapter 11's reference Dropout after each hidden layer."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout:
                layers.append(load_solution("ch11_overfitting").Dropout(dropout))
    return nn.Sequential(*layers)


# Chapter 07's reference optimizers (each equal to its torch.optim namesake, step by step: the chapter's checks).
OPTIMIZERS = {
    "SGD (lr=0.1)": lambda params: load_solution("ch07_optimization").SGD(params, lr=0.1),
    "SGD + momentum 0.9 (lr=0.1)": lambda params: load_solution("ch07_optimization").SGD(params, lr=0.1, momentum=0.9),
    "Adam (lr=0.01)": lambda params: load_solution("ch07_optimization").Adam(params, lr=0.01),
}


def compare_optimizers(steps: int = 150, batch_size: int = 64, seed: int = 0) -> dict:
    """The same MLP (64-32-10) on digits, same initial weights and same minibatches, under three optimizers.

    Returns {name: [training loss per step]}.
    """
    x, y, _, _ = _digits(seed=seed)
    torch.manual_seed(seed)
    init = _mlp([64, 32, 10]).state_dict()
    order = torch.randint(0, len(x), (steps, batch_size), generator=torch.Generator().manual_seed(seed))
    curves = {}
    for name, make in OPTIMIZERS.items():
        model = _mlp([64, 32, 10])
        model.load_state_dict(init)
        optimizer = make(model.parameters())
        losses = []
        for idx in order:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        curves[name] = losses
    return curves


# ----------------------------------------------------------------------------------- overfitting
def l2_penalty(model: nn.Module, lam: float) -> torch.Tensor:
    """Chapter 11's reference L2 penalty: lam * (sum of squared weights), biases not penalized."""
    return load_solution("ch11_overfitting").l2_penalty(model, lam)


REGULARIZERS = {"none": (0.0, 0.0), "dropout (p=0.5)": (0.5, 0.0), "L2 (lambda=1e-3)": (0.0, 1e-3)}


def overfitting_curves(epochs: int = 200, n_train: int = 100, seed: int = 0) -> dict:
    """A too-big MLP (64-256-256-10) on only `n_train` digits, full-batch Adam, with and without regularization.

    Each epoch is one call of chapter 11's reference `train_and_measure_gap` with steps=1: one full-batch step in
    training mode on cross-entropy + l2_penalty, then both losses measured in eval mode without gradients (Dropout
    off, no penalty). Returns {name: {"train": [...], "val": [...]}}: cross-entropy per epoch.
    """
    ch11 = load_solution("ch11_overfitting")
    x_tr, y_tr, x_val, y_val = _digits(n_train=n_train, seed=seed)
    curves = {}
    for name, (p_drop, lam) in REGULARIZERS.items():
        torch.manual_seed(seed)
        model = _mlp([64, 256, 256, 10], dropout=p_drop)
        optimizer = load_solution("ch07_optimization").Adam(model.parameters(), lr=1e-3)
        train, val = [], []
        for _ in range(epochs):
            train_loss, val_loss = ch11.train_and_measure_gap(model, x_tr, y_tr, x_val, y_val, optimizer, steps=1, l2=lam)
            train.append(train_loss)
            val.append(val_loss)
        curves[name] = {"train": train, "val": val}
    return curves


def generalization_gap(curve: dict, last: int = 10) -> float:
    """Validation minus training loss, averaged over the last `last` epochs."""
    return (sum(curve["val"][-last:]) - sum(curve["train"][-last:])) / last


# ------------------------------------------------------------------------------------- languages
LANGUAGES = ("en", "zh")
# Chinese text needs a CJK font. These come with Debian packages (fonts-wqy-microhei, fonts-noto-cjk); nothing is
# downloaded. DejaVu Sans (matplotlib's own) stays first, so Latin letters, digits and the minus sign look the same
# in both languages, and matplotlib falls back to the CJK font glyph by glyph.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")


def cjk_font() -> str:
    """The name of an installed CJK font, or a FileNotFoundError that says which package to install."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise FileNotFoundError("no CJK font for the Chinese figures: install Debian's fonts-wqy-microhei "
                            f"(apt-get install fonts-wqy-microhei) or fonts-noto-cjk; looked for {CJK_FONTS}")


def figure_name(name: str, lang: str) -> str:
    """`loss.png` in English, `loss.zh.png` in Chinese: the zh pages show the .zh.png files."""
    return name if lang == "en" else name.replace(".png", f".{lang}.png")


def style(lang: str) -> dict:
    """matplotlib rcParams for a figure in `lang`."""
    params = {"figure.dpi": 100, "savefig.dpi": 100, "font.size": 10}
    if lang == "zh":
        params["font.family"] = ["DejaVu Sans", cjk_font()]
    return params


TEXT = {
    "en": {
        "gd_lr": "gradient descent, lr={lr}", "closed_form": "closed-form least squares",
        "epoch_step": "epoch (one full-batch step)", "mse_std": "MSE (standardized target)",
        "lin_title": "Linear regression on the diabetes data",
        "prob": "P(y = 1 | x)", "train": "train", "validation": "validation",
        "boundary_title": "Decision boundary $w^\\top x + b = 0$ (val. accuracy {acc:.0%})",
        "opt_step": "step (minibatch of 64)", "opt_loss": "training loss (moving average)",
        "opt_title": "One MLP on digits, three optimizers",
        "opt_names": {"SGD (lr=0.1)": "SGD (lr=0.1)", "SGD + momentum 0.9 (lr=0.1)": "SGD + momentum 0.9 (lr=0.1)",
                      "Adam (lr=0.01)": "Adam (lr=0.01)"},
        "reg_names": {"none": "none", "dropout (p=0.5)": "dropout (p=0.5)", "L2 (lambda=1e-3)": "L2 (lambda=1e-3)"},
        "gap": "{name}: gap {gap:.2f}", "epoch": "epoch", "cross_entropy": "cross-entropy",
    },
    "zh": {
        "gd_lr": "梯度下降，lr={lr}", "closed_form": "闭式最小二乘解",
        "epoch_step": "epoch（一个全批量步）", "mse_std": "MSE（标准化后的目标）",
        "lin_title": "糖尿病数据上的线性回归",
        "prob": "P(y = 1 | x)", "train": "训练集", "validation": "验证集",
        "boundary_title": "决策边界 w·x + b = 0（验证准确率 {acc:.0%}）",  # no mathtext beside CJK: no font fallback there
        "opt_step": "步数（每个小批量 64 个样本）", "opt_loss": "训练损失（滑动平均）",
        "opt_title": "同一个 MLP 在 digits 上，三种优化器",
        "opt_names": {"SGD (lr=0.1)": "SGD（lr=0.1）", "SGD + momentum 0.9 (lr=0.1)": "SGD + 动量 0.9（lr=0.1）",
                      "Adam (lr=0.01)": "Adam（lr=0.01）"},
        "reg_names": {"none": "不加正则化", "dropout (p=0.5)": "Dropout（p=0.5）", "L2 (lambda=1e-3)": "L2（lambda=1e-3）"},
        "gap": "{name}：差距 {gap:.2f}", "epoch": "epoch", "cross_entropy": "交叉熵",
    },
}


def saver(out_dir: Path, written: list[Path]):
    """save(fig, name, lang): tight layout, no date in the metadata (byte-identical PNGs from run to run)."""
    import matplotlib.pyplot as plt

    def save(fig, name: str, lang: str) -> None:
        path = out_dir / figure_name(name, lang)
        if fig.get_layout_engine() is None:  # a figure made with layout="constrained" lays itself out
            fig.tight_layout()
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
        written.append(path)

    return save


# ------------------------------------------------------------------------------------- plotting
def draw_linear_regression(lin: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for lr, losses in lin["lrs"].items():
        ax.plot(losses, label=t["gd_lr"].format(lr=lr))
    ax.axhline(lin["closed_form"], color="k", ls="--", lw=1, label=t["closed_form"])
    ax.set(xlabel=t["epoch_step"], ylabel=t["mse_std"], yscale="log", title=t["lin_title"])
    ax.legend()
    return fig


def draw_logistic_boundary(log: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    grid = torch.linspace(-4.5, 4.5, 200)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    w, b = log["weight"], log["bias"]
    prob = torch.sigmoid(w[0] * gx + w[1] * gy + b)
    cs = ax.contourf(gx, gy, prob, levels=10, cmap="RdBu_r", alpha=0.35)
    fig.colorbar(cs, ax=ax, label=t["prob"])
    line_x = torch.tensor([-4.5, 4.5])
    ax.plot(line_x, log["slope"] * line_x + log["intercept"], color="k", lw=1.5)  # decision_boundary's line
    for xs, ys, marker, label in ((log["x_train"], log["y_train"], "o", t["train"]),
                                  (log["x_val"], log["y_val"], "^", t["validation"])):
        ax.scatter(xs[:, 0], xs[:, 1], c=ys, cmap="RdBu_r", marker=marker, edgecolors="k", linewidths=0.4, s=22, label=label)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", xlim=(-4.5, 4.5), ylim=(-4.5, 4.5),
           title=t["boundary_title"].format(acc=log["val_accuracy"]))
    ax.legend(loc="lower right")
    return fig


def draw_optimizers(opt: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, losses in opt.items():
        smooth = torch.tensor(losses).unfold(0, 10, 1).mean(1)  # moving average over 10 minibatches
        ax.plot(range(9, len(losses)), smooth, label=t["opt_names"][name])
    ax.set(xlabel=t["opt_step"], ylabel=t["opt_loss"], yscale="log", title=t["opt_title"])
    ax.legend()
    return fig


def draw_overfitting(over: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(over), figsize=(9.6, 3.4), sharey=True)
    for ax, (name, curve) in zip(axes, over.items()):
        ax.plot(curve["train"], label=t["train"])
        ax.plot(curve["val"], label=t["validation"])
        ax.set(title=t["gap"].format(name=t["reg_names"][name], gap=generalization_gap(curve)), xlabel=t["epoch"],
               yscale="log")
    axes[0].set_ylabel(t["cross_entropy"])
    axes[0].legend()
    return fig


def experiments() -> dict:
    """Every figure's numbers, computed once and drawn in each language."""
    return {"lin": linear_regression_curves(), "log": logistic_regression_boundary(), "opt": compare_optimizers(),
            "over": overfitting_curves()}


# figure file -> (drawing function, the experiment it draws)
FIGURES = {
    "linear-regression-loss.png": (draw_linear_regression, "lin"),
    "logistic-regression-boundary.png": (draw_logistic_boundary, "log"),
    "optimizers-compared.png": (draw_optimizers, "opt"),
    "overfitting-regularization.png": (draw_overfitting, "over"),
}


def plot_all(out_dir: Path = FIGURES_DIR, languages=LANGUAGES, data: dict | None = None) -> list[Path]:
    """Write every figure in every language to out_dir; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    data = experiments() if data is None else data
    written: list[Path] = []
    save = saver(out_dir, written)
    for lang in languages:
        with plt.rc_context(style(lang)):
            for name, (draw, key) in FIGURES.items():
                save(draw(data[key], TEXT[lang]), name, lang)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIGURES_DIR, help="folder for the PNGs")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the same numbers on every machine size, and fast enough for these tiny models
    data = experiments()
    written = plot_all(args.out, data=data) + load_diagrams().plot_all(args.out, overfitting=data["over"])
    for path in written:
        print(path)
    write_manifest(args.out, written)


MANIFEST = "figures.json"


def renderer() -> dict:
    """What decides a PNG's bytes besides the experiments' code: matplotlib, its FreeType and the CJK font file, and
    torch with the CPU kernels it picks (AVX2, AVX512, ...): the same seeded training run rounds differently on
    another instruction set, and the curves drawn from it move by a pixel."""
    import matplotlib
    from matplotlib import font_manager, ft2font

    cjk = font_manager.findfont(cjk_font(), fallback_to_default=False)
    return {"matplotlib": matplotlib.__version__, "freetype": ft2font.__freetype_version__,
            "cjk_font": Path(cjk).name, "torch": torch.__version__.split("+")[0],
            "cpu": torch.backends.cpu.get_cpu_capability()}


def write_manifest(out_dir: Path, written: list[Path]) -> Path:
    """figures.json beside the PNGs: the renderer and each file's SHA-256, so a test can tell a stale figure."""
    import hashlib
    import json

    manifest = {"renderer": renderer(),
                "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(written)}}
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_diagrams() -> ModuleType:
    """scripts/make_diagrams.py, the sibling that draws the diagrams (loaded by path: scripts/ is not a package)."""
    path = Path(__file__).resolve().parent / "make_diagrams.py"
    spec = importlib.util.spec_from_file_location("_course_make_diagrams", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
