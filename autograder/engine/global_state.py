"""torch's process-wide settings: take a snapshot, say what changed, put it back.

Learner code runs in the grader's process, so a stray `torch.set_default_dtype(torch.float64)` or a patched
`torch.allclose` would change every later check. Each check (and each import of a chapter) is wrapped: what it
changed is named, undone, and costs only that check.
"""
from __future__ import annotations

import torch
import torch.testing

# The functions the checks rely on, as they were when the grader started (before any learner code ran).
_PROTECTED = {
    "torch.testing.assert_close": (torch.testing, "assert_close"),
    "torch.allclose": (torch, "allclose"),
    "torch.isclose": (torch, "isclose"),
    "torch.equal": (torch, "equal"),
    "torch.autograd.gradcheck": (torch.autograd, "gradcheck"),
    "torch.manual_seed": (torch, "manual_seed"),
    "torch.Tensor.__eq__": (torch.Tensor, "__eq__"),
}
_ORIGINALS = {name: getattr(owner, attr) for name, (owner, attr) in _PROTECTED.items()}


def snapshot() -> dict:
    state = {
        "default dtype": torch.get_default_dtype(),
        "grad mode": torch.is_grad_enabled(),
        "anomaly detection": torch.is_anomaly_enabled(),
        "deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
        "number of threads": torch.get_num_threads(),
        "default device": torch.get_default_device(),
    }
    for name, (owner, attr) in _PROTECTED.items():
        state[name] = getattr(owner, attr)
    return state


def changes_since(before: dict) -> str:
    """A sentence listing what differs from the snapshot, or '' when nothing does."""
    after = snapshot()
    changed = []
    for key, old in before.items():
        new = after[key]
        if key in _PROTECTED:
            if new is not old:
                changed.append(f"{key} was replaced")
        elif new != old:
            changed.append(f"{key} went from {old} to {new}")
    return "; ".join(changed)


def restore(before: dict) -> None:
    torch.set_default_dtype(before["default dtype"])
    torch.set_grad_enabled(before["grad mode"])
    torch.autograd.set_detect_anomaly(before["anomaly detection"])
    torch.use_deterministic_algorithms(before["deterministic algorithms"])
    torch.set_num_threads(before["number of threads"])
    torch.set_default_device(before["default device"])
    for name, (owner, attr) in _PROTECTED.items():
        if getattr(owner, attr) is not _ORIGINALS[name]:
            setattr(owner, attr, _ORIGINALS[name])
