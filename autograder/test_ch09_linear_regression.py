"""Chapter 09, linear regression: does the closed form solve least squares, does gradient descent reach it, is R^2 right?"""

import numpy as np
import torch
from torch import nn

from hypothesis import assume
from hypothesis import strategies as st

from autograder.engine import Exercise, call, curves, expect, generated, mistakes, strategies
from autograder.engine.datasets import load
from autograder.engine.devices import DeviceFailure, copies_out_of
from autograder.engine.spies import expect_same_state, state_of

least_squares = Exercise("9.1", "least_squares", clauses={
    "fit": "the closed-form least-squares fit of y ~ x @ w + b.",
    "shapes": "x: (N, D), y: (N,) -> (w, b) with w: (D,) and b: () (a 0-dim tensor),",
    "dtype": "in x's dtype (float32 or float64)",
    "device": "and on x's device,",
    "minimizes": "minimizing mean((x @ w + b - y)^2).",
    "exact": "N >= D + 1 and [1 | x] has full column rank, so the minimizer is unique (with N = D + 1 the fit is "
             "exact).",
    "normal-equations": "With X1 = [1 | x] (a column of ones in front, N x (D + 1)) and theta = (b, w_1, ..., w_D): "
                        "theta = argmin ||X1 theta - y||^2, the solution of the normal equations X1^T X1 theta = "
                        "X1^T y.",
    "method": "Use torch.linalg.lstsq, or solve the normal equations (torch.linalg.solve).",
    "unchanged": "x and y are left unchanged.",
}, hints=[
    "Put a column of ones in front of x (torch.cat([ones, x], dim=1)): the bias becomes the weight of that column.",
    "theta = torch.linalg.lstsq(X1, y.unsqueeze(1)).solution.squeeze(1) is (D + 1,): the bias is theta[0] and the "
    "weights are theta[1:]. Make the ones with dtype=x.dtype and device=x.device.",
], hints_zh=[
    "在 x 前面拼一列 1（torch.cat([ones, x], dim=1)）：偏置就成了这一列的权重。",
    "theta = torch.linalg.lstsq(X1, y.unsqueeze(1)).solution.squeeze(1) 的形状是 (D + 1,)：偏置是 theta[0]，权重是 theta[1:]。创建那列 1 时用 dtype=x.dtype 和 device=x.device。",
])
fit_linear_regression = Exercise("9.2", "fit_linear_regression", clauses={
    "gradient-descent": "train `model` by full-batch gradient descent on the mean squared error.",
    "loss": "model maps x: (N, D) to predictions (N, 1); y: (N,). For each of `steps` steps: loss = mean((model(x)[:, "
            "0] - y)^2) a scalar; mind the (N, 1) vs (N,) broadcast",
    "step": "clear the gradients",
    "old-gradients": "(the model may arrive with old ones in .grad)",
    "order": "backpropagate, optimizer.step()",
    "optimizer": "Use the optimizer you are given (do not make a new one): its settings and its state (momentum) "
                 "carry over.",
    "before-update": "Returns the loss of every step, measured before that step's update,",
    "floats": "as Python floats: a list of length `steps`.",
}, hints=[
    "Each step is the same five moves: zero_grad, forward, loss, backward, step. Use the optimizer you were given.",
    "model(x) is (N, 1) and y is (N,): subtracting them broadcasts to (N, N). Take model(x).squeeze(1) first, then "
    "loss = (pred - y).pow(2).mean(); append loss.item() (a float, not the tensor) before moving on.",
], hints_zh=[
    "每一步都是同样的五个动作：zero_grad、前向、计算损失、backward、step。使用传入的优化器。",
    "model(x) 是 (N, 1)，y 是 (N,)：两者相减会广播成 (N, N)。先 model(x).squeeze(1)，再 loss = (pred - y).pow(2).mean()；记录 loss.item()（浮点数，而不是张量）。",
])
r2_score = Exercise("9.3", "r2_score", clauses={
    "formula": "the coefficient of determination R^2 of predictions (N,) for targets (N,). R^2 = 1 - sum((targets - "
               "predictions)^2) / sum((targets - mean(targets))^2)",
    "zero-dim": "a 0-dim tensor",
    "meaning": "1 is a perfect fit, 0 is no better than always predicting the mean of the targets,",
    "negative": "below 0 is worse (there is no lower bound: R^2 is not clipped at 0).",
    "dtypes": "The inputs share one dtype, float32 or float64; the targets are not all equal.",
    "differentiable": "Differentiable with respect to the predictions;",
    "dtype-device": "same dtype and device as the inputs.",
    "unchanged": "The inputs are left unchanged.",
}, hints=[
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
@st.composite
def regression_problems(draw):
    """x (N, D), y (N,) in float32 or float64: N from D + 1 (an exact fit) up, features off-centre and scaled, with
    or without noise; [1 | x] well conditioned, so float32 answers are accurate too."""
    features = draw(st.integers(1, 4))
    samples = features + 1 + draw(st.integers(0, 8))
    dtype = draw(strategies.float_dtypes(low_precision=False))
    generator = torch.Generator().manual_seed(draw(strategies.seeds()))
    scale, offset = draw(st.sampled_from([0.5, 1.0, 3.0])), draw(st.sampled_from([-2.0, 0.0, 3.0]))
    x = torch.randn(samples, features, generator=generator, dtype=torch.float64) * scale + offset  # (N, D)
    design = torch.cat([torch.ones(samples, 1, dtype=torch.float64), x], dim=1)  # (N, D + 1)
    assume(torch.linalg.cond(design) < 100)
    noise = draw(st.sampled_from([0.0, 0.1, 1.0]))
    y = x @ torch.randn(features, generator=generator, dtype=torch.float64) + draw(st.sampled_from([-1.5, 0.0, 4.0])) \
        + noise * torch.randn(samples, generator=generator, dtype=torch.float64)  # (N,)
    return x.to(dtype), y.to(dtype)


def numpy_least_squares(x, y):
    """numpy's least-squares solution of [1 | x] theta = y, in float64: (w, b) in x's dtype."""
    design = np.hstack([np.ones((len(x), 1)), x.double().numpy()])  # (N, D + 1)
    theta = torch.from_numpy(np.linalg.lstsq(design, y.double().numpy(), rcond=None)[0]).to(x.dtype)  # (D + 1,)
    return theta[1:], theta[0]


@least_squares.check(points=2, clauses=["fit", "shapes", "dtype", "minimizes", "normal-equations", "method"])
@generated.examples(problem=regression_problems(), max_examples=12)
def test_9_1_matches_numpy(learner, problem):
    """Does least_squares return w (D,) and b () equal to numpy's least-squares fit, in float32 and float64, for
    every N >= D + 1?"""
    x, y = problem
    expected = numpy_least_squares(x, y)
    got = call(learner.least_squares, x, y)
    tolerance = 1e-3 if x.dtype == torch.float32 else 1e-7
    expect.close(got, expected, rtol=tolerance, atol=tolerance, what=(
        f"Called {got.text}.\nExpected (w, b) = numpy.linalg.lstsq([1 | x], y): the weights of the features, then "
        "the bias (the coefficient of the column of ones), in x's dtype."))


@least_squares.check(points=2, clauses=["exact", "normal-equations", "shapes"])
def test_9_1_recovers_exact_weights(learner):
    """On noise-free data y = x @ w + b (also with N = D + 1 samples, and with no features at all: D = 0), does
    least_squares give back exactly that w and that b (bias included)?"""
    x, y = torch.empty(5, 0, dtype=torch.float64), torch.full((5,), TRUE_BIAS, dtype=torch.float64)
    got = call(learner.least_squares, x, y)  # D = 0: [1 | x] is the column of ones, w is (0,) and b = mean(y)
    expect.close(got, (torch.empty(0, dtype=torch.float64), torch.tensor(TRUE_BIAS, dtype=torch.float64)),
                 rtol=1e-7, atol=1e-7,
                 what=f"Called {got.text}: x has N = 5 rows and D = 0 features (N >= D + 1 holds).\nExpected w of "
                      "shape (0,) and b = 0.7, the mean of y. Two things break at D = 0: torch.ones_like(x[:, :1]) is "
                      "an (N, 0) column, not a column of ones (make it with torch.ones(x.shape[0], 1, ...)), and "
                      "theta.squeeze() drops every size-1 dim, so theta becomes 0-dim (squeeze only dim 1).")
    for samples in (9, 4):
        x, y = synthetic(n=samples, noise=0.0, seed=1, dtype=torch.float64)
        got = call(learner.least_squares, x, y)
        expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                    f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (w, b).")
        w, b = got.value
        expect.close(w, torch.tensor(TRUE_WEIGHT, dtype=torch.float64), rtol=1e-7, atol=1e-7,
                     what=f"Called {got.text} on noise-free data made with w = {TRUE_WEIGHT}, b = {TRUE_BIAS}.\nThe "
                          "weights w (item 0) are not the ones the data came from. Without a column of ones the fit "
                          "has no bias, and the weights must make up for it; a ridge term (+ c * I) 'for stability' "
                          "shrinks them.")
        expect.close(b, torch.tensor(TRUE_BIAS, dtype=torch.float64), rtol=1e-7, atol=1e-7,
                     what=f"Called {got.text} on noise-free data made with b = {TRUE_BIAS}.\nThe bias b (item 1) is "
                          "wrong: is the column of ones there, and is b taken from its coefficient (theta[0] when it "
                          "goes first)?")


@least_squares.check(points=1, clauses=["unchanged"])
def test_9_1_transposed_input_untouched(learner, reference):
    """Does least_squares accept a non-contiguous x and leave x and y as they were?"""
    x, y = synthetic(n=6, noise=0.5, seed=2, dtype=torch.float64)
    x = x.t().contiguous().t()  # (6, 3), column-major: not contiguous
    originals = [(t.clone(), t._version) for t in (x, y)]
    got = call(learner.least_squares, x, y)
    for name, tensor, (original, version) in zip(("x", "y"), (x, y), originals):
        expect.unchanged(tensor, original, version, what=f"Called {got.text}.")
        expect_requires_grad_kept(tensor, False, name, got)
    expect.close(got, reference.least_squares(x, y))


def nearly_collinear(n=40, seed=4):
    """Two features that differ by 1e-4 noise, and a target that depends on their difference: [1 | x] has full
    column rank (condition number about 1e4), but a solver that drops small singular values (pinv with an rtol,
    lstsq with a large rcond) loses the difference, and with it most of the fit."""
    generator = torch.Generator().manual_seed(seed)
    first = torch.randn(n, generator=generator, dtype=torch.float64)
    second = first + 1e-4 * torch.randn(n, generator=generator, dtype=torch.float64)
    x = torch.stack([first, second], dim=1)  # (N, 2)
    y = 0.5 + first + 3e3 * (second - first) + 0.01 * torch.randn(n, generator=generator, dtype=torch.float64)
    return x, y


@least_squares.check(points=1, clauses=["minimizes"])
def test_9_1_diabetes_equals_numpy(learner):
    """On the diabetes data (442 x 10), and on two nearly collinear features (full rank, condition number about
    1e4), does least_squares give numpy's least-squares coefficients?"""
    x, y = diabetes()
    got = call(learner.least_squares, x, y)
    expect.close(got, numpy_least_squares(x, y), rtol=1e-6, atol=1e-6)
    x, y = nearly_collinear()
    got = call(learner.least_squares, x, y)
    expect.close(got, numpy_least_squares(x, y), rtol=1e-5, atol=1e-5,
                 what=f"Called {got.text} on two features that differ by about 1e-4 (float64; [1 | x] has full "
                      "column rank, condition number about 1e4).\nThe minimizer is unique: a pseudo-inverse with "
                      "an rtol, lstsq with a large rcond, or a ridge term drops the small singular value, and the fit "
                      "with it. Solve the least-squares problem itself (torch.linalg.lstsq, or the normal equations).")


@least_squares.check(points=1, clauses=["device"])
def test_9_1_on_device(learner, device):
    """Are w and b on x's device (and in its dtype)?"""
    x, y = (t.to(device) for t in synthetic(n=7, noise=0.5, seed=3))
    with copies_out_of(device):  # a detour through the cpu (.cpu(), ones made without device=) ends there
        got = call(learner.least_squares, x, y)
    expect.that(isinstance(got.value, (tuple, list)) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (w, b).")
    for name, value in zip(("w", "b"), got.value):
        if isinstance(value, torch.Tensor) and value.device != torch.device(device):
            raise DeviceFailure(f"Called {got.text}.\n{name} is on {value.device}; expected it on {device}, x's device. "
                                "Make the column of ones with device=x.device (and dtype=x.dtype), and keep the "
                                "work on x's device: no .cpu() on the way.")
    for name, value, like in (("w", got.value[0], torch.empty(3, device=device)),
                              ("b", got.value[1], torch.empty((), device=device))):
        expect.tensor_like(value, like, what=f"Called {got.text}.\n{name}, item {0 if name == 'w' else 1}:")


# ------------------------------------------------------------------------------------------ 9.2 gradient descent
STEP_HINT = ("Known causes: gradients not cleared each step before backward (optimizer.zero_grad(); the model came "
             "with old gradients), optimizer.step() before loss.backward(), a new optimizer made inside the function "
             "(the one passed in carries momentum and its own settings), a loss recorded after the update, or the "
             "(N, 1) - (N,) broadcast that turns the loss into a mean over N x N pairs.")

OPTIMIZERS = {
    "SGD(lr=0.05, momentum=0.9)": lambda parameters: torch.optim.SGD(parameters, lr=0.05, momentum=0.9),
    "SGD(lr=0.1)": lambda parameters: torch.optim.SGD(parameters, lr=0.1),
    "Adam(lr=0.05)": lambda parameters: torch.optim.Adam(parameters, lr=0.05),
}


def with_old_gradients(*models):
    """Every parameter holds the same stale .grad, as a model fresh from other training does."""
    for model in models:
        for parameter in model.parameters():
            parameter.grad = torch.full_like(parameter, 0.75)


@fit_linear_regression.check(points=3, clauses=["loss", "step", "old-gradients", "order", "optimizer",
                                                "before-update"])
@generated.examples(samples=st.integers(2, 12), optimizer=st.sampled_from(sorted(OPTIMIZERS)),
                    steps=st.integers(1, 4), seed=st.integers(0, 1000), dtype=strategies.float_dtypes(False),
                    max_examples=10)
def test_9_2_steps_equal_reference(learner, reference, samples, optimizer, steps, seed, dtype):
    """From a model holding old gradients, do a few steps with the given optimizer (SGD with and without momentum,
    Adam; it arrives with state from an earlier step) give the reference's losses and parameters, step for step, for
    a float32 and a float64 model?"""
    x, y = synthetic(n=samples, noise=0.3, seed=seed, dtype=dtype)
    model, twin = (m.to(dtype) for m in twins(seed=seed))
    with_old_gradients(model, twin)
    mine, theirs = OPTIMIZERS[optimizer](model.parameters()), OPTIMIZERS[optimizer](twin.parameters())
    for used in (mine, theirs):
        used.step()  # one earlier step: the optimizer arrives with state (momentum, Adam's moments) to carry over
    got = call(learner.fit_linear_regression, model, x, y, mine, steps)
    expected = reference.fit_linear_regression(twin, x, y, theirs, steps)
    context = (f"Called {got.text} with optimizer {optimizer} (it has taken one step before), on a {dtype} model "
               "whose parameters hold old gradients.")
    losses = expect.float_list(got, steps, what=context)
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-9, "atol": 1e-12}
    float32_in_float64 = (" " + mistakes.describe("float32_constant_in_float64") if dtype == torch.float64 else "")
    expect.close(torch.tensor(losses, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), **tolerance,
                 what=f"{context}\nThe losses it recorded (one per step, before the update):\n{STEP_HINT}"
                      + float32_in_float64)
    expect_same_state(model, state_of(twin), what=context, hint=STEP_HINT + float32_in_float64, **tolerance)


@fit_linear_regression.check(points=1, clauses=["floats"])
def test_9_2_returns_floats(learner):
    """Does fit_linear_regression return a list of `steps` Python floats (not tensors that keep graphs alive)?"""
    for steps in (4, 1):
        x, y = synthetic(n=8, seed=5)
        model = seeded_linear()
        got = call(learner.fit_linear_regression, model, x, y, torch.optim.SGD(model.parameters(), lr=0.1), steps)
        expect.float_list(got, steps)


@fit_linear_regression.check(points=1, clauses=["loss", "floats"])
def test_9_2_zero_steps(learner):
    """With steps = 0, does fit_linear_regression return [] and leave the model and the optimizer as they were?"""
    x, y = synthetic(n=8, seed=5)
    model = seeded_linear(seed=3)
    with_old_gradients(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = state_of(model)
    got = call(learner.fit_linear_regression, model, x, y, optimizer, 0)
    expect.float_list(got, 0, what=f"Called {got.text}: zero steps.")
    expect_same_state(model, before, what=f"Called {got.text}: zero steps, so no update at all.",
                      hint="The loop runs `steps` times: range(steps), not a loop that always takes a first step "
                           "(while True ... break, range(max(steps, 1))).")


@fit_linear_regression.check(points=2, clauses=["gradient-descent", "loss"])
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
    w, b = numpy_least_squares(x, y)
    expect.close(model.weight.detach()[0], w, rtol=0, atol=1e-3,
                 what=f"Called {got.text}.\nThe trained weight, against the closed-form (least-squares) weight:")
    expect.close(model.bias.detach()[0], b, rtol=0, atol=1e-3,
                 what=f"Called {got.text}.\nThe trained bias, against the closed-form (least-squares) bias:")


@fit_linear_regression.check(points=1, clauses=["gradient-descent"])
def test_9_2_diabetes_reaches_closed_form_loss(learner):
    """On the standardized diabetes data, does gradient descent (lr 0.2, 600 steps) reach the closed-form MSE?"""
    x, y = diabetes(torch.float32, standardized=True)
    w, b = numpy_least_squares(x.double(), y.double())
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
    """The oracle, from numpy's own mean and variance: R^2 = 1 - MSE / Var(targets) (sklearn.metrics.r2_score)."""
    predictions, targets = (np.asarray(t.detach().double().numpy()) for t in (predictions, targets))
    return torch.tensor(1.0 - np.mean((targets - predictions) ** 2) / np.var(targets), dtype=torch.float64)


@st.composite
def r2_cases(draw):
    """(predictions, targets) of one dtype: close fits, fits worse than the mean (R^2 < 0), the mean itself (R^2 = 0)
    and perfect ones (R^2 = 1); targets with exact zeros and ties, never all equal; centred near 0 or far from it
    (targets such as prices, around +-1000: a one-pass sum(y^2) - N * mean(y)^2 cancels there)."""
    count = draw(st.integers(2, 10))
    dtype = draw(strategies.float_dtypes(low_precision=False))
    targets = draw(strategies.tensors((count,), torch.float64, elements=strategies.values(10.0, special=(0.0, 1.0))))
    assume(targets.std(correction=0) > 0.1)
    kind = draw(st.sampled_from(["close", "worse than the mean", "the mean", "perfect"]))
    if kind == "close":
        predictions = targets + draw(strategies.tensors((count,), torch.float64, elements=strategies.values(0.7)))
    elif kind == "worse than the mean":
        predictions = draw(strategies.tensors((count,), torch.float64, elements=strategies.values(40.0)))
    elif kind == "the mean":
        predictions = torch.full_like(targets, targets.mean().item())
    else:
        predictions = targets.clone()
    offset = draw(st.sampled_from([0.0, 1000.0, -2500.0]))
    return (predictions + offset).to(dtype), (targets + offset).to(dtype)


R2_MISTAKES = ("A mean on one side and a sum on the other, an unbiased variance (N - 1), the mean of the predictions "
               "instead of the targets, a squared correlation, or an R^2 clipped at 0 each give a different number; "
               "so does SS_tot computed in one pass as sum(y^2) - N * mean(y)^2, which cancels catastrophically "
               "when the targets sit far from 0: subtract the mean first.")


@r2_score.check(points=2, clauses=["formula", "zero-dim", "meaning", "negative", "dtypes", "dtype-device"])
@generated.examples(case=r2_cases(), max_examples=20)
def test_9_3_equals_numpy(learner, case):
    """Does r2_score equal 1 - SS_res / SS_tot (numpy's mean over numpy's variance), as a 0-dim tensor in the
    inputs' dtype, for good fits, bad fits (R^2 < 0) and perfect ones?"""
    predictions, targets = case
    expected = numpy_r2(predictions, targets).to(predictions.dtype)
    got = call(learner.r2_score, predictions, targets)
    tolerance = 1e-4 if predictions.dtype == torch.float32 else 1e-9
    expect.close(got, expected, rtol=tolerance, atol=tolerance,
                 what=f"Called {got.text}.\nExpected R^2 = 1 - sum((y - p)^2) / sum((y - mean(y))^2). {R2_MISTAKES}")


@r2_score.check(points=1, clauses=["negative", "meaning"])
def test_9_3_worse_than_the_mean_is_negative(learner):
    """Is R^2 -3 for predictions that reverse the targets [0, 1, 2, 3], 0 for the mean and 1 for a perfect fit?"""
    targets = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    for predictions, want, meaning in ((targets.flip(0), -3.0, "SS_res = 20 is four times SS_tot = 5"),
                                       (torch.full_like(targets, 1.5), 0.0, "always predicting the mean"),
                                       (targets.clone(), 1.0, "a perfect fit")):
        got = call(learner.r2_score, predictions, targets)
        shown = got.value.item() if isinstance(got.value, torch.Tensor) and got.value.numel() == 1 else got.value
        clipped = " R^2 has no lower bound: do not clip it at 0 or take an absolute value." if want < 0 else ""
        expect.close(got, torch.tensor(want, dtype=torch.float64), rtol=1e-9, atol=1e-9,
                     what=f"Called {got.text} with predictions {predictions.tolist()} for targets {targets.tolist()} "
                          f"({meaning}).\nIt returned {shown}; expected {want}.{clipped}")


@r2_score.check(points=1, clauses=["dtype-device"])
def test_9_3_dtype_and_device(learner, reference, device):
    """Does r2_score keep the inputs' dtype and device?"""
    predictions, targets = (t.to(device=device, dtype=torch.float32) for t in predictions_and_targets(6, 9))
    with copies_out_of(device):  # a detour through the cpu (.cpu(), numpy, .item()) ends there, which meta proves
        got = call(learner.r2_score, predictions, targets)
    returned = getattr(got.value, "device", None)
    if returned is not None and returned != torch.device(device):
        raise DeviceFailure(f"Called {got.text}.\nR^2 is on {returned}; expected it on {device}, the inputs' device: "
                            "no .cpu() at the end, and no numpy or .item() on the way.")
    expect.close(call(learner.r2_score, predictions, targets), reference.r2_score(predictions, targets),
                 rtol=1e-5, atol=1e-5)


@r2_score.check(points=1, clauses=["differentiable"])
def test_9_3_differentiable(learner):
    """Is r2_score differentiable with respect to the predictions (float64 gradcheck)?"""
    predictions, targets = predictions_and_targets(5, 10)
    predictions.requires_grad_(True)
    got = call(learner.r2_score, predictions, targets)
    expect.connected(got, {"predictions": predictions})
    expect.gradients_correct(lambda predictions: learner.r2_score(predictions, targets), {"predictions": predictions},
                             what=f"Called {got.text}.")


@r2_score.check(points=1, clauses=["unchanged"])
def test_9_3_inputs_unchanged(learner):
    """Does r2_score leave the predictions and targets it was given as they were?"""
    predictions, targets = predictions_and_targets(6, 11)
    originals = [(t.clone(), t._version) for t in (predictions, targets)]
    got = call(learner.r2_score, predictions, targets)
    for name, tensor, (original, version) in zip(("predictions", "targets"), (predictions, targets), originals):
        expect.unchanged(tensor, original, version, what=f"Called {got.text}.\nThe {name} it was given changed.")
        expect_requires_grad_kept(tensor, False, name, got)


def expect_requires_grad_kept(tensor, before, name, got):
    """requires_grad is part of the caller's tensor too: `predictions.requires_grad_()` to make R^2 differentiable
    changes what the caller holds (the graph comes from the caller's own predictions, when they require grad)."""
    if tensor.requires_grad != before:
        expect.mistake("input_requires_grad_changed",
                       f"Called {got.text} on {name} with requires_grad={before}.\nAfterwards the caller's "
                       f"{name}.requires_grad was {tensor.requires_grad}.")


@r2_score.check(points=1, clauses=["formula"])
def test_9_3_diabetes_held_out(learner, reference):
    """For the closed-form fit on 342 diabetes patients, is R^2 on the 100 held out equal to numpy's?"""
    x, y = diabetes()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    train, held_out = order[:342], order[342:]
    w, b = reference.least_squares(x[train], y[train])
    predictions = x[held_out] @ w + b  # (100,)
    expect.close(call(learner.r2_score, predictions, y[held_out]), numpy_r2(predictions, y[held_out]), rtol=1e-9,
                 atol=1e-9)
