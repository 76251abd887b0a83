"""Mutation testing of the autograder: cosmic-ray's mutants of solutions/, graded by the chapter's own checks.

    python scripts/mutation_testing.py                       # every chapter; writes tests/mutation/chNN_topic.json
    python scripts/mutation_testing.py --chapter ch07        # one chapter (a prefix of its file name; a, b, ...)
    python scripts/mutation_testing.py --verify 2            # rerun 2 recorded mutants per chapter: still as recorded?
    cr-report tests/mutation/sessions/ch07_optimization.sqlite   # cosmic-ray's own report of the last session

Why cosmic-ray (not mutmut): mutmut 3 finds a mutant's function by the module name the tests import it under, and the
grader loads every chapter by path under a name of its own (so that a learner's file can never shadow the reference);
cosmic-ray names a mutation by file, operator and occurrence, which works with any loader. Its `init` enumerates the
mutants into its work database and its operators make them; what this script adds is a faster executor: one warm
process holds torch, pytest, hypothesis and the grader, and each mutant is graded in a fork of it (about 1 s instead
of 3 s for a fresh `pytest` per mutant). Results go into cosmic-ray's session database, so `cr-report` reads them.

A mutant is *killed* when the chapter's checks take points from the reference with the mutant applied (or time
out); it *survives* when full marks remain. A survivor must be killed by a sharper check or recorded as equivalent
in tests/mutation/equivalent.toml with a one-line reason (it cannot change anything the docstring promises).
Mutants inside annotations are equivalent by rule: with `from __future__ import annotations` they are never run.
tests/test_mutation.py checks that each record is current (hashes of the solution and its checks), that the score
(killed / non-equivalent) is at least 95% per chapter, and reruns a sample.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import signal
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
RECORDS = KIT_ROOT / "tests" / "mutation"
EQUIVALENT = RECORDS / "equivalent.toml"
MINIMUM_SCORE = 0.95
CHECK_TIMEOUT = 10.0  # the grader's own limit: a mutant that makes a check loop or crawl is a killed one
MUTANT_TIMEOUT = 120.0


@dataclass
class Mutant:
    job_id: str
    chapter: str
    operator: str
    occurrence: int
    line: int
    definition: str
    diff: str = ""
    outcome: str = ""  # killed, survived, equivalent, incompetent

    @property
    def key(self) -> str:
        """Stable while the solution file is unchanged: the operator and its occurrence in the file."""
        return f"{self.operator}#{self.occurrence}"


def chapters(prefix: str | None = None) -> list[str]:
    names = sorted(p.stem for p in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"))
    return [n for n in names if prefix is None or n.startswith(prefix)]


def fingerprint(chapter: str) -> dict[str, str]:
    """What a record depends on: the reference and its checks. (The engine is not hashed: it changes for reasons
    that do not move a verdict; the sample that tests/test_mutation.py reruns catches one that does.)"""
    return {
        "solution": hashlib.sha256((KIT_ROOT / "solutions" / f"{chapter}.py").read_bytes()).hexdigest(),
        "checks": hashlib.sha256((KIT_ROOT / "autograder" / f"test_{chapter}.py").read_bytes()).hexdigest(),
    }


def equivalents() -> dict[tuple[str, str], str]:
    """(chapter, mutant key) -> the reason it is equivalent, from tests/mutation/equivalent.toml."""
    if not EQUIVALENT.exists():
        return {}
    data = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8"))
    return {(entry["chapter"], entry["mutant"]): entry["reason"] for entry in data.get("equivalent", [])}


def annotation_lines(source: str) -> set[tuple[int, int]]:
    """(line, column) spans covered by annotations, where a mutation never runs."""
    spans = set()
    for node in ast.walk(ast.parse(source)):
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations = [a.annotation for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs,
                                                  node.args.vararg, node.args.kwarg] if a and a.annotation]
            annotations += [node.returns] if node.returns else []
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        for annotation in annotations:
            spans.add((annotation.lineno, annotation.col_offset, annotation.end_lineno, annotation.end_col_offset))
    return spans


def in_annotation(position: tuple[int, int], spans) -> bool:
    line, column = position
    return any((l1, c1) <= (line, column) < (l2, c2) for l1, c1, l2, c2 in spans)


def enumerate_mutants(chapter: str, session: Path) -> list[Mutant]:
    """cosmic-ray's `init` on the chapter's solution: its work items, as Mutants."""
    from cosmic_ray.commands.init import init
    from cosmic_ray.work_db import WorkDB, use_db

    path = Path("solutions") / f"{chapter}.py"
    with use_db(session, WorkDB.Mode.create) as db:
        init([path], db, {})
        items = list(db.work_items)
    return [Mutant(item.job_id, chapter, m.operator_name, m.occurrence, m.start_pos[0], m.definition_name or "")
            for item in items for m in item.mutations[:1]]


def mutated_source(mutant: Mutant) -> str | None:
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    source = (KIT_ROOT / "solutions" / f"{mutant.chapter}.py").read_text(encoding="utf-8")
    operator = cosmic_ray.plugins.get_operator(mutant.operator)()
    return mutate_code(source, operator, mutant.occurrence)


def warm_up() -> None:
    """Import what every grading run needs once, in the parent: each fork then starts with it loaded."""
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
    import torch
    import torch._dynamo  # noqa: F401

    import autograder.engine.plugin  # noqa: F401
    from autograder.engine import generated, strategies

    torch.set_num_threads(1)

    # hypothesis's first use builds its strategies' machinery (seconds on a loaded machine): once, here
    @generated.examples(x=strategies.tensors(strategies.shapes(2)), max_examples=2)
    def first_use(x):
        assert x.dim() == 2

    first_use()


def exercise_of(source: str, line: int) -> str | None:
    """The exercise whose function or class holds `line` ("1.4"), from its docstring's "Exercise N.M:"; None for
    module-level code and helpers, which every exercise of the chapter may use."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.lineno <= line <= node.end_lineno:
            doc = ast.get_docstring(node) or ""
            if doc.startswith("Exercise "):
                return doc.split()[1].rstrip(":")
    return None


def grade_in_fork(chapter: str, target: Path, exercise: str | None = None) -> int:
    """Fork, grade the chapter's checks on `target`, and return pytest's exit code (0: full marks survived).

    With `exercise`, only that exercise's checks run (the mutant is inside its function: grading is one exercise
    at a time, so no other check can see it)."""
    child = os.fork()
    if child == 0:
        code = 3
        try:
            import pytest

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = pytest.main([f"autograder/test_{chapter}.py", "--target", str(target), "-x", "-q",
                                "--check-timeout", str(CHECK_TIMEOUT), "-p", "no:randomly",
                                "--no-record-progress",
                                *(["-k", f"test_{exercise.replace('.', '_')}_"] if exercise else [])])
        finally:
            os._exit(int(code))
    deadline = time.monotonic() + MUTANT_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return -signal.SIGKILL


def run_mutant(mutant: Mutant, folder: Path, spans) -> None:
    import difflib

    original = (KIT_ROOT / "solutions" / f"{mutant.chapter}.py").read_text(encoding="utf-8")
    code = mutated_source(mutant)
    if code is None:
        mutant.outcome = "incompetent"
        return
    mutant.diff = "".join(difflib.unified_diff(original.splitlines(True), code.splitlines(True), n=0))
    mutant.diff = "\n".join(l for l in mutant.diff.splitlines() if l[:1] in "+-" and l[:3] not in ("+++", "---"))
    mutant.line = next((int(l.split()[1].split(",")[0][1:]) for l in difflib.unified_diff(
        original.splitlines(), code.splitlines(), n=0, lineterm="") if l.startswith("@@")), mutant.line)
    if in_annotation((mutant.line, 0), spans) or _only_annotations_differ(original, code):
        mutant.outcome = "equivalent"
        return
    (folder / f"{mutant.chapter}.py").write_text(code, encoding="utf-8")
    try:
        exit_code = grade_in_fork(mutant.chapter, folder, exercise_of(original, mutant.line))
        if exit_code == 5:  # pytest collected nothing for that exercise: grade the whole chapter instead
            exit_code = grade_in_fork(mutant.chapter, folder)
    finally:
        (folder / f"{mutant.chapter}.py").write_text(original, encoding="utf-8")
    # 1: some check failed. A timeout or a crash of the child (the mutant broke the process) also kills. pytest's
    # own errors (2 interrupted, 3 internal error, 4 usage) say nothing about the checks: counted as incompetent.
    mutant.outcome = {0: "survived", 1: "killed"}.get(exit_code, "killed" if exit_code < 0 else "incompetent")


def _only_annotations_differ(original: str, mutated: str) -> bool:
    """Equal once every annotation is dropped: the mutation touched only what `from __future__ import annotations`
    never evaluates."""
    def stripped(source: str) -> str:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.arg):
                node.annotation = None
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                node.returns = None
        return ast.dump(tree)

    try:
        return stripped(original) == stripped(mutated)
    except SyntaxError:
        return False


def graded_folder() -> Path:
    """A copy of solutions/ the mutants are written into (solutions/ itself is never touched)."""
    folder = Path(tempfile.mkdtemp(prefix="coursekit-mutants-"))
    for path in (KIT_ROOT / "solutions").glob("ch[0-9][0-9]_*.py"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def record_results(session: Path, mutants: list[Mutant]) -> None:
    """Write the outcomes into cosmic-ray's session database, so `cr-report` shows them."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    outcomes = {"killed": TestOutcome.KILLED, "survived": TestOutcome.SURVIVED,
                "equivalent": TestOutcome.SURVIVED, "incompetent": TestOutcome.INCOMPETENT}
    with use_db(session, WorkDB.Mode.open) as db:
        for mutant in mutants:
            db.set_result(mutant.job_id, WorkResult(worker_outcome=WorkerOutcome.NORMAL, diff=mutant.diff,
                                                    output=mutant.outcome, test_outcome=outcomes[mutant.outcome]))


def summarize(chapter: str, mutants: list[Mutant]) -> dict:
    reasons = equivalents()
    for mutant in mutants:
        if mutant.outcome == "survived" and (chapter, mutant.key) in reasons:
            mutant.outcome = "equivalent"
    counted = [m for m in mutants if m.outcome in ("killed", "survived")]
    killed = sum(m.outcome == "killed" for m in counted)
    return {
        "chapter": chapter,
        "tool": "cosmic-ray " + _cosmic_ray_version(),
        "fingerprint": fingerprint(chapter),
        "mutants": len(mutants),
        "killed": killed,
        "survived": len(counted) - killed,
        "equivalent": sum(m.outcome == "equivalent" for m in mutants),
        "incompetent": sum(m.outcome == "incompetent" for m in mutants),
        "score": round(killed / len(counted), 4) if counted else 1.0,
        "survivors": [{"mutant": m.key, "line": m.line, "in": m.definition, "diff": m.diff}
                      for m in mutants if m.outcome == "survived"],
        "sample_killed": [m.key for m in mutants if m.outcome == "killed"][:: max(1, killed // 8)][:8],
    }


def _cosmic_ray_version() -> str:
    from importlib.metadata import version

    return version("cosmic-ray")


def run_chapter(chapter: str, folder: Path) -> dict:
    sessions = RECORDS / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    session = sessions / f"{chapter}.sqlite"
    session.unlink(missing_ok=True)
    mutants = enumerate_mutants(chapter, session)
    baseline = grade_in_fork(chapter, folder)
    if baseline != 0:  # every mutant would look killed
        raise SystemExit(f"{chapter}: the unmutated reference does not pass its checks (pytest exit {baseline}); "
                         f"fix that first: pytest autograder/test_{chapter}.py --target solutions")
    spans = annotation_lines((KIT_ROOT / "solutions" / f"{chapter}.py").read_text(encoding="utf-8"))
    started = time.monotonic()
    for number, mutant in enumerate(mutants, 1):
        run_mutant(mutant, folder, spans)
        if sys.stderr.isatty():
            print(f"\r{chapter}: {number}/{len(mutants)} mutants", end="", file=sys.stderr, flush=True)
    record_results(session, mutants)
    summary = summarize(chapter, mutants)
    summary["seconds"] = round(time.monotonic() - started, 1)
    (RECORDS / f"{chapter}.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"\r{chapter}: {summary['mutants']} mutants, {summary['killed']} killed, {summary['survived']} survived, "
          f"{summary['equivalent']} equivalent: score {summary['score']:.1%} ({summary['seconds']} s)",
          file=sys.stderr)
    return summary


def verify(per_chapter: int, folder: Path) -> list[str]:
    """Rerun a sample of each record: recorded killed mutants must still be killed, survivors still survive."""
    problems = []
    for chapter in chapters():
        if not (RECORDS / f"{chapter}.json").exists():
            continue
        record = json.loads((RECORDS / f"{chapter}.json").read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as scratch:
            by_key = {m.key: m for m in enumerate_mutants(chapter, Path(scratch) / "s.sqlite")}
        spans = annotation_lines((KIT_ROOT / "solutions" / f"{chapter}.py").read_text(encoding="utf-8"))
        sample = [(key, "killed") for key in record["sample_killed"][:per_chapter]]
        sample += [(s["mutant"], "survived") for s in record["survivors"][:1]]
        for key, expected in sample:
            mutant = by_key.get(key)
            if mutant is None:
                problems.append(f"{chapter}: recorded mutant {key} no longer exists (record stale)")
                continue
            run_mutant(mutant, folder, spans)
            if mutant.outcome != expected:
                problems.append(f"{chapter}: mutant {key} recorded {expected}, now {mutant.outcome}:\n{mutant.diff}")
    return problems


def reclassify(chapter: str) -> None:
    """Apply equivalent.toml to a record's survivors: their outcome did not change, only what they are called."""
    path = RECORDS / f"{chapter}.json"
    if not path.exists():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    reasons = equivalents()
    now_equivalent = [s for s in data["survivors"] if (chapter, s["mutant"]) in reasons]
    if not now_equivalent:
        return
    data["survivors"] = [s for s in data["survivors"] if (chapter, s["mutant"]) not in reasons]
    data["survived"] -= len(now_equivalent)
    data["equivalent"] += len(now_equivalent)
    counted = data["killed"] + data["survived"]
    data["score"] = round(data["killed"] / counted, 4) if counted else 1.0
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def readme_table() -> str:
    """The README's mutation table, one row per chapter, from the records (tests/test_mutation.py compares)."""
    rows = ["| chapter | mutants | killed | equivalent | score |", "| --- | --- | --- | --- | --- |"]
    for chapter in chapters():
        path = RECORDS / f"{chapter}.json"
        if not path.exists():
            rows.append(f"| `{chapter}` | not yet measured | | | |")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        rows.append(f"| `{chapter}` | {data['mutants']} | {data['killed']} | {data['equivalent']} | "
                    f"{100 * data['score']:.1f}% |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", help="only these chapters: file-name prefixes, comma-separated (ch07,ch08_tr)")
    parser.add_argument("--jobs", type=int, default=2, help="chapters graded side by side, one process each")
    parser.add_argument("--verify", type=int, metavar="N", help="rerun N recorded killed mutants per chapter")
    parser.add_argument("--table", action="store_true", help="print the README's table of the records and stop")
    parser.add_argument("--reclassify", action="store_true",
                        help="move the recorded survivors now listed in equivalent.toml to equivalent (no rerun)")
    options = parser.parse_args(argv)
    if options.table:
        print(readme_table())
        return 0
    if options.reclassify:
        for chapter in chapters():
            reclassify(chapter)
        return 0
    os.chdir(KIT_ROOT)
    sys.path.insert(0, str(KIT_ROOT))
    selected = [c for prefix in (options.chapter or "ch").split(",") for c in chapters(prefix.strip())]
    if options.jobs > 1 and len(selected) > 1 and not options.verify:
        return run_side_by_side(selected, options.jobs)
    warm_up()
    folder = graded_folder()
    if options.verify:
        problems = verify(options.verify, folder)
        print("\n".join(problems) or "every sampled mutant graded as recorded")
        return 1 if problems else 0
    summaries = [run_chapter(chapter, folder) for chapter in selected]
    low = [s["chapter"] for s in summaries if s["score"] < MINIMUM_SCORE]
    return 1 if low else 0


def run_side_by_side(selected: list[str], jobs: int) -> int:
    """One process per group of chapters, the groups balanced by the solutions' sizes (a proxy for mutant count)."""
    import subprocess

    groups: list[list[str]] = [[] for _ in range(jobs)]
    sizes = [0] * jobs
    for chapter in sorted(selected, key=lambda c: -(KIT_ROOT / "solutions" / f"{c}.py").stat().st_size):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(chapter)
        sizes[smallest] += (KIT_ROOT / "solutions" / f"{chapter}.py").stat().st_size
    workers = [subprocess.Popen([sys.executable, __file__, "--jobs", "1", "--chapter", ",".join(group)])
               for group in groups if group]
    return max(worker.wait() for worker in workers)


if __name__ == "__main__":
    sys.exit(main())
