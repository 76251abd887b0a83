"""Grade one exercise at a time when one exercise's function calls another's (DESIGN.md).

`accuracy` may call the chapter's own `predict_labels`; `regularized_loss` calls `l1_penalty` and `l2_penalty`. A
check of the caller swaps in the reference's versions of what it calls, for the duration of that check only (through
pytest's monkeypatch), so a bug or an unwritten stub in one exercise never costs points in another.

And what learner code returns is looked at for what it is (`plain`): a tensor subclass cannot answer for itself.
"""
from __future__ import annotations

import pytest
import torch


def use_reference(monkeypatch: pytest.MonkeyPatch, learner, reference, *names: str) -> None:
    """Inside the learner's module, replace each of `names` with the reference's until the check ends."""
    module = getattr(learner, "_module", learner)  # the plugin's LearnerModule wraps the real module
    for name in names:
        monkeypatch.setattr(module, name, getattr(reference, name), raising=False)


# A tensor subclass returned by learner code could answer the checks' own questions about it: `__sub__`, `__eq__`,
# `allclose`, `shape` defined in Python to agree with whatever they are compared with. What a learner's function
# returns is therefore looked at as a plain tensor: same data, same autograd graph, torch's own methods. (The class
# grader also runs every check with subclass __torch_function__ disabled.) Saved now, before any learner code runs:
# a subclass may define its own as_subclass.
_as_subclass = torch.Tensor.as_subclass
_KEPT_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter, *((torch.nn.Buffer,) if hasattr(torch.nn, "Buffer") else ()))


def plain(value):
    """`value` with every tensor of a subclass (in it, or in a tuple, list or dict it is) turned into a torch.Tensor."""
    kind = type(value)
    if isinstance(value, torch.Tensor):
        return value if kind in _KEPT_TENSOR_TYPES else _as_subclass(value, torch.Tensor)
    if kind in (tuple, list) or (isinstance(value, tuple) and hasattr(value, "_make")):
        items = [plain(item) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return value._make(items) if hasattr(value, "_make") else kind(items)
    if kind is dict:
        items = {key: plain(item) for key, item in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    return value
