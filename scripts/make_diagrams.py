"""Draw the course website's diagrams from code, in English and Chinese: `python scripts/make_diagrams.py`.

Each diagram is drawn from what torch itself reports, so it cannot drift from the truth:

- computation-graph.png: the autograd graph of L = (sigmoid(w * x + b) - 1)^2, walked through grad_fn.next_functions,
  with the gradients backward() puts into w.grad and b.grad;
- broadcasting.png: (3, 1) + (1, 4) -> (3, 4), and the (N, 1) - (N,) -> (N, N) trap, values computed by torch;
- data-pipeline.png: Dataset -> Sampler -> DataLoader, the indices and batches a seeded DataLoader really yields;
- mlp-forward-backward.png: the shapes forward hooks and backward hooks record in a 3-5-2 MLP;
- dropout-train-eval.png: chapter 11's reference Dropout on one batch in training mode and in eval mode;
- train-val-gap.png: the unregularized training and validation curves of the overfitting figure, with the gap.

Every `*_data` function returns the facts a diagram shows; tests/test_figures.py checks them against torch.
Files: `name.png` (English) and `name.zh.png` (Chinese), as for scripts/make_figures.py, whose helpers this uses.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def _load_figures():
    name = "_course_make_figures"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


figures = _load_figures()
FIGURES_DIR = figures.FIGURES_DIR

TEXT = {
    "en": {
        "graph_title": "The autograd graph of $L = (\\sigma(w x + b) - 1)^2$",
        "graph_note": "forward: arrows; backward() walks them in reverse",
        "leaf": "leaf", "constant": "x = {x:g} (no grad)",
        "bc_title": "Broadcasting: shapes align from the right, size-1 axes stretch",
        "bc_trap": "The trap: (N, 1) - (N,) gives (N, N), no error",
        "stretched": "stretched (no copy)", "predictions": "predictions", "targets": "targets",
        "pipe_title": "Dataset -> Sampler -> DataLoader (batch_size=4, shuffle=True, seed 0)",
        "dataset": "Dataset", "dataset_body": "len(ds) = {n}\nds[i] -> (x_i, y_i)\nx_i: {xshape}, y_i: ()",
        "sampler": "Sampler", "sampler_body": "a seeded permutation\nof the indices:\n{order}",
        "loader": "DataLoader", "batch": "batch {k}: indices {idx}\n-> x {xs}, y {ys}",
        "mlp_title": "An MLP's forward and backward pass (batch of {n})",
        "forward": "forward: activations", "backward": "backward: gradients (same shapes)",
        "param_grad": "{name}.grad {shape}", "mse_loss": "MSE loss",
        "drop_title": "Inverted dropout (p = {p}) on one batch",
        "drop_in": "input x", "drop_train": "model.train():\nzeros, survivors x / (1 - p)",
        "drop_eval": "model.eval():\nthe identity", "rows": "sample", "cols": "unit",
        "gap_title": "Training and validation loss without regularization",
        "train": "train", "validation": "validation", "epoch": "epoch", "loss": "cross-entropy",
        "gap": "gap = {gap:.2f}", "best": "lowest validation loss (epoch {e})",
    },
    "zh": {
        "graph_title": "L = (σ(w·x + b) − 1)² 的 autograd 计算图",
        "graph_note": "箭头是前向方向；backward() 沿箭头反向走",
        "leaf": "叶子", "constant": "x = {x:g}（不需要梯度）",
        "bc_title": "广播：形状从右往左对齐，大小为 1 的轴被拉伸",
        "bc_trap": "陷阱：(N, 1) - (N,) 得到 (N, N)，不报错",
        "stretched": "拉伸（不复制）", "predictions": "预测", "targets": "目标",
        "pipe_title": "Dataset -> Sampler -> DataLoader（batch_size=4，shuffle=True，种子 0）",
        "dataset": "Dataset", "dataset_body": "len(ds) = {n}\nds[i] -> (x_i, y_i)\nx_i: {xshape}，y_i: ()",
        "sampler": "Sampler", "sampler_body": "带种子的下标排列：\n{order}",
        "loader": "DataLoader", "batch": "批次 {k}：下标 {idx}\n-> x {xs}，y {ys}",
        "mlp_title": "MLP 的前向传播与反向传播（批大小 {n}）",
        "forward": "前向：激活值", "backward": "反向：梯度（形状相同）",
        "param_grad": "{name}.grad {shape}", "mse_loss": "MSE 损失",
        "drop_title": "倒置 dropout（p = {p}）作用于一个批次",
        "drop_in": "输入 x", "drop_train": "model.train()：\n置零，保留的乘以 1 / (1 - p)",
        "drop_eval": "model.eval()：\n恒等映射", "rows": "样本", "cols": "单元",
        "gap_title": "不加正则化时的训练损失与验证损失",
        "train": "训练集", "validation": "验证集", "epoch": "epoch", "loss": "交叉熵",
        "gap": "差距 = {gap:.2f}", "best": "验证损失最低处（第 {e} 个 epoch）",
    },
}


def shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.dim() == 1 else "") + ")"


# ---------------------------------------------------------------------------------------- the facts
def computation_graph_data(w0: float = 0.5, b0: float = -1.0, x0: float = 2.0) -> dict:
    """The autograd graph of L = (sigmoid(w x + b) - 1)^2, as grad_fn reports it, and backward()'s gradients.

    Returns {"nodes": {id: label}, "edges": [(input id, output id)], "depth": {id: steps from L}, "grads": {name: value},
    "loss": L}. Leaves appear as AccumulateGrad nodes, labelled with the tensor's name.
    """
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    x = torch.tensor(x0)
    loss = (torch.sigmoid(w * x + b) - 1.0) ** 2
    names = {id(w): "w", id(b): "b"}
    nodes, edges, depth = {}, [], {}
    frontier = [(loss.grad_fn, 0)]
    while frontier:
        fn, d = frontier.pop(0)
        key = id(fn)
        depth[key] = max(depth.get(key, 0), d)
        if key in nodes:
            continue
        variable = getattr(fn, "variable", None)
        nodes[key] = names[id(variable)] if variable is not None else type(fn).__name__
        for parent, _ in fn.next_functions:
            if parent is not None:
                edges.append((id(parent), key))
                frontier.append((parent, d + 1))
    loss.backward()
    return {"nodes": nodes, "edges": edges, "depth": depth, "grads": {"w": w.grad.item(), "b": b.grad.item()},
            "loss": loss.item(), "x": x0, "w": w0, "b": b0}


def broadcasting_data() -> dict:
    a = torch.arange(3.0)[:, None]                  # (3, 1)
    b = torch.tensor([0.0, 10.0, 20.0, 30.0])[None, :]  # (1, 4)
    predictions = torch.tensor([[1.0], [2.0], [3.0]])   # (N, 1)
    targets = torch.tensor([1.0, 2.0, 3.0])             # (N,)
    return {"a": a, "b": b, "sum": a + b, "predictions": predictions, "targets": targets,
            "difference": predictions - targets}


def pipeline_data(n: int = 10, batch_size: int = 4, seed: int = 0) -> dict:
    """What a seeded, shuffling DataLoader over a 10-sample TensorDataset really yields (targets = indices)."""
    dataset = TensorDataset(torch.arange(float(n))[:, None], torch.arange(n))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    batches = [(x.clone(), y.clone()) for x, y in loader]
    return {"n": n, "x_shape": shape(dataset[0][0]), "batches": batches,
            "order": [i for _, y in batches for i in y.tolist()], "batch_size": batch_size}


def mlp_flow_data(n: int = 4, sizes=(3, 5, 2), seed: int = 0) -> dict:
    """Shapes of every activation (forward hooks) and of every gradient flowing back (backward hooks)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]))
    x = torch.randn(n, sizes[0], requires_grad=True)
    target = torch.randn(n, sizes[2])
    activations, gradients = [], {}
    hooks = []
    for index, layer in enumerate(model):
        hooks.append(layer.register_forward_hook(lambda m, i, o, k=index: activations.append((k, tuple(o.shape)))))
        hooks.append(layer.register_full_backward_hook(
            lambda m, gi, go, k=index: gradients.__setitem__(k, (tuple(gi[0].shape), tuple(go[0].shape)))))
    out = model(x)
    loss = nn.functional.mse_loss(out, target)
    loss.backward()
    for hook in hooks:
        hook.remove()
    return {"n": n, "layers": [str(m) for m in model], "input": tuple(x.shape), "activations": activations,
            "gradients": gradients, "input_grad": tuple(x.grad.shape),
            "param_grads": {name: tuple(p.grad.shape) for name, p in model.named_parameters()}}


def dropout_data(p: float = 0.5, seed: int = 0) -> dict:
    """Chapter 11's reference Dropout on one (6, 12) batch, in training mode and in eval mode."""
    Dropout = figures.load_solution("ch11_overfitting").Dropout
    x = torch.rand(6, 12, generator=torch.Generator().manual_seed(seed)) + 0.5
    layer = Dropout(p)
    torch.manual_seed(seed)
    layer.train()
    trained = layer(x)
    layer.eval()
    evaluated = layer(x)
    return {"p": p, "x": x, "train": trained, "eval": evaluated}


def gap_data(curve: dict | None = None) -> dict:
    """The unregularized curves of the overfitting figure, the final gap and the epoch of lowest validation loss."""
    curve = figures.overfitting_curves()["none"] if curve is None else curve
    val = torch.tensor(curve["val"])
    return {"train": curve["train"], "val": curve["val"], "gap": figures.generalization_gap(curve),
            "best_epoch": int(val.argmin())}


# ------------------------------------------------------------------------------------------ drawing
def _box(ax, x, y, text, width=1.6, height=0.6, color="#fde2d0", **kw):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.05",
                                facecolor=color, edgecolor="#444", lw=1))
    ax.text(x, y, text, ha="center", va="center", **kw)


def _arrow(ax, start, end, color="#333", **kw):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color=color, lw=1.3, **kw))


STEP = 2.4  # horizontal distance between the graph's columns


def draw_computation_graph(data: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.6, 3.4))
    by_depth: dict[int, list] = {}
    for key in data["nodes"]:
        by_depth.setdefault(data["depth"][key], []).append(key)
    deepest = max(by_depth)
    position = {}
    for d, keys in by_depth.items():
        keys.sort(key=lambda k: data["nodes"][k])
        for i, key in enumerate(keys):
            position[key] = (STEP * (deepest - d), (i - (len(keys) - 1) / 2) * 1.1)
    for src, dst in data["edges"]:
        (x0, y0), (x1, y1) = position[src], position[dst]
        _arrow(ax, (x0 + 0.95, y0), (x1 - 0.95, y1))
    for key, label in data["nodes"].items():
        x, y = position[key]
        if label in data["grads"]:
            text = f"{label} = {data[label]:g} ({t['leaf']})\n∂L/∂{label} = {data['grads'][label]:.4f}"
            _box(ax, x, y, text, width=1.9, height=0.75, color="#d6e6f5", fontsize=8)
        else:
            _box(ax, x, y, label, width=1.9, color="#fde2d0", fontsize=8)
        if label == "MulBackward0":  # x takes part in the product but needs no gradient: no node of its own
            ax.text(x, y - 0.55, t["constant"].format(x=data["x"]), fontsize=8, ha="center", va="top", color="#555")
    x_end, _ = position[max(position, key=lambda k: position[k][0])]
    ax.text(x_end, 0.6, f"L = {data['loss']:.4f}", ha="center", fontsize=9)
    ax.set(xlim=(-1.2, STEP * deepest + 1.2), ylim=(-1.9, 1.3), title=t["graph_title"])
    ax.text(0.5, -0.02, t["graph_note"], transform=ax.transAxes, ha="center", va="top", fontsize=8, color="#555")
    ax.axis("off")
    return fig


def _grid(ax, values, origin, solid_rows, solid_cols, color, t=None):
    from matplotlib.patches import Rectangle

    ox, oy = origin
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            solid = i < solid_rows and j < solid_cols
            ax.add_patch(Rectangle((ox + j, oy - i), 1, 1, facecolor=color, alpha=1.0 if solid else 0.3, edgecolor="#444"))
            ax.text(ox + j + 0.5, oy - i + 0.5, f"{values[i, j].item():g}", ha="center", va="center", fontsize=8)
    return ox + cols


def draw_broadcasting(data: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8.0, 5.0), gridspec_kw={"height_ratios": [1, 1.1]})
    a, b, total = data["a"], data["b"], data["sum"]
    rows, cols = total.shape
    x = _grid(top, a.expand(rows, cols), (0, 2), rows, 1, "#d6e6f5")
    top.text(x + 0.5, 1.0, "+", fontsize=14, ha="center", va="center")
    x = _grid(top, b.expand(rows, cols), (x + 1, 2), 1, cols, "#fde2d0")
    top.text(x + 0.5, 1.0, "=", fontsize=14, ha="center", va="center")
    _grid(top, total, (x + 1, 2), rows, cols, "#dcefd8")
    top.text(2.0, 3.3, f"a {shape(a)}", ha="center")
    top.text(7.0, 3.3, f"b {shape(b)}", ha="center")
    top.text(12.0, 3.3, f"a + b {shape(total)}", ha="center")
    top.text(7.0, -1.4, f"{t['stretched']}: a {shape(a)} -> {shape(total)}, b {shape(b)} -> {shape(total)}",
             ha="center", fontsize=8, color="#555")
    top.set(xlim=(-0.5, 14.5), ylim=(-1.8, 3.8), title=t["bc_title"])
    top.axis("off")
    p, y, diff = data["predictions"], data["targets"], data["difference"]
    n = diff.shape[0]
    x = _grid(bottom, p.expand(n, n), (0, 2), n, 1, "#d6e6f5")
    bottom.text(x + 0.5, 1.0, "-", fontsize=14, ha="center", va="center")
    x = _grid(bottom, y[None, :].expand(n, n), (x + 1, 2), 1, n, "#fde2d0")
    bottom.text(x + 0.5, 1.0, "=", fontsize=14, ha="center", va="center")
    _grid(bottom, diff, (x + 1, 2), n, n, "#f6d5d5")
    bottom.text(1.5, 3.3, f"{t['predictions']} {shape(p)}", ha="center")
    bottom.text(5.5, 3.3, f"{t['targets']} {shape(y)}", ha="center")
    bottom.text(9.5, 3.3, f"{shape(diff)}", ha="center")
    bottom.set(xlim=(-0.5, 14.5), ylim=(-1.2, 3.8), title=t["bc_trap"])
    bottom.axis("off")
    return fig


def draw_pipeline(data: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.6, 3.6))
    _box(ax, 1.2, 1.5, t["dataset"] + "\n\n" + t["dataset_body"].format(n=data["n"], xshape=data["x_shape"]),
         width=2.2, height=2.0, color="#d6e6f5", fontsize=8)
    order = data["order"]
    lines = " ".join(str(i) for i in order[:5]) + "\n" + " ".join(str(i) for i in order[5:])
    _box(ax, 4.2, 1.5, t["sampler"] + "\n\n" + t["sampler_body"].format(order=lines), width=2.2, height=2.0,
         color="#fde2d0", fontsize=8)
    batches = data["batches"]
    for k, (x, y) in enumerate(batches):
        _box(ax, 7.6, 2.6 - 1.1 * k, t["batch"].format(k=k + 1, idx=y.tolist(), xs=shape(x), ys=shape(y)),
             width=3.0, height=0.85, color="#dcefd8", fontsize=7.5)
        _arrow(ax, (5.35, 1.5), (6.05, 2.6 - 1.1 * k), color="#777")
    ax.text(7.6, 3.3, t["loader"], ha="center", fontsize=9, weight="bold")
    _arrow(ax, (2.35, 1.5), (3.05, 1.5))
    ax.set(xlim=(0, 9.3), ylim=(-0.3, 3.6), title=t["pipe_title"])
    ax.axis("off")
    return fig


def draw_mlp_flow(data: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.6, 3.4))
    labels = ["x"] + data["layers"] + [t["mse_loss"]]
    xs = [0.6 + 2.0 * i for i in range(len(labels))]
    for x, label in zip(xs, labels):
        _box(ax, x, 1.0, label.replace("(in_features=", "(").replace(", out_features=", ", ").replace(", bias=True", ""),
             width=1.7, height=0.6, color="#d6e6f5" if label != "ReLU()" else "#fde2d0", fontsize=7.5)
    shapes = [data["input"]] + [s for _, s in sorted(data["activations"])]
    for i, s in enumerate(shapes):
        _arrow(ax, (xs[i] + 0.85, 1.18), (xs[i + 1] - 0.85, 1.18))
        ax.text((xs[i] + xs[i + 1]) / 2, 1.45, str(s), ha="center", fontsize=8)
    grads = [data["input_grad"]] + [data["gradients"][k][1] for k in sorted(data["gradients"])]
    for i, s in enumerate(grads):
        _arrow(ax, (xs[i + 1] - 0.85, 0.82), (xs[i] + 0.85, 0.82), color="#c0392b")
        ax.text((xs[i] + xs[i + 1]) / 2, 0.45, "∂L " + str(s), ha="center", fontsize=8, color="#c0392b")
    for index, layer in ((0, 1), (2, 3)):
        weight = data["param_grads"][f"{index}.weight"]
        bias = data["param_grads"][f"{index}.bias"]
        ax.text(xs[layer], 0.05, t["param_grad"].format(name="W", shape=weight) + "\n" +
                t["param_grad"].format(name="b", shape=bias), ha="center", fontsize=7.5, color="#c0392b")
    ax.text(xs[0] - 0.8, 1.85, t["forward"], fontsize=8)
    ax.text(xs[0] - 0.8, -0.45, t["backward"], fontsize=8, color="#c0392b")
    ax.set(xlim=(-0.4, xs[-1] + 1.0), ylim=(-0.6, 2.1), title=t["mlp_title"].format(n=data["n"]))
    ax.axis("off")
    return fig


def draw_dropout(data: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10.0, 3.2), layout="constrained")
    top = float(data["train"].max())
    for ax, values, title in zip(axes, (data["x"], data["train"], data["eval"]),
                                 (t["drop_in"], t["drop_train"], t["drop_eval"])):
        image = ax.imshow(values, vmin=0, vmax=top, cmap="viridis")
        ax.set(title=title, xlabel=t["cols"], ylabel=t["rows"], xticks=[], yticks=[])
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(t["drop_title"].format(p=data["p"]))
    return fig


def draw_gap(data: dict, t: dict):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(data["train"], label=t["train"])
    ax.plot(data["val"], label=t["validation"])
    last = len(data["train"]) - 1
    ax.annotate("", xy=(last, data["val"][-1]), xytext=(last, data["train"][-1]),
                arrowprops=dict(arrowstyle="<->", color="k"))
    ax.text(last - 3, (data["val"][-1] * data["train"][-1]) ** 0.5, t["gap"].format(gap=data["gap"]), ha="right")
    best = data["best_epoch"]
    ax.plot([best], [data["val"][best]], "o", color="k", ms=4)
    ax.annotate(t["best"].format(e=best), xy=(best, data["val"][best]), xytext=(best + 15, data["val"][best] * 3),
                fontsize=8, arrowprops=dict(arrowstyle="->", color="#555"))
    ax.set(xlabel=t["epoch"], ylabel=t["loss"], yscale="log", title=t["gap_title"])
    ax.legend(loc="lower left")
    return fig


DIAGRAMS = {
    "computation-graph.png": (draw_computation_graph, computation_graph_data),
    "broadcasting.png": (draw_broadcasting, broadcasting_data),
    "data-pipeline.png": (draw_pipeline, pipeline_data),
    "mlp-forward-backward.png": (draw_mlp_flow, mlp_flow_data),
    "dropout-train-eval.png": (draw_dropout, dropout_data),
    "train-val-gap.png": (draw_gap, gap_data),
}


def plot_all(out_dir: Path = FIGURES_DIR, languages=figures.LANGUAGES, overfitting: dict | None = None) -> list[Path]:
    """Write every diagram in every language; `overfitting` reuses make_figures.overfitting_curves() when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    facts = {name: (gap_data(overfitting["none"]) if make is gap_data and overfitting else make())
             for name, (_, make) in DIAGRAMS.items()}
    written: list[Path] = []
    save = figures.saver(out_dir, written)
    for lang in languages:
        with plt.rc_context(figures.style(lang)):
            for name, (draw, _) in DIAGRAMS.items():
                save(draw(facts[name], TEXT[lang]), name, lang)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIGURES_DIR, help="folder for the PNGs")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for path in plot_all(args.out):
        print(path)


if __name__ == "__main__":
    main()
