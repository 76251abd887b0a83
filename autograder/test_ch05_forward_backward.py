"""Chapter 05, forward and backward propagation: do the learner's forward pass, hand-written backward pass and custom
autograd Functions compute what autograd computes?"""
import contextlib

import torch
import torch.nn.functional as F

from autograder.engine import Exercise, call, expect
from autograder.engine.calls import is_unwritten_stub
from autograder.engine.devices import MixedDevicesError, SameDeviceChecker

mlp_forward = Exercise("5.1", "mlp_forward", hints=[
    "Three lines: the hidden pre-activation z1 = x @ w1.T + b1, the activation h = relu(z1), then out = h @ w2.T + b2. "
    "The weights are (out_features, in_features), as in nn.Linear, hence the transposes.",
    "Return a tuple (out, cache) with cache = {'x': x, 'z1': z1, 'h': h, 'w2': w2}. Keep z1 as it was before the "
    "ReLU (don't use relu_ or z1[z1 < 0] = 0 in place), and stay in torch operations so autograd can follow.",
], hints_zh=[
    "三行：隐藏层的激活前值 z1 = x @ w1.T + b1，激活 h = relu(z1)，然后 out = h @ w2.T + b2。权重的形状是 (out_features, in_features)，与 nn.Linear 相同，所以需要转置。",
    "返回元组 (out, cache)，其中 cache = {'x': x, 'z1': z1, 'h': h, 'w2': w2}。保留 ReLU 之前的 z1（不要用 relu_ 或 z1[z1 < 0] = 0 原地修改），并且全程使用 torch 运算，让 autograd 能够跟踪。",
])
mlp_backward = Exercise("5.2", "mlp_backward", hints=[
    "Walk the forward pass backwards, one line per step: output layer (w2, b2), then h, then through the ReLU to z1, "
    "then the hidden layer (w1, b1). Every gradient has the shape of the tensor it belongs to.",
    "grad_w2 = grad_out.T @ h; grad_b2 = grad_out.sum(0); grad_h = grad_out @ w2; grad_z1 = grad_h * (z1 > 0); "
    "grad_w1 = grad_z1.T @ x; grad_b1 = grad_z1.sum(0). Biases add to every row, so their gradient is a sum, "
    "not a mean.",
], hints_zh=[
    "把前向过程倒着走一遍，每步一行：输出层 (w2, b2)，然后 h，再穿过 ReLU 到 z1，最后是隐藏层 (w1, b1)。每个梯度的形状都与它所属的张量相同。",
    "grad_w2 = grad_out.T @ h；grad_b2 = grad_out.sum(0)；grad_h = grad_out @ w2；grad_z1 = grad_h * (z1 > 0)；grad_w1 = grad_z1.T @ x；grad_b1 = grad_z1.sum(0)。偏置加到每一行上，所以它的梯度是求和而不是求均值。",
])
silu_function = Exercise("5.3", "SiLUFunction", hints=[
    "In forward, save the input with ctx.save_for_backward(x) and return x * torch.sigmoid(x). In backward, read it "
    "back with (x,) = ctx.saved_tensors.",
    "backward must return grad_output * dy/dx with dy/dx = s + x * s * (1 - s), s = sigmoid(x): the product rule on "
    "x * s, times the incoming gradient (the chain rule). Return exactly one gradient: forward has one input.",
], hints_zh=[
    "在 forward 中用 ctx.save_for_backward(x) 保存输入，并返回 x * torch.sigmoid(x)。在 backward 中用 (x,) = ctx.saved_tensors 取回它。",
    "backward 必须返回 grad_output * dy/dx，其中 dy/dx = s + x * s * (1 - s)，s = sigmoid(x)：对 x * s 用乘积法则，再乘以传入的梯度（链式法则）。只返回一个梯度：forward 只有一个输入。",
])
linear_function = Exercise("5.4", "LinearFunction", hints=[
    "forward: ctx.save_for_backward(x, weight), remember whether there is a bias (ctx.has_bias = bias is not None), "
    "and return x @ weight.T, plus the bias when there is one.",
    "backward returns three things, one per input of forward: grad_output @ weight (N, D), grad_output.T @ x (O, D), "
    "and grad_output.sum(0) (O,) for the bias, or None when forward got no bias.",
], hints_zh=[
    "forward：ctx.save_for_backward(x, weight)，记下是否有偏置（ctx.has_bias = bias is not None），返回 x @ weight.T，有偏置时再加上偏置。",
    "backward 返回三项，对应 forward 的每个输入：grad_output @ weight (N, D)、grad_output.T @ x (O, D)，以及偏置的 grad_output.sum(0) (O,)；forward 没有偏置时这一项返回 None。",
])

N, D, H, O = 6, 3, 7, 5  # distinct sizes, so a missing transpose cannot hide


def mlp_parameters(device="cpu", dtype=torch.float32, seed=0, requires_grad=False):
    """Seeded (x, w1, b1, w2, b2) with distinct sizes; roughly half of the hidden units are active."""
    generator = torch.Generator().manual_seed(seed)
    shapes = {"x": (N, D), "w1": (H, D), "b1": (H,), "w2": (O, H), "b2": (O,)}
    tensors = {name: torch.randn(*shape, generator=generator, dtype=dtype).to(device) for name, shape in shapes.items()}
    if requires_grad:
        for tensor in tensors.values():
            tensor.requires_grad_(True)
    return tensors


def expect_cache(cache, expected: dict, *, what: str) -> None:
    expect.that(isinstance(cache, dict),
                f"{what}\nThe second item it returned is {type(cache).__name__}; expected the cache as a dict with "
                f"keys {sorted(expected)}.")
    missing = [key for key in expected if key not in cache]
    expect.that(not missing, f"{what}\nThe cache has keys {sorted(cache)}; it lacks {missing}. mlp_backward reads "
                             f"{sorted(expected)} from it.")
    for key, want in expected.items():
        got = cache[key]
        if key == "z1" and isinstance(got, torch.Tensor) and not want.is_meta and got.shape == want.shape \
                and torch.allclose(got.detach(), torch.relu(want.detach())) and (want < 0).any():
            raise AssertionError(f"{what}\ncache['z1'] holds the values after the ReLU (no negatives): was the ReLU "
                                 "applied in place (relu_, clamp_, z1[z1 < 0] = 0)? Keep the pre-activation z1.")
        expect.close(got, want, what=f"{what}\ncache[{key!r}]:", rtol=1e-5, atol=1e-5)


def forward_pair(learner, parameters):
    """Call the learner's mlp_forward and insist on the (out, cache) pair the backward pass needs."""
    got = call(learner.mlp_forward, **parameters)
    expect.that(isinstance(got.value, tuple) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (out, cache).")
    return got


@mlp_forward.check(points=2)
def test_5_1_output_matches_reference(learner, reference, device):
    """Does mlp_forward return the (N, O) output of linear, ReLU, linear?"""
    p = mlp_parameters(device)
    got = forward_pair(learner, p)
    expected, _ = reference.mlp_forward(**p)
    expect.close(got.value[0], expected, what=f"Called {got.text}.\nThe output (item 0):", rtol=1e-5, atol=1e-5)


@mlp_forward.check(points=2)
def test_5_1_cache(learner, reference, device):
    """Does the cache hold x, the pre-activation z1, the activation h and w2?"""
    p = mlp_parameters(device)
    got = forward_pair(learner, p)
    _, expected = reference.mlp_forward(**p)
    expect_cache(got.value[1], expected, what=f"Called {got.text}.")


@mlp_forward.check(points=2)
def test_5_1_autograd_can_differentiate(learner):
    """Can autograd differentiate the output with respect to x and every parameter (float64 gradcheck)?"""
    p = mlp_parameters(dtype=torch.float64, requires_grad=True, seed=1)
    got = call(learner.mlp_forward, **p)
    expect.that(isinstance(got.value, tuple) and len(got.value) == 2,
                f"Called {got.text}.\nIt returned {type(got.value).__name__}; expected a tuple (out, cache).")
    expect.connected(got.value[0], p, what=f"Called {got.text}.\nThe output:")
    expect.gradients_correct(lambda **kw: learner.mlp_forward(**kw)[0], p,
                             what=f"Called {got.text} (float64) and compared autograd's gradients of the output with "
                                  "finite differences.")


def autograd_gradients(reference, grad_out_seed=2, dtype=torch.float32):
    """The reference forward pass, a seeded upstream gradient, autograd's parameter gradients and a detached cache."""
    p = mlp_parameters(dtype=dtype, requires_grad=True)
    out, cache = reference.mlp_forward(**p)
    grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(grad_out_seed), dtype=dtype)  # (N, O)
    names = ["w1", "b1", "w2", "b2"]
    grads = torch.autograd.grad(out, [p[n] for n in names], grad_outputs=grad_out)
    cache = {key: value.detach() for key, value in cache.items()}
    return grad_out, cache, dict(zip(names, grads))


def _known_mistake(key: str, got: torch.Tensor, grad_out, cache) -> str:
    """Name the mistake when the learner's gradient equals a known-wrong formula."""
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    no_mask = grad_out @ w2
    candidates = {
        "b2": [(grad_out.mean(0), "it is the mean of grad_out over the batch; a bias's gradient is the sum")],
        "b1": [((no_mask * (z1 > 0)).mean(0), "it is a mean over the batch; a bias's gradient is the sum"),
               (no_mask.sum(0), "the ReLU's derivative is missing: multiply grad_h by (z1 > 0)")],
        "w1": [(no_mask.T @ x, "the ReLU's derivative is missing: multiply grad_h by (z1 > 0) before grad_z1.T @ x")],
        "w2": [(grad_out.T @ z1, "it uses z1 (before the ReLU) where the hidden activations h belong: "
                                 "grad_w2 = grad_out.T @ h")],
    }
    for wrong, sentence in candidates.get(key, []):
        if got.shape == wrong.shape and torch.allclose(got, wrong, rtol=1e-4, atol=1e-5):
            return f" Known mistake: {sentence}."
    return ""


def expect_gradients(got, expected: dict, grad_out, cache, *, text: str) -> None:
    expect.that(isinstance(got, dict),
                f"Called {text}.\nIt returned {type(got).__name__}; expected a dict with keys {sorted(expected)}.")
    missing = [key for key in expected if key not in got]
    expect.that(not missing, f"Called {text}.\nThe dict it returned has keys {sorted(got)}; it lacks {missing}.")
    for key, want in expected.items():
        value = got[key]
        mistake = ""
        if isinstance(value, torch.Tensor) and not want.is_meta:
            mistake = _known_mistake(key, value.detach(), grad_out, cache)
        expect.close(value, want, what=f"Called {text}.\nThe gradient for {key!r} (compared with autograd's):{mistake}",
                     rtol=1e-4, atol=1e-5)


@mlp_backward.check(points=3)
def test_5_2_matches_autograd(learner, reference):
    """Does mlp_backward give the same gradient as autograd for every parameter?"""
    grad_out, cache, expected = autograd_gradients(reference)
    got = call(learner.mlp_backward, grad_out, cache)
    expect_gradients(got.value, expected, grad_out, cache, text=got.text)


@mlp_backward.check(points=1)
def test_5_2_mse_loss_gradients(learner, reference):
    """Starting from the gradient of a mean squared error, are the hand gradients autograd's (float64)?"""
    p = mlp_parameters(dtype=torch.float64, requires_grad=True, seed=3)
    target = torch.randn(N, O, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    out, cache = reference.mlp_forward(**p)
    loss = ((out - target) ** 2).mean()
    names = ["w1", "b1", "w2", "b2"]
    grads = torch.autograd.grad(loss, [out] + [p[n] for n in names])
    grad_out, cache = grads[0], {key: value.detach() for key, value in cache.items()}
    got = call(learner.mlp_backward, grad_out, cache)
    expect_gradients(got.value, dict(zip(names, grads[1:])), grad_out, cache, text=got.text)


@mlp_backward.check(points=1)
def test_5_2_shapes_and_devices(learner, reference, device):
    """Is every gradient shaped like its parameter, with the input's dtype and device?"""
    p = mlp_parameters(device)
    _, cache = reference.mlp_forward(**p)
    grad_out = torch.ones(N, O, device=device)
    got = call(learner.mlp_backward, grad_out, cache)
    expected = reference.mlp_backward(grad_out, cache)
    expect_gradients(got.value, expected, grad_out, cache, text=got.text)


@mlp_backward.check(points=1)
def test_5_2_works_without_autograd_and_leaves_inputs(learner, reference):
    """Does mlp_backward work from a detached cache under torch.no_grad(), leaving grad_out and the cache unchanged?"""
    grad_out, cache, expected = autograd_gradients(reference, grad_out_seed=5)
    originals = {key: (value.clone(), value._version) for key, value in {"grad_out": grad_out, **cache}.items()}
    with torch.no_grad():
        got = call(learner.mlp_backward, grad_out, cache)
    expect_gradients(got.value, expected, grad_out, cache, text=got.text + " under torch.no_grad()")
    for key, value in {"grad_out": grad_out, **cache}.items():
        original, version = originals[key]
        expect.unchanged(value, original, version, what=f"Called {got.text}.\nIt changed {key} (in the cache or the "
                                                        "upstream gradient): the cache may be needed again.")


def backward_of(called, inputs: list, upstream: torch.Tensor) -> tuple:
    """Gradients of the learner's output, with the learner's backward run under the same-device checker on meta."""
    checker = SameDeviceChecker() if upstream.is_meta else contextlib.nullcontext()
    try:
        with checker:
            return torch.autograd.grad(called.value, inputs, grad_outputs=upstream)
    except NotImplementedError as error:
        if is_unwritten_stub(error):
            raise
        raise AssertionError(f"Called {called.text}, then backward: it raised NotImplementedError: {error}") from None
    except MixedDevicesError as error:
        raise AssertionError(f"Called {called.text}, then backward: {error}") from None
    except Exception as error:  # noqa: BLE001 - the learner's backward may raise anything
        raise AssertionError(f"Called {called.text}, then backward with an upstream gradient of shape "
                             f"{tuple(upstream.shape)}: it raised {type(error).__name__}: {error}\n"
                             "backward must return one gradient per input of forward, each shaped like that input, "
                             "and compute it from grad_output and what forward saved in ctx.") from None


def silu_apply(learner):
    """SiLUFunction.apply under a readable name, callable by keyword (gradcheck names its inputs)."""
    def apply(x):
        return learner.SiLUFunction.apply(x)
    apply.__name__ = "SiLUFunction.apply"
    return apply


def linear_apply(learner):
    """LinearFunction.apply under a readable name, callable by keyword."""
    def apply(x, weight, bias=None):
        return learner.LinearFunction.apply(x, weight, bias)
    apply.__name__ = "LinearFunction.apply"
    return apply


def smooth_inputs(shape=(N, D), device="cpu", dtype=torch.float32, seed=0, scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=generator, dtype=dtype) * scale).to(device)


@silu_function.check(points=1)
def test_5_3_forward(learner, device):
    """Does SiLUFunction.apply(x) return x * sigmoid(x) with x's shape, dtype and device?"""
    x = smooth_inputs(device=device)
    expect.close(call(silu_apply(learner), x), F.silu(x))


@silu_function.check(points=2)
def test_5_3_backward_matches_autograd(learner, device):
    """Does the backward of SiLUFunction give autograd's gradient of F.silu, for an uneven upstream gradient?"""
    x = smooth_inputs(device=device, seed=1).requires_grad_(True)
    upstream = smooth_inputs(device=device, seed=2, scale=1.0)
    got = call(silu_apply(learner), x)
    expect.connected(got, {"x": x})
    mistake = ""
    (grad,) = backward_of(got, [x], upstream)
    (expected,) = torch.autograd.grad(F.silu(x), [x], grad_outputs=upstream)
    if not x.is_meta:
        (derivative,) = torch.autograd.grad(F.silu(x).sum(), [x])
        if torch.allclose(grad, derivative, atol=1e-5):
            mistake = (" Known mistake: the gradient ignores grad_output. The chain rule multiplies the local "
                       "derivative by the incoming gradient: return grad_output * dy/dx.")
    expect.close(grad, expected, what=f"Called {got.text}, then backward with an upstream gradient of shape "
                                      f"{tuple(upstream.shape)}.\nThe gradient with respect to x:{mistake}",
                 rtol=1e-4, atol=1e-5)


@silu_function.check(points=2)
def test_5_3_gradcheck(learner):
    """Does SiLUFunction pass torch.autograd.gradcheck in float64?"""
    x = smooth_inputs(dtype=torch.float64, seed=3).requires_grad_(True)
    expect.gradients_correct(silu_apply(learner), {"x": x},
                             what="Called SiLUFunction.apply(x) on a float64 (6, 3) input under gradcheck.")


def linear_inputs(device="cpu", dtype=torch.float32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(N, D, generator=generator, dtype=dtype).to(device)  # (N, D)
    weight = torch.randn(O, D, generator=generator, dtype=dtype).to(device)  # (O, D)
    bias = torch.randn(O, generator=generator, dtype=dtype).to(device)  # (O,)
    return {"x": x, "weight": weight, "bias": bias}


@linear_function.check(points=1)
def test_5_4_forward(learner, device):
    """Does LinearFunction.apply(x, weight, bias) return x @ weight.T + bias, shaped (N, O)?"""
    p = linear_inputs(device)
    expect.close(call(linear_apply(learner), p["x"], p["weight"], p["bias"]),
                 F.linear(p["x"], p["weight"], p["bias"]), rtol=1e-5, atol=1e-5)


@linear_function.check(points=2)
def test_5_4_backward_matches_autograd(learner, device):
    """Does the backward of LinearFunction give autograd's gradients for x, weight and bias?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(device, seed=1).items()}
    upstream = smooth_inputs((N, O), device=device, seed=2, scale=1.0)
    got = call(linear_apply(learner), p["x"], p["weight"], p["bias"])
    expect.connected(got, p)
    grads = backward_of(got, list(p.values()), upstream)
    expected = torch.autograd.grad(F.linear(*p.values()), list(p.values()), grad_outputs=upstream)
    for name, value, want in zip(p, grads, expected):
        mistake = ""
        if name == "bias" and not want.is_meta and torch.allclose(value, upstream.mean(0)):
            mistake = " Known mistake: it is the mean of grad_output over the batch; the bias gradient is the sum."
        expect.close(value, want, what=f"Called {got.text}, then backward.\nThe gradient with respect to {name}:"
                                        f"{mistake}", rtol=1e-4, atol=1e-5)


@linear_function.check(points=2)
def test_5_4_gradcheck(learner):
    """Does LinearFunction pass torch.autograd.gradcheck in float64 for x, weight and bias?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(dtype=torch.float64, seed=3).items()}
    expect.gradients_correct(linear_apply(learner), p,
                             what="Called LinearFunction.apply(x, weight, bias) on float64 inputs under gradcheck.")


@linear_function.check(points=1)
def test_5_4_without_bias(learner):
    """Does LinearFunction work without a bias (bias=None), returning None as the bias gradient?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(dtype=torch.float64, seed=4).items()}
    got = call(linear_apply(learner), p["x"], p["weight"], None)
    expect.close(got, F.linear(p["x"], p["weight"]))
    expect.gradients_correct(linear_apply(learner), {"x": p["x"], "weight": p["weight"]},
                             what=f"Called {got.text} under float64 gradcheck. Without a bias, backward returns "
                                  "(grad_x, grad_weight, None).")
