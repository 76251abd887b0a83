"""`coursekit`: the kit's command line for learners (watch, progress, hint, compare, doctor) and authors (stubs)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]


def _stubs(args: argparse.Namespace) -> int:
    from coursekit.stubs import StubError, write_stubs

    try:
        outcomes = write_stubs(args.solutions, args.exercises, force=args.force, check=args.check,
                               chapters=args.chapters)
    except StubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        print(f"{os.path.relpath(outcome.path)}: {outcome.action}")
    if args.check and any(o.action == "differs" for o in outcomes):
        print("exercises/ is out of date with solutions/: run `coursekit stubs`.", file=sys.stderr)
        return 1
    return 0


def _lang(args: argparse.Namespace) -> str:
    from autograder.engine.i18n import choose

    return choose(getattr(args, "lang", None))


def _watch(args: argparse.Namespace) -> int:
    from coursekit.watch import resolve_chapter, watch

    try:
        chapter = resolve_chapter(args.chapter) if args.chapter else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    extra = ["--lang", args.lang] if args.lang else []
    return watch(args.target.resolve(), chapter, interval=args.interval, max_runs=args.max_runs, extra=extra)


def _progress(args: argparse.Namespace) -> int:
    from autograder.engine.progress_store import ProgressStore
    from coursekit.progress import export, show
    from coursekit.terminal import wants_colour

    store = ProgressStore(args.store)
    if args.export:
        print(f"wrote {export(store, args.export)}")
        return 0
    print(show(store, _lang(args), wants_colour()))
    return 0


def _hint(args: argparse.Namespace) -> int:
    from autograder.engine.progress_store import ProgressStore
    from coursekit.hints import next_hint

    code, text = next_hint(args.exercise, ProgressStore(args.store), _lang(args), reset=args.reset,
                           show_all=args.all)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _compare(args: argparse.Namespace) -> int:
    from autograder.engine.progress_store import ProgressStore
    from coursekit.compare import compare

    code, text = compare(args.exercise, ProgressStore(args.store), _lang(args), target=args.target)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _doctor(args: argparse.Namespace) -> int:
    from autograder.engine import integrity
    from coursekit.doctor import diagnose, render
    from coursekit.terminal import wants_colour

    if args.update_integrity:
        print(f"autograder/INTEGRITY: sha256 {integrity.write_manifest()}")
        return 0
    findings = diagnose(args.exercises)
    print(render(findings, wants_colour()))
    return 0 if all(f.ok for f in findings) else 1


def _learner_commands(commands) -> None:
    lang = dict(choices=["en", "zh"], default=None, help="language (default: COURSEKIT_LANG, then the locale)")
    store = dict(type=Path, default=None, help="progress file (default: .coursekit/progress.sqlite or "
                                               "COURSEKIT_PROGRESS)")
    watch = commands.add_parser("watch", help="regrade the chapter you are editing on every save")
    watch.add_argument("chapter", nargs="?", help="8, ch08 or ch08_training_loop (default: the file you save)")
    watch.add_argument("--target", type=Path, default=KIT_ROOT / "exercises", help="folder to watch and grade")
    watch.add_argument("--interval", type=float, default=0.2, help="seconds between looks at the files")
    watch.add_argument("--max-runs", type=int, default=None, help=argparse.SUPPRESS)
    watch.add_argument("--lang", **lang)
    watch.set_defaults(run=_watch)
    progress = commands.add_parser("progress", help="what you have done so far (kept by every grading run)")
    progress.add_argument("--export", type=Path, default=None, metavar="FILE",
                          help="write the progress as JSON (a .js file: the script the website's progress page reads)")
    progress.add_argument("--store", **store)
    progress.add_argument("--lang", **lang)
    progress.set_defaults(run=_progress)
    hint = commands.add_parser("hint", help="the next hint for an exercise (the last one points into the guide)")
    hint.add_argument("exercise", help="exercise id, e.g. 8.1")
    hint.add_argument("--all", action="store_true", help="also repeat the hints you have already seen")
    hint.add_argument("--reset", action="store_true", help="start again from the first hint")
    hint.add_argument("--store", **store)
    hint.add_argument("--lang", **lang)
    hint.set_defaults(run=_hint)
    compare = commands.add_parser("compare", help="your solution next to the reference, after it has passed")
    compare.add_argument("exercise", help="exercise id, e.g. 8.1")
    compare.add_argument("--target", type=Path, default=KIT_ROOT / "exercises", help=argparse.SUPPRESS)
    compare.add_argument("--store", **store)
    compare.add_argument("--lang", **lang)
    compare.set_defaults(run=_compare)
    doctor = commands.add_parser("doctor", help="check Python, torch, devices, exercises/ and the autograder's files")
    doctor.add_argument("--exercises", type=Path, default=KIT_ROOT / "exercises", help=argparse.SUPPRESS)
    doctor.add_argument("--update-integrity", action="store_true",
                        help="(course authors) record the current autograder files in autograder/INTEGRITY")
    doctor.set_defaults(run=_doctor)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    stubs = commands.add_parser("stubs", help="regenerate exercises/ from solutions/ (nbgrader's ClearSolutions)")
    stubs.add_argument("chapters", nargs="*", help="only these chapters (e.g. ch01_tensors); default: all")
    stubs.add_argument("--solutions", type=Path, default=KIT_ROOT / "solutions")
    stubs.add_argument("--exercises", type=Path, default=KIT_ROOT / "exercises")
    stubs.add_argument("--force", action="store_true", help="also replace stubs you have edited (keeps a .bak copy)")
    stubs.add_argument("--check", action="store_true", help="write nothing; exit 1 if a stub differs")
    stubs.set_defaults(run=_stubs)
    _learner_commands(commands)
    _instructor_commands(commands)
    return parser


def _instructor_commands(commands) -> None:
    """grade-class, gradescope, nbgrader-export: taking the kit to a class (docs/en/instructors.md)."""
    from coursekit import grade_class_cli, gradescope, nbgrader_export

    grade_class_cli.add_parser(commands)
    gradescope.add_parser(commands)
    nbgrader_export.add_parser(commands)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
