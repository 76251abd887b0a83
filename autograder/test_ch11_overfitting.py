"""Chapter 11, overfitting: are the penalties, Dropout and weight decay right, and does regularization narrow the gap?"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from autograder.engine import Exercise, call, expect, mistakes
from autograder.engine.calls import describe
from autograder.engine.datasets import load
from autograder.engine.isolation import use_reference
from autograder.engine.spies import ModeSpy, expect_same_state, state_of

l2_penalty = Exercise("11.1", "l2_penalty", hints=[
    "Walk model.named_parameters() and keep the parameters whose name does not end in 'bias'.",
    "lam * torch.stack([w.pow(2).sum() for w in weights]).sum(): the squares, no square root, no mean, and computed "
    "from the parameters themselves (not state_dict() or .data, which have no gradient).",
], hints_zh=[
    "遍历 model.named_parameters()，保留名字不以 'bias' 结尾的参数。",
    "lam * torch.stack([w.pow(2).sum() for w in weights]).sum()：平方和，不开方、不取平均，并且从参数本身计算（不要用 state_dict() 或 .data，它们没有梯度）。",
])
l1_penalty = Exercise("11.2", "l1_penalty", hints=[
    "The same walk over the weights as Exercise 11.1, with the absolute value in place of the square.",
    "lam * torch.stack([w.abs().sum() for w in weights]).sum(): |w|, not w (negative weights would cancel), and not "
    "squared.",
], hints_zh=[
    "和练习 11.1 一样遍历权重，只是把平方换成绝对值。",
    "lam * torch.stack([w.abs().sum() for w in weights]).sum()：是 |w| 而不是 w（否则正负权重会相互抵消），也不要平方。",
])
regularized_loss = Exercise("11.3", "regularized_loss", hints=[
    "It is one line: the data loss plus the two penalties.",
    "loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2): loss_fn already averages over the batch, "
    "so the penalties are added as they are, never divided or multiplied by len(x).",
], hints_zh=[
    "只有一行：数据损失加上两个惩罚项。",
    "loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)：loss_fn 已经对批次取了平均，所以惩罚项原样加上即可，不要除以或乘以 len(x)。",
])
dropout = Exercise("11.4", "Dropout", hints=[
    "In eval mode (not self.training) return x unchanged. In training mode draw a mask the shape of x: "
    "torch.rand_like(x) >= self.p keeps each element with probability 1 - p.",
    "Return x * mask / (1 - self.p): the survivors are scaled up so the expected output equals x. p is the drop "
    "probability; make the mask with *_like functions so it lands on x's device, and never write into x.",
], hints_zh=[
    "在 eval 模式下（not self.training）原样返回 x。在训练模式下生成与 x 形状相同的掩码：torch.rand_like(x) >= self.p 以概率 1 - p 保留每个元素。",
    "返回 x * mask / (1 - self.p)：保留下来的值被放大，使输出的期望等于 x。p 是丢弃概率；用 *_like 函数生成掩码，使它位于 x 所在的设备上，并且不要改写 x。",
])
weight_decay_vs_l2 = Exercise("11.5", "weight_decay_vs_l2", hints=[
    "Make two copies with copy.deepcopy(model); give one make_optimizer(params, weight_decay) and the other "
    "make_optimizer(params, 0.0).",
    "The second loss is loss_fn(m(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in m.parameters()), over all "
    "parameters, biases too: its gradient weight_decay * p is exactly what SGD and Adam add.",
], hints_zh=[
    "用 copy.deepcopy(model) 复制两份；一份使用 make_optimizer(params, weight_decay)，另一份使用 make_optimizer(params, 0.0)。",
    "第二份的损失是 loss_fn(m(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in m.parameters())，覆盖所有参数，包括偏置：它的梯度 weight_decay * p 正是 SGD 和 Adam 加到梯度上的量。",
])
train_and_measure_gap = Exercise("11.6", "train_and_measure_gap", hints=[
    "Two phases: model.train() and the usual zero_grad / loss / backward / step loop; then model.eval() and "
    "torch.no_grad() to measure.",
    "Train on F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2); measure F.cross_entropy (no penalty) "
    "on both sets and return the two .item() values (train first).",
], hints_zh=[
    "分两个阶段：先 model.train()，执行常规的 zero_grad / 损失 / backward / step 循环；再 model.eval() 并在 torch.no_grad() 下测量。",
    "训练时用 F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2)；测量时在两个数据集上计算 F.cross_entropy（不含惩罚项），返回两个 .item() 值，训练集在前。",
])


def mlp(sizes=(3, 5, 7), seed=0, dtype=torch.float32, device="cpu", dropout=0.0):
    """A seeded MLP with distinct layer sizes, whose weights have both signs and whose biases are non-zero."""
    layers = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out, dtype=dtype, device=device))
            if index < len(sizes) - 2:
                layers.append(nn.Tanh())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        model = nn.Sequential(*layers)
    if device != "meta":
        with torch.no_grad():
            for layer in model:
                if isinstance(layer, nn.Linear):
                    layer.bias.add_(0.5)  # biases clearly non-zero: a penalty that includes them shows it
    return model


def weights_of(model):
    return [p for name, p in model.named_parameters() if not name.endswith("bias")]


# ------------------------------------------------------------------------------------------ 11.1 / 11.2 penalties
def penalty_value_check(learner_penalty, reference_penalty, formula, name):
    model = mlp()
    for lam in (0.3, 0.0):
        got = call(learner_penalty, model, lam)
        expected = reference_penalty(model, lam)
        with torch.no_grad():
            by_formula = lam * sum(formula(w) for w in weights_of(model))
        expect.close(got, expected, rtol=1e-5, atol=1e-7,
                     what=f"Called {got.text} on Sequential(Linear(3, 5), Tanh(), Linear(5, 7)), whose biases are "
                          f"non-zero and whose weights have both signs.\nExpected lam * {name} over the two weight "
                          f"matrices only = {by_formula.item():.6g}. Biases are not penalized, and the sum is "
                          "neither averaged (MSELoss against zeros divides by the number of elements) nor square-rooted.")


def penalty_gradient_check(learner_penalty, lam, expected_gradient, name):
    model = mlp(seed=1)
    got = call(learner_penalty, model, lam)
    expect.that(isinstance(got.value, torch.Tensor) and got.value.grad_fn is not None,
                f"Called {got.text}.\nThe penalty has no grad_fn, so it cannot push the weights anywhere: it was "
                "computed from state_dict(), .data, .detach() or .item(). Use model.named_parameters().")
    got.value.backward()
    for param_name, p in model.named_parameters():
        if param_name.endswith("bias"):
            expect.that(p.grad is None or not p.grad.any(),
                        f"Called {got.text}, then .backward().\n`{param_name}` received a gradient. "
                        f"{mistakes.describe('penalty_on_bias')}")
        else:
            expect.close(p.grad, expected_gradient(p.detach(), lam), rtol=1e-5, atol=1e-7,
                         what=f"Called {got.text}, then .backward().\nThe gradient of `{param_name}` should be "
                              f"{name}.")


@l2_penalty.check(points=2)
def test_11_1_exact_value(learner, reference):
    """Is l2_penalty exactly lam * (sum of squared weights), biases excluded?"""
    penalty_value_check(learner.l2_penalty, reference.l2_penalty, lambda w: w.pow(2).sum(), "sum(w^2)")


@l2_penalty.check(points=2)
def test_11_1_gradient(learner):
    """Does l2_penalty(...).backward() give every weight 2 * lam * w and the biases nothing?"""
    penalty_gradient_check(learner.l2_penalty, 0.25, lambda w, lam: 2 * lam * w, "2 * lam * w")


@l2_penalty.check(points=1)
def test_11_1_dtype_and_device(learner, reference, device):
    """Is the penalty a 0-dim tensor in the parameters' dtype and on their device?"""
    model = mlp(dtype=torch.float64, device=device)
    expect.close(call(learner.l2_penalty, model, 0.1), reference.l2_penalty(model, 0.1))


@l1_penalty.check(points=2)
def test_11_2_exact_value(learner, reference):
    """Is l1_penalty exactly lam * (sum of |w| over the weights), biases excluded?"""
    penalty_value_check(learner.l1_penalty, reference.l1_penalty, lambda w: w.abs().sum(), "sum(|w|)")


@l1_penalty.check(points=2)
def test_11_2_gradient(learner):
    """Does l1_penalty(...).backward() give every weight lam * sign(w) and the biases nothing?"""
    penalty_gradient_check(learner.l1_penalty, 0.25, lambda w, lam: lam * torch.sign(w), "lam * sign(w)")


@l1_penalty.check(points=1)
def test_11_2_dtype_and_device(learner, reference, device):
    """Is the penalty a 0-dim tensor in the parameters' dtype and on their device?"""
    model = mlp(dtype=torch.float64, device=device)
    expect.close(call(learner.l1_penalty, model, 0.1), reference.l1_penalty(model, 0.1))


# ------------------------------------------------------------------------------------------ 11.3 regularized loss
def batch(n, seed=2):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=generator), torch.randint(0, 7, (n,), generator=generator)


@regularized_loss.check(points=2)
def test_11_3_matches_reference(learner, reference, monkeypatch):
    """Is regularized_loss the data loss plus both penalties (and just the data loss when l1 = l2 = 0)?"""
    use_reference(monkeypatch, learner, reference, "l1_penalty", "l2_penalty")
    model, (x, y) = mlp(), batch(5)
    for l1, l2 in ((0.01, 0.02), (0.0, 0.0), (0.03, 0.0), (0.0, 0.05)):
        got = call(learner.regularized_loss, model, x, y, F.cross_entropy, l1, l2)
        expect.close(got, reference.regularized_loss(model, x, y, F.cross_entropy, l1, l2), rtol=1e-5, atol=1e-7,
                     what=f"Called {got.text} with l1={l1}, l2={l2}.\nExpected loss_fn(model(x), y) + "
                          "l1_penalty(model, l1) + l2_penalty(model, l2).")


@regularized_loss.check(points=2)
def test_11_3_penalty_independent_of_batch_size(learner, reference, monkeypatch):
    """Is the penalty part (loss minus data loss) the same for a batch of 2 and a batch of 8?"""
    use_reference(monkeypatch, learner, reference, "l1_penalty", "l2_penalty")
    model, (x, y) = mlp(), batch(8, seed=3)
    expected = (reference.l1_penalty(model, 0.01) + reference.l2_penalty(model, 0.02)).item()
    for n in (2, 8):
        got = call(learner.regularized_loss, model, x[:n], y[:n], F.cross_entropy, 0.01, 0.02)
        added = (got.value - F.cross_entropy(model(x[:n]), y[:n])).item()
        expect.that(math.isclose(added, expected, rel_tol=1e-4, abs_tol=1e-7),
                    f"Called {got.text} with a batch of {n}.\nIt added {added:.6g} to the data loss; the penalties "
                    f"are {expected:.6g} whatever the batch size. loss_fn already averages over the batch: adding "
                    "the penalties divided (or multiplied) by len(x) makes the regularization depend on the batch.")


@regularized_loss.check(points=1)
def test_11_3_gradients(learner, reference, monkeypatch):
    """Does backward through regularized_loss give every parameter the reference's gradient?"""
    use_reference(monkeypatch, learner, reference, "l1_penalty", "l2_penalty")
    model, twin, (x, y) = mlp(seed=4), mlp(seed=4), batch(6, seed=4)
    got = call(learner.regularized_loss, model, x, y, F.cross_entropy, 0.01, 0.02)
    expect.connected(got, dict(model.named_parameters()))
    got.value.backward()
    reference.regularized_loss(twin, x, y, F.cross_entropy, 0.01, 0.02).backward()
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        expect.close(p.grad, q.grad, rtol=1e-5, atol=1e-7,
                     what=f"Called {got.text}, then .backward().\nThe gradient of `{name}`:")


# ----------------------------------------------------------------------------------------------------- 11.4 Dropout
def positive_input(*shape, seed=5):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) + 0.5  # no zeros of its own


@dropout.check(points=2)
def test_11_4_drop_rate_and_scaling(learner):
    """In training mode, is about a fraction p zeroed (within 6 sigma, 1e5 elements), survivors x / (1 - p), x intact?"""
    for p in (0.2, 0.7):
        layer = learner.Dropout(p)
        layer.train()
        x = positive_input(1000, 100)
        original, version = x.clone(), x._version
        torch.manual_seed(0)
        got = call(layer, x)
        out = got.value
        expect.tensor_like(out, x, what=f"Called Dropout({p}) in training mode on {describe(x)}.")
        expect.unchanged(x, original, version, what=f"Called Dropout({p}) in training mode.")
        dropped = (out == 0).double().mean().item()
        sigma = math.sqrt(p * (1 - p) / x.numel())
        expect.that(abs(dropped - p) < 6 * sigma,
                    f"Called Dropout({p}) in training mode on 100,000 elements.\nIt zeroed a fraction {dropped:.4f} of "
                    f"them; p = {p} is the probability to DROP, so about {p} (within {6 * sigma:.4f}) should be zero."
                    + (" " + mistakes.describe("dropout_p_as_keep_probability") if abs(dropped - (1 - p)) < 6 * sigma
                       else ""))
        kept = out != 0
        unscaled = bool(kept.any()) and torch.equal(out[kept].detach(), x[kept])
        expect.close(out[kept], x[kept] / (1 - p), rtol=1e-5, atol=1e-6,
                     what=f"Called Dropout({p}) in training mode.\nThe elements that survived should be scaled by "
                          f"1 / (1 - p) = {1 / (1 - p):.4g} (inverted dropout), so that the expected output equals x."
                          + (f" {mistakes.describe('dropout_not_scaled')}" if unscaled else ""))


@dropout.check(points=2)
def test_11_4_eval_is_identity(learner):
    """In eval mode, does Dropout return x unchanged (no mask, no scaling)?"""
    for p in (0.5, 0.3):
        layer = learner.Dropout(p)
        layer.eval()
        x = positive_input(4, 6, seed=6)
        got = call(layer, x)
        still_active = (isinstance(got.value, torch.Tensor) and got.value.shape == x.shape
                        and not torch.equal(got.value.detach(), x))
        named = f"\n{mistakes.describe('dropout_active_in_eval')}" if still_active else ""
        expect.close(got, x, what=f"Called Dropout({p}) after .eval() on {describe(x)}.{named}\nIn eval "
                                  "mode dropout must be the identity. Check self.training (F.dropout needs "
                                  "training=self.training), and do not scale at eval time: the scaling by "
                                  "1 / (1 - p) happens in training.")


@dropout.check(points=1)
def test_11_4_rows_differ(learner):
    """Does every sample of a batch get its own mask (rows of the output differ)?"""
    layer = learner.Dropout(0.5)
    layer.train()
    x = torch.ones(8, 50)
    torch.manual_seed(1)
    got = call(layer, x)
    rows = {tuple(row.tolist()) for row in (got.value != 0)}
    expect.that(len(rows) > 1,
                f"Called Dropout(0.5) in training mode on {describe(x)} of ones.\nEvery row "
                "was dropped in the same places: one mask was shared by the whole batch. Draw the mask with the "
                "shape of x itself (torch.rand_like(x)).")


@dropout.check(points=1)
def test_11_4_gradient(learner):
    """Does the gradient flow to x as mask / (1 - p), through the survivors only?"""
    layer = learner.Dropout(0.4)
    layer.train()
    x = positive_input(5, 7, seed=7).requires_grad_(True)
    torch.manual_seed(2)
    got = call(layer, x)
    expect.connected(got, {"x": x})
    got.value.sum().backward()
    expected = (got.value != 0).float() / 0.6
    expect.close(x.grad, expected, rtol=1e-5, atol=1e-6,
                 what="Called Dropout(0.4) in training mode, then out.sum().backward().\nThe gradient of x should be "
                      "1 / (1 - p) where an element survived and 0 where it was dropped.")


@dropout.check(points=1)
def test_11_4_seeded(learner):
    """Does the same seed give the same mask, and a different seed a different one?"""
    layer = learner.Dropout(0.5)
    layer.train()
    x = positive_input(6, 9, seed=8)
    outputs = []
    for seed in (3, 3, 4):
        torch.manual_seed(seed)
        outputs.append(call(layer, x).value)
    expect.that(torch.equal(outputs[0], outputs[1]),
                "Called Dropout(0.5) twice after torch.manual_seed(3): the outputs differ. Draw the mask from torch's "
                "global generator (torch.rand_like, torch.bernoulli), so seeding makes it reproducible.")
    expect.that(not torch.equal(outputs[0], outputs[2]),
                "Called Dropout(0.5) after torch.manual_seed(3) and after torch.manual_seed(4): the same output. Is "
                "a fixed seed (torch.manual_seed inside forward) or a fixed mask hiding in the module?")


@dropout.check(points=1)
def test_11_4_device(learner, device):
    """Is the mask made on x's device, with x's dtype and shape?"""
    layer = learner.Dropout(0.3)
    layer.train()
    x = torch.ones(3, 5, dtype=torch.float64).to(device)
    got = call(layer, x)
    expect.tensor_like(got.value, x, what=f"Called Dropout(0.3) in training mode on {describe(x)}.")


# ------------------------------------------------------------------------------------- 11.5 weight decay vs L2
OPTIMIZERS = {
    "SGD(lr=0.1, momentum=0.9)": lambda params, wd: torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=wd),
    "Adam(lr=0.05)": lambda params, wd: torch.optim.Adam(params, lr=0.05, weight_decay=wd),
    "AdamW(lr=0.05)": lambda params, wd: torch.optim.AdamW(params, lr=0.05, weight_decay=wd),
}


def regression_batch(seed=6):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(9, 3, generator=generator), torch.randn(9, 2, generator=generator)


def compare_states(got_state, want_state, *, what):
    expect.that(isinstance(got_state, dict) and set(got_state) == set(want_state),
                f"{what}\nIt is {type(got_state).__name__} with keys "
                f"{sorted(got_state) if isinstance(got_state, dict) else '-'}; expected a state_dict with keys "
                f"{sorted(want_state)}.")
    for key, want in want_state.items():
        expect.close(got_state[key], want, rtol=1e-5, atol=1e-6, what=f"{what}\nEntry `{key}`:")


@weight_decay_vs_l2.check(points=3)
def test_11_5_matches_reference(learner, reference):
    """For SGD, Adam and AdamW, are both trained copies equal to the reference's (equal for SGD/Adam, not AdamW)?"""
    x, y = regression_batch()
    for name, make in OPTIMIZERS.items():
        model = mlp(sizes=(3, 4, 2), seed=7)
        untouched = state_of(model)
        got = call(learner.weight_decay_vs_l2, model, x, y, F.mse_loss, make, 0.2, 4)
        expected = reference.weight_decay_vs_l2(model, x, y, F.mse_loss, make, 0.2, 4)
        expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                    f"Called {got.text} with {name}.\nIt returned {type(got.value).__name__}; expected a tuple of two "
                    "state_dicts (decayed, penalized).")
        expect_same_state(model, untouched, what=f"Called {got.text} with {name}.",
                          hint="The model passed in was trained: train copy.deepcopy(model) twice instead, so both "
                               "runs start from the same weights.")
        compare_states(got.value[0], expected[0],
                       what=f"Called {got.text} with {name}.\nThe copy trained with weight_decay=0.2 (item 0):")
        compare_states(got.value[1], expected[1],
                       what=f"Called {got.text} with {name}.\nThe copy trained with the penalty (0.2 / 2) * "
                            "||theta||^2 over all parameters, biases too (item 1):")


@weight_decay_vs_l2.check(points=1)
def test_11_5_shows_the_difference(learner):
    """Does the result show it: the two copies agree under SGD and Adam, and disagree under AdamW?"""
    x, y = regression_batch(seed=8)
    for name, make in OPTIMIZERS.items():
        model = mlp(sizes=(3, 4, 2), seed=9)
        got = call(learner.weight_decay_vs_l2, model, x, y, F.mse_loss, make, 0.2, 4)
        decayed, penalized = got.value
        gap = max((decayed[k] - penalized[k]).abs().max().item() for k in decayed)
        if name.startswith("AdamW"):
            expect.that(gap > 1e-3,
                        f"Called {got.text} with {name}.\nThe two copies ended equal (largest difference {gap:.2g}), "
                        "but AdamW decays the weights directly, outside Adam's per-parameter scaling: an L2 penalty "
                        "under Adam (weight_decay=0) cannot reproduce that. Is the penalized copy's optimizer made "
                        "with weight_decay=0.0?")
        else:
            expect.that(gap < 1e-4,
                        f"Called {got.text} with {name}.\nThe two copies differ by up to {gap:.2g}; {name} adds "
                        "weight_decay * theta to the gradient, which is the gradient of (weight_decay / 2) * "
                        "||theta||^2. Check the factor 1/2 and that the penalty covers every parameter, biases too.")


# ----------------------------------------------------------------------------------- 11.6 the generalization gap
def digits(n_train=100, n_val=200, seed=0):
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1]: a small training set, so a wide MLP overfits."""
    x, y = load("digits")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    x, y = (x[order] / 16).float(), y[order].long()
    return x[:n_train], y[:n_train], x[n_train:n_train + n_val], y[n_train:n_train + n_val]


@train_and_measure_gap.check(points=2)
def test_11_6_matches_reference(learner, reference, monkeypatch):
    """After 5 Adam steps with an L2 penalty, are the parameters and the two losses the reference's?"""
    use_reference(monkeypatch, learner, reference, "l2_penalty")
    x_train, y_train, x_val, y_val = digits(n_train=20, n_val=15)
    model, twin = mlp(sizes=(64, 16, 10), seed=10), mlp(sizes=(64, 16, 10), seed=10)
    got = call(learner.train_and_measure_gap, model, x_train, y_train, x_val, y_val,
               torch.optim.Adam(model.parameters(), lr=0.01), 5, 0.01)
    expected = reference.train_and_measure_gap(twin, x_train, y_train, x_val, y_val,
                                               torch.optim.Adam(twin.parameters(), lr=0.01), 5, 0.01)
    expect_same_state(model, state_of(twin), what=f"Called {got.text}.", rtol=1e-5, atol=1e-6,
                      hint="Known causes: the L2 penalty left out of the training loss, gradients not cleared each "
                           "step, or optimizer.step() before loss.backward().")
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected (train_loss, val_loss).")
    expect.close(torch.tensor([float(v) for v in got.value]), torch.tensor(expected), rtol=1e-5, atol=1e-6,
                 what=f"Called {got.text}.\nThe (train_loss, val_loss) it returned: both are the plain mean "
                      "cross-entropy (no penalty) measured after training, train first.")


@train_and_measure_gap.check(points=2)
def test_11_6_modes(learner, reference, monkeypatch):
    """Does it train in training mode with gradients, then measure in eval mode without them?"""
    use_reference(monkeypatch, learner, reference, "l2_penalty")
    x_train, y_train, x_val, y_val = digits(n_train=12, n_val=8, seed=1)
    spy = ModeSpy(mlp(sizes=(64, 8, 10), seed=11))
    spy.eval()  # it must switch to training mode itself
    got = call(learner.train_and_measure_gap, spy, x_train, y_train, x_val, y_val,
               torch.optim.SGD(spy.parameters(), lr=0.1), 3, 0.0)
    training, measuring = spy.records[:3], spy.records[3:]
    expect.that(len(spy.records) >= 5 and all(r == (True, True) for r in training),
                f"Called {got.text}.\nThe model's forward calls ran in: {spy.describe()}. The 3 training steps must "
                "run in training mode with gradients on: call model.train() before the loop.")
    expect.that(len(measuring) >= 2 and all(r == (False, False) for r in measuring),
                f"Called {got.text}.\nThe model's forward calls ran in: {spy.describe()}. After training, the "
                "losses are measured in eval mode (model.eval(): Dropout off) and under torch.no_grad().")
    expect.that(all(type(v) is float for v in got.value),
                f"Called {got.text}.\nIt returned {got.value!r}; expected two Python floats (.item()).")


@train_and_measure_gap.check(points=2)
def test_11_6_regularization_narrows_the_gap(learner, reference, monkeypatch):
    """On 100 digits, does an L2 penalty (lambda 0.01) narrow the validation-minus-training gap of a 64-32-10 MLP?"""
    use_reference(monkeypatch, learner, reference, "l2_penalty")
    x_train, y_train, x_val, y_val = digits()
    gaps = {}
    for lam in (0.0, 0.01):
        model = mlp(sizes=(64, 32, 10), seed=12)
        got = call(learner.train_and_measure_gap, model, x_train, y_train, x_val, y_val,
                   torch.optim.Adam(model.parameters(), lr=0.02), 60, lam)
        train_loss, val_loss = got.value
        gaps[lam] = val_loss - train_loss
    expect.that(gaps[0.0] > 0.2 and gaps[0.01] < 0.75 * gaps[0.0],
                f"Called {got.text} with l2 = 0 and l2 = 0.01.\nThe gap val_loss - train_loss was {gaps[0.0]:.3f} "
                f"without the penalty and {gaps[0.01]:.3f} with it; the reference narrows it by more than a quarter. "
                "Is the penalty added to the training loss (and not to the measured losses), and are the returned "
                "losses (train, val) in that order?")
