"""Chapter 02, autograd: are the learner's gradients right, and does the SGD step keep parameters as leaves?"""
import torch
from hypothesis import strategies as st

from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from autograder.engine import Exercise, call, expect, generated, mistakes, strategies
from autograder.engine.devices import DeviceFailure, copies_out_of

gradient = Exercise("2.1", "gradient", clauses={
    "autograd": "the gradient of a scalar function f at x, computed with torch.autograd.grad.",
    "inputs": "x: a float32 or float64 tensor of any shape, on any device, with or without requires_grad.",
    "returns": "Returns df/dx: a tensor of x's shape, dtype and device.",
    "grad-kept": "x's values and x.grad are left as they were: use torch.autograd.grad (which returns gradients) "
                 "rather than .backward() (which accumulates them into .grad).",
    "requires-grad-kept": "x.requires_grad is left as it was: differentiate at a fresh leaf, never call "
                          "x.requires_grad_() on the caller's x.",
}, hints=[
    "torch.autograd.grad(output, inputs) returns the gradients as a tuple instead of storing them in .grad.",
    "Differentiate at a fresh leaf: point = x.detach().requires_grad_(True); (g,) = torch.autograd.grad(f(point), "
    "point). Calling .backward() on f(x) would add into the caller's x.grad.",
], hints_zh=[
    "torch.autograd.grad(output, inputs) 以元组形式返回梯度，而不是把梯度存进 .grad。",
    "在一个新的叶子张量上求导：point = x.detach().requires_grad_(True)；(g,) = torch.autograd.grad(f(point), point)。对 f(x) 调用 .backward() 会把梯度累加到调用者的 x.grad 上。",
])
mse_gradients = Exercise("2.2", "linear_regression_mse_gradients", clauses={
    "formula": "by the formula (no autograd: it is called under torch.no_grad()).",
    "inputs": "X: (N, D), y: (N,), w: (D,), b: () scalar tensor; all float32 or all float64, on one device.",
    "residual": "r = X @ w + b - y (N,)",
    "loss": "L = mean(r^2)",
    "dw": "dL/dw = (2 / N) * X^T r (D,)",
    "db": "dL/db = (2 / N) * sum(r) ()",
    "returns": "Returns the tuple (dL/dw, dL/db)",
    "dtype-device": "in the inputs' dtype and on their device.",
    "float64-accurate": "Computed in the inputs' dtype: float64 inputs give float64-accurate results.",
    "no-autograd-inside": "No autograd inside either: no tensor made during the call may require grad "
                          "(torch.enable_grad() is no way out).",
}, hints=[
    "Write the residual r = X @ w + b - y first; both gradients are made from it.",
    "The mean brings a 1/N and the square a 2: dL/dw = 2/N * X.T @ r and dL/db = 2/N * r.sum().",
], hints_zh=[
    "先写出残差 r = X @ w + b - y；两个梯度都由它构成。",
    "均值带来 1/N，平方带来 2：dL/dw = 2/N * X.T @ r，dL/db = 2/N * r.sum()。",
])
numerical_gradient = Exercise("2.3", "numerical_gradient", clauses={
    "central": "grad[i] = (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps), e_i the i-th unit vector.",
    "inputs": "x: a float32 or float64 tensor of any shape; f returns a 0-dim tensor.",
    "eps-default": "eps defaults to 1e-6.",
    "float64": "the gradient of a scalar function f at x by central differences, in float64.",
    "float64-copy": "Work on a float64 copy of x (float32 cannot resolve eps = 1e-6)",
    "returns": "return a float64 tensor shaped like x.",
    "unchanged": "x must be left as it was.",
}, hints=[
    "Nudge one entry at a time up and down by eps and divide the change in f by 2 * eps.",
    "Work on x.detach().to(torch.float64).clone(): float32 cannot see a change of 1e-6, and editing a copy leaves "
    "the caller's x alone. Restore each entry after nudging it.",
], hints_zh=[
    "每次只把一个元素上下各挪动 eps，再用 f 的变化量除以 2 * eps。",
    "在 x.detach().to(torch.float64).clone() 上操作：float32 看不出 1e-6 的变化，而修改副本不会动到调用者的 x。每挪动一个元素之后都要把它恢复原值。",
])
sgd_step = Exercise("2.4", "sgd_step", clauses={
    "update": "one step of plain gradient descent, p <- p - lr * p.grad, then clear the gradients.",
    "iterables": "params: any iterable of float32 or float64 leaf tensors (a list, or a generator such as "
                 "model.parameters(), which can be walked only once), on any device.",
    "same-leaf": "Update each parameter in place under torch.no_grad(), so it stays the same leaf tensor with "
                 "requires_grad=True;",
    "version-counter": "the update goes through autograd's version counter (p._version increases: never through "
                       "p.data),",
    "float64-accurate": "and is computed in the parameter's dtype: float64 parameters give float64-accurate results;",
    "skip-none": "skip parameters whose .grad is None;",
    "clear": "afterwards set every .grad to None (or zero it) so the next backward starts from zero instead of "
             "accumulating.",
}, hints=[
    "Update under torch.no_grad() and in place (p -= lr * p.grad), so p stays the same leaf tensor.",
    "After updating, set p.grad = None (or p.grad.zero_()), otherwise the next backward adds to the old gradient.",
], hints_zh=[
    "在 torch.no_grad() 下原地更新（p -= lr * p.grad），这样 p 仍是同一个叶子张量。",
    "更新之后设置 p.grad = None（或 p.grad.zero_()），否则下一次 backward 会累加到旧梯度上。",
])



def cubic_bowl(x):
    """A smooth scalar function with distinct partial derivatives everywhere."""
    weights = torch.arange(1, x.numel() + 1, dtype=x.dtype, device=x.device).view_as(x)
    return (weights * x.pow(3)).sum() + x.sin().sum() * x.sum()


def kinked(x):
    """|x| has a kink at 0 (the drawn inputs hold exact zeros), and every entry meets its mirror image."""
    flat = x.reshape(-1)
    return flat.abs().sum() + (flat * flat.flip(0)).sum() * 0.5


def log_sum_exp(x):
    """Softmax-like coupling between all entries."""
    return torch.logsumexp(x.reshape(-1) * 2, dim=0)


SCALAR_FUNCTIONS = st.sampled_from([cubic_bowl, kinked, log_sum_exp])


def steep(x):
    """Gradients of 1e6 cos(x): a gradient clipped to a 'safe' range (clamp(-1e4, 1e4)) is not df/dx."""
    return 1e6 * x.sin().sum()


def seeded(*shape, dtype=torch.float32, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@st.composite
def points(draw, dtype=strategies.float_dtypes(low_precision=False)):
    """A tensor of any shape, 0-dim included, with exact zeros among its values."""
    shape = draw(st.one_of(st.just(()), strategies.shapes(1, max_size=5), strategies.shapes(2, max_size=3)))
    return draw(strategies.tensors(shape, dtype=dtype, elements=strategies.values(bound=3.0)))


GRAD_STATES = ("plain", "leaf", "leaf with .grad")


def prepared(x, state, device="cpu", transposed=False):
    """x on the device: not requiring grad ("plain"), or a leaf that requires grad, with .grad None or 7s; when
    `transposed` and x is 2-D, laid out column-major (its own memory, not contiguous: x.view(-1) refuses it)."""
    x = x.to(device, copy=True)
    if transposed and x.dim() == 2:
        strided = torch.empty_strided(x.shape, (1, x.shape[0]), dtype=x.dtype, device=x.device)
        x = strided.copy_(x)
    if state != "plain":
        x.requires_grad_(True)  # "non-leaf" too: its leaf requires grad
    if state == "leaf with .grad":
        x.grad = torch.full_like(x, 7.0)
    if state == "non-leaf":  # the output of an op on a leaf: x.grad is None and .backward() would fill the leaf's
        x = x * 1.0
    return x


def autograd_gradient(f, x):
    """torch's own df/dx, the oracle."""
    point = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(point), point)[0]


@gradient.check(points=2, clauses=["autograd", "inputs", "returns"])
@generated.examples(x=points(), f=st.sampled_from([cubic_bowl, kinked, log_sum_exp, steep]),
                    state=st.sampled_from(GRAD_STATES + ("non-leaf",)), max_examples=14)
def test_2_1_matches_autograd(learner, device, x, f, state):
    """Does gradient(f, x) return df/dx in x's shape, dtype and device, whether or not x requires grad (a leaf, or
    the output of an op), evaluating f on x's own device?"""
    x = prepared(x, state, device)
    expected = autograd_gradient(f, x)
    evaluated_on = []

    def f_at(point):
        evaluated_on.append(point.device)
        return f(point)

    f_at.__name__ = f.__name__
    with copies_out_of(device):  # differentiating at x.cpu() ends on the cpu, which meta can then prove
        got = call(learner.gradient, f_at, x)
    elsewhere = sorted({str(d) for d in evaluated_on if d != x.device})
    if elsewhere:  # f evaluated at a copy on another device: an f that uses tensors on x's device would fail there
        raise DeviceFailure(f"Called {got.text} with x on {x.device}.\nf was evaluated at a tensor on "
                            f"{', '.join(elsewhere)}: the gradient must be taken at x, on x's device (a detour "
                            "through x.cpu() breaks every f that uses tensors on x's device). Differentiate at "
                            "x.detach().requires_grad_(True).")
    # Differentiated the same way, float64 gradients agree to rounding: a float32 detour is off by ~1e-7.
    tight = x.dtype == torch.float64 and device.type != "meta"
    expect.close(got, expected, rtol=1e-10 if tight else None, atol=1e-12 if tight else None)


@gradient.check(points=1, clauses=["inputs", "returns"])
def test_2_1_non_contiguous_input(learner, device):
    """Does gradient(f, x) accept a non-contiguous x (a transpose), with or without requires_grad?"""
    for state in GRAD_STATES:
        x = prepared(seeded(4, 3, dtype=torch.float64, seed=11), state, device, transposed=True)  # (4, 3), strides (1, 4)
        got = call(learner.gradient, cubic_bowl, x)
        expect.close(got, autograd_gradient(cubic_bowl, x), what=f"Called {got.text} on a non-contiguous x "
                     f"(x.is_contiguous() is False, requires_grad={x.requires_grad}): x may be any tensor, a "
                     "transpose or a slice too (.view(-1) refuses those; .reshape or no reshaping works):")


@gradient.check(points=1, clauses=["grad-kept"])
@generated.examples(x=points(), f=SCALAR_FUNCTIONS, state=st.sampled_from(GRAD_STATES[1:]), max_examples=8)
def test_2_1_leaves_grad_untouched(learner, x, f, state):
    """Does gradient(f, x) leave x's values and x.grad as they were (None stays None), when x requires grad?"""
    x = prepared(x, state)
    grad_before = None if x.grad is None else x.grad.clone()
    values_before, version = x.detach().clone(), x._version
    got = call(learner.gradient, f, x)
    grad_after = None if x.grad is None else x.grad.flatten()[:4].tolist()
    expect.that((x.grad is None) if grad_before is None else (x.grad is not None and torch.equal(x.grad, grad_before)),
                f"Called {got.text} on a leaf whose .grad was {'None' if grad_before is None else 'filled with 7s'}."
                f"\nAfterwards x.grad was {grad_after}: the call changed it. Use torch.autograd.grad, which returns "
                "the gradient, instead of .backward(), which adds into .grad.")
    expect.unchanged(x.detach(), values_before, version, what=f"Called {got.text}.")


@gradient.check(points=1, clauses=["requires-grad-kept"])
@generated.examples(x=points(), f=SCALAR_FUNCTIONS, state=st.sampled_from(GRAD_STATES[:2]), max_examples=8)
def test_2_1_leaves_requires_grad_untouched(learner, x, f, state):
    """Does gradient(f, x) leave x.requires_grad as it was: False for a plain tensor, True for a leaf that needs it?"""
    x = prepared(x, state)
    before = x.requires_grad
    during = []

    def f_watching_x(point):
        during.append(x.requires_grad)  # the caller's x while f runs: flipped and put back is still flipped
        return f(point)

    f_watching_x.__name__ = f.__name__
    got = call(learner.gradient, f_watching_x, x)
    if x.requires_grad != before:
        expect.mistake("input_requires_grad_changed",
                       f"Called {got.text} on a tensor with requires_grad={before}.\nAfterwards the caller's "
                       f"x.requires_grad was {x.requires_grad}.")
    if any(flag != before for flag in during):
        expect.mistake("input_requires_grad_changed",
                       f"Called {got.text} on a tensor with requires_grad={before}.\nWhile f ran, the caller's "
                       f"x.requires_grad was {not before} (it was put back afterwards): the call switched it on the "
                       "caller's tensor. Differentiate at a fresh leaf, x.detach().requires_grad_(True).")


@st.composite
def regression_problems(draw):
    """(X, y, w, b) of one dtype: N from 1 up (the mean and the sum differ unless N == 1), exact zeros included."""
    dtype = draw(strategies.float_dtypes(low_precision=False))
    n, d = draw(strategies.sizes(1, 8)), draw(strategies.sizes(1, 4))
    values = strategies.values(bound=3.0)
    return tuple(draw(strategies.tensors(shape, dtype=dtype, elements=values)) for shape in ((n, d), (n,), (d,), ()))


def autograd_mse_gradients(X, y, w, b):
    """torch's own gradients of mean((X @ w + b - y)^2), the oracle."""
    w_leaf, b_leaf = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    with torch.enable_grad():
        loss = (X @ w_leaf + b_leaf - y).pow(2).mean()
        return torch.autograd.grad(loss, [w_leaf, b_leaf])


def rounding_tolerance(X, y, w, b) -> float:
    """How far two correct float computations of the gradients may drift apart: a few ulps of the largest term."""
    residual = (X @ w + b - y).abs().max()
    return 32 * torch.finfo(X.dtype).eps * (1 + float(X.abs().max())) * (1 + float(residual)) * X.shape[0] ** 0.5


@mse_gradients.check(points=3, clauses=["inputs", "residual", "loss", "dw", "db"])
@generated.examples(problem=regression_problems(), max_examples=15)
def test_2_2_equal_to_autograd(learner, problem):
    """Do the hand-derived gradients of the MSE equal autograd's, for w (D,) and for b ()?"""
    X, y, w, b = problem
    expected = autograd_mse_gradients(X, y, w, b)
    got = call(learner.linear_regression_mse_gradients, X, y, w, b)
    tolerance = rounding_tolerance(X, y, w, b)
    expect.close(got, tuple(expected), rtol=1e-5, atol=tolerance)


@mse_gradients.check(points=1, clauses=["formula", "returns", "dtype-device"])
@generated.examples(problem=regression_problems(), max_examples=6)
def test_2_2_by_formula(learner, reference, device, problem):
    """Does it return the tuple (dL/dw, dL/db) under torch.no_grad() (so: by the formula), on the inputs' device?"""
    X, y, w, b = (t.to(device) for t in problem)
    with torch.no_grad():
        with copies_out_of(device):  # gradients taken through .cpu() or numpy end on the cpu, which meta can prove
            got = call(learner.linear_regression_mse_gradients, X, y, w, b)
        expected = reference.linear_regression_mse_gradients(X, y, w, b)
    expect.that(type(got.value) is tuple, f"Called {got.text} under torch.no_grad().\nIt returned "
                f"{type(got.value).__name__}; expected the tuple (dL/dw, dL/db).")
    expect.close(got, expected, rtol=1e-5, atol=rounding_tolerance(*problem) if device.type != "meta" else None)


class RequiresGradWatch(TorchFunctionMode):
    """Records every torch operation, run while it is active, that returns a tensor requiring grad."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        leaves, _ = tree_flatten(result)
        if any(isinstance(leaf, torch.Tensor) and leaf.requires_grad for leaf in leaves):
            self.seen.append(getattr(func, "__name__", str(func)))
        return result


@mse_gradients.check(points=1, clauses=["formula", "no-autograd-inside"])
def test_2_2_no_autograd_inside(learner):
    """Under torch.no_grad(), does the function make no tensor that requires grad (no enable_grad way out)?"""
    X, y, w, b = seeded(7, 3, seed=1), seeded(7, seed=2), seeded(3, seed=3), torch.tensor(0.5)
    with torch.no_grad(), RequiresGradWatch() as watch:
        got = call(learner.linear_regression_mse_gradients, X, y, w, b)
    expect.that(not watch.seen, f"Called {got.text} under torch.no_grad().\nDuring the call these operations made "
                f"tensors that require grad: {sorted(set(watch.seen))}. The exercise computes the gradients by the "
                "formula, dL/dw = 2/N * X.T @ r and dL/db = 2/N * r.sum(): no requires_grad_, no torch.enable_grad(), "
                "no torch.autograd.grad or .backward().")


def with_meta_as_default_device(function, *args, **kwargs):
    """Call learner code on cpu inputs with meta as the default device, or None when meta cannot run it.

    A tensor made without device= (torch.tensor(db.item()), torch.zeros(D)) then lands on meta, as it lands on the cpu
    beside cuda inputs on a machine with a GPU: a result left on meta is the same proven device failure there. Code
    that meta cannot run (tensors on two devices in one operation) raises instead, which proves nothing here: the meta
    run of test_2_2_by_formula decides that."""
    try:
        with torch.device("meta"):
            return call(function, *args, **kwargs)
    except AssertionError:
        return None


@mse_gradients.check(points=1, clauses=["dtype-device"])
@generated.examples(problem=regression_problems(), max_examples=4)
def test_2_2_results_on_the_inputs_device(learner, problem):
    """Are both gradients on the inputs' device even when the default device is another one (no .item() detour)?"""
    X, y, w, b = problem
    with torch.no_grad():
        got = with_meta_as_default_device(learner.linear_regression_mse_gradients, X, y, w, b)
    returned = got.value if got is not None and isinstance(got.value, tuple) else ()
    devices = [str(t.device) for t in returned if isinstance(t, torch.Tensor)]
    expect.that(all(d == str(X.device) for d in devices),
                f"Called {got and got.text} under torch.no_grad(), with meta as the default device.\nIt returned "
                f"tensors on {devices}; expected both on {X.device}, the inputs' device. A tensor made without "
                "device= (torch.tensor(r.sum().item()), torch.zeros(D)) lands on the default device: the cpu, beside "
                "inputs on a GPU. Build both gradients from the inputs (2 / N * X.T @ r, 2 / N * r.sum()).")


@mse_gradients.check(points=1, clauses=["float64-accurate"])
def test_2_2_float64_accurate(learner, reference):
    """With float64 inputs whose residuals are tiny next to X @ w, are the gradients float64-accurate?"""
    generator = torch.Generator().manual_seed(8)
    X = torch.randn(50, 4, generator=generator, dtype=torch.float64) * 100
    w = torch.randn(4, generator=generator, dtype=torch.float64)
    b = torch.tensor(3.0, dtype=torch.float64)
    y = X @ w + b + 1e-3 * torch.randn(50, generator=generator, dtype=torch.float64)  # r ~ 1e-3 next to X @ w ~ 100
    got = call(learner.linear_regression_mse_gradients, X, y, w, b)
    expected = reference.linear_regression_mse_gradients(X, y, w, b)
    expect.close(got, expected, what=f"Called {got.text} with float64 inputs, residuals ~1e-3 next to X @ w ~ 100 "
                 "(compared with float64's default tolerances: computing in float32 and casting back loses the "
                 "residual):")
    # Residuals ~1 and N = 7: a constant in float32 (torch.tensor(2 / N), whose 2/7 is off by ~4e-8) is not
    # float64-accurate either, though it passes float64's default rtol of 1e-7.
    X, w, y = (torch.randn(*shape, generator=generator, dtype=torch.float64) for shape in ((7, 3), (3,), (7,)))
    b = torch.tensor(-0.7, dtype=torch.float64)
    got = call(learner.linear_regression_mse_gradients, X, y, w, b)
    expect.close(got, reference.linear_regression_mse_gradients(X, y, w, b), rtol=1e-10, atol=1e-12,
                 what=f"Called {got.text} with float64 inputs (N = 7, residuals ~1), compared to 1e-10: every "
                 "constant and intermediate must be float64 too (a torch.tensor(2 / N) is float32):")


@numerical_gradient.check(points=1, clauses=["central"])
def test_2_3_central_differences(learner):
    """Does numerical_gradient match autograd's gradient to central-difference accuracy (eps = 1e-3)?"""
    x = seeded(2, 3, dtype=torch.float64)
    expected = autograd_gradient(cubic_bowl, x)
    got = call(learner.numerical_gradient, cubic_bowl, x, eps=1e-3)
    expect.tensor_like(got.value, expected, what=f"Called {got.text}.")
    error = (got.value - expected).abs().max().item()
    expect.that(error < 1e-4,
                f"Called {got.text}.\nWith eps = 1e-3 it was off from the true gradient by up to {error:.2g}; central "
                "differences are accurate to about eps^2 (1e-6 here), forward differences (f(x + eps) - f(x)) / eps "
                "only to about eps. Use (f(x + eps) - f(x - eps)) / (2 * eps).")


@numerical_gradient.check(points=2, clauses=["central", "inputs", "float64", "float64-copy", "returns"])
@generated.examples(x=points(), f=SCALAR_FUNCTIONS, eps=st.sampled_from([1e-3, 1e-2, 0.1]), max_examples=12)
def test_2_3_matches_reference(learner, reference, x, f, eps):
    """Does numerical_gradient(f, x, eps) give the reference's float64 central differences, for any shape of x?"""
    expected = reference.numerical_gradient(f, x, eps=eps)
    got = call(learner.numerical_gradient, f, x, eps=eps)
    # The same float64 differences agree to rounding (~1e-13 at eps >= 1e-3): a result gathered in float32
    # (torch.tensor(list_of_floats), then .double()) is off by ~6e-8 of itself.
    expect.close(got, expected, rtol=1e-9, atol=1e-10)


class Recording:
    """A scalar function that remembers every point it was evaluated at (copies, in the dtype it was given)."""

    def __init__(self, f):
        self.f, self.points = f, []
        self.__name__ = f.__name__

    def __call__(self, point):
        self.points.append(point.detach().clone())
        return self.f(point)


@numerical_gradient.check(points=1, clauses=["eps-default", "float64-copy"])
@generated.examples(x=points(dtype=st.just(torch.float32)), max_examples=5)
def test_2_3_default_eps_in_float64(learner, x):
    """Without eps, does numerical_gradient evaluate f at float64 points x +- 1e-6 e_i, for every entry i?"""
    f = Recording(cubic_bowl)
    got = call(learner.numerical_gradient, f, x)
    centre = x.double().reshape(-1)
    dtypes = sorted({str(p.dtype) for p in f.points})
    expect.that(dtypes == ["torch.float64"], f"Called {got.text} on a float32 x.\nf was evaluated at points of "
                f"dtype {', '.join(dtypes) or '(none)'}; expected float64: float32 cannot resolve eps = 1e-6.")
    steps = [p.reshape(-1) - centre for p in f.points if p.numel() == centre.numel()]
    for i in range(centre.numel()):
        for sign in (1, -1):
            nudge = torch.zeros_like(centre)
            nudge[i] = sign * 1e-6
            expect.that(any(torch.allclose(step, nudge, rtol=0, atol=1e-9) for step in steps),
                        f"Called {got.text}.\nf was never evaluated at x {'+' if sign > 0 else '-'} 1e-6 * e_{i}: "
                        "without an eps argument, eps is 1e-6, and each entry is nudged both ways.")


@numerical_gradient.check(points=1, clauses=["unchanged"])
@generated.examples(x=points(), f=SCALAR_FUNCTIONS, max_examples=6)
def test_2_3_input_untouched(learner, x, f):
    """Does numerical_gradient leave its input exactly as it was (values and version counter)?"""
    original, version = x.clone(), x._version
    got = call(learner.numerical_gradient, f, x, eps=1e-3)
    expect.unchanged(x, original, version, what=f"Called {got.text}.")


@st.composite
def parameter_sets(draw):
    """([(value, grad or None), ...], lr): one to three parameters of one dtype, at least one with a gradient."""
    dtype = draw(strategies.float_dtypes(low_precision=False))
    count = draw(st.integers(1, 3))
    shapes = [draw(st.one_of(strategies.shapes(1, max_size=4), strategies.shapes(2, max_size=3)))
              for _ in range(count)]
    has_grad = draw(st.lists(st.booleans(), min_size=count, max_size=count).filter(any))
    pairs = [(draw(strategies.tensors(shape, dtype=dtype)),
              draw(strategies.tensors(shape, dtype=dtype)) if graded else None)
             for shape, graded in zip(shapes, has_grad)]
    return pairs, draw(st.sampled_from([0.1, 0.5, 1e-3, 2.0]))


def make_parameters(pairs, device="cpu"):
    params = []
    for value, grad in pairs:
        p = value.to(device, copy=True).requires_grad_(True)  # copy: two calls never share a tensor
        p.grad = None if grad is None else grad.to(device, copy=True)
        params.append(p)
    return params


def expect_stepped(params, expected, *, what: str) -> None:
    """Each of the caller's parameters: still a leaf that requires grad, moved like the reference's, .grad cleared."""
    for index, (p, want) in enumerate(zip(params, expected)):
        where = f"{what}\nParameter {index} (of shape {tuple(p.shape)}) afterwards:"
        expect.that(p.is_leaf and p.requires_grad,
                    f"{where} it is no longer a leaf that requires grad (is_leaf={p.is_leaf}, "
                    f"requires_grad={p.requires_grad}). {mistakes.describe('parameter_not_leaf')}")
        expect.close(p, want, what=where)
        expect.that(p.grad is None or not p.grad.abs().any(),
                    f"{where} its .grad still holds the gradient. Clear it (p.grad = None or p.grad.zero_()): "
                    "otherwise the next backward adds to it.")


@sgd_step.check(points=2, clauses=["update", "same-leaf", "skip-none"])
@generated.examples(drawn=parameter_sets(), max_examples=12)
def test_2_4_same_leaves_updated(learner, reference, device, drawn):
    """After sgd_step(list, lr), is every parameter the same leaf tensor with requires_grad, moved by -lr * grad?"""
    pairs, lr = drawn
    params, expected = make_parameters(pairs, device), make_parameters(pairs, device)
    callers = list(params)  # the caller's own tensors, kept alive: compared with `is`, never by id()
    reference.sgd_step(expected, lr)
    got = call(learner.sgd_step, params, lr)
    replaced = [i for i, (p, mine) in enumerate(zip(params, callers)) if p is not mine]
    if replaced:
        expect.mistake("parameter_not_leaf", f"Called {got.text}.\nIt put new tensors into the list at positions "
                       f"{replaced} instead of updating the caller's parameters in place.")
    expect_stepped(callers, expected, what=f"Called {got.text}.")


@sgd_step.check(points=1, clauses=["version-counter", "float64-accurate"])
def test_2_4_version_counter_and_float64(learner):
    """Does sgd_step bump each parameter's version counter, and move float64 parameters by exactly -lr * grad?"""
    generator = torch.Generator().manual_seed(9)
    start = 1000 + torch.randn(5, generator=generator, dtype=torch.float64)
    grad = torch.randn(5, generator=generator, dtype=torch.float64)
    p = start.clone().requires_grad_(True)
    p.grad = grad.clone()
    version = p._version
    got = call(learner.sgd_step, [p], 1e-3)
    expect.that(p._version > version, f"Called {got.text}.\nThe parameter's version counter stayed at {version}: "
                "the update went through p.data (or replaced the values behind autograd's back), so a graph that "
                "saved p would silently use the new values. Update p itself in place under torch.no_grad(): "
                "p -= lr * p.grad.")
    # Subtracting p's start from p is exact (Sterbenz), so the step is -lr * grad to an ulp of 1000 (1.1e-13): a
    # float32 lr (torch.tensor(lr), off by ~5e-8 of itself) or a float32 copy of p lands far outside.
    expect.close(p.detach() - start, -1e-3 * grad, rtol=1e-9, atol=4e-13,
                 what=f"Called {got.text} on a float64 parameter near 1000.\nThe step it took (p after minus p "
                 "before), compared with -lr * grad to an ulp of p (a float32 copy of p, or lr made a float32 "
                 "tensor, loses the step):")


@sgd_step.check(points=1, clauses=["skip-none"])
def test_2_4_skips_parameters_without_grad(learner):
    """Does sgd_step leave alone (and not fail on) a parameter whose .grad is None?"""
    used, unused = seeded(3, seed=5).requires_grad_(True), seeded(2, seed=6).requires_grad_(True)
    used.grad = torch.ones(3)
    before = unused.detach().clone()
    got = call(learner.sgd_step, [unused, used], 0.5)
    expect.close(unused, before, what=f"Called {got.text}; the parameter without a gradient afterwards:")
    expect.that(unused.grad is None, f"Called {got.text}.\nThe parameter without a gradient has .grad "
                f"{describe_grad(unused.grad)} afterwards; expected None.")


def describe_grad(grad) -> str:
    return "None" if grad is None else f"{grad.flatten()[:4].tolist()}"


ITERABLES = {
    "a generator": lambda params: (p for p in params),
    "a tuple": tuple,
    "module.parameters()": lambda params: as_module(params).parameters(),
}


def as_module(params):
    module = torch.nn.Module()
    for index, p in enumerate(params):
        module.register_parameter(f"p{index}", torch.nn.Parameter(p, requires_grad=True))
        getattr(module, f"p{index}").grad = p.grad
    return module


@sgd_step.check(points=1, clauses=["iterables"])
@generated.examples(drawn=parameter_sets(), kind=st.sampled_from(sorted(ITERABLES)), max_examples=9)
def test_2_4_any_iterable(learner, reference, drawn, kind):
    """Does sgd_step work on a generator (walked once), a tuple and module.parameters(), not only on a list?"""
    pairs, lr = drawn
    expected = make_parameters(pairs)
    reference.sgd_step(expected, lr)
    params = make_parameters(pairs)
    if kind == "module.parameters()":
        module = as_module(params)
        params, iterable = list(module.parameters()), module.parameters()
    else:
        iterable = ITERABLES[kind](params)
    got = call(learner.sgd_step, iterable, lr)
    expect_stepped(params, expected, what=f"Called sgd_step on {kind} of {len(params)} parameters, lr={lr} "
                   f"({got.text}).")


@sgd_step.check(points=2, clauses=["clear"])
def test_2_4_gradients_cleared(learner, reference):
    """Over two steps with a backward pass before each, does sgd_step match the reference (gradients cleared)?"""
    X, y = seeded(6, 3, seed=4), seeded(6, seed=5)
    runs = {}
    for who, step in (("learner", learner.sgd_step), ("reference", reference.sgd_step)):
        w = torch.zeros(3, requires_grad=True)
        for _ in range(2):
            (X @ w - y).pow(2).mean().backward()
            call(step, [w], 0.1)
        runs[who] = w
    expect.that(runs["learner"].grad is None or not runs["learner"].grad.abs().any(),
                "After sgd_step([w], 0.1), w.grad still holds the gradient. Clear it (w.grad = None or "
                "w.grad.zero_()): otherwise the next backward adds to it and the step after uses the sum.")
    expect.close(runs["learner"], runs["reference"],
                 what="Two rounds of backward + sgd_step([w], lr=0.1) on a least-squares loss; w afterwards:")
