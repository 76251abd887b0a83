"""Loss curves of the learner's run next to the reference's, for training exercises (`pytest autograder --plots DIR`).

A check that trains both calls `curves.record("train loss", learner_losses, reference_losses)`; the plugin knows which
exercise is running and, at the end, saves one PNG per exercise with matplotlib (Agg: no display needed). Recording
costs nothing when --plots is not given.
"""
from __future__ import annotations

import math
from pathlib import Path

_ACTIVE = {"on": False, "exercise": None}
RECORDED: dict[str, dict[str, tuple[list[float], list[float]]]] = {}


def enable(on: bool = True) -> None:
    _ACTIVE["on"] = on


def set_exercise(exercise_id: str | None) -> None:
    _ACTIVE["exercise"] = exercise_id


def _numbers(values) -> list[float] | None:
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError, RuntimeError):
        return None
    return numbers or None


def enabled() -> bool:
    return _ACTIVE["on"] and _ACTIVE["exercise"] is not None


def record_against(label: str, learner, run_reference) -> None:
    """Like record(), but the reference's run is only made (by calling run_reference()) when plots were asked for."""
    if enabled():
        record(label, learner, run_reference())


def record(label: str, learner, reference) -> None:
    """Keep the learner's and the reference's values per step or epoch under `label` (the last call wins)."""
    if not _ACTIVE["on"] or not _ACTIVE["exercise"]:
        return
    mine, theirs = _numbers(learner), _numbers(reference)
    if mine is None or theirs is None:
        return
    RECORDED.setdefault(_ACTIVE["exercise"], {})[label] = (mine, theirs)


def save(directory: Path, functions: dict[str, str] | None = None, lang: str = "en") -> list[Path]:
    """One PNG per exercise with recorded curves: learner solid, reference dashed, log scale when positive."""
    if not RECORDED:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    yours, reference = "yours", "reference"  # matplotlib's bundled fonts have no Chinese glyphs
    saved = []
    for exercise_id, curves in sorted(RECORDED.items()):
        figure, axes = plt.subplots(figsize=(6.4, 4))
        for index, (label, (mine, theirs)) in enumerate(sorted(curves.items())):
            colour = f"C{index}"
            axes.plot(range(1, len(mine) + 1), mine, color=colour, label=f"{label}: {yours}")
            axes.plot(range(1, len(theirs) + 1), theirs, color=colour, linestyle="--", label=f"{label}: {reference}")
        values = [v for mine, theirs in curves.values() for v in mine + theirs]
        if values and all(v > 0 and math.isfinite(v) for v in values) and max(values) / min(values) > 20:
            axes.set_yscale("log")
        name = (functions or {}).get(exercise_id, "")
        axes.set_title(f"{exercise_id} {name}".strip())
        axes.set_xlabel("step / epoch")
        axes.set_ylabel("loss")
        axes.legend()
        path = directory / f"ex-{exercise_id.replace('.', '-')}-loss.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        saved.append(path)
    return saved
