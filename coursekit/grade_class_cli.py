"""`coursekit grade-class`: a class's uploads in, a gradebook and LMS imports out.

    coursekit grade-class SUBMISSIONS --out DIR [--workers N] [--resume] [--chapters ...] [--assignment NAME]

Intake (intake.py) finds every submission in SUBMISSIONS (folders, zips, notebooks, renamed files, Canvas and Moodle
exports) and copies the files it chose to DIR/submissions/STUDENT/ under their chapter names: exactly what was graded.
Each student's results, report and record are written the moment they finish, so Ctrl-C (or a crash of the grader)
loses only the students still running, and `--resume` grades only those missing (or whose files changed).
"""
from __future__ import annotations

import hashlib
import os
import statistics
import sys
from pathlib import Path

from coursekit import gradebook, intake
from coursekit.batch import Options, Student, grade_class


def _assignment_chapters(chapters: list[str] | None) -> list[str]:
    chosen = chapters or intake.CHAPTERS
    unknown = sorted(set(chosen) - set(intake.CHAPTERS))
    if unknown:
        raise SystemExit(f"unknown chapters {unknown}: the chapters are {', '.join(intake.CHAPTERS)}")
    return sorted(chosen)


def fingerprint(submission: intake.Submission, chapters: list[str], check_timeout: float, checks: str) -> str:
    """What a grade depends on: the files graded, the assignment's chapters, the check timeout, the checks."""
    key = f"{submission.fingerprint()}|{','.join(chapters)}|{check_timeout:g}|{checks}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _record(submission: intake.Submission, key: str, chapters: list[str], results: dict,
            by_chapter: dict[str, set[str]]) -> gradebook.Record:
    from autograder.engine.outcomes import BROKEN, TIMEOUT

    missing = [c for c in chapters if c not in submission.chosen]
    broken = [c for c in chapters if c in submission.chosen and BROKEN in by_chapter.get(c, ())]
    timed_out = [c for c in chapters if TIMEOUT in by_chapter.get(c, ())]
    status, notes = gradebook.status_of(missing, broken, timed_out, len(submission.chosen))
    ignored = [f"{path} ({why})" for path, why in submission.ignored if why != "macOS archive metadata"]
    if ignored:
        notes = "; ".join(filter(None, [notes, "ignored: " + ", ".join(ignored)]))
    scores: dict[str, float] = {}
    max_points: dict[str, float] = {}
    for test in results.get("tests", []):
        scores[test["number"]] = scores.get(test["number"], 0.0) + float(test["score"])
        max_points[test["number"]] = max_points.get(test["number"], 0.0) + float(test["max_score"])
    by_number = {int(c[2:4]): c for c in chapters}  # exercise 3.4 belongs to ch03_...
    chapter_of = {e: by_number[int(e.split(".")[0])] for e in max_points}
    return gradebook.Record(submission.name, submission.label, submission.lms_id, key, status, notes, scores,
                            max_points, chapter_of)


def main(args) -> int:
    chapters = _assignment_chapters(args.chapters)
    out = args.out.resolve()
    submissions, unclaimed = intake.read_class(args.submissions, chapters)
    staged = out / "submissions"
    from autograder.engine import integrity

    checks = integrity.digest()  # the autograder's files: edited checks regrade everyone on --resume
    if args.hidden_inputs:  # another secret draws other inputs: nobody graded with the old one is kept
        checks += "|hidden:" + hashlib.sha256(args.hidden_inputs.encode()).hexdigest()
    keys = {s.name: fingerprint(s, chapters, args.check_timeout, checks) for s in submissions}
    done = {}
    if args.resume:
        for submission in submissions:
            record = gradebook.load(out, submission.name)
            if record is not None and record.fingerprint == keys[submission.name] \
                    and (out / "results" / f"{submission.name}.json").exists():
                done[submission.name] = record
    to_grade = [s for s in submissions if s.name not in done]
    by_name = {s.name: s for s in submissions}
    records = dict(done)

    def finished(student: Student, results: dict, by_chapter: dict[str, set[str]]) -> None:
        submission = by_name[student.name]
        record = _record(submission, keys[student.name], chapters, results, by_chapter)
        gradebook.save(out, record)
        records[student.name] = record

    students = [Student(s.name, s.write(staged / s.name)) for s in to_grade]
    for path in [staged, *(s.folder for s in students)] if students else []:
        os.chmod(path, 0o755)  # a grading child that runs as another user reads the folder it grades
    options = Options(workers=args.workers, timeout=args.timeout, memory_mb=args.memory,
                      check_timeout=args.check_timeout, chapters=chapters, visibility=args.visibility,
                      hidden_inputs=args.hidden_inputs,
                      progress=not args.no_progress, per_chapter=args.per_chapter)
    outcome = None
    interrupted = False
    if students:
        try:
            outcome = grade_class(students, out, options, on_student=finished)
        except KeyboardInterrupt:
            interrupted = True
    ordered = [records[s.name] for s in submissions if s.name in records]
    gradebook.write_all(out, ordered, args.assignment)
    _summary(submissions, unclaimed, done, records, outcome, options, out)
    if interrupted:
        print(f"interrupted: {len(records)} of {len(submissions)} submissions are graded and written; "
              f"`coursekit grade-class {args.submissions} --out {args.out} --resume` grades the rest.", file=sys.stderr)
        return 130
    return 0


def _summary(submissions, unclaimed, done, records, outcome, options, out: Path) -> None:
    statuses = [r.status for r in records.values()]
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in (gradebook.GRADED, gradebook.PARTIAL, gradebook.NOTHING,
                                                             gradebook.BROKEN_CHAPTERS, gradebook.TIME_LIMIT)
                       if statuses.count(s))
    graded_now = len(records) - len(done)
    if outcome is not None:
        print(f"graded {graded_now} submissions in {outcome.seconds:.1f} s ({options.workers} workers, "
              f"{outcome.children} child processes, sandbox: {outcome.sandbox or 'none'})"
              + (f"; {len(done)} kept from the last run (--resume)" if done else ""))
        print(outcome.memory_line())
    elif done:
        print(f"nothing to grade: all {len(done)} submissions kept from the last run (--resume)")
    ignored = sum(len([i for i in s.ignored if i[1] != "macOS archive metadata"]) for s in submissions)
    metadata = sum(len([i for i in s.ignored if i[1] == "macOS archive metadata"]) for s in submissions)
    print(f"ignored: {ignored} files in submissions (listed in the notes column), {metadata} macOS metadata files, "
          f"{len(unclaimed)} entries that belong to no student"
          + (" (" + ", ".join(f"{name}: {why}" for name, why in unclaimed) + ")" if unclaimed else ""))
    if records:
        mean = statistics.mean(r.total for r in records.values())
        maximum = sum(next(iter(records.values())).max_points.values())
        print(f"gradebook: {out / 'gradebook.csv'}  ({len(records)} submissions: {counts}; mean {mean:.1f} / "
              f"{maximum:g}); LMS imports: canvas.csv, moodle.csv")


def add_parser(commands) -> None:
    grade = commands.add_parser("grade-class", help="grade a folder of submissions in parallel, isolated")
    grade.add_argument("submissions", type=Path,
                       help="a folder per student, a zip per student, or a Canvas/Moodle export (see the guide)")
    grade.add_argument("--out", type=Path, required=True,
                       help="where gradebook.csv, canvas.csv, moodle.csv, results/, reports/ and submissions/ go")
    grade.add_argument("--workers", type=int, default=max(os.cpu_count() or 1, 1))
    grade.add_argument("--timeout", type=float, default=300.0,
                       help="seconds one chapter of one submission may take, all checks together (default 300)")
    grade.add_argument("--memory", type=int, default=2048, metavar="MB",
                       help="memory a submission may allocate on top of the grader's own (default 2048)")
    grade.add_argument("--check-timeout", type=float, default=10.0, help="seconds per check (default 10)")
    grade.add_argument("--chapters", nargs="*", help="only these chapters, e.g. ch01_tensors")
    grade.add_argument("--assignment", default="PyTorch course kit",
                       help="the assignment's name in canvas.csv (Canvas matches the column by name)")
    grade.add_argument("--resume", action="store_true",
                       help="keep the students already graded in DIR (same files, chapters, check timeout and "
                            "checks)")
    grade.add_argument("--visibility", default="visible",
                       choices=["visible", "hidden", "after_due_date", "after_published"])
    grade.add_argument("--hidden-inputs", metavar="SECRET", default=os.environ.get("COURSEKIT_HIDDEN_INPUTS"),
                       help="also run every drawn check on inputs drawn from SECRET, which no learner edition holds "
                            "(keep it to yourself; the same SECRET gives the same inputs; default: "
                            "COURSEKIT_HIDDEN_INPUTS)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--per-chapter", action="store_true",
                       help="one process per student and chapter (default: one per student; both resume after a "
                            "crash and give the same grades)")
    grade.set_defaults(run=main)
