"""Grade a class: folders laid out like exercises/, in parallel, each in its own walled-off process.

`coursekit grade-class` (grade_class_cli.py) turns what students uploaded into such folders (intake.py) and keeps the
gradebook (gradebook.py); this module grades: it writes OUT/results/STUDENT.json (Gradescope's results.json) and
OUT/reports/STUDENT.txt (the score report the student would see) as each student finishes.

How it is fast: this process imports torch, pytest and the checks once, collects every check once and loads the
reference solutions once; then it forks one child per student (per student and chapter with --per-chapter). A child
starts with everything in memory (copy-on-write), so no submission pays for importing torch or collecting the checks.

How it is safe (sandbox.py has the walls, child.py the child): each child is PID 1 of its own PID namespace (its
descendants die with it and cannot signal the grader), runs as an unprivileged uid of its own, sees its student's
folder as a read-only copy and never solutions/, the output folder, other students' folders, homes or host sockets;
every file system is read-only but a small private /tmp; it has no network and bounded memory, CPU time, processes
and file sizes. Results travel back through a pipe, one authenticated line per event (child.seal); a line the
child's grading code did not write stops the child and costs the running check. The points, names and order of the
checks come from this process's own collection, made before any learner code ran, so a child can only say "passed"
or "failed" for the check it was asked to run, in order. A child that hangs is killed (per check and per chapter);
one that crashes, exits or runs out of memory loses the check it was running (or, during a chapter's import, that
chapter), and a fresh child picks up the remaining checks.
"""
from __future__ import annotations

import io
import json
import os
import re
import select
import signal
import statistics
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
CHAPTER_FILE = re.compile(r"^ch\d\d_\w+\.py$")
GRACE_SECONDS = 5.0
STREAM_LIMIT = 4 * 1024 * 1024


@dataclass
class Options:
    workers: int = max(os.cpu_count() or 1, 1)
    timeout: float = 300.0  # one chapter of one submission, every check together
    memory_mb: int = 2048  # what a submission may allocate on top of the grader's own memory
    check_timeout: float = 10.0
    chapters: list[str] | None = None  # e.g. ["ch01_tensors"]; default: every chapter
    visibility: str = "visible"
    hidden_inputs: str | None = None  # the instructor's secret: every drawn check also runs on inputs drawn from it
    namespaces: bool = True  # False: no mount/network namespaces, the audit hook alone (what non-root gets)
    progress: bool = True
    per_chapter: bool = False  # one child per (student, chapter) instead of one per student


@dataclass
class Student:
    name: str
    folder: Path


@dataclass
class Job:
    """The remaining checks of one chapter of one student, for one child process."""

    student: Student
    chapter: str
    indexes: list[int]
    pid: int = 0
    read_fd: int = -1
    buffer: bytes = b""
    received: int = 0
    started: float = 0.0
    current: int | None = None
    current_deadline: float = 0.0
    imported: bool = True  # False while the child imports `chapter`
    chapter_started: float = 0.0
    killed_for: str = ""
    uid: int | None = None  # the child's own unprivileged uid (sandbox.sandbox_uid), when the grader is root
    key: bytes = b""  # authenticates the child's result lines (child.seal); drawn afresh for every child
    sequence: int = 0  # the next line's number
    contained: bool = False  # PID 1 of its own PID namespace: its descendants die with it
    leaving: bool = False  # the child said it ends between checks (learner code left a thread or lowered a limit)
    error: str = ""  # the exception that ended the child, as it named it ("KeyboardInterrupt: ..."), if it could
    retries: int = 0  # how often these checks were handed to a fresh child after the grader's own error


@dataclass
class Outcome:
    """Everything the class run produced, for the CLI, the tests and the benchmark."""

    students: list[str]
    exercises: list[str]
    scores: dict[str, dict[str, float]]
    max_points: dict[str, float]
    results: dict[str, dict]
    seconds: float = 0.0
    children: int = 0
    peak_rss_mib: list[float] = field(default_factory=list)
    private_mib: list[float] = field(default_factory=list)
    parent_rss_mib: float = 0.0
    sandbox: str = ""
    cpu_by_chapter: dict[str, float] = field(default_factory=dict)

    def total(self, student: str) -> float:
        return sum(self.scores[student].values())

    def memory_line(self) -> str:
        if not self.peak_rss_mib:
            return "no child ran"
        private = f", of which private (not shared with the grader) median {statistics.median(self.private_mib):.0f} " \
                  f"MiB, max {max(self.private_mib):.0f} MiB" if self.private_mib else ""
        return (f"memory per worker: peak RSS median {statistics.median(self.peak_rss_mib):.0f} MiB, "
                f"max {max(self.peak_rss_mib):.0f} MiB{private}; the grader itself {self.parent_rss_mib:.0f} MiB")


def grade_class(students: list[Student], out: Path, options: Options, hidden: list[Path] = (),
                on_student=None) -> Outcome:
    """Grade every student's chapters; write results/STUDENT.json and reports/STUDENT.txt under `out` as each student
    finishes (then calls `on_student(student, results, statuses by chapter)`). Ctrl-C or
    SIGTERM kills every child and raises KeyboardInterrupt; what was written stays."""
    import pytest

    out.mkdir(parents=True, exist_ok=True)
    # Absolute paths: pytest runs in `out` (below), so a folder given relative to where the command started would
    # point elsewhere.
    students = [Student(student.name, student.folder.resolve()) for student in students]
    run = _ClassRun(students, out.resolve(), options, [Path(h).resolve() for h in hidden], on_student)
    test_files = sorted(str(p) for p in (KIT_ROOT / "autograder").glob("test_ch[0-9][0-9]_*.py")
                        if options.chapters is None or p.stem.removeprefix("test_") in options.chapters)
    if not test_files:
        raise SystemExit(f"no checks for chapters {options.chapters}")
    args = [*test_files, "--rootdir", str(KIT_ROOT), "-c", str(KIT_ROOT / "pyproject.toml"),
            "--target", str(KIT_ROOT / "solutions"),
            "--check-timeout", str(options.check_timeout), "--visibility", options.visibility,
            *(["--hidden-inputs", options.hidden_inputs] if options.hidden_inputs else []),
            "--no-record-progress",
            "-s", "-q", "-q", "-p", "no:random_order", "-p", "no:cacheprovider"]
    pytest_lines = io.StringIO()
    shown, sys.stdout = sys.stdout, pytest_lines  # pytest's own lines; the progress bar goes to stderr
    # pytest returns to the folder it started in when it ends: start it in --out, which outlives the run, so that
    # deleting the instructor's working folder meanwhile loses nobody's results
    here = _working_directory()
    os.chdir(run.out)
    try:
        code = pytest.main(args, plugins=[run])
    finally:
        _return_to(here, run.out)
        sys.stdout = shown
        from autograder.engine import global_state

        global_state.forget_internals()  # this grading session is over: its record must not judge a later one
    if run.interrupted:
        raise KeyboardInterrupt
    if run.outcome is None:
        raise SystemExit(f"the grader could not start (pytest exit status {code}): {run.problem}\n"
                         f"{pytest_lines.getvalue()[-4000:]}")
    return run.outcome


class _ClassRun:
    """A pytest plugin: collect the checks once, then run them per student and chapter in forked children."""

    def __init__(self, students: list[Student], out: Path, options: Options, hidden: list[Path], on_student=None):
        self.students, self.out, self.options, self.on_student = students, out, options, on_student
        self.interrupted = False
        self.results: dict[str, dict] = {}
        self.scores: dict[str, dict[str, float]] = {}
        self.max_points: dict[str, float] = {}
        roots = {s.folder.parent for s in students if len(students) > 1}
        self.hidden = [KIT_ROOT / "solutions", KIT_ROOT / "tests", KIT_ROOT / ".git", KIT_ROOT / "artifacts", out,
                       *roots, *hidden]
        self.outcome: Outcome | None = None
        self.problem = ""

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.problem += f"\n{report.nodeid}: {report.longreprtext[-2000:]}"

    def pytest_runtestloop(self, session) -> bool:
        if self.problem:
            return True
        import torch

        from autograder.engine import loading, plugin

        config = session.config
        items = [i for i in session.items if i.get_closest_marker("exercise_check")]
        parent = config.stash[plugin._GRADING]
        chapters = sorted({plugin.chapter_of(i) for i in items})
        for chapter in chapters:  # into memory now: the children cannot read solutions/
            parent.chapter(parent.reference, chapter)
        for item in items:  # each check's examples drawn once, here: every child replays them (engine/generated.py)
            record_examples = getattr(item.function, "record_examples", None)
            if record_examples is not None:
                record_examples()
                item.function.record_hidden_examples()  # drawn here, once, not in every child
        torch.set_num_threads(1)  # one core per child; the children run side by side
        if os.geteuid() == 0:  # children lose root's capabilities; /proc/<grader> must stay out of their reach
            import ctypes

            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
        for student in self.students:  # module aliases for spawned DataLoader workers (the child may not write)
            for chapter in chapters:
                path = (student.folder / f"{chapter}.py").resolve()
                alias = loading.alias_dir() / f"{loading.module_name(student.folder, chapter)}.py"
                if path.is_file() and not alias.is_symlink():
                    alias.symlink_to(path)
        self.session, self.items = session, items
        scheduler = _Scheduler(config, items, chapters, self)
        try:
            scheduler.run()
        except KeyboardInterrupt:
            self.interrupted = True  # every child is gone (the scheduler saw to it); finished students are written
            return True
        self.outcome = self._write(scheduler)
        return True

    def student_done(self, student: Student, statuses: dict, started: float) -> None:
        """Write one student's results.json and report the moment their last check is in."""
        from autograder.engine import plugin

        config, items = self.session.config, self.items
        (self.out / "results").mkdir(exist_ok=True)
        (self.out / "reports").mkdir(exist_ok=True)
        original = config.stash[plugin._GRADING]
        here = _working_directory()
        path = self.out / "results" / f"{student.name}.json"
        by_chapter: dict[str, set[str]] = {}
        try:
            os.chdir(student.folder.parent)  # the report names the student's folder, not the grader's path to it
            grading = plugin.GradingSession(student.folder, self.options.check_timeout)
            grading.started = started
            for index, item in enumerate(items):
                status, message = statuses[(student.name, index)]
                grading.record(item, status, message)
                by_chapter.setdefault(plugin.chapter_of(item), set()).add(status)
            config.stash[plugin._GRADING] = grading
            config.option.results = str(path)
            plugin.pytest_sessionfinish(self.session)  # the same results.json `pytest autograder --results` writes
            report = plugin._report_text(config)
        finally:
            _return_to(here, self.out)
            config.stash[plugin._GRADING] = original
            config.option.results = None
        (self.out / "reports" / f"{student.name}.txt").write_text(report + "\n", encoding="utf-8")
        self.results[student.name] = json.loads(path.read_text(encoding="utf-8"))
        self.scores[student.name] = {e.id: e.score for e in grading.exercises.values()}
        for exercise in grading.exercises.values():
            self.max_points[exercise.id] = exercise.points
        if self.on_student is not None:
            self.on_student(student, self.results[student.name], by_chapter)

    def _write(self, scheduler) -> Outcome:
        results, scores, max_points = self.results, self.scores, self.max_points
        exercise_ids = sorted(max_points, key=lambda e: tuple(int(p) for p in e.split(".")))
        outcome = Outcome([s.name for s in self.students], exercise_ids, scores, max_points, results,
                          seconds=time.time() - scheduler.started, children=scheduler.children,
                          peak_rss_mib=scheduler.peak_rss, private_mib=scheduler.private,
                          parent_rss_mib=_rss_mib(), sandbox=scheduler.sandbox,
                          cpu_by_chapter=scheduler.cpu)
        return outcome


def _working_directory() -> str | None:
    try:
        return os.getcwd()
    except FileNotFoundError:  # deleted while the class was graded: the results still go to --out
        return None


def _return_to(folder: str | None, fallback: Path) -> None:
    try:
        os.chdir(folder if folder is not None else fallback)
    except OSError:
        os.chdir(fallback)


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _Scheduler:
    """Keeps `workers` children busy; reads their pipes; enforces the time limits; restarts after a crash."""

    def __init__(self, config, items, chapters, run: _ClassRun):
        from autograder.engine import plugin

        self.config, self.items, self.run_options = config, items, run.options
        self.klass = run
        self.statuses: dict[tuple[str, int], tuple[str, str]] = {}
        self.pending: list[Job] = []
        by_chapter = {c: [i for i, item in enumerate(items) if plugin.chapter_of(item) == c] for c in chapters}
        for student in run.students:
            if run.options.per_chapter:
                self.pending.extend(Job(student, c, list(by_chapter[c])) for c in chapters)
            else:  # one child grades the student's chapters one after the other: fewer forks, same walls
                self.pending.append(Job(student, chapters[0], [i for c in chapters for i in by_chapter[c]]))
        self.total_jobs = len(self.pending)
        self.finished_jobs = 0
        self.running: dict[int, Job] = {}
        self.children = 0
        self.peak_rss: list[float] = []
        self.private: list[float] = []
        self.cpu: dict[str, float] = {}  # CPU seconds per chapter, all students together (children only)
        self.sandbox = ""
        self.started = time.time()
        self._last_bar = 0.0

    def _seconds(self, index: int) -> float:
        marker = self.items[index].get_closest_marker("timeout")
        return float(marker.args[0]) if marker and marker.args else self.run_options.check_timeout

    def run(self) -> dict:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        terminate = signal.signal(signal.SIGTERM, _interrupt)  # a `kill` of the grader ends like Ctrl-C
        try:
            while self.pending or self.running:
                while self.pending and len(self.running) < self.run_options.workers:
                    self._start(self.pending.pop(0))
                self._poll()
                self._progress()
        except BaseException:
            self._stop_all()
            raise
        finally:
            signal.signal(signal.SIGTERM, terminate)
        self._progress(final=True)
        return self.statuses

    def _stop_all(self) -> None:
        """Kill every running child's process group and reap it: no grading process outlives the grader."""
        for job in list(self.running.values()):
            for _ in range(2):
                for kill in (os.kill, os.killpg):  # the child itself too: it may not have made its group yet
                    try:
                        kill(job.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                try:
                    os.waitpid(job.pid, 0)
                    break
                except ChildProcessError:
                    break
                except InterruptedError:
                    continue
            if not job.contained:  # descendants outside a PID namespace: everything of the child's uid goes too
                from coursekit import sandbox

                sandbox.sweep(job.uid)
            os.close(job.read_fd)
        self.running.clear()

    def _start(self, job: Job) -> None:
        from coursekit import child, sandbox

        used = {j.uid for j in self.running.values()}
        job.uid = next((uid for uid in (sandbox.sandbox_uid(slot) for slot in range(self.run_options.workers + 1))
                        if uid not in used), None)
        job.key, job.sequence = os.urandom(32), 0
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid, job.contained = sandbox.fork_contained(self.run_options.namespaces)
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            child.run(self.config, self.items, job, write_fd, self.klass.hidden, self.run_options, KIT_ROOT)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        job.pid, job.read_fd, job.started = pid, read_fd, time.time()
        job.buffer, job.received, job.current, job.imported, job.killed_for = b"", 0, None, True, ""
        job.chapter_started = job.started
        self.running[read_fd] = job
        self.children += 1

    def _poll(self) -> None:
        from coursekit import child

        ready, _, _ = select.select(list(self.running), [], [], 0.2)
        for fd in ready:
            job = self.running[fd]
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if chunk:
                job.received += len(chunk)
                job.buffer += chunk
                *lines, job.buffer = job.buffer.split(b"\n")
                for line in lines:
                    self._message(job, line)
                if job.received > STREAM_LIMIT or len(job.buffer) > child.LINE_LIMIT:
                    self._kill(job, "it sent more than the grader reads")
            else:
                self._finish(job)
        now = time.time()
        for job in list(self.running.values()):
            if job.killed_for:
                continue
            if now - job.chapter_started > self.run_options.timeout:
                self._kill(job, f"the chapter ran past its time limit of {self.run_options.timeout:g} s")
            elif (job.current is not None or not job.imported) and now > job.current_deadline:
                self._kill(job, "timeout")

    def _message(self, job: Job, line: bytes) -> None:
        """One line from a child. A line its grading code did not write (child.unseal: forged, replayed, malformed)
        stops the child, costing the check it was running; a sealed line out of protocol is ignored."""
        from autograder.engine import plugin
        from autograder.engine.outcomes import BROKEN, FAILED, INCONCLUSIVE, NOT_ATTEMPTED, PASSED, TIMEOUT
        from coursekit import child

        if job.killed_for:
            return
        message = child.unseal(job.key, job.sequence, line)
        if message is None:
            self._kill(job, "it sent a result line the grader did not write (forged or corrupted)")
            return
        job.sequence += 1
        kind = message["e"]
        expected = job.indexes[0] if job.indexes else None
        if kind == "sandbox":
            self.sandbox = str(message.get("mode", ""))[:120]
        elif kind == "chapter" and expected is not None and job.current is None \
                and message.get("c") == plugin.chapter_of(self.items[expected]):
            job.chapter, job.imported, job.chapter_started = message["c"], False, time.time()
            job.current_deadline = job.chapter_started + self.run_options.check_timeout + GRACE_SECONDS
        elif kind == "imported":
            job.imported = True
        elif kind == "start" and message.get("i") == expected and job.current is None:
            job.current = expected
            job.current_deadline = time.time() + self._seconds(expected) + GRACE_SECONDS
        elif kind == "done" and message.get("i") == expected == job.current:
            status = message.get("s")
            if status not in (PASSED, FAILED, TIMEOUT, NOT_ATTEMPTED, BROKEN, INCONCLUSIVE):
                status, text = FAILED, "The grader received an unreadable result for this check."
            else:
                text = str(message.get("m", ""))[:child.MESSAGE_LIMIT]
            self.statuses[(job.student.name, expected)] = (status, text)
            job.indexes.pop(0)
            job.current = None
        elif kind == "leave" and job.current is None:
            job.leaving = True
        elif kind == "error":
            job.error = f"{str(message.get('t', '?'))[:200]}: {str(message.get('m', ''))[:child.MESSAGE_LIMIT]}"
        elif kind == "memory":
            try:
                self.private.append(float(message["private_mib"]))
            except (KeyError, TypeError, ValueError):
                pass

    def _kill(self, job: Job, reason: str) -> None:
        job.killed_for = reason
        for kill in (os.kill, os.killpg):  # the child (PID 1 of its namespace: all of it goes), then its group
            try:
                kill(job.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _finish(self, job: Job) -> None:
        from autograder.engine import plugin
        from autograder.engine.outcomes import BROKEN, FAILED, TIMEOUT, TIMEOUT_MESSAGE

        del self.running[job.read_fd]
        os.close(job.read_fd)
        status, usage, stopped = _reap(job.pid)
        if stopped and not job.killed_for:
            job.killed_for = "it closed its result pipe and carried on"
        try:
            os.killpg(job.pid, signal.SIGKILL)  # whatever the child left behind (DataLoader workers)
        except (ProcessLookupError, PermissionError):
            pass
        if not job.contained:  # no PID namespace took the descendants with the child: everything of its uid goes
            from coursekit import sandbox

            sandbox.sweep(job.uid)
        self.peak_rss.append(usage.ru_maxrss / 1024)
        key = job.chapter if self.run_options.per_chapter else "all chapters"
        self.cpu[key] = self.cpu.get(key, 0.0) + usage.ru_utime + usage.ru_stime
        if job.indexes and job.leaving and job.current is None and job.imported and not job.killed_for:
            self.pending.insert(0, Job(job.student, plugin.chapter_of(self.items[job.indexes[0]]), job.indexes))
            return
        if job.indexes:
            how = _how_it_ended(status, job.killed_for)
            if job.error and not job.killed_for:
                how += f", on {job.error}"
            culprit = job.current if job.current is not None else job.indexes[0]
            if not job.imported:
                message = (f"{job.chapter}.py stopped the grading process while being imported ({how}). Nothing at "
                           "the top level of an exercise file should end the program.")
                for index in [i for i in job.indexes if plugin.chapter_of(self.items[i]) == job.chapter]:
                    self.statuses[(job.student.name, index)] = (BROKEN, message)
                    job.indexes.remove(index)
            elif job.killed_for == "timeout" or job.killed_for.startswith("the chapter ran past"):
                exercise = self.items[culprit].get_closest_marker("exercise_check").kwargs["exercise"]
                text = TIMEOUT_MESSAGE.format(seconds=self._seconds(culprit))
                for index in list(job.indexes):
                    marker = self.items[index].get_closest_marker("exercise_check")
                    if index == culprit or marker.kwargs["exercise"] is exercise:
                        self.statuses[(job.student.name, index)] = (TIMEOUT, text)
                        job.indexes.remove(index)
            elif job.error and job.current is None and not job.killed_for:
                # The grader's own error, between checks (no check was running, no import): not the learner's fault.
                # These checks go to a fresh child once; failing again, each says so plainly.
                sys.__stderr__.write(f"grade-class: the grader failed while grading {job.student.name} "
                                     f"({job.error}); {'regrading' if not job.retries else 'reported'}\n")
                if not job.retries:
                    self.pending.insert(0, Job(job.student, plugin.chapter_of(self.items[job.indexes[0]]),
                                               job.indexes, retries=1))
                    return
                text = (f"The grader itself failed before this check could run ({job.error}). That is a fault of "
                        "the grader, not of the code under test: it was graded again in a fresh process, with the "
                        "same result. Tell your instructor.")
                for index in list(job.indexes):
                    self.statuses[(job.student.name, index)] = (FAILED, text)
                job.indexes.clear()
            elif job.error and not job.killed_for:
                self.statuses[(job.student.name, culprit)] = (
                    FAILED, f"The grading process stopped during this check: {job.error} came out of it (an "
                            "exception no check catches, such as KeyboardInterrupt or SystemExit, raised by the code "
                            "under test, or an error of the grader's while it checked). Exercise code must return "
                            "or raise an ordinary exception.")
                job.indexes.remove(culprit)
            else:
                self.statuses[(job.student.name, culprit)] = (
                    FAILED, f"The grading process stopped during this check ({how}): the code under test crashed, "
                            "ran out of memory, or ended the program. Exercise code must return, not exit.")
                job.indexes.remove(culprit)
            if job.indexes:
                self.pending.insert(0, Job(job.student, plugin.chapter_of(self.items[job.indexes[0]]), job.indexes))
                return
        self.finished_jobs += 1
        student = job.student
        if not any(j.student is student for j in [*self.pending, *self.running.values()]):
            self.klass.student_done(student, self.statuses, self.started)

    def _progress(self, final: bool = False) -> None:
        if not self.run_options.progress:
            return
        now = time.time()
        if not final and now - self._last_bar < 0.5:
            return
        self._last_bar = now
        done, total = self.finished_jobs, self.total_jobs
        width = 30
        filled = int(width * done / max(total, 1))
        unit = "chapters" if self.run_options.per_chapter else "submissions"
        elapsed = now - self.started
        eta = f", ETA {_clock(elapsed / done * (total - done))}" if 0 < done < total else ""
        line = (f"grading [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit} "
                f"({len(self.klass.students)} submissions), {_clock(elapsed)}{eta}")
        stream = sys.__stderr__
        if stream.isatty():
            stream.write("\r" + line + ("\n" if final else ""))
        elif final or done * 10 // max(total, 1) != getattr(self, "_tenth", -1):
            self._tenth = done * 10 // max(total, 1)
            stream.write(line + "\n")
        stream.flush()


def _reap(pid: int, patience: float = 1.0) -> tuple[int, object, bool]:
    """wait4 for a child whose result pipe has closed. An exiting child closes its pipe an instant before it ends; one
    that closed (or swapped out) its pipe and carries on is killed after `patience` seconds, so the grader never waits
    on a child it can no longer hear (and every other student with it)."""
    deadline = time.time() + patience
    while time.time() < deadline:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
        if reaped:
            return status, usage, False
        time.sleep(0.01)
    for kill in (os.kill, os.killpg):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _, status, usage = os.wait4(pid, 0)
    return status, usage, True


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _clock(seconds: float) -> str:
    """37 s, 4m05s, 1h02m: the time on the progress bar."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _how_it_ended(status: int, killed_for: str) -> str:
    if killed_for:
        return "stopped by the grader: " + ("probably an infinite loop" if killed_for == "timeout" else killed_for)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        return f"killed by signal {name}" + (", probably out of memory" if number == signal.SIGKILL else "")
    return f"it exited with status {os.waitstatus_to_exitcode(status)}"
