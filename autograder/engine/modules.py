"""Checks on nn.Modules that hold for every correct style: registered parameters, copied in order from the reference.

A learner's module may keep its layers in nn.Sequential, nn.ModuleList or plain attributes, so its state_dict keys
differ from the reference's. What every correct style shares is the list of parameters in creation order with the
same shapes (nn.Linear registers weight (out, in), then bias (out,)). Copying the reference's values along that list
gives both modules the same function, and the outputs can then be compared value by value.
"""
from __future__ import annotations

import torch
from torch import nn

from autograder.engine import mistakes
from autograder.engine.expect import that


def parameter_shapes(model: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(p.shape) for p in model.parameters()]


def registration_hint() -> str:
    return mistakes.describe("layers_not_registered")


def copy_parameters(learner_model: nn.Module, reference_model: nn.Module, *, what: str) -> None:
    """Give learner_model the reference's parameter values, matched in order; say plainly when they don't line up."""
    got, want = parameter_shapes(learner_model), parameter_shapes(reference_model)
    that(len(got) == len(want),
         f"{what}\nIts parameters() yields {len(got)} tensors {got}; expected {len(want)}: {want}. "
         + registration_hint())
    that(got == want,
         f"{what}\nIts parameters have shapes {got}; expected {want} (nn.Linear(in, out) holds weight (out, in) and "
         "bias (out,), created in the order of the layers).")
    with torch.no_grad():
        for mine, theirs in zip(learner_model.parameters(), reference_model.parameters()):
            mine.copy_(theirs)
