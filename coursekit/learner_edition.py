"""`coursekit edition OUT`: build, from this author kit, the learner edition a class gets: no reference solutions.

What goes in: the guides (docs/), the stubs (exercises/, made afresh from solutions/ by `coursekit stubs`: never
the author's own exercises/), the checks and their engine (autograder/), the kit's commands (coursekit/), the
packaging and the README. What stays out: solutions/, the kit's own tests (their
variants are wrong and correct implementations of every exercise), benchmarks/, scripts/ and CI. In their place:

- autograder/data/recorded/: what the reference answered every check, recorded by grading solutions/ here with
  `--record-reference` (engine/recorded_reference.py), as plain tensors and numbers (weights_only);
- autograder/data/stubs/: the stubs as published, which `coursekit reset` puts back;
- autograder/EDITION: the marker, which makes the grader replay the recorded answers and check cpu and meta;
- autograder/INTEGRITY for this edition's files, so `coursekit doctor` says "unmodified" on a fresh copy.

Checks that need more than recorded answers (a reference class built, an argument without a fingerprint, an
answer with an autograd graph the check differentiates) are left to the instructor's grader (the full kit:
`coursekit grade-class`, the Gradescope bundle), which also draws inputs the edition never held.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from coursekit.kit import find_root

KIT_ROOT = find_root()

INCLUDED = ["README.md", "pyproject.toml", "conftest.py", "mkdocs.yml", "docs", "docs_hooks", "autograder", "coursekit"]
LEFT_OUT = ["solutions", "tests", "benchmarks", "scripts", ".ci", "CONTRIBUTING.md"]
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".coursekit", "site", "*.egg-info", "recorded",
                                  "EDITION", "INTEGRITY")


EDITION_NOTE = """> **This is the learner edition of the course kit.** It has no reference solutions: the checks compare your code
> with torch's own functions, with properties every correct answer has, and with the reference's recorded answers
> (`autograder/data/recorded/`). A few checks need the reference's code itself; your instructor's grader runs them,
> and the score report says how many points they hold. Where this README mentions `solutions/`, `tests/`,
> `benchmarks/`, `scripts/` or `--target solutions`, that is the author's kit, not this folder.

"""


class EditionError(Exception):
    """The edition could not be built; the message says why and what to do."""


def build(out: Path, root: Path = KIT_ROOT) -> dict[str, int]:
    """Build the learner edition in `out` (which must not exist or be empty); returns counts for the summary."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        raise EditionError(f"{out} is not empty: the edition is built into a new folder, nothing is overwritten.")
    if out.is_relative_to(root.resolve()):
        raise EditionError(f"{out} is inside the kit: build the edition outside it (e.g. ../course-edition).")
    if not (root / "solutions").is_dir():
        raise EditionError("this kit has no solutions/ (is it a learner edition already?): an edition is built from "
                           "the author kit.")
    out.mkdir(parents=True, exist_ok=True)
    for name in INCLUDED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, out / name, ignore=_IGNORED)
        elif source.is_file():
            shutil.copy2(source, out / name)
    # The stubs made afresh from solutions/ (never the author's exercises/, which may hold the author's own work)
    from coursekit.stubs import write_stubs

    write_stubs(root / "solutions", out / "exercises")
    shutil.copytree(out / "exercises", out / "autograder" / "data" / "stubs")
    _record_reference(root, out / "autograder" / "data" / "recorded")
    (out / "autograder" / "EDITION").write_text(
        "learner edition: no reference solutions; the checks replay the reference's recorded answers "
        "(autograder/engine/recorded_reference.py)\n", encoding="utf-8")
    readme = out / "README.md"
    readme.write_text(EDITION_NOTE + readme.read_text(encoding="utf-8"), encoding="utf-8")
    digest = _write_integrity(out)
    from autograder.engine import recorded_reference

    records = [record for path in sorted((out / "autograder" / "data" / "recorded").glob("*.pt"))
               for record in recorded_reference.read(path.name, path.parent).values()]
    return {"recorded checks": sum(not r.hidden for r in records), "instructor checks": sum(bool(r.hidden) for r in records),
            "answers": sum(len(r.answers) for r in records), "digest": digest}


def _record_reference(root: Path, folder: Path) -> None:
    """Grade solutions/ with every reference answer written down (cpu and meta runs, as the edition checks)."""
    environment = dict(os.environ, COURSEKIT_RECORDING_EDITION="1")
    command = [sys.executable, "-m", "pytest", str(root / "autograder"), "--target", str(root / "solutions"),
               "--record-reference", str(folder), "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "--no-record-progress"]
    done = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise EditionError("grading the reference to record its answers did not give full marks, so no edition was "
                           f"built:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")


def _write_integrity(out: Path) -> str:
    """The edition's own autograder/INTEGRITY (its files differ from the author kit's: records and marker)."""
    code = ("import sys; from pathlib import Path; from autograder.engine import integrity; "
            "root = Path(sys.argv[1]); print(integrity.write_manifest(root, root / 'INTEGRITY'))")
    done = subprocess.run([sys.executable, "-c", code, str(out / "autograder")], cwd=out, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()
