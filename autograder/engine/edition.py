"""Which edition of the kit this is: the author's (with solutions/) or the learner edition `coursekit edition` builds.

The learner edition has no reference code: its checks compare with torch's own functions, properties, and the
reference's answers recorded when the edition was built (engine/recorded_reference.py). It marks itself with the
file autograder/EDITION. Its device runs are always cpu and meta, on every machine, as the recording's were: the
recorded answers are the reference's on those two devices, so a learner's GPU changes nothing in the local grade.
"""
from __future__ import annotations

import os
from pathlib import Path

MARKER = Path(__file__).resolve().parents[1] / "EDITION"
RECORDING = "COURSEKIT_RECORDING_EDITION"  # set by `coursekit edition` while it grades the reference to record it


def is_learner_edition() -> bool:
    return MARKER.is_file()


def is_recording() -> bool:
    return os.environ.get(RECORDING) == "1"


def meta_only() -> bool:
    """Device runs on cpu and meta whatever the machine has (the learner edition, and recording it)."""
    return is_learner_edition() or is_recording()
