"""Chapter 09, linear regression: does the closed form solve least squares, does gradient descent reach it, is R^2 right?"""
import numpy as np
import torch
from torch import nn

from autograder.engine import Exercise, call, curves, expect
from autograder.engine.datasets import load
from autograder.engine.spies import expect_same_state, state_of

least_squares = Exercise("9.1", "least_squares", hints=[
    "Put a column of ones in front of x (torch.cat([ones, x], dim=1)): the bias becomes the weight of that column.",
    "theta = torch.linalg.lstsq(X1, y.unsqueeze(1)).solution.squeeze(1) is (D + 1,): the bias is theta[0] and the "
    "weights are theta[1:]. Make the ones with dtype=x.dtype and device=x.device.",
], hints_zh=[
    "在 x 前面拼一列 1（torch.cat([ones, x], dim=1)）：偏置就成了这一列的权重。",
    "theta = torch.linalg.lstsq(X1, y.unsqueeze(1)).solution.squeeze(1) 的形状是 (D + 1,)：偏置是 theta[0]，权重是 theta[1:]。创建那列 1 时用 dtype=x.dtype 和 device=x.device。",
])
fit_linear_regression = Exercise("9.2", "fit_linear_regression", hints=[
    "Each step is the same five moves: zero_grad, forward, loss, backward, step. Use the optimizer you were given.",
    "model(x) is (N, 1) and y is (N,): subtracting them broadcasts to (N, N). Take model(x).squeeze(1) first, then "
    "loss = (pred - y).pow(2).mean(); append loss.item() (a float, not the tensor) before moving on.",
], hints_zh=[
    "每一步都是同样的五个动作：zero_grad、前向、计算损失、backward、step。使用传入的优化器。",
    "model(x) 是 (N, 1)，y 是 (N,)：两者相减会广播成 (N, N)。先 model(x).squeeze(1)，再 loss = (pred - y).pow(2).mean()；记录 loss.item()（浮点数，而不是张量）。",
])
r2_score = Exercise("9.3", "r2_score", hints=[
    "R^2 compares your squared error with the squared error of the dumbest model: always predicting mean(targets).",
    "ss_res = (targets - predictions).pow(2).sum(); ss_tot = (targets - targets.mean()).pow(2).sum(); "
    "return 1 - ss_res / ss_tot. Both are sums (or both means), and the mean is of the targets.",
], hints_zh=[
    "R^2 把你的平方误差与最笨的模型（总是预测 mean(targets)）的平方误差作比较。",
    "ss_res = (targets - predictions).pow(2).sum()；ss_tot = (targets - targets.mean()).pow(2).sum()；返回 1 - ss_res / ss_tot。两者都用求和（或都用平均），且均值取的是目标值的均值。",
])

TRUE_WEIGHT, TRUE_BIAS = [1.5, -2.0, 0.5], 0.7


def synthetic(n=64, noise=0.1, seed=0, dtype=torch.float32):
    """y = x @ [1.5, -2, 0.5] + 0.7 + noise: well conditioned, so gradient descent reaches the closed form fast."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=generator, dtype=dtype)  # (N, 3)
    y = x @ torch.tensor(TRUE_WEIGHT, dtype=dtype) + TRUE_BIAS + noise * torch.randn(n, generator=generator, dtype=dtype)
    return x, y  # (N, 3), (N,)


def diabetes(dtype=torch.float64, standardized=False):
    """scikit-learn's bundled diabetes data: x (442, 10) unscaled, y (442,) disease progression after a year."""
    x, y = load("diabetes")
    if standardized:  # features and target on one scale, so one learning rate suits every weight
        x, y = (x - x.mean(0)) / x.std(0), (y - y.mean()) / y.std()
    return x.to(dtype), y.to(dtype)


def seeded_linear(inputs=3, seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Linear(inputs, 1)


def twins(inputs=3, seed=0):
    """Two nn.Linear models with the same initial weights: one for the learner, one for the reference."""
    model = seeded_linear(inputs, seed)
    twin = seeded_linear(inputs, seed)
    twin.load_state_dict(model.state_dict())
    return model, twin


# ------------------------------------------------------------------------------------------------ 9.1 least squares
@least_squares.check(points=2)
def test_9_1_matches_reference(learner, reference):
    """Does least_squares return w (D,) and b () equal to the reference's, in float32 and float64?"""
    for dtype in (torch.float64, torch.float32):
        x, y = synthetic(n=7, noise=0.5, dtype=dtype)
        expect.close(call(learner.least_squares, x, y), reference.least_squares(x, y),
                     rtol=1e-4 if dtype == torch.float32 else None, atol=1e-4 if dtype == torch.float32 else None)


@least_squares.check(points=2)
def test_9_1_recovers_exact_weights(learner):
    """On noise-free data y = x @ w + b, does least_squares give back exactly that w and that b (bias included)?"""
    x, y = synthetic(n=9, noise=0.0, seed=1, dtype=torch.float64)
    got = call(learner.least_squares, x, y)
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (w, b).")
    w, b = got.value
    expect.close(w, torch.tensor(TRUE_WEIGHT, dtype=torch.float64), rtol=1e-7, atol=1e-7,
                 what=f"Called {got.text} on noise-free data made with w = {TRUE_WEIGHT}, b = {TRUE_BIAS}.\n"
                      "The weights w (item 0) are not the ones the data came from. Without a column of ones the fit "
                      "has no bias, and the weights must make up for it.")
    expect.close(b, torch.tensor(TRUE_BIAS, dtype=torch.float64), rtol=1e-7, atol=1e-7,
                 what=f"Called {got.text} on noise-free data made with b = {TRUE_BIAS}.\nThe bias b (item 1) is wrong: "
                      "is the column of ones there, and is b taken from its coefficient (theta[0] when it goes first)?")


@least_squares.check(points=1)
def test_9_1_transposed_input_untouched(learner, reference):
    """Does least_squares accept a non-contiguous x and leave x and y as they were?"""
    x, y = synthetic(n=6, noise=0.5, seed=2, dtype=torch.float64)
    x = x.t().contiguous().t()  # (6, 3), column-major: not contiguous
    originals = [(t.clone(), t._version) for t in (x, y)]
    got = call(learner.least_squares, x, y)
    for tensor, (original, version) in zip((x, y), originals):
        expect.unchanged(tensor, original, version, what=f"Called {got.text}.")
    expect.close(got, reference.least_squares(x, y))


@least_squares.check(points=1)
def test_9_1_diabetes_equals_scikit_learn(learner):
    """On the diabetes data (442 x 10), does least_squares give numpy's least-squares coefficients?"""
    x, y = diabetes()
    design = np.hstack([np.ones((len(x), 1)), x.numpy()])  # (442, 11)
    theta = torch.from_numpy(np.linalg.lstsq(design, y.numpy(), rcond=None)[0])  # (11,)
    got = call(learner.least_squares, x, y)
    expect.close(got, (theta[1:], theta[0]), rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------------------------ 9.2 gradient descent
STEP_HINT = ("Known causes: gradients not cleared each step (optimizer.zero_grad()), optimizer.step() before "
             "loss.backward(), a new optimizer made inside the function (the one passed in carries momentum), or the "
             "(N, 1) - (N,) broadcast that turns the loss into a mean over N x N pairs.")


@fit_linear_regression.check(points=3)
def test_9_2_steps_equal_reference(learner, reference):
    """Do 3 steps of SGD with momentum give the reference's losses and parameters, step for step?"""
    x, y = synthetic(n=10, noise=0.3, seed=4)
    model, twin = twins()
    got = call(learner.fit_linear_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
               3)
    expected = reference.fit_linear_regression(twin, x, y, torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9), 3)
    losses = got.value
    expect.that(isinstance(losses, list) and len(losses) == 3,
                f"Called {got.text}.\nIt returned {type(losses).__name__} "
                f"{'of length ' + str(len(losses)) if hasattr(losses, '__len__') else ''}; expected a list of 3 "
                "losses, one per step.")
    expect.close(torch.tensor([float(v) for v in losses]), torch.tensor(expected), rtol=1e-5, atol=1e-6,
                 what=f"Called {got.text}.\nThe losses it recorded (one per step, before the update):\n{STEP_HINT}")
    expect_same_state(model, state_of(twin), what=f"Called {got.text}.", hint=STEP_HINT, rtol=1e-5, atol=1e-6)


@fit_linear_regression.check(points=1)
def test_9_2_returns_floats(learner):
    """Does fit_linear_regression return a list of `steps` Python floats (not tensors that keep graphs alive)?"""
    x, y = synthetic(n=8, seed=5)
    model = seeded_linear()
    got = call(learner.fit_linear_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.1), 4)
    expect.float_list(got, 4)


@fit_linear_regression.check(points=2)
def test_9_2_reaches_closed_form(learner, reference):
    """After 200 steps of plain gradient descent, are the loss down 10x and the weights those of the closed form?"""
    x, y = synthetic(n=64, seed=6)
    model = seeded_linear(seed=1)
    got = call(learner.fit_linear_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.1), 200)
    losses = expect.float_list(got, 200)
    twin = seeded_linear(seed=1)
    curves.record_against("training loss", losses, lambda: reference.fit_linear_regression(
        twin, x, y, torch.optim.SGD(twin.parameters(), lr=0.1), 200))
    expect.that(losses[-1] < 0.1 * losses[0],
                f"Called {got.text}.\nThe loss went from {losses[0]:.4g} to {losses[-1]:.4g}: it should fall below a "
                "tenth of where it started. Is the loss the mean of (model(x).squeeze(1) - y)^2, and is "
                "optimizer.step() called after loss.backward()?")
    w, b = reference.least_squares(x, y)
    expect.close(model.weight.detach()[0], w, rtol=0, atol=1e-3,
                 what=f"Called {got.text}.\nThe trained weight, against the closed-form (least-squares) weight:")
    expect.close(model.bias.detach()[0], b, rtol=0, atol=1e-3,
                 what=f"Called {got.text}.\nThe trained bias, against the closed-form (least-squares) bias:")


@fit_linear_regression.check(points=1)
def test_9_2_diabetes_reaches_closed_form_loss(learner, reference):
    """On the standardized diabetes data, does gradient descent (lr 0.2, 600 steps) reach the closed-form MSE?"""
    x, y = diabetes(torch.float32, standardized=True)
    w, b = reference.least_squares(x.double(), y.double())
    best = (x.double() @ w + b - y.double()).pow(2).mean().item()
    model = seeded_linear(inputs=10, seed=2)
    got = call(learner.fit_linear_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.2), 600)
    final = (model(x).squeeze(1) - y).pow(2).mean().item()
    expect.that(final < best + 1e-3,
                f"Called {got.text} on the standardized diabetes data (442 x 10).\nThe model's MSE afterwards is "
                f"{final:.5f}; the closed-form least-squares MSE is {best:.5f}, and 600 steps reach it within 1e-3.")


# ------------------------------------------------------------------------------------------------------- 9.3 R^2
def predictions_and_targets(n=7, seed=7, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    targets = torch.randn(n, generator=generator, dtype=dtype) * 2 + 1
    predictions = targets + 0.8 * torch.randn(n, generator=generator, dtype=dtype)
    return predictions, targets


def numpy_r2(predictions, targets):
    """The oracle, in numpy (what sklearn.metrics.r2_score computes)."""
    return 1.0 - ((targets - predictions) ** 2).sum() / ((targets - targets.mean()) ** 2).sum()


@r2_score.check(points=2)
def test_9_3_equals_the_formula(learner):
    """Does r2_score equal 1 - SS_res / SS_tot (scikit-learn's r2_score), as a 0-dim tensor?"""
    for n, seed in ((7, 7), (5, 8)):
        predictions, targets = predictions_and_targets(n, seed)
        expected = torch.tensor(numpy_r2(predictions.numpy(), targets.numpy()), dtype=torch.float64)
        got = call(learner.r2_score, predictions, targets)
        expect.close(got, expected, rtol=1e-9, atol=1e-9,
                     what=f"Called {got.text}.\nExpected R^2 = 1 - sum((y - p)^2) / sum((y - mean(y))^2). A mean on "
                          "one side and a sum on the other, an unbiased variance (N - 1), or the mean of the "
                          "predictions instead of the targets each give a different number.")


@r2_score.check(points=1)
def test_9_3_dtype_and_device(learner, reference, device):
    """Does r2_score keep the inputs' dtype and device?"""
    predictions, targets = (t.to(device=device, dtype=torch.float32) for t in predictions_and_targets(6, 9))
    expect.close(call(learner.r2_score, predictions, targets), reference.r2_score(predictions, targets),
                 rtol=1e-5, atol=1e-5)


@r2_score.check(points=1)
def test_9_3_differentiable(learner):
    """Is r2_score differentiable with respect to the predictions (float64 gradcheck)?"""
    predictions, targets = predictions_and_targets(5, 10)
    predictions.requires_grad_(True)
    got = call(learner.r2_score, predictions, targets)
    expect.connected(got, {"predictions": predictions})
    expect.gradients_correct(lambda predictions: learner.r2_score(predictions, targets), {"predictions": predictions},
                             what=f"Called {got.text}.")


@r2_score.check(points=1)
def test_9_3_diabetes_held_out(learner, reference):
    """For the closed-form fit on 342 diabetes patients, is R^2 on the 100 held out equal to the formula's?"""
    x, y = diabetes()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, held_out = order[:342], order[342:]
    w, b = reference.least_squares(x[train], y[train])
    predictions = x[held_out] @ w + b  # (100,)
    expected = torch.tensor(numpy_r2(predictions.numpy(), y[held_out].numpy()), dtype=torch.float64)
    expect.close(call(learner.r2_score, predictions, y[held_out]), expected, rtol=1e-9, atol=1e-9)
