"""Chapter 05, forward and backward propagation: do the learner's forward pass, hand-written backward pass and custom
autograd Functions compute what autograd computes?"""
import contextlib

import torch
import torch.nn.functional as F

from hypothesis import strategies as st

from autograder.engine import Exercise, call, expect, generated, strategies
from autograder.engine.calls import is_unwritten_stub
from autograder.engine.devices import DeviceFailure, MixedDevicesError, SameDeviceChecker, copies_out_of

mlp_forward = Exercise("5.1", "mlp_forward", clauses={
    "two-layer": "the forward pass of a two-layer MLP (linear, ReLU, linear) from raw tensors, with a cache.",
    "layout": "Weights are stored as nn.Linear stores them, (out_features, in_features): x: (N, D), w1: (H, D), "
              "b1: (H,), w2: (O, H), b2: (O,)",
    "formula": "z1 = x @ w1.T + b1 (N, H) pre-activation of the hidden layer h = relu(z1) = max(z1, 0) (N, H) hidden "
               "activations out = h @ w2.T + b2 (N, O)",
    "cache": 'Returns (out, cache) where cache = {"x": x, "z1": z1, "h": h, "w2": w2}: everything the backward pass '
             "(Exercise 5.2) needs.",
    "autograd": "Use torch operations only, so autograd can still differentiate `out`.",
    "dtype-device": "Any floating dtype (float16 and bfloat16 included) and device: out and the cache have x's dtype "
                    "and device.",
    "inputs-unchanged": "Leave the inputs unchanged.",
}, hints=[
    "Three lines: the hidden pre-activation z1 = x @ w1.T + b1, the activation h = relu(z1), then out = h @ w2.T + b2. "
    "The weights are (out_features, in_features), as in nn.Linear, hence the transposes.",
    "Return a tuple (out, cache) with cache = {'x': x, 'z1': z1, 'h': h, 'w2': w2}. Keep z1 as it was before the "
    "ReLU (don't use relu_ or z1[z1 < 0] = 0 in place), and stay in torch operations so autograd can follow.",
], hints_zh=[
    "三行：隐藏层的激活前值 z1 = x @ w1.T + b1，激活 h = relu(z1)，然后 out = h @ w2.T + b2。权重的形状是 (out_features, in_features)，与 nn.Linear 相同，所以需要转置。",
    "返回元组 (out, cache)，其中 cache = {'x': x, 'z1': z1, 'h': h, 'w2': w2}。保留 ReLU 之前的 z1（不要用 relu_ 或 z1[z1 < 0] = 0 原地修改），并且全程使用 torch 运算，让 autograd 能够跟踪。",
])
mlp_backward = Exercise("5.2", "mlp_backward", clauses={
    "by-hand": "the backward pass of the MLP of Exercise 5.1 by hand, from the cache (no autograd).",
    "inputs": "grad_out = dL/d(out): (N, O), the gradient of some loss L with respect to the network's output. "
              'cache = {"x": (N, D), "z1": (N, H), "h": (N, H), "w2": (O, H)} from mlp_forward.',
    "output-layer": "dL/dw2 = grad_out.T @ h (O, H) dL/db2 = sum over the batch of grad_out (O,) dL/dh = grad_out @ "
                    "w2 (N, H)",
    "relu-mask": "dL/dz1 = dL/dh * 1[z1 > 0] (N, H) the ReLU passes gradient only where it was active",
    "hidden-layer": "dL/dw1 = dL/dz1.T @ x (H, D) dL/db1 = sum over the batch of dL/dz1 (H,)",
    "returns": 'Returns {"w1": dL/dw1, "b1": dL/db1, "w2": dL/dw2, "b2": dL/db2}, each shaped like its parameter.',
    "dtype-device": "Any floating dtype (float16 and bfloat16 included) and device: the gradients have grad_out's "
                    "dtype and device.",
    "inputs-unchanged": "Leave grad_out and the cache unchanged.",
}, hints=[
    "Walk the forward pass backwards, one line per step: output layer (w2, b2), then h, then through the ReLU to z1, "
    "then the hidden layer (w1, b1). Every gradient has the shape of the tensor it belongs to.",
    "grad_w2 = grad_out.T @ h; grad_b2 = grad_out.sum(0); grad_h = grad_out @ w2; grad_z1 = grad_h * (z1 > 0); "
    "grad_w1 = grad_z1.T @ x; grad_b1 = grad_z1.sum(0). Biases add to every row, so their gradient is a sum, "
    "not a mean.",
], hints_zh=[
    "把前向过程倒着走一遍，每步一行：输出层 (w2, b2)，然后 h，再穿过 ReLU 到 z1，最后是隐藏层 (w1, b1)。每个梯度的形状都与它所属的张量相同。",
    "grad_w2 = grad_out.T @ h；grad_b2 = grad_out.sum(0)；grad_h = grad_out @ w2；grad_z1 = grad_h * (z1 > 0)；grad_w1 = grad_z1.T @ x；grad_b1 = grad_z1.sum(0)。偏置加到每一行上，所以它的梯度是求和而不是求均值。",
])
silu_function = Exercise("5.3", "SiLUFunction", clauses={
    "custom-function": "the SiLU (swish) activation as a custom torch.autograd.Function, with its own backward.",
    "forward": "forward: y = x * sigmoid(x)",
    "backward": "backward: dL/dx = dL/dy * dy/dx, dy/dx = s + x * s * (1 - s) with s = sigmoid(x)",
    "usage": "Use it as SiLUFunction.apply(x). forward gets a context `ctx` to save what backward needs "
             "(ctx.save_for_backward(...), read back as ctx.saved_tensors); backward gets dL/dy and returns one "
             "gradient per input of forward.",
    "saved-tensors": "backward reads x from ctx.saved_tensors, never from a plain attribute such as ctx.x: if x is "
                     "changed in place after forward, backward must raise autograd's error (or still give the "
                     "gradient at the x that forward saw).",
    "dtype-device": "Any floating dtype (float16 and bfloat16 included) and device: y and dL/dx have x's shape, "
                    "dtype and device,",
    "float64-accurate": "computed in x's dtype: float64 inputs give float64-accurate results.",
}, hints=[
    "In forward, save the input with ctx.save_for_backward(x) and return x * torch.sigmoid(x). In backward, read it "
    "back with (x,) = ctx.saved_tensors.",
    "backward must return grad_output * dy/dx with dy/dx = s + x * s * (1 - s), s = sigmoid(x): the product rule on "
    "x * s, times the incoming gradient (the chain rule). Return exactly one gradient: forward has one input.",
], hints_zh=[
    "在 forward 中用 ctx.save_for_backward(x) 保存输入，并返回 x * torch.sigmoid(x)。在 backward 中用 (x,) = ctx.saved_tensors 取回它。",
    "backward 必须返回 grad_output * dy/dx，其中 dy/dx = s + x * s * (1 - s)，s = sigmoid(x)：对 x * s 用乘积法则，再乘以传入的梯度（链式法则）。只返回一个梯度：forward 只有一个输入。",
])
linear_function = Exercise("5.4", "LinearFunction", clauses={
    "forward": "a linear layer y = x @ weight.T + bias as a custom torch.autograd.Function. x: (N, D), weight: (O, D), "
               "bias: (O,) or None -> y: (N, O)",
    "backward": "backward gets dL/dy (N, O) and returns one gradient per input of forward, in order: dL/dx = dL/dy @ "
                "weight (N, D) dL/dweight = dL/dy.T @ x (O, D)",
    "bias-gradient": "dL/dbias = dL/dy summed over the batch (O,), or None when bias is None",
    "usage": "Use it as LinearFunction.apply(x, weight, bias);",
    "bias-default": "bias defaults to None, so LinearFunction.apply(x, weight) works.",
    "dtype-device": "Any floating dtype (float16 and bfloat16 included) and device: every result has the inputs' "
                    "dtype and device,",
    "float64-accurate": "computed in the inputs' dtype: float64 inputs give float64-accurate results.",
}, hints=[
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


@mlp_forward.check(points=2, clauses=["two-layer", "layout", "formula", "dtype-device"])
def test_5_1_output_matches_reference(learner, reference, device):
    """Does mlp_forward return the (N, O) output of linear, ReLU, linear?"""
    p = mlp_parameters(device)
    with copies_out_of(device):  # a detour through the cpu (.cpu() of a result) ends there, which meta can prove
        got = forward_pair(learner, p)
    expected, _ = reference.mlp_forward(**p)
    expect.close(got.value[0], expected, what=f"Called {got.text}.\nThe output (item 0):", rtol=1e-5, atol=1e-5)


@mlp_forward.check(points=2, clauses=["cache", "dtype-device"])
def test_5_1_cache(learner, reference, device):
    """Does the cache hold x, the pre-activation z1, the activation h and w2?"""
    p = mlp_parameters(device)
    with copies_out_of(device):  # a cache entry moved to the cpu (h.cpu() "to save memory") ends there: meta proves it
        got = forward_pair(learner, p)
    _, expected = reference.mlp_forward(**p)
    expect_cache(got.value[1], expected, what=f"Called {got.text}.")


@mlp_forward.check(points=2, clauses=["autograd"])
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


@mlp_backward.check(points=3, clauses=["by-hand", "inputs", "output-layer", "relu-mask", "hidden-layer", "returns"])
def test_5_2_matches_autograd(learner, reference):
    """Does mlp_backward give the same gradient as autograd for every parameter?"""
    grad_out, cache, expected = autograd_gradients(reference)
    got = call(learner.mlp_backward, grad_out, cache)
    expect_gradients(got.value, expected, grad_out, cache, text=got.text)


@mlp_backward.check(points=1, clauses=["output-layer", "relu-mask", "hidden-layer"])
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


@mlp_backward.check(points=1, clauses=["returns", "dtype-device"])
def test_5_2_shapes_and_devices(learner, reference, device):
    """Is every gradient shaped like its parameter, with the input's dtype and device?"""
    p = mlp_parameters(device)
    _, cache = reference.mlp_forward(**p)
    grad_out = torch.ones(N, O, device=device)
    with copies_out_of(device):  # a gradient brought to the cpu ends there, which meta can then prove
        got = call(learner.mlp_backward, grad_out, cache)
    expected = reference.mlp_backward(grad_out, cache)
    expect_gradients(got.value, expected, grad_out, cache, text=got.text)


@mlp_backward.check(points=1, clauses=["by-hand", "inputs-unchanged"])
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


def connected_on_device(called, inputs: dict) -> None:
    """expect.connected, with the learner's backward (which it runs) under the same-device checker on meta: a
    tensor made on the cpu inside backward is then a device failure, not an inconclusive meta error."""
    meta = any(t.is_meta for t in inputs.values())
    try:
        with SameDeviceChecker() if meta else contextlib.nullcontext():
            expect.connected(called, inputs)
    except MixedDevicesError as error:
        raise DeviceFailure(f"Called {called.text}, then backward: {error}") from None


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
        raise DeviceFailure(f"Called {called.text}, then backward: {error}") from None
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


@mlp_forward.check(points=1, clauses=["formula"])
def test_5_1_relu_of_minus_infinity(learner):
    """Where a pre-activation is -inf (float16 overflows past 65504), is the activation max(z1, 0) = 0, not nan?"""
    p = mlp_parameters(seed=9)
    p["b1"][1] = float("-inf")  # hidden unit 1 is -inf for every sample: relu gives 0, z1 * (z1 > 0) gives nan
    got = forward_pair(learner, p)
    z1 = F.linear(p["x"], p["w1"], p["b1"])
    expected = F.linear(F.relu(z1), p["w2"], p["b2"])
    what = (f"Called {got.text} with b1[1] = -inf, so z1[:, 1] is -inf.\nThe output, compared with "
            "F.linear(F.relu(z1), w2, b2): relu(-inf) is 0 (h = max(z1, 0)); z1 * (z1 > 0) is -inf * 0 = nan there.")
    expect.close(got.value[0], expected, what=what, rtol=1e-5, atol=1e-5)


def smooth_inputs(shape=(N, D), device="cpu", dtype=torch.float32, seed=0, scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=generator, dtype=dtype) * scale).to(device)


@silu_function.check(points=1, clauses=["forward", "dtype-device", "usage"])
def test_5_3_forward(learner, device):
    """Does SiLUFunction.apply(x) return x * sigmoid(x) with x's shape, dtype and device?"""
    x = smooth_inputs(device=device)
    with copies_out_of(device):  # a forward computed on x.cpu() ends on the cpu, which meta can then prove
        got = call(silu_apply(learner), x)
    expect.close(got, F.silu(x))


@silu_function.check(points=2, clauses=["backward", "custom-function", "usage", "dtype-device"])
def test_5_3_backward_matches_autograd(learner, device):
    """Does the backward of SiLUFunction give autograd's gradient of F.silu, for an uneven upstream gradient?"""
    x = smooth_inputs(device=device, seed=1).requires_grad_(True)
    upstream = smooth_inputs(device=device, seed=2, scale=1.0)
    got = call(silu_apply(learner), x)
    connected_on_device(got, {"x": x})
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


@silu_function.check(points=2, clauses=["backward", "custom-function"])
def test_5_3_gradcheck(learner):
    """Does SiLUFunction pass torch.autograd.gradcheck in float64?"""
    x = smooth_inputs(dtype=torch.float64, seed=3).requires_grad_(True)
    expect.gradients_correct(silu_apply(learner), {"x": x},
                             what="Called SiLUFunction.apply(x) on a float64 (6, 3) input under gradcheck.")


@silu_function.check(points=1, clauses=["saved-tensors", "usage"])
def test_5_3_input_changed_in_place_after_forward(learner):
    """If x is changed in place after forward, does backward raise autograd's error (or use the x forward saw)?"""
    leaf = torch.linspace(-2, 2, 7, dtype=torch.float64, requires_grad=True)
    x = leaf * 1  # a non-leaf: it may be changed in place
    got = call(silu_apply(learner), x)
    (expected,) = torch.autograd.grad(F.silu(leaf * 1).sum(), [leaf])
    with torch.no_grad():
        x.mul_(3)  # bumps x's version counter: tensors saved with ctx.save_for_backward notice
    try:
        (grad,) = torch.autograd.grad(got.value.sum(), [leaf])
    except RuntimeError as error:
        if is_unwritten_stub(error):
            raise
        if "modified by an inplace operation" in str(error):
            return  # autograd refused: what ctx.save_for_backward promises
        raise AssertionError(f"Called {got.text}, changed x in place, then backward: it raised "
                             f"RuntimeError: {error}") from None
    expect.close(grad, expected, what=f"Called {got.text}, then multiplied x by 3 in place, then ran backward.\n"
                 "It neither raised autograd's 'modified by an inplace operation' error nor gave the gradient at "
                 "the x forward saw: backward read the changed x. Save x with ctx.save_for_backward(x) and read it "
                 "back with ctx.saved_tensors (not as ctx.x), so autograd can tell when it was changed.")


@silu_function.check(points=1, clauses=["float64-accurate", "backward"])
def test_5_3_float64_accurate(learner):
    """In float64, is the backward of SiLUFunction accurate to float64's default tolerances?"""
    # dy/dx crosses 0 near x = -1.28; out to |x| = 16, where dy/dx is 1 + x e^-x or x e^x, not yet exactly 1 or 0
    x = torch.linspace(-16, 16, 161, dtype=torch.float64, requires_grad=True)
    upstream = torch.full((161,), 1e4, dtype=torch.float64)
    got = call(silu_apply(learner), x)
    (grad,) = backward_of(got, [x], upstream)
    (expected,) = torch.autograd.grad(F.silu(x), [x], grad_outputs=upstream)
    expect.close(grad, expected, what=f"Called {got.text} on 161 float64 points in [-16, 16], then backward with an "
                 "upstream gradient of 1e4.\nThe gradient with respect to x, compared at float64's default "
                 "tolerances (a backward computed in float32 and cast back loses digits where dy/dx is near 0):")


def linear_inputs(device="cpu", dtype=torch.float32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(N, D, generator=generator, dtype=dtype).to(device)  # (N, D)
    weight = torch.randn(O, D, generator=generator, dtype=dtype).to(device)  # (O, D)
    bias = torch.randn(O, generator=generator, dtype=dtype).to(device)  # (O,)
    return {"x": x, "weight": weight, "bias": bias}


@linear_function.check(points=1, clauses=["forward", "usage", "dtype-device"])
def test_5_4_forward(learner, device):
    """Does LinearFunction.apply(x, weight, bias) return x @ weight.T + bias, shaped (N, O)?"""
    p = linear_inputs(device)
    with copies_out_of(device):  # a forward computed on the cpu ends there, which meta can then prove
        got = call(linear_apply(learner), p["x"], p["weight"], p["bias"])
    expect.close(got, F.linear(p["x"], p["weight"], p["bias"]), rtol=1e-5, atol=1e-5)


@linear_function.check(points=2, clauses=["backward", "bias-gradient", "dtype-device"])
def test_5_4_backward_matches_autograd(learner, device):
    """Does the backward of LinearFunction give autograd's gradients for x, weight and bias?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(device, seed=1).items()}
    upstream = smooth_inputs((N, O), device=device, seed=2, scale=1.0)
    got = call(linear_apply(learner), p["x"], p["weight"], p["bias"])
    connected_on_device(got, p)
    grads = backward_of(got, list(p.values()), upstream)
    expected = torch.autograd.grad(F.linear(*p.values()), list(p.values()), grad_outputs=upstream)
    for name, value, want in zip(p, grads, expected):
        mistake = ""
        if name == "bias" and not want.is_meta and torch.allclose(value, upstream.mean(0)):
            mistake = " Known mistake: it is the mean of grad_output over the batch; the bias gradient is the sum."
        expect.close(value, want, what=f"Called {got.text}, then backward.\nThe gradient with respect to {name}:"
                                        f"{mistake}", rtol=1e-4, atol=1e-5)


@linear_function.check(points=2, clauses=["backward", "bias-gradient"])
def test_5_4_gradcheck(learner):
    """Does LinearFunction pass torch.autograd.gradcheck in float64 for x, weight and bias?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(dtype=torch.float64, seed=3).items()}
    expect.gradients_correct(linear_apply(learner), p,
                             what="Called LinearFunction.apply(x, weight, bias) on float64 inputs under gradcheck.")


@linear_function.check(points=1, clauses=["bias-gradient", "forward"])
def test_5_4_without_bias(learner):
    """Does LinearFunction work without a bias (bias=None), returning None as the bias gradient?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(dtype=torch.float64, seed=4).items()}
    got = call(linear_apply(learner), p["x"], p["weight"], None)
    expect.close(got, F.linear(p["x"], p["weight"]))
    expect.gradients_correct(linear_apply(learner), {"x": p["x"], "weight": p["weight"]},
                             what=f"Called {got.text} under float64 gradcheck. Without a bias, backward returns "
                                  "(grad_x, grad_weight, None).")


@linear_function.check(points=1, clauses=["bias-default"])
def test_5_4_two_arguments(learner):
    """Does LinearFunction.apply(x, weight), with no bias argument, give x @ weight.T and both gradients?"""
    p = linear_inputs(dtype=torch.float64, seed=5)
    x, weight = p["x"].requires_grad_(True), p["weight"].requires_grad_(True)
    got = call(learner.LinearFunction.apply, x, weight)
    expect.close(got, F.linear(x, weight))
    expect.gradients_correct(learner.LinearFunction.apply, {"x": x, "weight": weight},
                             what="Called LinearFunction.apply(x, weight) (two arguments: bias defaults to None) on "
                                  "float64 inputs under gradcheck.")


@linear_function.check(points=1, clauses=["bias-gradient", "dtype-device"])
def test_5_4_without_bias_on_device(learner, device):
    """Without a bias (bias=None), do LinearFunction's output and gradients stay on the inputs' device?"""
    p = {name: t.requires_grad_(True) for name, t in linear_inputs(device, seed=7).items() if name != "bias"}
    upstream = smooth_inputs((N, O), device=device, seed=8, scale=1.0)
    got = call(linear_apply(learner), p["x"], p["weight"], None)
    expect.close(got, F.linear(p["x"], p["weight"]), rtol=1e-5, atol=1e-5)
    connected_on_device(got, p)
    grads = backward_of(got, list(p.values()), upstream)
    expected = torch.autograd.grad(F.linear(p["x"], p["weight"]), list(p.values()), grad_outputs=upstream)
    for name, value, want in zip(p, grads, expected):
        expect.close(value, want, what=f"Called {got.text} (no bias), then backward.\nThe gradient with respect to "
                                        f"{name}:", rtol=1e-4, atol=1e-5)


@linear_function.check(points=1, clauses=["float64-accurate", "backward"])
def test_5_4_float64_accurate(learner):
    """In float64, with x far from 0 and an upstream gradient summing to 0, are the gradients float64-accurate?"""
    generator = torch.Generator().manual_seed(6)
    x = (1000 + torch.randn(20, D, generator=generator, dtype=torch.float64)).requires_grad_(True)
    weight = torch.randn(O, D, generator=generator, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(O, generator=generator, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(20, O, generator=generator, dtype=torch.float64)
    upstream = upstream - upstream.mean(0)  # dL/dy.T @ x then cancels 1000 * sum(dL/dy) = 0
    got = call(linear_apply(learner), x, weight, bias)
    grads = backward_of(got, [x, weight, bias], upstream)
    expected = torch.autograd.grad(F.linear(x, weight, bias), [x, weight, bias], grad_outputs=upstream)
    for name, value, want in zip(("x", "weight", "bias"), grads, expected):
        expect.close(value, want, what=f"Called {got.text} on float64 inputs (x near 1000), then backward with an "
                     f"upstream gradient whose columns sum to 0.\nThe gradient with respect to {name}, compared at "
                     "float64's default tolerances (computed in float32 and cast back, it loses the cancellation):")


# --------------------------------------------------------------------------------------------------------------------
# Drawn inputs: every float dtype the docstrings allow, sizes from 1 up, exact zeros (ReLU's kink: 1[z1 > 0] is 0 at
# z1 = 0 exactly, as autograd's relu says), and |x| past 88 for the sigmoid. torch is the oracle (F.linear, F.relu,
# F.silu and autograd through them); in float16 and bfloat16 the tolerance grows with the size of the sums.

LOW_PRECISION = (torch.float16, torch.bfloat16)


def tolerance(dtype, scale: float = 1.0) -> dict:
    if dtype in LOW_PRECISION:
        eps = torch.finfo(dtype).eps
        return dict(rtol=8 * eps, atol=8 * eps * scale)
    return dict(rtol=1e-4, atol=1e-5 * scale) if dtype is torch.float32 else dict(rtol=1e-7, atol=1e-9 * scale)


def moderate(dtype):
    return strategies.values(3.0, (0.0, 1.0, -1.0))


@st.composite
def mlp_inputs(draw):
    dtype = draw(strategies.float_dtypes())
    n, d, h, o = (draw(strategies.sizes(1, 6)) for _ in range(4))
    shapes = {"x": (n, d), "w1": (h, d), "b1": (h,), "w2": (o, h), "b2": (o,)}
    return {name: draw(strategies.tensors(shape, dtype, moderate(dtype))) for name, shape in shapes.items()}


def scale_of(*tensors) -> float:
    return float(max(t.detach().abs().max() for t in tensors if t.numel())) ** 2 * max(t.shape[-1] for t in tensors)


@mlp_forward.check(points=1, clauses=["formula", "layout", "cache", "dtype-device"])
@generated.examples(p=mlp_inputs(), max_examples=12)
def test_5_1_drawn_matches_functional(learner, p):
    """For drawn sizes, dtypes and values (exact zeros included), do out and the cache equal F.linear and F.relu's?"""
    got = forward_pair(learner, p)
    z1 = F.linear(p["x"], p["w1"], p["b1"])
    h = F.relu(z1)
    out = F.linear(h, p["w2"], p["b2"])
    tol = tolerance(p["x"].dtype, scale_of(*p.values()) ** 1.5)
    expect.close(got.value[0], out, what=f"Called {got.text}.\nThe output (item 0), compared with "
                                         "F.linear(F.relu(F.linear(x, w1, b1)), w2, b2):", **tol)
    cache = got.value[1]
    expect.that(isinstance(cache, dict) and all(k in cache for k in ("x", "z1", "h", "w2")),
                f"Called {got.text}.\nThe cache is {type(cache).__name__} with keys "
                f"{sorted(cache) if isinstance(cache, dict) else '-'}; expected x, z1, h and w2.")
    for key, want in (("x", p["x"]), ("z1", z1), ("h", h), ("w2", p["w2"])):
        expect.close(cache[key], want, what=f"Called {got.text}.\ncache[{key!r}]:", **tol)


@mlp_forward.check(points=1, clauses=["inputs-unchanged"])
def test_5_1_inputs_unchanged(learner):
    """Does mlp_forward leave x and every parameter exactly as they were (values, version, requires_grad)?"""
    for requires_grad in (False, True):
        p = mlp_parameters(seed=4, requires_grad=requires_grad)
        originals = {k: (t.detach().clone(), t._version, t.requires_grad) for k, t in p.items()}
        got = call(learner.mlp_forward, **p)
        for key, (values, version, grad) in originals.items():
            expect.unchanged(p[key].detach(), values, version, what=f"Called {got.text}.\nIt changed {key}.")
            expect.that(p[key].requires_grad == grad, f"Called {got.text}.\nIt changed {key}.requires_grad to "
                        f"{p[key].requires_grad}: leave the caller's tensors as they came.")


def autograd_oracle(grad_out, cache, b2_shape):
    """dL/d(w1, b1, w2, b2) by autograd through F.relu and F.linear, for this cache and upstream gradient."""
    x, w2 = cache["x"], cache["w2"].detach().clone().requires_grad_(True)
    z1 = cache["z1"].detach().clone().requires_grad_(True)
    b2 = torch.zeros(b2_shape, dtype=grad_out.dtype).requires_grad_(True)
    grad_z1, grad_w2, grad_b2 = torch.autograd.grad(F.linear(F.relu(z1), w2, b2), [z1, w2, b2], grad_out)
    w1 = torch.zeros(z1.shape[1], x.shape[1], dtype=x.dtype, requires_grad=True)  # dL/dw1 does not depend on w1
    b1 = torch.zeros(z1.shape[1], dtype=x.dtype, requires_grad=True)
    grad_w1, grad_b1 = torch.autograd.grad(F.linear(x, w1, b1), [w1, b1], grad_z1)
    return {"w1": grad_w1, "b1": grad_b1, "w2": grad_w2, "b2": grad_b2}


@st.composite
def backward_inputs(draw):
    dtype = draw(strategies.float_dtypes())
    n, d, h, o = (draw(strategies.sizes(1, 6)) for _ in range(4))
    x = draw(strategies.tensors((n, d), dtype, moderate(dtype)))
    z1 = draw(strategies.tensors((n, h), dtype, moderate(dtype)))  # exact zeros: the ReLU's kink
    w2 = draw(strategies.tensors((o, h), dtype, moderate(dtype)))
    grad_out = draw(strategies.tensors((n, o), dtype, moderate(dtype)))
    return grad_out, {"x": x, "z1": z1, "h": torch.relu(z1), "w2": w2}


@mlp_backward.check(points=2, clauses=["output-layer", "relu-mask", "hidden-layer", "returns", "dtype-device",
                                       "inputs"])
@generated.examples(drawn=backward_inputs(), max_examples=12)
def test_5_2_drawn_matches_autograd(learner, drawn):
    """For drawn sizes, dtypes and caches (z1 exactly 0 included), are the hand gradients autograd's?"""
    grad_out, cache = drawn
    expected = autograd_oracle(grad_out, cache, (cache["w2"].shape[0],))
    got = call(learner.mlp_backward, grad_out, cache)
    zeros = int((cache["z1"] == 0).sum())
    text = got.text + (f" with {zeros} entries of z1 exactly 0 (1[z1 > 0] is 0 there, as in autograd's relu)"
                       if zeros else "")
    value = got.value
    expect.that(isinstance(value, dict) and all(k in value for k in expected),
                f"Called {text}.\nIt returned {type(value).__name__}; expected a dict with keys {sorted(expected)}.")
    tol = tolerance(grad_out.dtype, scale_of(grad_out, *cache.values()))
    for key, want in expected.items():
        expect.close(value[key], want, what=f"Called {text}.\nThe gradient for {key!r} (compared with autograd's):",
                     **tol)


@st.composite
def silu_inputs(draw):
    dtype = draw(strategies.float_dtypes())
    shape = draw(strategies.shapes(draw(st.integers(1, 2)), max_size=5))
    special = (0.0, 1.0, -1.0, 20.0, -20.0) if dtype in LOW_PRECISION else (0.0, 89.0, -89.0, 100.0, -100.0, 1.0)
    x = draw(strategies.tensors(shape, dtype, strategies.values(8.0, special)))
    upstream = draw(strategies.tensors(shape, dtype, strategies.values(2.0, (0.0, 1.0))))
    transposed = len(shape) == 2 and draw(st.booleans())  # a non-contiguous input: .view(-1) on it fails
    return x, upstream, transposed


@silu_function.check(points=1, clauses=["forward", "backward", "dtype-device", "usage"])
@generated.examples(drawn=silu_inputs(), max_examples=12)
def test_5_3_drawn_matches_silu(learner, drawn):
    """For drawn dtypes, inputs (0, +-89, +-100 included) and layouts (transposed views), do SiLUFunction's output
    and gradient equal F.silu's?"""
    x, upstream, transposed = drawn
    leaf = x.clone().requires_grad_(True)
    twin = x.clone().requires_grad_(True)
    if transposed:  # the leaf stays contiguous; what the function gets is its transposed view
        upstream = upstream.t()
    got = call(silu_apply(learner), leaf.t() if transposed else leaf)
    expected = F.silu(twin.t() if transposed else twin)
    tol = tolerance(x.dtype, 8.0)
    expect.close(got, expected, what=f"Called {got.text}.\nCompared with F.silu:", **tol)
    expect.connected(got, {"x": leaf})
    (grad,) = backward_of(got, [leaf], upstream)
    (want,) = torch.autograd.grad(expected, [twin], grad_outputs=upstream)
    expect.close(grad, want, what=f"Called {got.text}, then backward with a drawn upstream gradient.\nThe gradient "
                                  "with respect to x, compared with autograd's through F.silu:", **tol)


@st.composite
def linear_drawn(draw):
    dtype = draw(strategies.float_dtypes())
    n, d = (draw(strategies.sizes(1, 6)) for _ in range(2))
    o = draw(st.one_of(st.just(d), strategies.sizes(1, 6)))  # a square weight often: a misplaced transpose hides there
    x = draw(strategies.tensors((n, d), dtype, moderate(dtype)))
    weight = draw(strategies.tensors((o, d), dtype, moderate(dtype)))
    bias = draw(st.one_of(st.none(), strategies.tensors((o,), dtype, moderate(dtype))))
    upstream = draw(strategies.tensors((n, o), dtype, moderate(dtype)))
    return x, weight, bias, upstream


@linear_function.check(points=1, clauses=["forward", "backward", "bias-gradient", "dtype-device"])
@generated.examples(drawn=linear_drawn(), max_examples=12)
def test_5_4_drawn_matches_autograd(learner, drawn):
    """For drawn sizes and dtypes, with and without a bias, are LinearFunction's output and gradients F.linear's?"""
    x, weight, bias, upstream = drawn
    inputs = [t.clone().requires_grad_(True) for t in (x, weight) + ((bias,) if bias is not None else ())]
    twins = [t.detach().clone().requires_grad_(True) for t in inputs]
    got = call(linear_apply(learner), *inputs, *(() if bias is not None else (None,)))
    expected = F.linear(*twins)
    tol = tolerance(x.dtype, scale_of(x, weight, upstream))
    expect.close(got, expected, what=f"Called {got.text}.\nCompared with F.linear:", **tol)
    grads = backward_of(got, inputs, upstream)
    wants = torch.autograd.grad(expected, twins, grad_outputs=upstream)
    for name, value, want in zip(("x", "weight", "bias"), grads, wants):
        expect.close(value, want, what=f"Called {got.text}, then backward.\nThe gradient with respect to {name}:",
                     **tol)
