"""Chapter 05: forward and backward propagation. A forward pass, its chain rule by hand, and autograd.Function.

Guide: docs/en/chapters/ch05-forward-backward.md
"""
from __future__ import annotations

import torch
from torch import Tensor


def mlp_forward(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Exercise 5.1: the forward pass of a two-layer MLP (linear, ReLU, linear) from raw tensors, with a cache.

    Weights are stored as nn.Linear stores them, (out_features, in_features):
    x: (N, D), w1: (H, D), b1: (H,), w2: (O, H), b2: (O,)

    z1  = x @ w1.T + b1          (N, H)   pre-activation of the hidden layer
    h   = relu(z1) = max(z1, 0)  (N, H)   hidden activations
    out = h @ w2.T + b2          (N, O)

    Returns (out, cache) where cache = {"x": x, "z1": z1, "h": h, "w2": w2}: everything the backward pass
    (Exercise 5.2) needs. Use torch operations only, so autograd can still differentiate `out`.
    Any floating dtype (float16 and bfloat16 included) and device: out and the cache have x's dtype and device.
    Leave the inputs unchanged.
    """
    ### BEGIN SOLUTION
    z1 = x @ w1.T + b1  # (N, H)
    h = torch.relu(z1)  # (N, H)
    out = h @ w2.T + b2  # (N, O)
    return out, {"x": x, "z1": z1, "h": h, "w2": w2}
    ### END SOLUTION


def mlp_backward(grad_out: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Exercise 5.2: the backward pass of the MLP of Exercise 5.1 by hand, from the cache (no autograd).

    grad_out = dL/d(out): (N, O), the gradient of some loss L with respect to the network's output.
    cache = {"x": (N, D), "z1": (N, H), "h": (N, H), "w2": (O, H)} from mlp_forward.

    dL/dw2 = grad_out.T @ h          (O, H)      dL/db2 = sum over the batch of grad_out   (O,)
    dL/dh  = grad_out @ w2           (N, H)
    dL/dz1 = dL/dh * 1[z1 > 0]       (N, H)      the ReLU passes gradient only where it was active
    dL/dw1 = dL/dz1.T @ x            (H, D)      dL/db1 = sum over the batch of dL/dz1     (H,)

    Returns {"w1": dL/dw1, "b1": dL/db1, "w2": dL/dw2, "b2": dL/db2}, each shaped like its parameter.
    Any floating dtype (float16 and bfloat16 included) and device: the gradients have grad_out's dtype and device.
    Leave grad_out and the cache unchanged.
    """
    ### BEGIN SOLUTION
    x, z1, h, w2 = cache["x"], cache["z1"], cache["h"], cache["w2"]
    grad_w2 = grad_out.T @ h  # (O, H)
    grad_b2 = grad_out.sum(dim=0)  # (O,)
    grad_h = grad_out @ w2  # (N, H)
    grad_z1 = grad_h * (z1 > 0)  # (N, H)
    grad_w1 = grad_z1.T @ x  # (H, D)
    grad_b1 = grad_z1.sum(dim=0)  # (H,)
    return {"w1": grad_w1, "b1": grad_b1, "w2": grad_w2, "b2": grad_b2}
    ### END SOLUTION


class SiLUFunction(torch.autograd.Function):
    """Exercise 5.3: the SiLU (swish) activation as a custom torch.autograd.Function, with its own backward.

    forward:   y = x * sigmoid(x)
    backward:  dL/dx = dL/dy * dy/dx,   dy/dx = s + x * s * (1 - s)   with s = sigmoid(x)

    Use it as SiLUFunction.apply(x). forward gets a context `ctx` to save what backward needs
    (ctx.save_for_backward(...), read back as ctx.saved_tensors); backward gets dL/dy and returns one
    gradient per input of forward.
    backward reads x from ctx.saved_tensors, never from a plain attribute such as ctx.x: if x is changed in place
    after forward, backward must raise autograd's error (or still give the gradient at the x that forward saw).
    Any floating dtype (float16 and bfloat16 included) and device: y and dL/dx have x's shape, dtype and device,
    computed in x's dtype: float64 inputs give float64-accurate results.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        """Forward pass of Exercise 5.3: return x * sigmoid(x), saving what backward needs."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> Tensor:
        """Backward pass of Exercise 5.3: return dL/dx = grad_output * (s + x * s * (1 - s)), s = sigmoid(x)."""
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))
        ### END SOLUTION


class LinearFunction(torch.autograd.Function):
    """Exercise 5.4: a linear layer y = x @ weight.T + bias as a custom torch.autograd.Function.

    x: (N, D), weight: (O, D), bias: (O,) or None  ->  y: (N, O)

    backward gets dL/dy (N, O) and returns one gradient per input of forward, in order:
        dL/dx      = dL/dy @ weight      (N, D)
        dL/dweight = dL/dy.T @ x         (O, D)
        dL/dbias   = dL/dy summed over the batch (O,), or None when bias is None
    Use it as LinearFunction.apply(x, weight, bias); bias defaults to None, so LinearFunction.apply(x, weight) works.
    Any floating dtype (float16 and bfloat16 included) and device: every result has the inputs' dtype and device,
    computed in the inputs' dtype: float64 inputs give float64-accurate results.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
        """Forward pass of Exercise 5.4: return x @ weight.T (+ bias), saving what backward needs."""
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = x @ weight.T  # (N, O)
        return out + bias if bias is not None else out
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        """Backward pass of Exercise 5.4: return (dL/dx, dL/dweight, dL/dbias), dL/dbias None without a bias."""
        ### BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        grad_x = grad_output @ weight  # (N, D)
        grad_weight = grad_output.T @ x  # (O, D)
        grad_bias = grad_output.sum(dim=0) if ctx.has_bias else None  # (O,)
        return grad_x, grad_weight, grad_bias
        ### END SOLUTION
