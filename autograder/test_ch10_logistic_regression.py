"""Chapter 10, logistic regression: does the classifier train from logits, and are labels, accuracy and boundary right?"""
import math

import torch
from torch import nn

from autograder.engine import Exercise, call, curves, expect, mistakes
from autograder.engine.datasets import load
from autograder.engine.isolation import use_reference
from autograder.engine.spies import expect_same_state, state_of

train_logistic_regression = Exercise("10.1", "train_logistic_regression", hints=[
    "The loop is the one of Exercise 9.2 with another loss: the binary cross-entropy of the logits.",
    "loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y): no torch.sigmoid before it (that loses "
    "everything beyond |z| of about 17 in float32), and squeeze the (N, 1) logits to match y's (N,).",
], hints_zh=[
    "循环和练习 9.2 一样，只是换成 logit 的二元交叉熵。",
    "loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)：前面不要加 torch.sigmoid（在 float32 中 |z| 超过约 17 的信息会全部丢失），并把 (N, 1) 的 logit 压成与 y 相同的 (N,)。",
])
predict_labels = Exercise("10.2", "predict_labels", hints=[
    "The threshold is a probability: compare torch.sigmoid(logits) with it, not the logits themselves.",
    "(torch.sigmoid(logits) >= threshold).long() gives int64 labels of shape (N,) on the logits' device.",
], hints_zh=[
    "阈值是一个概率：拿 torch.sigmoid(logits) 和它比较，而不是拿 logit 本身比较。",
    "(torch.sigmoid(logits) >= threshold).long() 给出形状为 (N,)、位于 logit 所在设备上的 int64 标签。",
])
accuracy = Exercise("10.3", "accuracy", hints=[
    "Flatten the logits to (N,) first (logits.reshape(-1)), then compare predict_labels(...) with the targets.",
    "(predicted == targets.long()).float().mean().item(): a mean of 0/1 matches is the accuracy, as a Python float. "
    "Comparing (N, 1) with (N,) would broadcast to an (N, N) table.",
], hints_zh=[
    "先把 logit 展平成 (N,)（logits.reshape(-1)），再把 predict_labels(...) 与目标比较。",
    "(predicted == targets.long()).float().mean().item()：0/1 匹配结果的均值就是准确率，返回 Python 浮点数。把 (N, 1) 与 (N,) 比较会广播成 (N, N) 的表格。",
])
decision_boundary = Exercise("10.4", "decision_boundary", hints=[
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
             "function, or (N, 1) logits against (N,) targets.")


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
@train_logistic_regression.check(points=3)
def test_10_1_steps_equal_reference(learner, reference):
    """Do 3 steps of SGD with momentum give the reference's losses and parameters, step for step?"""
    x, y = classification_data()
    model, twin = twins()
    got = call(learner.train_logistic_regression, model, x, y,
               torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9), 3)
    expected = reference.train_logistic_regression(twin, x, y, torch.optim.SGD(twin.parameters(), lr=0.5, momentum=0.9),
                                                   3)
    losses = got.value
    expect.that(isinstance(losses, list) and len(losses) == 3,
                f"Called {got.text}.\nIt returned {type(losses).__name__}; expected a list of 3 losses, one per step.")
    expect.close(torch.tensor([float(v) for v in losses]), torch.tensor(expected), rtol=1e-5, atol=1e-6,
                 what=f"Called {got.text}.\nThe losses it recorded (one per step, before the update):\n{STEP_HINT}")
    expect_same_state(model, state_of(twin), what=f"Called {got.text}.", hint=STEP_HINT, rtol=1e-5, atol=1e-6)


def _infinite_first(losses) -> bool:
    """Is the first recorded loss inf or nan (log(sigmoid(z)) by hand at a confident logit)?"""
    try:
        return not math.isfinite(float(losses[0]))
    except Exception:  # noqa: BLE001 - whatever came back, the check's own message says what was wrong
        return False


@train_logistic_regression.check(points=2)
def test_10_1_confident_logits(learner, reference):
    """With logits of +-60 (some on the wrong side), are the loss and the step exact, not clipped by a sigmoid?"""
    x = torch.tensor([[2.0, 1.0], [-2.0, 0.5], [1.5, -1.0], [-1.0, 2.0]])  # (4, 2)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])  # the first two are confidently wrong, the last two confidently right
    model, twin = twins(inputs=2)
    for m in (model, twin):
        with torch.no_grad():
            m.weight.copy_(torch.tensor([[30.0, 0.0]]))
            m.bias.zero_()
    got = call(learner.train_logistic_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=1e-3), 1)
    expected = reference.train_logistic_regression(twin, x, y, torch.optim.SGD(twin.parameters(), lr=1e-3), 1)
    losses = got.value
    expect.that(isinstance(losses, list) and len(losses) == 1 and abs(float(losses[0]) - expected[0]) < 1e-3,
                f"Called {got.text} with logits (60, -60, 45, -30) and labels (0, 1, 1, 0).\nIt recorded the loss "
                f"{losses!r}; expected [{expected[0]:.4f}] (= (60 + 60 + 0 + 0) / 4, nearly). torch.sigmoid(60.) is "
                "exactly 1.0 in float32, so sigmoid followed by BCELoss takes log(0) (clipped to -100), and sigmoid "
                "followed by BCEWithLogits applies the sigmoid twice. "
                + mistakes.describe("log_sigmoid_unstable" if _infinite_first(losses)
                                    else "sigmoid_before_logits_loss"))
    expect_same_state(model, state_of(twin), what=f"Called {got.text} with logits of +-60.", hint=STEP_HINT,
                      rtol=1e-5, atol=1e-6)


@train_logistic_regression.check(points=1)
def test_10_1_returns_floats(learner):
    """Does train_logistic_regression return a list of `steps` Python floats (not tensors that keep graphs alive)?"""
    x, y = classification_data(n=8, seed=1)
    model, _ = twins(seed=1)
    got = call(learner.train_logistic_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.1), 4)
    expect.float_list(got, 4)


@train_logistic_regression.check(points=2)
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
@predict_labels.check(points=2)
def test_10_2_matches_reference(learner, reference, device):
    """At threshold 0.5, does predict_labels give int64 labels (N,) on the logits' device, 1 exactly when z >= 0?"""
    logits = torch.tensor([-3.0, 0.0, 0.2, -0.1, 7.5, -1e3, 1e3]).to(device)  # z = 0 is P = 0.5: label 1
    expect.close(call(learner.predict_labels, logits), reference.predict_labels(logits))


@predict_labels.check(points=2)
def test_10_2_threshold_is_a_probability(learner, reference):
    """Is the threshold compared with the probability sigmoid(z), not with the logit z?"""
    logits = torch.tensor([0.3, -0.3, 1.0, 2.0, -1.2, 0.6])  # sigmoid: 0.57, 0.43, 0.73, 0.88, 0.23, 0.65
    for threshold in (0.5, 0.7, 0.3):
        got = call(learner.predict_labels, logits, threshold)
        expect.close(got, reference.predict_labels(logits, threshold),
                     what=f"Called {got.text} with threshold {threshold}; sigmoid(logits) = "
                          f"{[round(p, 2) for p in torch.sigmoid(logits).tolist()]}.\nThe threshold is a "
                          "probability: compare torch.sigmoid(logits) with it (or the logits with "
                          "log(t / (1 - t))), never the logits with t itself.")


# ---------------------------------------------------------------------------------------------------- 10.3 accuracy
@accuracy.check(points=2)
def test_10_3_column_logits(learner, reference, monkeypatch):
    """Given (N, 1) logits, as nn.Linear(D, 1) returns them, and (N,) float targets, is the accuracy a float in [0, 1]?"""
    use_reference(monkeypatch, learner, reference, "predict_labels")
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-0.2], [3.0], [-4.0], [0.1]])  # (7, 1)
    targets = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0])  # 5 of 7 right
    got = call(learner.accuracy, logits, targets)
    expect.that(isinstance(got.value, float),
                f"Called {got.text}.\nIt returned {type(got.value).__name__} {got.value!r}; expected a Python float "
                "(.item() of the mean).")
    expected = reference.accuracy(logits, targets)
    broadcast = (reference.predict_labels(logits) == targets).float().mean().item()  # (7, 1) == (7,) is (7, 7)
    expect.that(abs(got.value - expected) < 1e-6,
                f"Called {got.text}.\nIt returned {got.value:.4f}; expected {expected:.4f} (5 right out of 7). "
                + ("That is the mean over an (N, N) table: (N, 1) predictions compared with (N,) targets broadcast. "
                   "Flatten the logits first." if abs(got.value - broadcast) < 1e-6 else
                   "Accuracy is the number of matching labels divided by N."))


@accuracy.check(points=1)
def test_10_3_threshold_and_integer_targets(learner, reference, monkeypatch):
    """With (N,) logits, int64 targets and threshold 0.7, does accuracy use the threshold it is given?"""
    use_reference(monkeypatch, learner, reference, "predict_labels")
    logits = torch.tensor([0.5, 1.2, -0.3, 2.0, 0.9, -2.0])  # sigmoid: 0.62, 0.77, 0.43, 0.88, 0.71, 0.12
    targets = torch.tensor([0, 1, 0, 1, 1, 0])
    got = call(learner.accuracy, logits, targets, 0.7)
    expected = reference.accuracy(logits, targets, 0.7)
    expect.that(isinstance(got.value, float) and abs(got.value - expected) < 1e-6,
                f"Called {got.text}.\nIt returned {got.value!r}; expected {expected:.4f}. Pass the threshold on to "
                "predict_labels, and compare the labels with targets.long() (the targets may be float or int).")


# ------------------------------------------------------------------------------------------ 10.4 decision boundary
@decision_boundary.check(points=2)
def test_10_4_matches_reference(learner, reference, device):
    """Does decision_boundary return (slope, intercept) as 0-dim tensors equal to the reference's?"""
    weight, bias = torch.tensor([1.5, -0.5]).to(device), torch.tensor(0.75).to(device)
    for threshold in (0.5, 0.8):
        expect.close(call(learner.decision_boundary, weight, bias, threshold),
                     reference.decision_boundary(weight, bias, threshold), rtol=1e-5, atol=1e-6)


@decision_boundary.check(points=2)
def test_10_4_points_on_the_line(learner):
    """Does the model give probability exactly `threshold` at every point of the returned line?"""
    weight, bias = torch.tensor([0.8, 2.0], dtype=torch.float64), torch.tensor(-1.3, dtype=torch.float64)
    x1 = torch.linspace(-3, 3, 5, dtype=torch.float64)
    for threshold in (0.5, 0.25):
        got = call(learner.decision_boundary, weight, bias, threshold)
        slope, intercept = (torch.as_tensor(v, dtype=torch.float64) for v in got.value)
        points = torch.stack([x1, slope * x1 + intercept], dim=1)  # (5, 2)
        probabilities = torch.sigmoid(points @ weight + bias)
        expect.that(torch.allclose(probabilities, torch.full_like(probabilities, threshold), atol=1e-9),
                    f"Called {got.text}.\nAt the points (x1, slope * x1 + intercept) for x1 = -3 ... 3 the model "
                    f"predicts P(y = 1) = {[round(p, 4) for p in probabilities.tolist()]}; on the boundary it must be "
                    f"{threshold}. Check the signs (slope = -w1 / w2), that b is subtracted, and that the level is "
                    "logit(threshold) = log(t / (1 - t)), not the threshold itself.")


@decision_boundary.check(points=1)
def test_10_4_differentiable(learner):
    """Are slope and intercept differentiable functions of weight and bias (float64 gradcheck)?"""
    weight = torch.tensor([0.9, -1.7], dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    got = call(learner.decision_boundary, weight, bias, 0.7)
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (slope, intercept).")
    expect.connected(got.value[1], {"weight": weight, "bias": bias}, what=f"Called {got.text}; the intercept:")
    expect.gradients_correct(lambda weight, bias: tuple(learner.decision_boundary(weight, bias, 0.7)),
                             {"weight": weight, "bias": bias}, what=f"Called {got.text}.")
