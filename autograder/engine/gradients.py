"""float64 gradcheck with a failure message that names the argument and the index that disagree."""
from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch.autograd.gradcheck import GradcheckError  # torch.autograd.gradcheck is the function, not the module

_gradcheck = torch.autograd.gradcheck  # captured before learner code runs


def gradcheck_message(function: Callable, inputs: Mapping[str, torch.Tensor]) -> str:
    """'' when analytical and numerical gradients agree, else a sentence saying where they don't.

    Inputs must be float64 leaves with requires_grad=True and away from kinks (|x| not near 0 for abs, relu...).
    """
    names = list(inputs)
    tensors = tuple(inputs[n] for n in names)

    def positional(*args):
        return function(**dict(zip(names, args)))

    try:
        ok = _gradcheck(positional, tensors, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True)
    except NotImplementedError:
        raise
    except GradcheckError as error:
        return _explain_mismatch(positional, tensors, names, error)
    except Exception as error:  # noqa: BLE001 - e.g. the output does not require grad at all
        return f"gradcheck could not run: {type(error).__name__}: {error}"
    return "" if ok else "gradcheck failed."


def _explain_mismatch(function, tensors, names, error) -> str:
    text = str(error)
    for index, name in enumerate(names):
        if f"with respect to input {index}" in text:
            worst = _worst_entry(function, tensors, index)
            return (f"The gradient with respect to `{name}` is wrong (float64 gradcheck: autograd's gradient and a "
                    f"finite-difference estimate disagree){worst}. Did the backward formula, or a detach/in-place "
                    "operation in the forward pass, change what autograd sees?")
    return f"float64 gradcheck failed: {text.splitlines()[0]}"


def _worst_entry(function, tensors, index) -> str:
    """Where d(weighted sum of outputs)/d(input) differs most between autograd and central differences.

    The weights vary by position (an uneven upstream gradient): with a plain sum, a backward that ignores
    grad_output would look right here although gradcheck rejected it.
    """
    inputs = [t.detach().clone().requires_grad_(t.requires_grad) for t in tensors]
    (analytical,) = torch.autograd.grad(_total(function(*inputs)), [inputs[index]], allow_unused=True)
    analytical = torch.zeros_like(inputs[index]) if analytical is None else analytical
    numerical = torch.zeros_like(inputs[index])
    flat = inputs[index].detach().view(-1)
    eps = 1e-6
    with torch.no_grad():
        for i in range(flat.numel()):
            base = [t.detach() for t in inputs]
            plus, minus = base[index].clone(), base[index].clone()
            plus.view(-1)[i] += eps
            minus.view(-1)[i] -= eps
            f_plus = _total(function(*base[:index], plus, *base[index + 1:]))
            f_minus = _total(function(*base[:index], minus, *base[index + 1:]))
            numerical.view(-1)[i] = (f_plus - f_minus) / (2 * eps)
    gap = (analytical - numerical).abs()
    where = tuple(int(i) for i in torch.unravel_index(gap.argmax(), gap.shape)) if gap.dim() else ()
    return (f"; the largest difference is at index {where}: autograd gives {analytical[where].item():.6g}, "
            f"finite differences give {numerical[where].item():.6g}")


def _total(output) -> torch.Tensor:
    outputs = [output] if isinstance(output, torch.Tensor) else list(output)
    return sum((o * _weights(o)).sum() for o in outputs)


def _weights(output: torch.Tensor) -> torch.Tensor:
    return torch.linspace(1.0, 2.0, output.numel(), dtype=output.dtype, device=output.device).reshape(output.shape)
