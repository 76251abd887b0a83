"""Gradescope: build autograder.zip, and grade one submission the way Gradescope runs it.

    coursekit gradescope --out autograder.zip [--chapters ch01_tensors ...] [--visibility after_published]
                         [--torch-index URL] [--site-url URL]
    coursekit grade-submission SUBMISSION --results results.json [--chapters ...]

Gradescope's specification (https://gradescope-autograders.readthedocs.io/en/latest/specs/): setup.sh and
run_autograder at the root of the zip; the zip's contents are unpacked into /autograder/source; setup.sh runs once, as
root, while the image is built; for each upload the harness puts the student's files in /autograder/submission, runs
/autograder/run_autograder (a copy of the zip's) from /autograder, and reads /autograder/results/results.json.

setup.sh puts everything in a virtual environment of its own, /autograder/venv (on Ubuntu 22.04 and 24.04, the base
images Gradescope offers, and any Debian or Ubuntu with Python 3.10 or newer: no `--break-system-packages`, nothing
in the system's Python). It installs the CPU build of the torch the zip was built with first (from PyTorch's CPU
index, `--torch-index`; an empty value uses pip's own configuration), then what grading needs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from coursekit import intake
from coursekit.batch import KIT_ROOT, Options, Student, grade_class

VISIBILITIES = ["visible", "hidden", "after_due_date", "after_published"]
SOURCE_PARTS = ["autograder", "coursekit", "solutions", "exercises", "pyproject.toml", "README.md"]
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What `python -m coursekit grade-submission` imports, no more (no docs tools): the kit's own version ranges.
GRADING_PACKAGES = ["numpy", "pytest", "pytest-timeout", "hypothesis"]
EXTRA_PACKAGES = ["nbformat>=5.9"]  # intake reads uploaded notebooks
# The keys Gradescope's specification documents; nothing else goes into results.json.
RESULTS_KEYS = ("score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard")
TEST_KEYS = ("score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
             "visibility", "extra_data")
LOCAL_SITE = "http://127.0.0.1:8000/"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (base images Ubuntu 22.04 or 24.04; any
# Debian or Ubuntu with Python 3.10+ works). Everything goes into /autograder/venv: the system's Python is untouched.
set -euo pipefail
VENV=/autograder/venv
TORCH_INDEX="{torch_index}"
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
# torch first, the CPU build: nothing installed after it may pull in a CUDA build.
if [ -n "$TORCH_INDEX" ]; then
    "${{PIP[@]}}" "torch=={torch}" --index-url "$TORCH_INDEX"
else
    "${{PIP[@]}}" "torch=={torch}"
fi
"${{PIP[@]}}" {packages}
"$VENV/bin/python" -c "import torch, pytest, nbformat; print('autograder ready: torch', torch.__version__)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission, write /autograder/results/results.json.
set -uo pipefail
mkdir -p /autograder/results
cd /autograder/source
exec /autograder/venv/bin/python -m coursekit grade-submission /autograder/submission \\
    --results /autograder/results/results.json \\
    --visibility {visibility} --check-timeout {check_timeout:g}{chapters}{site}{hidden}
"""


def grading_requirements() -> list[str]:
    """The grading packages with the version ranges of the kit's pyproject.toml."""
    text = (KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]  # [project].dependencies: tomllib is 3.11+
    declared = re.findall(r'^\s*"([^"]+)"', block, flags=re.M)
    by_name = {re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower(): d for d in declared}
    return [by_name.get(name, name) for name in GRADING_PACKAGES] + EXTRA_PACKAGES


def build_zip(out: Path, visibility: str = "after_published", check_timeout: float = 10.0,
              chapters: list[str] | None = None, torch_index: str = TORCH_CPU_INDEX, site_url: str = "",
              hidden_inputs: str | None = None) -> Path:
    """Write autograder.zip: setup.sh and run_autograder at its root, beside the kit (autograder/, coursekit/, ...)."""
    import torch

    torch_version = torch.__version__.split("+")[0]
    unknown = sorted(set(chapters or []) - set(intake.CHAPTERS))
    if unknown:
        raise SystemExit(f"unknown chapters {unknown}: the chapters are {', '.join(intake.CHAPTERS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    packages = " ".join(f"'{p}'" for p in grading_requirements())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", SETUP_SH.format(torch=torch_version, torch_index=torch_index, packages=packages),
             executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER.format(
            visibility=visibility, check_timeout=check_timeout,
            chapters=(" --chapters " + " ".join(sorted(chapters))) if chapters else "",
            site=f" --site-url '{site_url}'" if site_url else "",
            hidden=f" --hidden-inputs {shlex.quote(hidden_inputs)}" if hidden_inputs else ""), executable=True)
        for part in SOURCE_PARTS:
            path = KIT_ROOT / part
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                if "__pycache__" in file.parts or file.suffix in (".pyc", ".bak"):
                    continue
                _add(archive, file.relative_to(KIT_ROOT).as_posix(), file.read_bytes())  # data files too
    return out


def _add(archive: zipfile.ZipFile, name: str, text: str | bytes, executable: bool = False) -> None:
    """A member with a fixed date and mode: the same kit gives the same zip."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def student_text(text: str, site_url: str = "") -> str:
    """The report as a student reads it on Gradescope: no commands of the kit, links to the course's own site."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"\s*[(（][^()（）]*coursekit hint[^()（）]*[)）]", "", line)
        if "coursekit " in line or "pytest autograder" in line:
            continue  # a command of the kit's own: nothing a student can run on Gradescope
        if site_url:
            line = line.replace(LOCAL_SITE, site_url.rstrip("/") + "/")
        else:  # no site given: name the guide's page instead of a local address
            line = re.sub(re.escape(LOCAL_SITE) + r"(?:zh/)?(\S+?)/?(#\S+)?(?=[\s)]|$)",
                          lambda m: f"the course guide, {m.group(1)}{m.group(2) or ''}", line)
        lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"


def to_gradescope(results: dict, submission: intake.Submission, site_url: str = "") -> dict:
    """The kit's results.json cut to Gradescope's documented keys; no timings, so the same upload gives the same
    file. What was graded and ignored leads the output, and travels in extra_data for the instructor."""
    tests = [{key: test[key] for key in TEST_KEYS if key in test} for test in results.get("tests", [])]
    for test in tests:
        if "output" in test:
            test["output"] = student_text(test["output"], site_url).strip("\n")
    graded = {chapter: candidate.shown for chapter, candidate in sorted(submission.chosen.items())}
    spec = {
        "score": float(sum(t["score"] for t in tests)),
        "output": submission.summary() + "\n\n" + student_text(results.get("output", ""), site_url),
        "visibility": results.get("visibility", "visible"),
        "stdout_visibility": "hidden",
        "extra_data": {"graded": graded, "ignored": [{"path": p, "why": w} for p, w in submission.ignored]},
        "tests": tests,
    }
    return {key: spec[key] for key in RESULTS_KEYS if key in spec}


def grade_submission(submission: Path, results: Path, visibility: str = "visible",
                     check_timeout: float = 10.0, timeout: float = 300.0, memory_mb: int = 2048,
                     workers: int | None = None, chapters: list[str] | None = None, site_url: str = "",
                     hidden_inputs: str | None = None) -> dict:
    """Grade one upload with the class grader (intake, sandbox); write results.json by Gradescope's spec."""
    upload = intake.read_upload(submission.resolve(), chapters, "submission")
    with tempfile.TemporaryDirectory(prefix="coursekit-gradescope-") as scratch:
        scratch = Path(scratch)
        os.chmod(scratch, 0o755)  # a grading child that runs as another user reads the staged files
        folder = upload.write(scratch / "submission")
        os.chmod(folder, 0o755)
        options = Options(workers=workers or max(os.cpu_count() or 1, 1), timeout=timeout, memory_mb=memory_mb,
                          check_timeout=check_timeout, visibility=visibility, progress=False,
                          chapters=sorted(chapters) if chapters else None, hidden_inputs=hidden_inputs)
        outcome = grade_class([Student("submission", folder)], scratch / "out", options,
                              hidden=[results.resolve().parent, submission.resolve()])
        kit_results = outcome.results["submission"]
        spec = to_gradescope(json.loads(json.dumps(kit_results).replace(str(scratch) + os.sep, "")), upload,
                             site_url)
    write_results(results, spec)
    return {**spec, "max_score": float(sum(t["max_score"] for t in spec["tests"]))}


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _build(args) -> int:
    path = build_zip(args.out, args.visibility, args.check_timeout, args.chapters or None, args.torch_index,
                     args.site_url, args.hidden_inputs)
    scope = ", ".join(args.chapters) if args.chapters else "every chapter"
    print(f"{path}: upload it as the assignment's autograder (Gradescope: Configure Autograder > Zip file upload, "
          f"base image Ubuntu 22.04 or 24.04). Grades {scope}; results visibility: {args.visibility}.")
    return 0


def _grade(args) -> int:
    try:
        results = grade_submission(args.submission, args.results, args.visibility, args.check_timeout, args.timeout,
                                   args.memory, chapters=args.chapters or None, site_url=args.site_url,
                                   hidden_inputs=args.hidden_inputs)
    except (Exception, SystemExit) as error:  # noqa: BLE001 - Gradescope shows a results.json, never a bare failure
        write_results(args.results, {"score": 0.0, "output": (
            "The autograder could not grade this submission: it stopped before the checks ran "
            f"({type(error).__name__}). Your instructor has the details; your files were not changed."),
            "stdout_visibility": "hidden", "tests": []})
        print(f"grading failed: {error!r}", file=sys.stderr)
        raise
    print(results["output"])
    print(f"score: {results['score']:g} / {results['max_score']:g}; results: {args.results}")
    return 0


def add_parser(commands) -> None:
    build = commands.add_parser("gradescope", help="build autograder.zip for Gradescope")
    build.add_argument("--out", type=Path, default=Path("autograder.zip"))
    build.add_argument("--chapters", nargs="*", help="this assignment's chapters, e.g. ch01_tensors (default: all)")
    build.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                       help="when students see their results (default: after_published, i.e. hidden until you "
                            "publish grades)")
    build.add_argument("--check-timeout", type=float, default=10.0)
    build.add_argument("--torch-index", default=TORCH_CPU_INDEX,
                       help=f"where setup.sh gets torch's CPU build (default {TORCH_CPU_INDEX}; '' for pip's "
                            "own configuration)")
    build.add_argument("--site-url", default="", help="your course website, for the links in the feedback")
    build.add_argument("--hidden-inputs", metavar="SECRET", default=None,
                       help="also run every drawn check on inputs drawn from SECRET, which no learner edition holds "
                            "(it goes into run_autograder, which students never see)")
    build.set_defaults(run=_build)
    grade = commands.add_parser("grade-submission", help="grade one submission, sandboxed; write results.json")
    grade.add_argument("submission", type=Path)
    grade.add_argument("--results", type=Path, required=True)
    grade.add_argument("--visibility", choices=VISIBILITIES, default="visible")
    grade.add_argument("--check-timeout", type=float, default=10.0)
    grade.add_argument("--timeout", type=float, default=300.0)
    grade.add_argument("--memory", type=int, default=2048, metavar="MB")
    grade.add_argument("--chapters", nargs="*", help="only these chapters, e.g. ch01_tensors")
    grade.add_argument("--site-url", default="", help="your course website, for the links in the feedback")
    grade.add_argument("--hidden-inputs", metavar="SECRET", default=None, help=argparse.SUPPRESS)
    grade.set_defaults(run=_grade)
