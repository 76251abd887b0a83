"""`coursekit`: the kit's command line for learners (watch, hint, explain, progress, reset, compare, doctor), authors
(stubs) and instructors (grade-class, gradescope, nbgrader-export).

Every command acts on the kit around the working directory (found by walking up), not on the clone the package was
installed from. The learner's commands import neither torch nor nbgrader: they answer at once, and a learner's
install (without the `instructor` extra) runs them all.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from coursekit.kit import find_root

KIT_ROOT = find_root()
LEARNER_COMMANDS = ("watch", "progress", "hint", "explain", "reset", "compare", "doctor")


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


def _edition(args: argparse.Namespace) -> int:
    from coursekit.learner_edition import EditionError, build

    print(f"Recording the reference's answers to every check and building the learner edition in {args.out} ...")
    try:
        built = build(args.out, KIT_ROOT)
    except EditionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Built {args.out}: no solutions/; {built['recorded checks']} checks replay {built['answers']} recorded "
          f"reference answers, {built['instructor checks']} are left to the instructor's grader, every other check "
          f"needs no reference. autograder/INTEGRITY: sha256 {built['digest']}.\n"
          f"Hand it out as it is (zip it, or push it to the class's repository); learners run `pip install -e .` "
          "and `pytest autograder` in it.")
    return 0


def _lang(args: argparse.Namespace) -> str:
    from autograder.engine.i18n import choose

    return choose(getattr(args, "lang", None))


def _watch(args: argparse.Namespace) -> int:
    from coursekit.watch import resolve_chapter, watch

    try:
        if args.where and not _is_exercise_id(args.where):
            resolve_chapter(args.where, KIT_ROOT)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    extra = ["--lang", args.lang] if args.lang else []
    return watch(KIT_ROOT, args.target.resolve(), args.where, poll=args.poll, interval=args.interval,
                 max_runs=args.max_runs, extra=extra, lang=_lang(args))


def _is_exercise_id(text: str) -> bool:
    from autograder.engine import catalog

    return text in catalog.read(KIT_ROOT / "autograder")


def _store(args: argparse.Namespace):
    from autograder.engine.progress_store import ProgressStore

    return ProgressStore(args.store, root=KIT_ROOT)


def _progress(args: argparse.Namespace) -> int:
    from coursekit.progress import export, show
    from coursekit.terminal import wants_colour

    store = _store(args)
    if args.export:
        print(f"wrote {export(store, args.export, KIT_ROOT)}")
        return 0
    print(show(store, _lang(args), wants_colour(), KIT_ROOT))
    return 0


def _hint(args: argparse.Namespace) -> int:
    from coursekit.hints import next_hint

    code, text = next_hint(args.exercise, _store(args), _lang(args), reset=args.reset, show_all=args.all,
                           root=KIT_ROOT)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _explain(args: argparse.Namespace) -> int:
    from coursekit.explain import explain

    code, text = explain(args.exercise, _store(args), _lang(args), root=KIT_ROOT)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _reset(args: argparse.Namespace) -> int:
    from coursekit.reset import reset

    code, text = reset(args.exercise, KIT_ROOT, _lang(args), target=args.target)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _compare(args: argparse.Namespace) -> int:
    from coursekit.compare import compare

    code, text = compare(args.exercise, _store(args), _lang(args), target=args.target, root=KIT_ROOT)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _doctor(args: argparse.Namespace) -> int:
    from autograder.engine import integrity
    from coursekit.doctor import diagnose, render
    from coursekit.terminal import wants_colour

    if args.update_integrity:
        from autograder.engine import example_store

        for check_file, (kept, drawing) in example_store.rebuild().items():
            print(f"autograder/data/examples/{check_file}.pt: the examples of {kept} checks stored"
                  + (f", {drawing} draw their own (not plain data)" if drawing else ""))
        print(f"autograder/INTEGRITY: sha256 {integrity.write_manifest()}")
        return 0
    findings = diagnose(args.exercises)
    print(render(findings, wants_colour()))
    return 0 if all(f.ok for f in findings) else 1


def _learner_commands(commands) -> None:
    lang = dict(choices=["en", "zh"], default=None, help="language (default: COURSEKIT_LANG, then the locale)")
    store = dict(type=Path, default=None, help="progress file (default: .coursekit/progress.sqlite or "
                                               "COURSEKIT_PROGRESS)")
    watch = commands.add_parser("watch", help="regrade the chapter you are editing on every save; keys: h hint, "
                                              "n next, l list, r regrade, q quit")
    watch.add_argument("where", nargs="?", metavar="exercise|chapter",
                       help="start at this exercise (8.1) or chapter (8, ch08_training_loop); default: the first one "
                            "you have not finished")
    watch.add_argument("--target", type=Path, default=KIT_ROOT / "exercises", help="folder to watch and grade")
    watch.add_argument("--poll", action="store_true",
                       help="look at the files every --interval instead of waiting for file events (automatic on "
                            "network and FUSE file systems)")
    watch.add_argument("--interval", type=float, default=0.2, help="seconds between looks at the files when polling")
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
    explain = commands.add_parser("explain", help="every failing check of an exercise's last grading, in full")
    explain.add_argument("exercise", help="exercise id, e.g. 8.1")
    explain.add_argument("--store", **store)
    explain.add_argument("--lang", **lang)
    explain.set_defaults(run=_explain)
    reset = commands.add_parser("reset", help="put one exercise back to its stub (your file is backed up first)")
    reset.add_argument("exercise", help="exercise id, e.g. 8.1")
    reset.add_argument("--target", type=Path, default=None, help=argparse.SUPPRESS)
    reset.add_argument("--lang", **lang)
    reset.set_defaults(run=_reset)
    compare = commands.add_parser("compare", help="your solution next to the reference, after it has passed")
    compare.add_argument("exercise", help="exercise id, e.g. 8.1")
    compare.add_argument("--target", type=Path, default=KIT_ROOT / "exercises", help=argparse.SUPPRESS)
    compare.add_argument("--store", **store)
    compare.add_argument("--lang", **lang)
    compare.set_defaults(run=_compare)
    doctor = commands.add_parser("doctor", help="check Python, torch, devices, exercises/ and the autograder's files")
    doctor.add_argument("--exercises", type=Path, default=KIT_ROOT / "exercises", help=argparse.SUPPRESS)
    doctor.add_argument("--update-integrity", action="store_true",
                        help="(course authors) store the checks' drawn examples (autograder/data/examples/) and record the "
                             "autograder's files in autograder/INTEGRITY")
    doctor.set_defaults(run=_doctor)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """All commands; for a learner's command only the learner's (the instructors' modules need not load)."""
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    stubs = commands.add_parser("stubs", help="regenerate exercises/ from solutions/ (nbgrader's ClearSolutions)")
    stubs.add_argument("chapters", nargs="*", help="only these chapters (e.g. ch01_tensors); default: all")
    stubs.add_argument("--solutions", type=Path, default=KIT_ROOT / "solutions")
    stubs.add_argument("--exercises", type=Path, default=KIT_ROOT / "exercises")
    stubs.add_argument("--force", action="store_true", help="also replace stubs you have edited (keeps a .bak copy)")
    stubs.add_argument("--check", action="store_true", help="write nothing; exit 1 if a stub differs")
    stubs.set_defaults(run=_stubs)
    edition = commands.add_parser("edition", help="build the learner edition a class gets: stubs, guides and checks, "
                                                  "the reference's recorded answers, no solutions/")
    edition.add_argument("out", type=Path, help="a new (or empty) folder outside the kit")
    edition.set_defaults(run=_edition)
    _learner_commands(commands)
    if command not in LEARNER_COMMANDS:
        _instructor_commands(commands)
    return parser


def _instructor_commands(commands) -> None:
    """grade-class, gradescope, nbgrader-export: taking the kit to a class (docs/en/instructors.md)."""
    from coursekit import grade_class_cli, gradescope, nbgrader_export

    grade_class_cli.add_parser(commands)
    gradescope.add_parser(commands)
    nbgrader_export.add_parser(commands)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        os.getcwd()
    except FileNotFoundError:
        print("error: the folder this command was started in no longer exists (it was deleted or moved); "
              "cd into an existing folder and run it again", file=sys.stderr)
        return 2
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (`coursekit progress | head`): stop quietly, as the Python docs advise (signal
        # module, "Note on SIGPIPE"): point stdout at devnull so that the exit-time flush raises nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in ("nbgrader", "nbformat", "nbconvert", "traitlets"):
            print(f"error: `coursekit {args.command}` needs {error.name}, which is for instructors and course authors: "
                  'pip install -e ".[instructor]"', file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
