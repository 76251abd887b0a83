"""Colour for the kit's commands: only on a terminal, never with NO_COLOR, always with FORCE_COLOR (no-color.org)."""
from __future__ import annotations

import os
import sys


def wants_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"
