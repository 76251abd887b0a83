"""Chapter 10, logistic regression: does the classifier train from logits, and are labels, accuracy and boundary right?"""
import math

import torch
from torch import nn

from hypothesis import assume
from hypothesis import strategies as st

from autograder.engine import Exercise, call, curves, expect, generated, mistakes, strategies
from autograder.engine.calls import describe
from autograder.engine.datasets import load
from autograder.engine.devices import DeviceFailure, copies_out_of
from autograder.engine.isolation import use_reference
from autograder.engine.spies import expect_same_state, state_of

train_logistic_regression = Exercise("10.1", "train_logistic_regression", clauses={
    "gradient-descent": "train a binary classifier by full-batch gradient descent on the binary cross-entropy of "
                        "logits.",
    "loss": "model maps x: (N, D) to logits z (N, 1) (no sigmoid inside); y: (N,) of 0.0 / 1.0. For each of `steps` "
            "steps: loss = mean( max(z, 0) - z * y + log(1 + exp(-|z|)) ) = F.binary_cross_entropy_with_logits(z, y)",
    "step": "clear the gradients",
    "old-gradients": "(the model may arrive with old ones in .grad)",
    "order": "backpropagate, optimizer.step()",
    "logits": "The logits go straight into the loss: a sigmoid first would lose precision for confident predictions,",
    "overflow": "and the loss stays exact for |z| past 88, where exp(z) overflows float32.",
    "optimizer": "Use the optimizer you are given (its settings and its state carry over).",
    "before-update": "Returns the loss of every step (before its update)",
    "floats": "as Python floats: a list of length `steps`.",
}, hints=[
    "The loop is the one of Exercise 9.2 with another loss: the binary cross-entropy of the logits.",
    "loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y): no torch.sigmoid before it (that loses "
    "everything beyond |z| of about 17 in float32), and squeeze the (N, 1) logits to match y's (N,).",
], hints_zh=[
    "循环和练习 9.2 一样，只是换成 logit 的二元交叉熵。",
    "loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)：前面不要加 torch.sigmoid（在 float32 中 |z| 超过约 17 的信息会全部丢失），并把 (N, 1) 的 logit 压成与 y 相同的 (N,)。",
])
predict_labels = Exercise("10.2", "predict_labels", clauses={
    "rule": "turn logits into class labels: 1 where P(y = 1 | x) = sigmoid(z) >= threshold, else 0.",
    "dtypes": "logits: (N,) of any floating dtype (float16, bfloat16, float32, float64)",
    "labels": "-> (N,) int64 labels",
    "device": "on the logits' device;",
    "unchanged": "logits is left unchanged.",
    "threshold": "threshold is a probability in (0, 1),",
    "default": "0.5 by default;",
    "tie": "at 0.5 the rule is simply z >= 0 (z = 0 gives label 1).",
}, hints=[
    "The threshold is a probability: compare torch.sigmoid(logits) with it, not the logits themselves.",
    "(torch.sigmoid(logits) >= threshold).long() gives int64 labels of shape (N,) on the logits' device.",
], hints_zh=[
    "阈值是一个概率：拿 torch.sigmoid(logits) 和它比较，而不是拿 logit 本身比较。",
    "(torch.sigmoid(logits) >= threshold).long() 给出形状为 (N,)、位于 logit 所在设备上的 int64 标签。",
])
accuracy = Exercise("10.3", "accuracy", clauses={
    "fraction": "the fraction of samples whose predicted label (predict_labels) equals the target.",
    "shapes": "logits: (N,) or (N, 1), as a model with one output gives them,",
    "dtypes": "of any floating dtype;",
    "targets": "targets: (N,) of 0/1 (float or integer).",
    "threshold": "threshold as in Exercise 10.2,",
    "default": "0.5 by default.",
    "float": "Returns a Python float in [0, 1];",
    "unchanged": "the logits and targets are left unchanged.",
    "broadcast": "Mind the shapes: (N, 1) == (N,) broadcasts to (N, N).",
}, hints=[
    "Flatten the logits to (N,) first (logits.reshape(-1)), then compare predict_labels(...) with the targets.",
    "(predicted == targets.long()).float().mean().item(): a mean of 0/1 matches is the accuracy, as a Python float. "
    "Comparing (N, 1) with (N,) would broadcast to an (N, N) table.",
], hints_zh=[
    "先把 logit 展平成 (N,)（logits.reshape(-1)），再把 predict_labels(...) 与目标比较。",
    "(predicted == targets.long()).float().mean().item()：0/1 匹配结果的均值就是准确率，返回 Python 浮点数。把 (N, 1) 与 (N,) 比较会广播成 (N, N) 的表格。",
])
decision_boundary = Exercise("10.4", "decision_boundary", clauses={
    "line": "the line where a 2-feature logistic regression predicts P(y = 1 | x) = threshold.",
    "inputs": "weight: (2,), bias: () (for nn.Linear(2, 1): model.weight[0] and model.bias[0]), float32 or float64;",
    "threshold": "threshold in (0, 1),",
    "default": "0.5 by default.",
    "formula": "On the boundary w1 * x1 + w2 * x2 + b = logit(threshold) = log(threshold / (1 - threshold)), so x2 = "
               "slope * x1 + intercept, slope = -w1 / w2, intercept = (logit(threshold) - b) / w2.",
    "zero-dim": "Returns (slope, intercept) as 0-dim tensors",
    "dtype-device": "in weight's dtype and on its device (w2 is not zero),",
    "differentiable": "differentiable with respect to weight and bias.",
    "plot": "Plotting this line over the data draws the boundary.",
}, hints=[
    "On the boundary the logit equals logit(threshold) = log(t / (1 - t)), which is 0 for t = 0.5. Solve "
    "w1 * x1 + w2 * x2 + b = logit(t) for x2.",
    "slope = -w1 / w2 and intercept = (logit(t) - b) / w2, kept as tensor operations (no .item()) so they stay on "
    "the weight's device and in the graph.",
], hints_zh=[
    "在边界上，logit 等于 logit(threshold) = log(t / (1 - t))，当 t = 0.5 时为 0。从 w1 * x1 + w2 * x2 + b = logit(t) 解出 x2。",
    "slope = -w1 / w2，intercept = (logit(t) - b) / w2，用张量运算写（不要 .item()），这样结果留在权重所在的设备上，也留在计算图中。",
])

STEP_HINT = ("Known causes: a sigmoid before binary_cross_entropy_with_logits (the loss applies it itself), gradients "
             "not cleared each step, optimizer.step() before loss.backward(), a new optimizer made inside the "
             "function, (N, 1) logits against (N,) targets, or logits squeezed with .squeeze() (no dim), which "
             "also drops N when N = 1: squeeze(1).")


def classification_data(n=10, d=3, seed=0):
    """Seeded features (N, D) and 0/1 float labels (N,) that a linear model can mostly separate."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=generator)  # (N, D)
    y = (x @ torch.linspace(1.0, -1.0, d) + 0.5 * torch.randn(n, generator=generator) > 0).float()  # (N,)
    return x, y


def twins(inputs=3, seed=0):
    """Two nn.Linear(inputs, 1) with the same initial weights: one for the learner, one for the reference."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Linear(inputs, 1)
    twin = nn.Linear(inputs, 1)
    twin.load_state_dict(model.state_dict())
    return model, twin


def breast_cancer(seed=1, n_train=400):
    """scikit-learn's bundled breast-cancer data (569 x 30), split at random, standardized with TRAIN statistics."""
    x, y = load("breast_cancer")
    x, y = x.float(), y.float()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    train, test = order[:n_train], order[n_train:]
    mean, std = x[train].mean(0), x[train].std(0)  # the test set must not leak into the scaling
    return (x[train] - mean) / std, y[train], (x[test] - mean) / std, y[test]


# ---------------------------------------------------------------------------------------------------- 10.1 training
OPTIMIZERS = {
    "SGD(lr=0.5, momentum=0.9)": lambda parameters: torch.optim.SGD(parameters, lr=0.5, momentum=0.9),
    "SGD(lr=0.3)": lambda parameters: torch.optim.SGD(parameters, lr=0.3),
    "Adam(lr=0.1)": lambda parameters: torch.optim.Adam(parameters, lr=0.1),
}


def with_old_gradients(*models):
    """Every parameter holds the same stale .grad, as a model fresh from other training does."""
    for model in models:
        for parameter in model.parameters():
            parameter.grad = torch.full_like(parameter, 0.75)


@train_logistic_regression.check(points=3, clauses=["gradient-descent", "loss", "step", "old-gradients", "order",
                                                    "optimizer", "before-update"])
@generated.examples(samples=st.integers(1, 12), optimizer=st.sampled_from(sorted(OPTIMIZERS)),
                    steps=st.integers(1, 4), scale=st.sampled_from([1.0, 4.0]), seed=st.integers(0, 1000),
                    max_examples=8)
def test_10_1_steps_equal_reference(learner, reference, samples, optimizer, steps, scale, seed):
    """From a model holding old gradients, do a few steps with the given optimizer (SGD with and without momentum,
    Adam; it arrives with state from an earlier step) give the reference's losses and parameters, step for step, for
    any N (a single sample too)?"""
    x, y = classification_data(n=samples, seed=seed)
    x = x * scale  # (N, D): larger features give more confident logits
    model, twin = twins(seed=seed)
    with_old_gradients(model, twin)
    mine, theirs = OPTIMIZERS[optimizer](model.parameters()), OPTIMIZERS[optimizer](twin.parameters())
    for used in (mine, theirs):
        used.step()  # one earlier step: the optimizer arrives with state (momentum, Adam's moments) to carry over
    got = call(learner.train_logistic_regression, model, x, y, mine, steps)
    expected = reference.train_logistic_regression(twin, x, y, theirs, steps)
    context = (f"Called {got.text} with optimizer {optimizer} (it has taken one step before), on a model whose "
               "parameters hold old gradients.")
    losses = expect.float_list(got, steps, what=context)
    expect.close(torch.tensor(losses), torch.tensor(expected), rtol=1e-5, atol=1e-6,
                 what=f"{context}\nThe losses it recorded (one per step, before the update):\n{STEP_HINT}")
    expect_same_state(model, state_of(twin), what=context, hint=STEP_HINT, rtol=1e-5, atol=1e-6)


def _infinite_first(losses) -> bool:
    """Is the first recorded loss inf or nan (log(sigmoid(z)) by hand at a confident logit)?"""
    try:
        return not math.isfinite(float(losses[0]))
    except Exception:  # noqa: BLE001 - whatever came back, the check's own message says what was wrong
        return False


@train_logistic_regression.check(points=2, clauses=["logits", "overflow"])
def test_10_1_confident_logits(learner, reference):
    """With logits of +-120 (some on the wrong side), past float32's exp overflow at 88, are the loss and the step
    exact, not clipped by a sigmoid?"""
    x = torch.tensor([[2.0, 1.0], [-2.0, 0.5], [1.5, -1.0], [-1.0, 2.0]])  # (4, 2)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])  # the first two are confidently wrong, the last two confidently right
    model, twin = twins(inputs=2)
    for m in (model, twin):
        with torch.no_grad():
            m.weight.copy_(torch.tensor([[60.0, 0.0]]))
            m.bias.zero_()
    got = call(learner.train_logistic_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=1e-3), 1)
    expected = reference.train_logistic_regression(twin, x, y, torch.optim.SGD(twin.parameters(), lr=1e-3), 1)
    losses = got.value
    expect.that(isinstance(losses, list) and len(losses) == 1 and abs(float(losses[0]) - expected[0]) < 1e-3,
                f"Called {got.text} with logits (120, -120, 90, -60) and labels (0, 1, 1, 0).\nIt recorded the loss "
                f"{losses!r}; expected [{expected[0]:.4f}] (= (120 + 120 + 0 + 0) / 4, nearly). torch.sigmoid(120.) "
                "is exactly 1.0 in float32, so sigmoid followed by BCELoss takes log(0) (clipped to -100), sigmoid "
                "followed by BCEWithLogits applies the sigmoid twice, and log(1 + exp(z)) by hand overflows to inf "
                "past z = 88. " + mistakes.describe("log_sigmoid_unstable" if _infinite_first(losses)
                                                    else "sigmoid_before_logits_loss"))
    expect_same_state(model, state_of(twin), what=f"Called {got.text} with logits of +-120.", hint=STEP_HINT,
                      rtol=1e-5, atol=1e-6)


@train_logistic_regression.check(points=1, clauses=["floats"])
def test_10_1_returns_floats(learner):
    """Does train_logistic_regression return a list of `steps` Python floats (not tensors that keep graphs alive)?"""
    for steps in (4, 1):
        x, y = classification_data(n=8, seed=1)
        model, _ = twins(seed=1)
        got = call(learner.train_logistic_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.1),
                   steps)
        expect.float_list(got, steps)


@train_logistic_regression.check(points=1, clauses=["loss", "floats"])
def test_10_1_zero_steps(learner):
    """With steps = 0, does train_logistic_regression return [] and leave the model as it was?"""
    x, y = classification_data(n=8, seed=2)
    model, _ = twins(seed=2)
    with_old_gradients(model)
    before = state_of(model)
    got = call(learner.train_logistic_regression, model, x, y,
               torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9), 0)
    expect.float_list(got, 0, what=f"Called {got.text}: zero steps.")
    expect_same_state(model, before, what=f"Called {got.text}: zero steps, so no update at all.",
                      hint="The loop runs `steps` times: range(steps), not a loop that always takes a first step.")


@train_logistic_regression.check(points=2, clauses=["gradient-descent", "loss"])
def test_10_1_breast_cancer_floor(learner, reference):
    """On breast-cancer data (400 train, 169 held out), does training cut the loss 10x and reach >= 95% accuracy?"""
    x_train, y_train, x_test, y_test = breast_cancer()
    model, twin = twins(inputs=30, seed=1)
    got = call(learner.train_logistic_regression, model, x_train, y_train, torch.optim.SGD(model.parameters(), lr=1.0),
               150)
    losses = expect.float_list(got, 150)
    curves.record_against("training loss", losses, lambda: reference.train_logistic_regression(
        twin, x_train, y_train, torch.optim.SGD(twin.parameters(), lr=1.0), 150))
    expect.that(losses[-1] < 0.1 * losses[0],
                f"Called {got.text} on the standardized breast-cancer training set.\nThe loss went from "
                f"{losses[0]:.4g} to {losses[-1]:.4g}; the reference gets below a tenth of the start.")
    with torch.no_grad():
        held_out = reference.accuracy(model(x_test), y_test)
    expect.that(held_out >= 0.95,
                f"Called {got.text} on the standardized breast-cancer training set.\nThe trained model classifies "
                f"{held_out:.1%} of the 169 held-out patients correctly; expected at least 95%.")


# ------------------------------------------------------------------------------------------------------ 10.2 labels
THRESHOLDS = st.one_of(st.sampled_from([0.5, 0.1, 0.3, 0.7, 0.9]), st.floats(0.02, 0.98))
LOGITS = strategies.values(20.0, special=(0.0, 0.25, -0.25, 1.5, -1.5, 100.0, -100.0, 1e4, -1e4))


def required_labels(logits, threshold):
    """The labels the rule fixes, from exact (float64) probabilities: 1, 0, or -1 where sigmoid(z) is within the
    logits' rounding of the threshold (there either label is right: z >= logit(t) and sigmoid(z) >= t may differ).
    The one tie the docstring fixes is z = 0 at 0.5 (label 1); a tiny negative z (-1e-20), whose float64 sigmoid
    rounds to 0.5, is in the band: z >= 0 gives it 0, sigmoid(z) >= 0.5 gives it 1, and both are right."""
    z = logits.detach().cpu().double()  # (N,)
    probability = torch.sigmoid(z)
    band = 2 * torch.finfo(logits.dtype).eps
    labels = torch.full(probability.shape, -1, dtype=torch.int64)
    labels[probability >= threshold + band] = 1
    labels[probability < threshold - band] = 0
    if threshold == 0.5:
        labels[z == 0] = 1  # the exact tie: z = 0 (or -0.0) is label 1
    return labels


def expect_labels(got, logits, threshold, context):
    expect.tensor_like(got.value, torch.empty(logits.shape, dtype=torch.int64, device=logits.device), what=context)
    want = required_labels(logits, threshold)
    decided = want >= 0
    wrong = (got.value.cpu() != want) & decided
    if wrong.any():
        index = int(wrong.nonzero()[0])
        z = logits[index].item()
        raise AssertionError(
            f"{context}\nAt index {index}, logit z = {z!r} (sigmoid(z) = {torch.sigmoid(torch.tensor(z, dtype=torch.float64)).item():.6g}"
            f") it gave label {int(got.value[index])}; expected {int(want[index])}: the label is 1 exactly when "
            f"sigmoid(z) >= threshold = {threshold!r} (at 0.5: z >= 0, and z = 0 is label 1). The threshold is a "
            "probability: compare torch.sigmoid(logits) with it (or the logits with log(t / (1 - t))), never the "
            "logits with t itself.")


@predict_labels.check(points=2, clauses=["rule", "dtypes", "labels", "threshold", "default", "tie", "unchanged"])
@generated.examples(logits=strategies.tensors(strategies.shapes(1, max_size=9), dtype=strategies.float_dtypes(),
                                              elements=LOGITS),
                    threshold=st.one_of(st.none(), THRESHOLDS), max_examples=20)
def test_10_2_matches_the_rule(learner, logits, threshold):
    """For logits of every floating dtype (ties at 0, |z| past 88) and thresholds in (0, 1) (or the default), is the
    label int64, 1 exactly where sigmoid(z) >= threshold, and are the logits left as they were?"""
    original, version = logits.clone(), logits._version
    got = call(learner.predict_labels, logits) if threshold is None else call(learner.predict_labels, logits, threshold)
    expect.unchanged(logits, original, version, what=f"Called {got.text}.\nThe logits it was given changed.")
    expect_labels(got, original, 0.5 if threshold is None else threshold,
                  f"Called {got.text}{' (the default threshold, 0.5)' if threshold is None else ''}.")


@predict_labels.check(points=1, clauses=["device", "tie"])
def test_10_2_on_device(learner, reference, device):
    """At threshold 0.5, does predict_labels give int64 labels (N,) on the logits' device, 1 exactly when z >= 0?"""
    logits = torch.tensor([-3.0, 0.0, 0.2, -0.1, 7.5, -1e3, 1e3]).to(device)  # z = 0 is P = 0.5: label 1
    with copies_out_of(device):  # a detour through the cpu (.cpu(), numpy) ends there, which meta can then prove
        got = call(learner.predict_labels, logits)
    returned = getattr(got.value, "device", None)
    if returned is not None and returned != torch.device(device):
        raise DeviceFailure(f"Called {got.text}.\nThe labels are on {returned}; expected them on {device}, the "
                            "logits' device: no .cpu() at the end.")
    expect.close(got, reference.predict_labels(logits))
    if device.type == "cpu":  # labels built without device= (torch.tensor(list), torch.zeros(N)) land on the default
        try:
            with torch.device("meta"):
                made = call(learner.predict_labels, logits)
        except AssertionError:  # meta could not run it (a cpu tensor beside a meta one): that proves nothing here
            made = None
        landed = getattr(made.value, "device", None) if made is not None else None
        if landed is not None and landed != logits.device:
            raise DeviceFailure(f"Called {made.text} with meta as the default device.\nThe labels came back on "
                                f"{landed}; expected them on {logits.device}, the logits' device. "
                                + mistakes.describe("tensor_on_default_device"))


@predict_labels.check(points=2, clauses=["threshold", "rule"])
def test_10_2_threshold_is_a_probability(learner, reference):
    """Is the threshold compared with the probability sigmoid(z), not with the logit z, and to the logits' own
    precision (float32 and float64 logits just either side of logit(threshold))?"""
    logits = torch.tensor([0.3, -0.3, 1.0, 2.0, -1.2, 0.6])  # sigmoid: 0.57, 0.43, 0.73, 0.88, 0.23, 0.65
    for threshold in (0.5, 0.7, 0.3):
        got = call(learner.predict_labels, logits, threshold)
        expect.close(got, reference.predict_labels(logits, threshold),
                     what=f"Called {got.text} with threshold {threshold}; sigmoid(logits) = "
                          f"{[round(p, 2) for p in torch.sigmoid(logits).tolist()]}.\nThe threshold is a "
                          "probability: compare torch.sigmoid(logits) with it (or the logits with "
                          "log(t / (1 - t))), never the logits with t itself.")
    for dtype in (torch.float32, torch.float64):
        for threshold in (0.5, 0.7, 0.3, 0.95):
            level = math.log(threshold / (1 - threshold))
            logits = (level + torch.linspace(-2e-3, 2e-3, 41, dtype=torch.float64)).to(dtype)  # sigmoid within 5e-4 of t
            got = call(learner.predict_labels, logits, threshold)
            expect_labels(got, logits, threshold,
                          f"Called {got.text}: {dtype} logits within 2e-3 of logit({threshold}) = {level:.6f}.\n"
                          "Labels so close to the threshold need the logits' own precision: a sigmoid computed in "
                          "float16 or bfloat16 (logits.half()) rounds these probabilities onto the threshold.")


# ---------------------------------------------------------------------------------------------------- 10.3 accuracy
@st.composite
def accuracy_cases(draw):
    """(logits (N,) or (N, 1) of any floating dtype, 0/1 targets float or int64, threshold or None for the default),
    with no logit so close to the threshold that rounding decides its label."""
    count = draw(st.integers(1, 9))
    logits = draw(strategies.tensors((count,), dtype=strategies.float_dtypes(), elements=LOGITS))
    threshold = draw(st.one_of(st.none(), THRESHOLDS))
    assume(bool((required_labels(logits, 0.5 if threshold is None else threshold) >= 0).all()))
    targets = torch.tensor(draw(st.lists(st.integers(0, 1), min_size=count, max_size=count)))
    targets = targets.to(draw(st.sampled_from([torch.float32, torch.int64, torch.float64])))
    if draw(st.booleans()):
        logits = logits.unsqueeze(1)  # (N, 1), as nn.Linear(D, 1) gives them
    return logits, targets, threshold


@accuracy.check(points=2, clauses=["fraction", "shapes", "dtypes", "targets", "threshold", "default", "float",
                                   "unchanged", "broadcast"])
@generated.examples(case=accuracy_cases(), max_examples=20)
def test_10_3_matches_the_rule(learner, reference, monkeypatch, case):
    """For (N,) and (N, 1) logits of every floating dtype, float and integer targets, and any threshold (or the
    default), is the accuracy the fraction of right labels, as a Python float, with the inputs left alone?"""
    use_reference(monkeypatch, learner, reference, "predict_labels")
    logits, targets, threshold = case
    originals = [(t.clone(), t._version) for t in (logits, targets)]
    arguments = (logits, targets) if threshold is None else (logits, targets, threshold)
    got = call(learner.accuracy, *arguments)
    context = f"Called {got.text}{' (the default threshold, 0.5)' if threshold is None else ''}."
    for name, tensor, (original, version) in zip(("logits", "targets"), (logits, targets), originals):
        expect.that(tensor.shape == original.shape, f"{context}\nThe {name} it was given changed shape to "
                                                    f"{tuple(tensor.shape)}: reshape a copy (logits.reshape(-1)), "
                                                    "not the caller's tensor (squeeze_).")
        expect.unchanged(tensor, original, version, what=f"{context}\nThe {name} it was given changed.")
    labels = required_labels(logits.reshape(-1), 0.5 if threshold is None else threshold)
    right = int((labels == targets.long()).sum())
    expected = right / len(targets)
    expect.that(type(got.value) is float,
                f"{context}\nIt returned {describe(got.value)} (type {type(got.value).__name__}); expected a Python "
                "float (.item() of the mean).")
    broadcast = (labels.reshape(logits.shape) == targets.long()).float().mean().item()
    expect.that(abs(got.value - expected) < 1e-6,
                f"{context}\nIt returned {got.value:.4f}; expected {expected:.4f} ({right} right out of "
                f"{len(targets)}). " + ("That is the mean over an (N, N) table: (N, 1) predictions compared with (N,) "
                                        "targets broadcast. Flatten the logits first."
                                        if logits.dim() == 2 and abs(got.value - broadcast) < 1e-6 else
                                        "Accuracy is the number of matching labels divided by N; pass the threshold "
                                        "on to predict_labels, and compare with targets.long()."))


@accuracy.check(points=2, clauses=["broadcast", "shapes", "float"])
def test_10_3_column_logits(learner, reference, monkeypatch):
    """Given (N, 1) logits, as nn.Linear(D, 1) returns them, and (N,) float targets, is the accuracy a float in [0, 1]?"""
    use_reference(monkeypatch, learner, reference, "predict_labels")
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-0.2], [3.0], [-4.0], [0.1]])  # (7, 1)
    targets = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0])  # 5 of 7 right
    got = call(learner.accuracy, logits, targets)
    expect.that(type(got.value) is float,
                f"Called {got.text}.\nIt returned {type(got.value).__name__} {got.value!r}; expected a Python float "
                "(.item() of the mean).")
    expected = reference.accuracy(logits, targets)
    broadcast = (reference.predict_labels(logits) == targets).float().mean().item()  # (7, 1) == (7,) is (7, 7)
    expect.that(abs(got.value - expected) < 1e-6,
                f"Called {got.text}.\nIt returned {got.value:.4f}; expected {expected:.4f} (5 right out of 7). "
                + ("That is the mean over an (N, N) table: (N, 1) predictions compared with (N,) targets broadcast. "
                   "Flatten the logits first." if abs(got.value - broadcast) < 1e-6 else
                   "Accuracy is the number of matching labels divided by N."))


@accuracy.check(points=1, clauses=["threshold", "targets", "fraction"])
def test_10_3_threshold_and_integer_targets(learner, reference, monkeypatch):
    """With (N,) logits, int64 targets and threshold 0.7, does accuracy use the threshold it is given? And is the
    fraction exact for N = 5000 (counts past 2048, where float16 stops counting in steps of 1)?"""
    use_reference(monkeypatch, learner, reference, "predict_labels")
    logits = torch.tensor([0.5, 1.2, -0.3, 2.0, 0.9, -2.0])  # sigmoid: 0.62, 0.77, 0.43, 0.88, 0.71, 0.12
    targets = torch.tensor([0, 1, 0, 1, 1, 0])
    got = call(learner.accuracy, logits, targets, 0.7)
    expected = reference.accuracy(logits, targets, 0.7)
    expect.that(isinstance(got.value, float) and abs(got.value - expected) < 1e-6,
                f"Called {got.text}.\nIt returned {got.value!r}; expected {expected:.4f}. Pass the threshold on to "
                "predict_labels, and compare the labels with targets.long() (the targets may be float or int).")
    logits = torch.linspace(-3.0, 3.0, 5000)  # labels: 2500 zeros, then 2500 ones
    targets = torch.zeros(5000, dtype=torch.int64)
    targets[:3] = 1  # 2500 + 3 mismatches: 2497 right
    got = call(learner.accuracy, logits, targets)
    expected = reference.accuracy(logits, targets)
    expect.that(isinstance(got.value, float) and abs(got.value - expected) < 1e-6,
                f"Called {got.text}.\nIt returned {got.value!r}; expected {expected:.6f} ({round(expected * 5000)} "
                "right out of 5000). Count (or average) in float32 or wider: float16 (and bfloat16) cannot hold "
                "every integer past 2048 (256), so a count made in them is rounded.")


# ------------------------------------------------------------------------------------------ 10.4 decision boundary
@st.composite
def boundary_cases(draw):
    """weight (2,) with w2 away from 0 (w1 may be exactly 0), bias (), float32 or float64; threshold or None."""
    dtype = draw(strategies.float_dtypes(low_precision=False))
    w1 = draw(strategies.values(5.0, special=(0.0, 1.0, -1.0)))
    w2 = draw(st.floats(0.2, 5.0)) * draw(st.sampled_from([1.0, -1.0]))
    bias = draw(strategies.values(5.0, special=(0.0, 2.5)))
    threshold = draw(st.one_of(st.none(), THRESHOLDS))
    return torch.tensor([w1, w2], dtype=dtype), torch.tensor(bias, dtype=dtype), threshold


@decision_boundary.check(points=2, clauses=["line", "inputs", "threshold", "default", "formula", "zero-dim",
                                            "dtype-device", "plot"])
@generated.examples(case=boundary_cases(), max_examples=20)
def test_10_4_points_on_the_line(learner, case):
    """For any weight (w1 = 0 included, w2 of either sign), bias and threshold (or the default), are slope and
    intercept 0-dim tensors in weight's dtype, and does the model give probability `threshold` all along the line?"""
    weight, bias, threshold = case
    got = call(learner.decision_boundary, weight, bias) if threshold is None else \
        call(learner.decision_boundary, weight, bias, threshold)
    level = 0.5 if threshold is None else threshold
    context = f"Called {got.text}{' (the default threshold, 0.5)' if threshold is None else ''}."
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"{context}\nIt returned {describe(got.value)}; expected a tuple (slope, intercept).")
    for name, value in zip(("slope", "intercept"), got.value):
        expect.tensor_like(value, torch.empty((), dtype=weight.dtype), what=f"{context}\nThe {name}:")
    slope, intercept = (v.double() for v in got.value)
    x1 = torch.linspace(-3, 3, 5, dtype=torch.float64)
    points = torch.stack([x1, slope * x1 + intercept], dim=1)  # (5, 2)
    logits = points @ weight.double() + bias.double()  # (5,)
    want = math.log(level / (1 - level))
    tolerance = 1e-4 if weight.dtype == torch.float32 else 1e-6  # a float32 logit(threshold) is still right
    expect.that(torch.allclose(logits, torch.full_like(logits, want), atol=tolerance * (1 + abs(want) + 10 * weight.abs().max().item())),
                f"{context}\nAt the points (x1, slope * x1 + intercept) for x1 = -3 ... 3 the model predicts P(y = 1) = "
                f"{[round(p, 4) for p in torch.sigmoid(logits).tolist()]}; on the boundary it must be {level}. Check "
                "the signs (slope = -w1 / w2), that b is subtracted, and that the level is logit(threshold) = "
                "log(t / (1 - t)), not the threshold itself.")


@decision_boundary.check(points=1, clauses=["dtype-device", "zero-dim"])
def test_10_4_on_device(learner, reference, device):
    """Does decision_boundary return (slope, intercept) as 0-dim tensors on the weight's device, equal to the
    reference's?"""
    weight, bias = torch.tensor([1.5, -0.5]).to(device), torch.tensor(0.75).to(device)
    with copies_out_of(device):  # a detour through the cpu (.cpu(), .item(), numpy) ends there, which meta proves
        got = call(learner.decision_boundary, weight, bias, 0.8)
    if isinstance(got.value, (tuple, list)):
        for name, value in zip(("slope", "intercept"), got.value):
            returned = getattr(value, "device", None)
            if returned is not None and returned != torch.device(device):
                raise DeviceFailure(f"Called {got.text}.\nThe {name} is on {returned}; expected it on {device}, the "
                                    "weight's device: keep the work there (no .cpu() of weight or bias on the way).")
    for threshold in (0.5, 0.8):
        expect.close(call(learner.decision_boundary, weight, bias, threshold),
                     reference.decision_boundary(weight, bias, threshold), rtol=1e-5, atol=1e-6)


@decision_boundary.check(points=1, clauses=["differentiable"])
def test_10_4_differentiable(learner):
    """Are slope and intercept differentiable functions of weight and bias (float64 gradcheck)?"""
    weight = torch.tensor([0.9, -1.7], dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    got = call(learner.decision_boundary, weight, bias, 0.7)
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (slope, intercept).")
    expect.connected(got.value[0], {"weight": weight}, what=f"Called {got.text}; the slope:")
    expect.connected(got.value[1], {"weight": weight, "bias": bias}, what=f"Called {got.text}; the intercept:")
    expect.gradients_correct(lambda weight, bias: tuple(learner.decision_boundary(weight, bias, 0.7)),
                             {"weight": weight, "bias": bias}, what=f"Called {got.text}.")
