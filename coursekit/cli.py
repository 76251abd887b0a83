"""`coursekit`: the kit's command line for authors and instructors."""
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
