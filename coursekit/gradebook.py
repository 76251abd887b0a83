"""The class gradebook: one record per submission, kept on disk as each student finishes, and the CSVs built from it.

    OUT/records/STUDENT.json   what was graded (fingerprint), status, points per exercise: written when the student
                               finishes, read back by `grade-class --resume`
    OUT/gradebook.csv          student, status, points per exercise, per chapter, total, max_total, notes
    OUT/canvas.csv             Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, one
                               assignment column; a "Points Possible" row)
    OUT/moodle.csv             Moodle's offline grading worksheet upload (Identifier "Participant N", Full name,
                               Grade, Maximum Grade, Feedback comments)

Statuses: graded (every chapter of the assignment found and graded), partial (some chapters not found), nothing found
(no chapter file in the upload), broken chapters (a chapter file did not import), time limit (a chapter ran past its
time limit). The notes column says which chapters, and what the intake ignored.
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRADED, PARTIAL, NOTHING, BROKEN_CHAPTERS, TIME_LIMIT = "graded", "partial", "nothing found", "broken chapters", \
    "time limit"


@dataclass
class Record:
    name: str
    label: str
    lms_id: str
    fingerprint: str
    status: str
    notes: str
    scores: dict[str, float] = field(default_factory=dict)  # exercise id -> points
    max_points: dict[str, float] = field(default_factory=dict)
    chapters: dict[str, str] = field(default_factory=dict)  # exercise id -> chapter

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def status_of(missing: list[str], broken: list[str], timed_out: list[str], found: int) -> tuple[str, str]:
    """The one-word status (worst first) and the notes that explain it."""
    notes = []
    if timed_out:
        notes.append("time limit: " + ", ".join(timed_out))
    if broken:
        notes.append("does not import: " + ", ".join(broken))
    if missing and found:
        notes.append("not found: " + ", ".join(missing))
    status = NOTHING if not found else TIME_LIMIT if timed_out else BROKEN_CHAPTERS if broken else \
        PARTIAL if missing else GRADED
    return status, "; ".join(notes)


def save(out: Path, record: Record) -> None:
    """Write the record atomically: an interrupted run leaves whole records or none."""
    folder = out / "records"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{record.name}.json.tmp"
    temporary.write_text(json.dumps(asdict(record), indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, folder / f"{record.name}.json")


def load(out: Path, name: str) -> Record | None:
    try:
        return Record(**json.loads((out / "records" / f"{name}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _exercise_key(exercise: str) -> tuple[int, ...]:
    return tuple(int(p) for p in exercise.split("."))


def columns(records: list[Record]) -> tuple[list[str], list[str], dict[str, float], dict[str, str]]:
    """(exercises, chapters, max points per exercise, chapter per exercise) over the whole class."""
    max_points: dict[str, float] = {}
    chapter_of: dict[str, str] = {}
    for record in records:
        max_points.update(record.max_points)
        chapter_of.update(record.chapters)
    exercises = sorted(max_points, key=_exercise_key)
    chapters = sorted(set(chapter_of.values()))
    return exercises, chapters, max_points, chapter_of


def write_all(out: Path, records: list[Record], assignment: str) -> None:
    """gradebook.csv, canvas.csv and moodle.csv from the records, in the class's order."""
    exercises, chapters, max_points, chapter_of = columns(records)
    maximum = sum(max_points.values())
    with (out / "gradebook.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", *exercises, *chapters, "total", "max_total", "notes"])
        for record in records:
            by_chapter = {c: sum(record.scores.get(e, 0.0) for e in exercises if chapter_of[e] == c) for c in chapters}
            writer.writerow([record.name, record.status, *(f"{record.scores.get(e, 0.0):g}" for e in exercises),
                             *(f"{by_chapter[c]:g}" for c in chapters), f"{record.total:g}", f"{maximum:g}",
                             record.notes])
    with (out / "canvas.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
        writer.writerow(["Points Possible", "", "", "", "", f"{maximum:g}"])
        for record in records:
            writer.writerow([record.label, record.lms_id, "", "", "", f"{record.total:g}"])
    with (out / "moodle.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Identifier", "Full name", "Grade", "Maximum Grade", "Feedback comments"])
        for record in records:
            identifier = f"Participant {record.lms_id}" if record.lms_id else ""
            writer.writerow([identifier, record.label, f"{record.total:.2f}", f"{maximum:.2f}",
                             f"{record.status}: {record.total:g} / {maximum:g}" + (f" ({record.notes})"
                                                                                  if record.notes else "")])
