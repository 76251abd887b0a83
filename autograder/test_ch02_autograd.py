"""Chapter 02, autograd: are the learner's gradients right, and does the SGD step keep parameters as leaves?"""
import torch

from autograder.engine import Exercise, call, expect, mistakes

gradient = Exercise("2.1", "gradient", hints=[
    "torch.autograd.grad(output, inputs) returns the gradients as a tuple instead of storing them in .grad.",
    "Differentiate at a fresh leaf: point = x.detach().requires_grad_(True); (g,) = torch.autograd.grad(f(point), "
    "point). Calling .backward() on f(x) would add into the caller's x.grad.",
], hints_zh=[
    "torch.autograd.grad(output, inputs) 以元组形式返回梯度，而不是把梯度存进 .grad。",
    "在一个新的叶子张量上求导：point = x.detach().requires_grad_(True)；(g,) = torch.autograd.grad(f(point), point)。对 f(x) 调用 .backward() 会把梯度累加到调用者的 x.grad 上。",
])
mse_gradients = Exercise("2.2", "linear_regression_mse_gradients", hints=[
    "Write the residual r = X @ w + b - y first; both gradients are made from it.",
    "The mean brings a 1/N and the square a 2: dL/dw = 2/N * X.T @ r and dL/db = 2/N * r.sum().",
], hints_zh=[
    "先写出残差 r = X @ w + b - y；两个梯度都由它构成。",
    "均值带来 1/N，平方带来 2：dL/dw = 2/N * X.T @ r，dL/db = 2/N * r.sum()。",
])
numerical_gradient = Exercise("2.3", "numerical_gradient", hints=[
    "Nudge one entry at a time up and down by eps and divide the change in f by 2 * eps.",
    "Work on x.detach().to(torch.float64).clone(): float32 cannot see a change of 1e-6, and editing a copy leaves "
    "the caller's x alone. Restore each entry after nudging it.",
], hints_zh=[
    "每次只把一个元素上下各挪动 eps，再用 f 的变化量除以 2 * eps。",
    "在 x.detach().to(torch.float64).clone() 上操作：float32 看不出 1e-6 的变化，而修改副本不会动到调用者的 x。每挪动一个元素之后都要把它恢复原值。",
])
sgd_step = Exercise("2.4", "sgd_step", hints=[
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


def seeded(*shape, dtype=torch.float32, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@gradient.check(points=2)
def test_2_1_matches_autograd(learner, reference):
    """Does gradient(f, x) return df/dx for a tensor that does not require grad?"""
    x = seeded(3, 5)
    expect.close(call(learner.gradient, cubic_bowl, x), reference.gradient(cubic_bowl, x))


@gradient.check(points=2)
def test_2_1_leaves_grad_untouched(learner, reference):
    """Does gradient(f, x) leave x.grad and x.requires_grad as they were, even when x is a leaf that requires grad?"""
    x = seeded(4, 2).requires_grad_(True)
    x.grad = torch.full_like(x, 7.0)
    got = call(learner.gradient, cubic_bowl, x)
    expect.close(got, reference.gradient(cubic_bowl, x.detach()))
    expect.that(x.requires_grad and x.grad is not None and torch.equal(x.grad, torch.full_like(x, 7.0)),
                f"Called {got.text} on a leaf whose .grad held 7s.\nAfterwards x.grad was "
                f"{None if x.grad is None else x.grad.flatten()[:4].tolist()}...: the call changed it. "
                "Use torch.autograd.grad, which returns the gradient, instead of .backward(), which adds into .grad.")


def regression_problem(n=7, d=3, seed=0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=generator, dtype=dtype)
    y = X @ torch.tensor([1.5, -2.0, 0.5], dtype=dtype)[:d] + 0.3 * torch.randn(n, generator=generator, dtype=dtype)
    w = torch.randn(d, generator=generator, dtype=dtype)
    b = torch.tensor(0.7, dtype=dtype)
    return X, y, w, b


@mse_gradients.check(points=3)
def test_2_2_equal_to_autograd(learner):
    """Do the hand-derived gradients of the MSE equal autograd's, for w and for b?"""
    X, y, w, b = regression_problem()
    got = call(learner.linear_regression_mse_gradients, X, y, w, b)
    w_leaf, b_leaf = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    loss = (X @ w_leaf + b_leaf - y).pow(2).mean()
    expected = torch.autograd.grad(loss, [w_leaf, b_leaf])
    expect.close(got, tuple(expected), rtol=1e-5, atol=1e-5)


@mse_gradients.check(points=1)
def test_2_2_by_formula(learner, reference, device):
    """Are the gradients computed by the formula (they must work under torch.no_grad()), on the inputs' device?"""
    X, y, w, b = (t.to(device) for t in regression_problem(n=5, seed=1))
    with torch.no_grad():
        got = call(learner.linear_regression_mse_gradients, X, y, w, b)
    expect.close(got, reference.linear_regression_mse_gradients(X, y, w, b))


@numerical_gradient.check(points=2)
def test_2_3_central_differences(learner):
    """Does numerical_gradient match autograd's gradient to central-difference accuracy (eps = 1e-3)?"""
    x = seeded(2, 3, dtype=torch.float64)
    point = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(cubic_bowl(point), point)
    got = call(learner.numerical_gradient, cubic_bowl, x, eps=1e-3)
    expect.tensor_like(got.value, expected, what=f"Called {got.text}.")
    error = (got.value - expected).abs().max().item()
    expect.that(error < 1e-4,
                f"Called {got.text}.\nWith eps = 1e-3 it was off from the true gradient by up to {error:.2g}; central "
                "differences are accurate to about eps^2 (1e-6 here), forward differences (f(x + eps) - f(x)) / eps "
                "only to about eps. Use (f(x + eps) - f(x - eps)) / (2 * eps).")


@numerical_gradient.check(points=2)
def test_2_3_float64_and_input_untouched(learner):
    """Given float32 input, does numerical_gradient work in float64 and leave the input unchanged?"""
    x = seeded(3, 2, seed=3)
    original, version = x.clone(), x._version
    got = call(learner.numerical_gradient, cubic_bowl, x)
    expect.unchanged(x, original, version, what=f"Called {got.text}.")
    point = x.double().requires_grad_(True)
    (expected,) = torch.autograd.grad(cubic_bowl(point), point)
    expect.close(got, expected, rtol=1e-5, atol=1e-5)


def parameters_with_grads(device="cpu", seed=0):
    w, b = seeded(3, 2, seed=seed).to(device), seeded(2, seed=seed + 1).to(device)
    w.requires_grad_(True), b.requires_grad_(True)
    w.grad, b.grad = seeded(3, 2, seed=seed + 2).to(device), seeded(2, seed=seed + 3).to(device)
    return [w, b]


@sgd_step.check(points=2)
def test_2_4_same_leaves_updated(learner, reference, device):
    """After sgd_step, is every parameter the same leaf tensor with requires_grad, moved by -lr * grad?"""
    params, expected = parameters_with_grads(device), parameters_with_grads(device)
    ids = [id(p) for p in params]
    got = call(learner.sgd_step, params, 0.1)
    reference.sgd_step(expected, 0.1)
    for index, (p, want) in enumerate(zip(params, expected)):
        what = f"Called {got.text}; parameter {index} afterwards:"
        expect.that(id(p) == ids[index] and p.is_leaf and p.requires_grad,
                    f"{what}\nIt is no longer a leaf that requires grad (is_leaf={p.is_leaf}, "
                    f"requires_grad={p.requires_grad}). {mistakes.describe('parameter_not_leaf')}")
        expect.close(p, want, what=what)


@sgd_step.check(points=2)
def test_2_4_gradients_cleared(learner, reference):
    """Over two steps with a backward pass before each, does sgd_step match the reference (gradients cleared)?"""
    X, y, _, _ = regression_problem(n=6, seed=4)
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
