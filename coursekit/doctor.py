"""`coursekit doctor`: is this machine and this copy of the kit ready to grade?

Python and torch versions, the devices torch can use, whether exercises/ has the files and the names that
solutions/ has (same signatures), whether the autograder's files were modified (sha256 against
autograder/INTEGRITY), and whether the kit's cached bytecode (__pycache__) is what its sources compile to. Exit
status 0 when all is well, 1 when something needs attention.
"""
from __future__ import annotations

import ast
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.engine import integrity
from coursekit.kit import stub_sources

KIT_ROOT = Path(__file__).resolve().parents[1]
TORCH_RANGE = ((2, 2), (2, 15))


@dataclass
class Finding:
    ok: bool
    topic: str
    text: str
    warning: bool = False   # worth knowing, but nothing to fix


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_python() -> Finding:
    ok = sys.version_info >= (3, 10)
    return Finding(ok, "python", f"Python {platform.python_version()} ({sys.executable})"
                   + ("" if ok else ": the kit needs Python 3.10 or newer"))


def check_torch() -> list[Finding]:
    try:
        import torch
    except ImportError as error:
        return [Finding(False, "torch", f"torch does not import ({error}): `pip install -e .` installs it")]
    low, high = TORCH_RANGE
    ok = low <= _version_tuple(torch.__version__) < high
    findings = [Finding(ok, "torch", f"torch {torch.__version__}" + ("" if ok else
                        f": the kit supports {low[0]}.{low[1]} up to (not including) {high[0]}.{high[1]}"))]
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    gpu = len(devices) > 1
    findings.append(Finding(True, "devices", ", ".join(devices) + ("" if gpu else
                            ". No GPU: device checks run on cpu and on meta under a same-device checker"),
                            warning=not gpu))
    return findings


def signatures(path: Path) -> dict[str, str]:
    """Top-level functions and classes of a file: name -> its parameters (methods of a class: their names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = "(" + ", ".join(a.arg for a in node.args.posonlyargs + node.args.args
                                               + node.args.kwonlyargs) + ")"
        elif isinstance(node, ast.ClassDef):
            methods = [n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            found[node.name] = "class with " + ", ".join(methods)
    return found


def check_layout(exercises: Path, solutions: Path) -> list[Finding]:
    findings = []
    for reference in sorted(solutions.glob("ch[0-9][0-9]_*.py")):
        mine = exercises / reference.name
        shown = f"{exercises.name}/{reference.name}"
        if not mine.is_file():
            findings.append(Finding(False, "layout", f"{shown} is missing (`coursekit stubs {reference.stem}` "
                                                     "recreates the stub)"))
            continue
        try:
            have = signatures(mine)
        except SyntaxError as error:
            findings.append(Finding(False, "layout", f"{shown} does not parse: line {error.lineno}: {error.msg}"))
            continue
        want = signatures(reference)
        missing = [name for name in want if name not in have]
        changed = [f"{name}{have[name]} (expected {name}{want[name]})" for name in want
                   if name in have and have[name] != want[name] and not want[name].startswith("class")]
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + \
                   ([f"signature changed: {'; '.join(changed)}"] if changed else [])
        findings.append(Finding(not problems, "layout", f"{shown}: " + ("; ".join(problems) if problems else
                                                                         f"{len(want)} names as in {_shown(solutions)}/")))
    extra = sorted({p.name for p in exercises.glob("ch[0-9][0-9]_*.py")} - {p.name for p in solutions.glob("*.py")})
    if extra:
        findings.append(Finding(True, "layout", f"files the autograder ignores: {', '.join(extra)}", warning=True))
    return findings


def _git_changes(root: Path) -> list[str]:
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--", "autograder"], cwd=root, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line[3:] for line in done.stdout.splitlines() if line.endswith(".py")] if done.returncode == 0 else []


def check_integrity(root: Path = KIT_ROOT) -> Finding:
    digest, state = integrity.state()
    if state == "unmodified":
        return Finding(True, "integrity", f"autograder unmodified (sha256 {digest[:16]}, as in autograder/INTEGRITY)")
    if state == "no manifest":
        return Finding(False, "integrity", f"autograder/INTEGRITY is missing: cannot tell (sha256 {digest[:16]})")
    changed = _git_changes(root)
    return Finding(False, "integrity", f"autograder MODIFIED: sha256 {digest[:16]} differs from autograder/INTEGRITY "
                                       f"({integrity.recorded()[:16]})" + (f"; changed files: {', '.join(changed)}"
                                                                           if changed else "")
                   + ". Grades from a modified autograder are not the course's grades; restore the files "
                     "(git checkout autograder) or, if you are a course author, `coursekit doctor --update-integrity`.")


def check_bytecode(roots=integrity.BYTECODE_ROOTS, trusted_file: Path = integrity.TRUSTED_BYTECODE) -> Finding:
    """Is every .pyc Python would run for the kit the compiled form of its source? (integrity.untrusted_bytecode)"""
    planted = integrity.untrusted_bytecode(roots=roots, trusted_file=trusted_file)
    if not planted:
        return Finding(True, "bytecode", "every cached .pyc of the kit is compiled from its own source")
    shown = ", ".join(str(p.relative_to(KIT_ROOT)) if p.is_relative_to(KIT_ROOT) else str(p) for p in planted)
    return Finding(False, "bytecode", f"{shown}: bytecode that was NOT compiled from the source beside it (planted or "
                                      "corrupted); Python would run it instead of the source, and grading refuses to "
                                      "start. Delete it (or the kit's __pycache__ folders).")


def _shown(folder: Path) -> str:
    return folder.relative_to(KIT_ROOT).as_posix() if folder.is_relative_to(KIT_ROOT) else str(folder)


def diagnose(exercises: Path | None = None, solutions: Path | None = None) -> list[Finding]:
    exercises = exercises or KIT_ROOT / "exercises"
    solutions = solutions or stub_sources(KIT_ROOT)  # the learner edition compares with its published stubs
    return [check_python(), *check_torch(), *check_layout(exercises, solutions), check_integrity(), check_bytecode()]


def render(findings: list[Finding], colour: bool = False) -> str:
    marks = {"ok": ("ok", "32"), "warn": ("note", "33"), "bad": ("FIX", "31")}
    lines = []
    for finding in findings:
        kind = "bad" if not finding.ok else "warn" if finding.warning else "ok"
        word, code = marks[kind]
        mark = f"\033[{code}m{word:<4}\033[0m" if colour else f"{word:<4}"
        lines.append(f"[{mark}] {finding.topic:<9} {finding.text}")
    bad = sum(not f.ok for f in findings)
    lines.append("")
    lines.append("All good: ready to grade." if not bad else f"{bad} thing(s) to fix (marked FIX).")
    return "\n".join(lines)
