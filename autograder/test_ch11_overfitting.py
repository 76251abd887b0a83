"""Chapter 11, overfitting: are the penalties, Dropout and weight decay right, and does regularization narrow the gap?"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from hypothesis import strategies as st

from autograder.engine import Exercise, call, expect, generated, mistakes, strategies
from autograder.engine.calls import describe
from autograder.engine.datasets import load
from autograder.engine.isolation import use_reference
from autograder.engine.spies import ModeSpy, Recorder, expect_same_state, state_of

l2_penalty = Exercise("11.1", "l2_penalty", clauses={
    "formula": "the L2 penalty lam * sum_w w^2 over the model's weights, biases excluded.",
    "names": 'A weight is every parameter whose name (in model.named_parameters()) does not end in "bias":',
    "examples": "BatchNorm's weight and other 1-dim parameters count, \"head.bias\" and \"my_bias\" do not;",
    "shared": "a parameter shared by two layers counts once.",
    "lam": "lam >= 0 is a Python float (lam = 0 gives a zero penalty).",
    "zero-dim": "Returns a 0-dim tensor",
    "dtype-device": "in the parameters' dtype (float16 to float64) and device,",
    "gradient": "connected to the graph: pen.backward() gives every weight the gradient 2 * lam * w",
    "biases-alone": "and leaves the biases alone.",
    "unchanged": "Computing the penalty changes no parameter and no .grad.",
}, hints=[
    "Walk model.named_parameters() and keep the parameters whose name does not end in 'bias'.",
    "lam * torch.stack([w.pow(2).sum() for w in weights]).sum(): the squares, no square root, no mean, and computed "
    "from the parameters themselves (not state_dict() or .data, which have no gradient).",
], hints_zh=[
    "遍历 model.named_parameters()，保留名字不以 'bias' 结尾的参数。",
    "lam * torch.stack([w.pow(2).sum() for w in weights]).sum()：平方和，不开方、不取平均，并且从参数本身计算（不要用 state_dict() 或 .data，它们没有梯度）。",
])
l1_penalty = Exercise("11.2", "l1_penalty", clauses={
    "formula": "the L1 penalty lam * sum_w |w| over the model's weights, biases excluded.",
    "as-11-1": "Weights, lam, dtype and device as in Exercise 11.1.",
    "zero-dim": "Returns a 0-dim tensor,",
    "gradient": "connected to the graph: pen.backward() gives every weight lam * sign(w),",
    "kink": "which is 0 where w is exactly 0 (torch.sign(0) = 0, the subgradient torch.abs uses),",
    "biases-alone": "and leaves the biases alone.",
    "unchanged": "Computing the penalty changes no parameter and no .grad.",
}, hints=[
    "The same walk over the weights as Exercise 11.1, with the absolute value in place of the square.",
    "lam * torch.stack([w.abs().sum() for w in weights]).sum(): |w|, not w (negative weights would cancel), and not "
    "squared.",
], hints_zh=[
    "和练习 11.1 一样遍历权重，只是把平方换成绝对值。",
    "lam * torch.stack([w.abs().sum() for w in weights]).sum()：是 |w| 而不是 w（否则正负权重会相互抵消），也不要平方。",
])
regularized_loss = Exercise("11.3", "regularized_loss", clauses={
    "sum": "the training objective with penalties: data loss + L1 penalty + L2 penalty. loss = loss_fn(model(x), y) + "
           "l1_penalty(model, l1) + l2_penalty(model, l2)",
    "graph": "a 0-dim tensor, in the graph",
    "defaults": "l1 and l2 default to 0.0: then loss is the data loss alone.",
    "once": "loss_fn averages over the batch; the penalties are added once, whatever the batch size (never scaled by "
            "it).",
    "uses": "Use this chapter's l1_penalty and l2_penalty.",
}, hints=[
    "It is one line: the data loss plus the two penalties.",
    "loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2): loss_fn already averages over the batch, "
    "so the penalties are added as they are, never divided or multiplied by len(x).",
], hints_zh=[
    "只有一行：数据损失加上两个惩罚项。",
    "loss_fn(model(x), y) + l1_penalty(model, l1) + l2_penalty(model, l2)：loss_fn 已经对批次取了平均，所以惩罚项原样加上即可，不要除以或乘以 len(x)。",
])
dropout = Exercise("11.4", "Dropout", clauses={
    "independent": "inverted dropout, written from scratch. In training mode every element of x is zeroed "
                   "independently with probability p (the DROP probability),",
    "scaled": "and the survivors are scaled by 1 / (1 - p), so the expected output equals x:",
    "mask": "mask ~ Bernoulli(1 - p), same shape as x, on x's device; out = x * mask / (1 - p)",
    "dtype-device": "out has x's shape, dtype (float16 to float64) and device.",
    "rng": "The mask comes from torch's global random generator (torch.manual_seed makes it reproducible), a new one "
           "at every call;",
    "p-zero": "p = 0 keeps every element.",
    "eval": "In eval mode (model.eval()) the module is the identity: out = x, no scaling.",
    "unchanged": "x itself is never modified.",
}, hints=[
    "In eval mode (not self.training) return x unchanged. In training mode draw a mask the shape of x: "
    "torch.rand_like(x) >= self.p keeps each element with probability 1 - p.",
    "Return x * mask / (1 - self.p): the survivors are scaled up so the expected output equals x. p is the drop "
    "probability; make the mask with *_like functions so it lands on x's device, and never write into x.",
], hints_zh=[
    "在 eval 模式下（not self.training）原样返回 x。在训练模式下生成与 x 形状相同的掩码：torch.rand_like(x) >= self.p 以概率 1 - p 保留每个元素。",
    "返回 x * mask / (1 - self.p)：保留下来的值被放大，使输出的期望等于 x。p 是丢弃概率；用 *_like 函数生成掩码，使它位于 x 所在的设备上，并且不要改写 x。",
])
weight_decay_vs_l2 = Exercise("11.5", "weight_decay_vs_l2", clauses={
    "two-copies": "train two copies of `model` side by side, one with weight decay and one with an L2 penalty.",
    "decayed": "decayed: optimizer make_optimizer(params, weight_decay), loss = loss_fn(m(x), y)",
    "penalized": "penalized: optimizer make_optimizer(params, 0.0), loss = loss_fn(m(x), y) + (weight_decay / 2) * "
                 "||theta||^2",
    "all-parameters": "where ||theta||^2 sums the squares of ALL parameters (weight decay reaches biases too).",
    "steps": "Each copy takes `steps` full-batch steps.",
    "untouched": "`model` itself stays untouched (train deep copies): its parameters, and the .grad it may hold, keep "
                 "their values.",
    "returns": "Returns the two state_dicts (decayed, penalized), which hold the copies' tensors, never the model's "
               "own.",
    "claim": "For SGD (with or without momentum) and for Adam they are equal: those optimizers add weight_decay * "
             "theta to the gradient, the gradient of the penalty. AdamW decays the weights directly (decoupled), "
             "outside Adam's scaling, so there they differ.",
}, hints=[
    "Make two copies with copy.deepcopy(model); give one make_optimizer(params, weight_decay) and the other "
    "make_optimizer(params, 0.0).",
    "The second loss is loss_fn(m(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in m.parameters()), over all "
    "parameters, biases too: its gradient weight_decay * p is exactly what SGD and Adam add.",
], hints_zh=[
    "用 copy.deepcopy(model) 复制两份；一份使用 make_optimizer(params, weight_decay)，另一份使用 make_optimizer(params, 0.0)。",
    "第二份的损失是 loss_fn(m(x), y) + weight_decay / 2 * sum(p.pow(2).sum() for p in m.parameters())，覆盖所有参数，包括偏置：它的梯度 weight_decay * p 正是 SGD 和 Adam 加到梯度上的量。",
])
train_and_measure_gap = Exercise("11.6", "train_and_measure_gap", clauses={
    "two-phases": "train a classifier, then measure its training and validation losses.",
    "train-mode": "Training: `steps` full-batch steps in training mode (model.train())",
    "optimizer": "with the given optimizer on",
    "loss": "loss = F.cross_entropy(model(x_train), y_train) + l2_penalty(model, l2) (this chapter's l2_penalty)",
    "old-gradients": "clearing the gradients before each backward (the model may arrive with old ones).",
    "default": "l2 defaults to 0.0.",
    "eval-mode": "Measuring: in eval mode (model.eval(), so Dropout is off) and without gradients (torch.no_grad()),",
    "measured": "the mean cross-entropy (no penalty) on the training set and on the validation set.",
    "floats": "Returns (train_loss, val_loss) as Python floats;",
    "gap": "val_loss - train_loss is the generalization gap.",
}, hints=[
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


# ------------------------------------------------------------------------------------------ 11.1 / 11.2 penalties
class NamedParameters(nn.Module):
    """Parameter names that test the rule: `gain` (1-dim) and `bias_table` are weights (their names do not END in
    "bias"); `my_bias` and `head.bias` are biases; `frozen` is a weight too, though it does not require grad (a
    frozen layer is still a parameter of the model: it counts, it just receives no gradient)."""

    def __init__(self, dtype=torch.float32):
        super().__init__()
        self.gain = nn.Parameter(torch.randn(4, dtype=dtype))
        self.bias_table = nn.Parameter(torch.randn(2, 4, dtype=dtype))
        self.my_bias = nn.Parameter(torch.randn(2, dtype=dtype) + 0.5)
        self.head = nn.Linear(2, 3, dtype=dtype)
        self.frozen = nn.Parameter(torch.randn(3, 3, dtype=dtype), requires_grad=False)

    def forward(self, x):
        return self.head((x * self.gain) @ self.bias_table.T + self.my_bias) @ self.frozen


def penalty_model(family, seed=0, dtype=torch.float32, zeros=0.0):
    """A model of one `family`, its biases clearly non-zero and a fraction `zeros` of its weights exactly 0."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if family == "Linear-Tanh-Linear":
            model = mlp(seed=seed, dtype=dtype)
        elif family == "Linear-BatchNorm-Linear":
            model = nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.BatchNorm1d(4, dtype=dtype), nn.Linear(4, 2, dtype=dtype))
            with torch.no_grad():
                model[1].weight.uniform_(-2, 2)
                model[1].running_mean.fill_(3.0)  # a buffer, not a parameter: never penalized
        elif family == "one Linear used twice":
            shared = nn.Linear(4, 4, dtype=dtype)
            model = nn.Sequential(shared, nn.Tanh(), shared)
        elif family == "a weight tied between two Linears":
            first, second = nn.Linear(4, 4, dtype=dtype), nn.Linear(4, 4, dtype=dtype)
            second.weight = first.weight  # two layers, one parameter: it counts once
            model = nn.Sequential(first, nn.Tanh(), second)
        else:
            model = NamedParameters(dtype)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if name.endswith("bias"):
                    parameter.add_(0.5)
                elif zeros:
                    parameter.masked_fill_(torch.rand(parameter.shape, generator=generator) < zeros, 0.0)
    return model


FAMILIES = ("Linear-Tanh-Linear", "Linear-BatchNorm-Linear", "one Linear used twice",
            "a weight tied between two Linears", "NamedParameters")
LAMS = st.sampled_from([0.3, 0.0, 1.5, 1e-3])
TOLERANCE = {torch.float16: 5e-3, torch.bfloat16: 3e-2, torch.float32: 1e-5, torch.float64: 1e-10}


def expected_penalty(model, lam, formula):
    """lam * sum of formula(w) over the parameters whose names do not end in "bias", in float64."""
    with torch.no_grad():
        total = sum(formula(p.double()).sum() for name, p in model.named_parameters() if not name.endswith("bias"))
    return lam * total


def penalty_value_check(learner_penalty, family, lam, dtype, formula, name):
    model = penalty_model(family, dtype=dtype, zeros=0.3)
    for parameter in model.parameters():
        parameter.grad = torch.full_like(parameter, 0.5)  # a model fresh from a training step
    before = state_of(model)
    grads_before = [p.grad.clone() for p in model.parameters()]
    got = call(learner_penalty, model, lam)
    expected = expected_penalty(model, lam, formula).to(dtype)
    weights = [n for n, _ in model.named_parameters() if not n.endswith("bias")]
    expect.close(got, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype],
                 what=f"Called {got.text} on a {family} model ({dtype}), parameters {[n for n, _ in model.named_parameters()]}."
                      f"\nExpected lam * {name} over the weights {weights} = {expected.item():.6g}: every parameter "
                      "whose name does not END in 'bias' (BatchNorm's weight and 1-dim ones too, a frozen one "
                      "(requires_grad=False) too; a shared parameter once; buffers never). The sum is neither averaged (MSELoss against zeros divides by the number "
                      "of elements) nor square-rooted.")
    expect_same_state(model, before, what=f"Called {got.text}: computing the penalty changed the model.")
    for (param_name, parameter), old in zip(model.named_parameters(), grads_before):
        expect.that(parameter.grad is not None and torch.equal(parameter.grad, old),
                    f"Called {got.text} on a model whose parameters hold gradients.\nAfterwards `{param_name}.grad` "
                    "changed: computing a penalty must not touch the gradients (no zero_grad, no backward inside).")


def penalty_gradient_check(learner_penalty, family, lam, dtype, expected_gradient, name):
    model = penalty_model(family, seed=1, dtype=dtype, zeros=0.3)
    got = call(learner_penalty, model, lam)
    expect.that(isinstance(got.value, torch.Tensor) and got.value.grad_fn is not None,
                f"Called {got.text}.\nThe penalty has no grad_fn, so it cannot push the weights anywhere: it was "
                "computed from state_dict(), .data, .detach() or .item() (or returned as a constant when lam = 0). "
                "Use model.named_parameters().")
    got.value.backward()
    for param_name, p in model.named_parameters():
        if not p.requires_grad:
            continue  # a frozen weight counts in the value (penalty_value_check) but cannot receive a gradient
        if param_name.endswith("bias"):
            expect.that(p.grad is None or not p.grad.any(),
                        f"Called {got.text}, then .backward().\n`{param_name}` received a gradient. "
                        f"{mistakes.describe('penalty_on_bias')}")
        else:
            expect.close(p.grad, expected_gradient(p.detach(), lam), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype],
                         what=f"Called {got.text} on a {family} model ({dtype}) with some weights exactly 0, then "
                              f".backward().\nThe gradient of `{param_name}` should be {name}.")


@l2_penalty.check(points=2, clauses=["formula", "names", "examples", "shared", "lam", "zero-dim", "unchanged",
                                     "dtype-device"])
@generated.examples(family=st.sampled_from(FAMILIES), lam=LAMS, dtype=strategies.float_dtypes(), max_examples=16)
def test_11_1_exact_value(learner, family, lam, dtype):
    """Is l2_penalty exactly lam * (sum of squared weights) for every kind of model and dtype, biases excluded, and
    does computing it leave the parameters and their gradients alone?"""
    penalty_value_check(learner.l2_penalty, family, lam, dtype, lambda w: w.pow(2), "sum(w^2)")


@l2_penalty.check(points=1, clauses=["shared"])
def test_11_1_shared_parameter_counts_once(learner):
    """Does a parameter shared by two layers count once, both for one layer used twice and for a weight tied
    between two different layers (b.weight = a.weight)?"""
    for family in ("one Linear used twice", "a weight tied between two Linears"):
        penalty_value_check(learner.l2_penalty, family, 0.3, torch.float64, lambda w: w.pow(2), "sum(w^2)")


@l2_penalty.check(points=2, clauses=["gradient", "biases-alone"])
@generated.examples(family=st.sampled_from(FAMILIES), lam=LAMS, dtype=strategies.float_dtypes(), max_examples=12)
def test_11_1_gradient(learner, family, lam, dtype):
    """Does l2_penalty(...).backward() give every weight 2 * lam * w and the biases nothing?"""
    penalty_gradient_check(learner.l2_penalty, family, lam, dtype, lambda w, lam: 2 * lam * w, "2 * lam * w")


@l2_penalty.check(points=1, clauses=["dtype-device", "zero-dim"])
def test_11_1_dtype_and_device(learner, reference, device):
    """Is the penalty a 0-dim tensor in the parameters' dtype and on their device?"""
    model = mlp(dtype=torch.float64, device=device)
    expect.close(call(learner.l2_penalty, model, 0.1), reference.l2_penalty(model, 0.1))


@l1_penalty.check(points=2, clauses=["formula", "as-11-1", "zero-dim", "unchanged"])
@generated.examples(family=st.sampled_from(FAMILIES), lam=LAMS, dtype=strategies.float_dtypes(), max_examples=16)
def test_11_2_exact_value(learner, family, lam, dtype):
    """Is l1_penalty exactly lam * (sum of |w| over the weights) for every kind of model and dtype, biases excluded,
    and does computing it leave the parameters and their gradients alone?"""
    penalty_value_check(learner.l1_penalty, family, lam, dtype, lambda w: w.abs(), "sum(|w|)")


@l1_penalty.check(points=2, clauses=["gradient", "kink", "biases-alone"])
@generated.examples(family=st.sampled_from(FAMILIES), lam=LAMS, dtype=strategies.float_dtypes(), max_examples=12)
def test_11_2_gradient(learner, family, lam, dtype):
    """Does l1_penalty(...).backward() give every weight lam * sign(w) (0 where w is exactly 0) and the biases
    nothing?"""
    penalty_gradient_check(learner.l1_penalty, family, lam, dtype, lambda w, lam: lam * torch.sign(w),
                           "lam * sign(w), and 0 where w is exactly 0 (torch.sign(0) = 0, as torch.abs has it)")


@l1_penalty.check(points=1, clauses=["as-11-1", "zero-dim"])
def test_11_2_dtype_and_device(learner, reference, device):
    """Is the penalty a 0-dim tensor in the parameters' dtype and on their device?"""
    model = mlp(dtype=torch.float64, device=device)
    expect.close(call(learner.l1_penalty, model, 0.1), reference.l1_penalty(model, 0.1))


# ------------------------------------------------------------------------------------------ 11.3 regularized loss
def batch(n, seed=2):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=generator), torch.randint(0, 7, (n,), generator=generator)


PENALTY_WEIGHTS = st.sampled_from([0.0, 0.01, 0.3])


def smoothed_cross_entropy(logits, targets):
    """A loss_fn other than F.cross_entropy for the same (N, C) logits and int64 targets: the objective uses the
    loss_fn it is given, whatever it is."""
    return F.cross_entropy(logits, targets, label_smoothing=0.2)


@regularized_loss.check(points=2, clauses=["sum", "graph", "defaults"])
@generated.examples(samples=st.integers(1, 9), l1=st.one_of(st.none(), PENALTY_WEIGHTS),
                    l2=st.one_of(st.none(), PENALTY_WEIGHTS), seed=st.integers(0, 1000),
                    loss_fn=st.sampled_from([F.cross_entropy, smoothed_cross_entropy]), max_examples=15)
def test_11_3_matches_reference(learner, reference, monkeypatch, samples, l1, l2, seed, loss_fn):
    """Is regularized_loss the data loss (of the loss_fn it is given) plus both penalties, with l1 and l2 given or
    left to their defaults (0.0)?"""
    use_reference(monkeypatch, learner, reference, "l1_penalty", "l2_penalty")
    model, (x, y) = mlp(seed=seed), batch(samples, seed=seed)
    given = {name: value for name, value in (("l1", l1), ("l2", l2)) if value is not None}
    got = call(learner.regularized_loss, model, x, y, loss_fn, **given)
    expected = reference.regularized_loss(model, x, y, loss_fn, l1 or 0.0, l2 or 0.0)
    weights = ", ".join(f"{name}={value}" for name, value in given.items()) or "l1 and l2 left to their defaults, 0.0"
    expect.close(got, expected, rtol=1e-5, atol=1e-7,
                 what=f"Called {got.text} ({weights}, loss_fn={loss_fn.__name__}).\nExpected loss_fn(model(x), y) "
                      "+ l1_penalty(model, l1) + l2_penalty(model, l2), with the loss_fn given (never a loss of "
                      "your own choosing), called as loss_fn(model(x), y).")
    expect.that(got.value.grad_fn is not None,
                f"Called {got.text}.\nThe loss has no grad_fn: it is not in the graph, so backward() cannot train.")


@regularized_loss.check(points=2, clauses=["once"])
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


@regularized_loss.check(points=1, clauses=["graph"])
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


@regularized_loss.check(points=1, clauses=["sum"])
def test_11_3_one_forward_in_the_models_mode(learner, reference, monkeypatch):
    """With Dropout in the model, is the data loss loss_fn(model(x), y) of one forward pass in the mode the model is
    in (training: the reference's dropout mask under the same seed; eval: no dropout), the mode left as it was?"""
    use_reference(monkeypatch, learner, reference, "l1_penalty", "l2_penalty")
    model, (x, y) = mlp(sizes=(3, 16, 7), seed=5, dropout=0.5), batch(6, seed=5)
    for training in (True, False):
        model.train(training)
        mode = "training" if training else "eval"
        torch.manual_seed(7)
        got = call(learner.regularized_loss, model, x, y, F.cross_entropy, 0.01, 0.02)
        expect.that(model.training == training,
                    f"Called {got.text} on a model in {mode} mode.\nAfterwards the model was in "
                    f"{'training' if model.training else 'eval'} mode: the objective is loss_fn(model(x), y) in the "
                    "mode the caller chose; never switch it (model.eval() / model.train()) inside.")
        torch.manual_seed(7)
        expected = reference.regularized_loss(model, x, y, F.cross_entropy, 0.01, 0.02)
        expect.close(got, expected, rtol=1e-5, atol=1e-7,
                     what=f"Called {got.text} on a model with Dropout(0.5), in {mode} mode, after "
                          "torch.manual_seed(7).\nExpected loss_fn(model(x), y) + the penalties, with model(x) "
                          "called once: a second forward pass draws another dropout mask.")


@regularized_loss.check(points=1, clauses=["uses"])
def test_11_3_uses_the_penalties(learner, reference, monkeypatch):
    """Does regularized_loss call this chapter's l1_penalty(model, l1) and l2_penalty(model, l2)?"""
    recorders = {name: Recorder(getattr(reference, name), name) for name in ("l1_penalty", "l2_penalty")}
    module = getattr(learner, "_module", learner)
    for name, recorder in recorders.items():
        monkeypatch.setattr(module, name, recorder, raising=False)
    model, (x, y) = mlp(), batch(4)
    got = call(learner.regularized_loss, model, x, y, F.cross_entropy, 0.01, 0.02)
    for (name, recorder), lam in zip(recorders.items(), (0.01, 0.02)):
        calls = [(args, kwargs) for args, kwargs in recorder.calls]
        # the value checks hold the strength; here only the use: l1 * l1_penalty(model, 1.0) is the same penalty
        expect.that(any(args[:1] == (model,) or kwargs.get("model") is model for args, kwargs in calls),
                    f"Called {got.text}.\nIt made {len(calls)} call(s) to {name} with the model; expected "
                    f"{name}(model, {lam}): use this chapter's penalty functions rather than computing the penalties "
                    "again.")


# ----------------------------------------------------------------------------------------------------- 11.4 Dropout
def positive_input(*shape, seed=5):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) + 0.5  # no zeros of its own


@dropout.check(points=2, clauses=["independent", "scaled", "mask", "unchanged"])
def test_11_4_drop_rate_and_scaling(learner):
    """In training mode, is about a fraction p zeroed (within 6 sigma, 1e5 elements), survivors x / (1 - p), x intact,
    for a contiguous x and a transposed (non-contiguous) one?"""
    for p in (0.2, 0.7):
        layer = learner.Dropout(p)
        layer.train()
        x = positive_input(1000, 100) if p == 0.2 else positive_input(100, 1000).t()  # (1000, 100); .view fails
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


@dropout.check(points=2, clauses=["eval"])
def test_11_4_eval_is_identity(learner):
    """In eval mode, does Dropout return x unchanged (no mask, no scaling), with gradients passing through?"""
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
        leaf = x.clone().requires_grad_(True)
        through = call(layer, leaf)
        out = through.value
        passes = isinstance(out, torch.Tensor) and out.requires_grad and torch.autograd.grad(
            out.sum(), [leaf], allow_unused=True)[0] is not None  # out may be x itself: a leaf, no grad_fn
        expect.that(passes,
                         f"Called Dropout({p}) after .eval() on {describe(leaf)} that requires grad.\nThe "
                              "identity passes gradients through (out = x): no .detach(), .data or torch.no_grad() "
                              "in eval mode, or a model evaluated inside a larger graph stops learning.")


@dropout.check(points=1, clauses=["independent"])
def test_11_4_rows_differ(learner):
    """Does every element get its own draw: rows of a batch differ, and so does the mask along every other dim?"""
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
    x = torch.ones(4, 6, 30)
    torch.manual_seed(2)
    got = call(layer, x)
    kept = got.value != 0
    for dim, name in enumerate(("samples (dim 0)", "channels (dim 1)", "features (dim 2)")):
        slices = {tuple(part.flatten().tolist()) for part in kept.unbind(dim)}
        expect.that(len(slices) > 1,
                    f"Called Dropout(0.5) in training mode on {describe(x)} of ones.\nEvery one of the "
                    f"{x.shape[dim]} {name} was dropped in the same places: the mask was drawn once and broadcast "
                    "along that dim (a shape like x.shape[:-1] + (1,)), so the elements are not zeroed "
                    "independently. Draw one value per element: torch.rand_like(x).")


@dropout.check(points=1, clauses=["scaled", "mask"])
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


@dropout.check(points=1, clauses=["rng"])
def test_11_4_seeded(learner):
    """Does the same seed give the same mask, a different seed a different one, and each new call a new one?"""
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
    torch.manual_seed(3)
    first, second = call(layer, x).value, call(layer, x).value
    expect.that(not torch.equal(first, second),
                "Called Dropout(0.5) twice in a row after one torch.manual_seed(3): both calls dropped the same "
                "elements. Each call draws a new mask and advances torch's global generator (torch.rand_like(x)); a "
                "generator seeded inside forward (from torch.initial_seed() or a constant), a mask drawn inside "
                "torch.random.fork_rng(), or a mask kept from an earlier call repeats it.")


@dropout.check(points=1, clauses=["dtype-device", "mask"])
def test_11_4_device(learner, device):
    """Is the mask made on x's device, with x's dtype and shape?"""
    layer = learner.Dropout(0.3)
    layer.train()
    x = torch.ones(3, 5, dtype=torch.float64).to(device)
    got = call(layer, x)
    expect.tensor_like(got.value, x, what=f"Called Dropout(0.3) in training mode on {describe(x)}.")


@dropout.check(points=1, clauses=["dtype-device"])
def test_11_4_keeps_the_dtype(learner):
    """In training and in eval mode, is the output in x's dtype, float16 and bfloat16 included?"""
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        for training in (True, False):
            layer = learner.Dropout(0.4)
            layer.train(training)
            x = positive_input(4, 8, seed=9).to(dtype)
            torch.manual_seed(5)
            got = call(layer, x)
            expect.tensor_like(got.value, x, what=(
                f"Called Dropout(0.4) in {'training' if training else 'eval'} mode on {describe(x)}.\nA float32 "
                "mask (torch.rand(x.shape), .float()) promotes the product: make the mask like x (torch.rand_like(x)) "
                "or keep it bool."))


@dropout.check(points=1, clauses=["p-zero"])
def test_11_4_p_zero_keeps_everything(learner):
    """With p = 0 in training mode, does every element survive, unscaled?"""
    layer = learner.Dropout(0.0)
    layer.train()
    x = positive_input(50, 40, seed=10)
    torch.manual_seed(6)
    got = call(layer, x)
    expect.close(got, x, what=f"Called Dropout(0.0) in training mode on {describe(x)}.\nWith p = 0 nothing is dropped "
                              "and 1 / (1 - p) = 1: the output equals x. (Is p = 0 taken for 'not given' somewhere, "
                              "as in `p = self.p or 0.5`?)")


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


MORE_OPTIMIZERS = {
    **OPTIMIZERS,
    "SGD(lr=0.1)": lambda params, wd: torch.optim.SGD(params, lr=0.1, weight_decay=wd),
    "SGD(lr=0.05, momentum=0.5, nesterov=True)": lambda params, wd: torch.optim.SGD(
        params, lr=0.05, momentum=0.5, nesterov=True, weight_decay=wd),
    "RMSprop(lr=0.01)": lambda params, wd: torch.optim.RMSprop(params, lr=0.01, weight_decay=wd),
}


@weight_decay_vs_l2.check(points=3, clauses=["two-copies", "decayed", "penalized", "all-parameters", "steps",
                                             "untouched", "returns"])
@generated.examples(optimizer=st.sampled_from(sorted(MORE_OPTIMIZERS)), weight_decay=st.sampled_from([0.2, 0.0, 0.05]),
                    steps=st.integers(1, 4), seed=st.integers(0, 1000), max_examples=12)
def test_11_5_matches_reference(learner, reference, optimizer, weight_decay, steps, seed):
    """For SGD (momentum 0, momentum, Nesterov), Adam, AdamW and RMSprop, any weight decay (0 included) and a few
    steps, are both trained copies the reference's, the model (and its .grad) untouched, no tensor of it returned?"""
    x, y = regression_batch(seed=seed)
    make = MORE_OPTIMIZERS[optimizer]
    model = mlp(sizes=(3, 4, 2), seed=seed)
    for parameter in model.parameters():
        parameter.grad = torch.full_like(parameter, 0.5)  # left over from earlier training
    untouched, old_grads = state_of(model), [p.grad.clone() for p in model.parameters()]
    got = call(learner.weight_decay_vs_l2, model, x, y, F.mse_loss, make, weight_decay, steps)
    expected = reference.weight_decay_vs_l2(model, x, y, F.mse_loss, make, weight_decay, steps)
    context = f"Called {got.text} with {optimizer}, weight_decay={weight_decay}, steps={steps}."
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"{context}\nIt returned {describe(got.value)}; expected a tuple of two state_dicts (decayed, "
                "penalized).")
    expect_same_state(model, untouched, what=context,
                      hint="The model passed in was trained: train copy.deepcopy(model) twice instead, so both "
                           "runs start from the same weights.")
    for (name, parameter), old in zip(model.named_parameters(), old_grads):
        expect.that(parameter.grad is not None and torch.equal(parameter.grad, old),
                    f"{context}\nAfterwards the model's own `{name}.grad` changed: only the copies are trained.")
    own = {parameter.data_ptr() for parameter in model.parameters()}  # the model is alive: no address is reused
    for index, state in enumerate(got.value):
        shared = [key for key, value in state.items() if isinstance(value, torch.Tensor) and value.data_ptr() in own] \
            if isinstance(state, dict) else []
        expect.that(not shared, f"{context}\nThe state_dict of item {index} holds the model's own tensors "
                                f"{shared}: return the trained copies' state_dicts.")
    compare_states(got.value[0], expected[0],
                   what=f"{context}\nThe copy trained with weight_decay={weight_decay} (item 0):")
    compare_states(got.value[1], expected[1],
                   what=f"{context}\nThe copy trained with the penalty ({weight_decay} / 2) * ||theta||^2 over all "
                        "parameters, biases too, and an optimizer made with weight_decay=0.0 (item 1):")


@weight_decay_vs_l2.check(points=1, clauses=["claim", "returns"])
def test_11_5_shows_the_difference(learner, reference):
    """Does the result show it: the two copies agree under SGD and Adam, and disagree under AdamW, in the order
    (decayed, penalized)?"""
    x, y = regression_batch(seed=8)
    for name, make in OPTIMIZERS.items():
        model = mlp(sizes=(3, 4, 2), seed=9)
        got = call(learner.weight_decay_vs_l2, model, x, y, F.mse_loss, make, 0.2, 4)
        decayed, penalized = got.value
        if name.startswith("AdamW"):
            want = reference.weight_decay_vs_l2(model, x, y, F.mse_loss, make, 0.2, 4)
            compare_states(decayed, want[0], what=f"Called {got.text} with {name}.\nItem 0 must be the copy trained "
                                                  "with weight decay (decayed, penalized):")
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


def batchnorm_model(seed=14):
    """Linear-BatchNorm-Tanh-Linear: a model with buffers (running statistics, a batch count) beside its parameters."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))


@weight_decay_vs_l2.check(points=1, clauses=["returns"])
def test_11_5_state_dicts_hold_the_buffers(learner, reference):
    """For a model with BatchNorm, are both returned dicts full state_dicts: the parameters and the buffers (running
    statistics, batch count), equal to the reference's?"""
    x, y = regression_batch(seed=10)
    make = OPTIMIZERS["SGD(lr=0.1, momentum=0.9)"]
    model = batchnorm_model()
    got = call(learner.weight_decay_vs_l2, model, x, y, F.mse_loss, make, 0.1, 2)
    expected = reference.weight_decay_vs_l2(model, x, y, F.mse_loss, make, 0.1, 2)
    context = f"Called {got.text} on a model with BatchNorm1d."
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"{context}\nIt returned {describe(got.value)}; expected a tuple of two state_dicts (decayed, "
                "penalized).")
    for index, (state, want) in enumerate(zip(got.value, expected)):
        compare_states(state, want, what=f"{context}\nItem {index} must be the copy's state_dict() (parameters "
                                         "and buffers: running_mean, running_var, num_batches_tracked), not a dict "
                                         "of named_parameters():")


# ----------------------------------------------------------------------------------- 11.6 the generalization gap
def digits(n_train=100, n_val=200, seed=0):
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1]: a small training set, so a wide MLP overfits."""
    x, y = load("digits")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    x, y = (x[order] / 16).float(), y[order].long()
    return x[:n_train], y[:n_train], x[n_train:n_train + n_val], y[n_train:n_train + n_val]


@train_and_measure_gap.check(points=2, clauses=["two-phases", "optimizer", "loss", "old-gradients", "measured",
                                                "gap"])
def test_11_6_matches_reference(learner, reference, monkeypatch):
    """From a model holding old gradients, after 5 steps of Adam (betas 0.5, 0.9) with an L2 penalty, are the
    parameters and the two losses the reference's?"""
    use_reference(monkeypatch, learner, reference, "l2_penalty")
    x_train, y_train, x_val, y_val = digits(n_train=70, n_val=45)  # sizes no batch of 16, 32 or 64 divides
    model, twin = mlp(sizes=(64, 16, 10), seed=10), mlp(sizes=(64, 16, 10), seed=10)
    for parameter in (*model.parameters(), *twin.parameters()):
        parameter.grad = torch.full_like(parameter, 0.5)
    got = call(learner.train_and_measure_gap, model, x_train, y_train, x_val, y_val,
               torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.5, 0.9)), 5, 0.01)
    expected = reference.train_and_measure_gap(twin, x_train, y_train, x_val, y_val,
                                               torch.optim.Adam(twin.parameters(), lr=0.01, betas=(0.5, 0.9)), 5, 0.01)
    expect_same_state(model, state_of(twin), what=f"Called {got.text}.", rtol=1e-5, atol=1e-6,
                      hint="Known causes: the L2 penalty left out of the training loss, gradients not cleared before "
                           "each backward (the model came with old ones), or optimizer.step() before loss.backward().")
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected (train_loss, val_loss).")
    expect.close(torch.tensor([float(v) for v in got.value]), torch.tensor(expected), rtol=1e-5, atol=1e-6,
                 what=f"Called {got.text}.\nThe (train_loss, val_loss) it returned: both are the plain mean "
                      "cross-entropy (no penalty) over the whole set, measured after training, train first (a mean "
                      "of batch means is not the mean when the last batch is smaller).")


@train_and_measure_gap.check(points=2, clauses=["train-mode", "eval-mode"])
def test_11_6_modes(learner, reference, monkeypatch):
    """Does it train in training mode with gradients, then measure in eval mode without them?"""
    use_reference(monkeypatch, learner, reference, "l2_penalty")
    x_train, y_train, x_val, y_val = digits(n_train=12, n_val=8, seed=1)
    spy = ModeSpy(mlp(sizes=(64, 8, 10), seed=11))
    spy.eval()  # it must switch to training mode itself
    got = call(learner.train_and_measure_gap, spy, x_train, y_train, x_val, y_val,
               torch.optim.SGD(spy.parameters(), lr=0.1), 3, 0.0)
    training, measuring = spy.records[:3], spy.records[3:]
    expect.that(len(spy.records) >= 4 and all(r == (True, True) for r in training),
                f"Called {got.text}.\nThe model's forward calls ran in: {spy.describe()}. The 3 training steps must "
                "run in training mode with gradients on: call model.train() before the loop.")
    expect.that(len(measuring) >= 1 and all(r == (False, False) for r in measuring),
                f"Called {got.text}.\nThe model's forward calls ran in: {spy.describe()}. After training, the "
                "losses are measured in eval mode (model.eval(): Dropout off) and under torch.no_grad().")


@train_and_measure_gap.check(points=1, clauses=["floats", "default"])
def test_11_6_default_and_floats(learner, reference, monkeypatch):
    """Called without l2 (the default, 0.0), does it train like the reference with l2 = 0 and return two Python
    floats?"""
    use_reference(monkeypatch, learner, reference, "l2_penalty")
    x_train, y_train, x_val, y_val = digits(n_train=12, n_val=8, seed=2)
    model, twin = mlp(sizes=(64, 8, 10), seed=13), mlp(sizes=(64, 8, 10), seed=13)
    got = call(learner.train_and_measure_gap, model, x_train, y_train, x_val, y_val,
               torch.optim.SGD(model.parameters(), lr=0.1), 3)
    expected = reference.train_and_measure_gap(twin, x_train, y_train, x_val, y_val,
                                               torch.optim.SGD(twin.parameters(), lr=0.1), 3, 0.0)
    context = f"Called {got.text}, without l2."
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2
                and all(type(v) is float for v in got.value),
                f"{context}\nIt returned {describe(got.value)}; expected two Python floats (train_loss, val_loss): "
                ".item() of each measured loss.")
    expect.close(torch.tensor(list(got.value)), torch.tensor(expected), rtol=1e-5, atol=1e-6,
                 what=f"{context}\nThe (train_loss, val_loss) it returned, against the reference's with l2 = 0.0:")
    expect_same_state(model, state_of(twin), what=context, rtol=1e-5, atol=1e-6)


@train_and_measure_gap.check(points=2, clauses=["gap", "loss", "measured"])
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
