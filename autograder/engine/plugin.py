"""The pytest side of the autograder: options, fixtures, per-check isolation, the score report and results.json.

autograder/conftest.py imports these hooks, so they apply to `pytest autograder` and to nothing else.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies
from hypothesis.errors import HypothesisSideeffectWarning

# Hypothesis registers its own random generator the first time it runs an example, and registering calls
# gc.collect(): 0.22 s once torch fills the heap, next to nothing before. So the first example runs here, before
# torch is imported (benchmarks/bench_grading.py measures the whole run). Hypothesis warns that work done while a
# plugin loads slows every run; this work is what saves the time.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", HypothesisSideeffectWarning)
    settings(max_examples=1, database=None, deadline=None)(given(strategies.none())(lambda _: None))()

import torch  # noqa: E402 - after hypothesis's first example, above

from autograder.engine import (curves, devices, edition, generated, global_state, i18n, integrity, options,
                               recorded_reference, watchdog)
from autograder.engine.devices import checked_devices, describe_devices, is_meta_run
from autograder.engine.exercises import Exercise
from autograder.engine.feedback import Failure, capped, learner_location
from autograder.engine.loading import ChapterBroken, load_chapter, showable
from autograder.engine.outcomes import FAILED, HIDDEN, INCONCLUSIVE, NOT_ATTEMPTED, TIMEOUT, Check, ExerciseResult, classify, failure_of
from autograder.engine.recorded_reference import CheckRecord, RecordingReference, ReplayingReference
from autograder.engine.selection import exercise_filter, keyword_as_exercises
from autograder.engine.progress_store import ProgressStore, export_script
from autograder.engine.report import ReportStyle, gradescope_results, text_report, write_results

KIT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECK_TIMEOUT = options.DEFAULT_CHECK_TIMEOUT
_GRADING = pytest.StashKey["GradingSession"]()


class GradingSession:
    """What one `pytest autograder` run grades, the chapters it loaded, and the results so far."""

    def __init__(self, target: Path, check_timeout: float):
        self.target = target
        self.reference = KIT_ROOT / "solutions"
        self.check_timeout = check_timeout
        self.started = time.time()
        self.exercises: dict[str, ExerciseResult] = {}
        self.timed_out: set[str] = set()
        self.style: ReportStyle | None = None
        self.plots: list[Path] = []
        self.progress_error = ""
        self.selected: dict[str, set[str]] = {}  # exercise id -> node ids of its checks this run selected
        self.deselected: set[str] = set()  # exercises with a check that -k, -m or --deselect left out
        self.ran: dict[str, set[str]] = {}  # exercise id -> node ids of its checks that ran to a result
        self.declared: dict[str, Exercise] = {}
        self.check_points: dict[tuple[str, str], float] = {}  # (exercise id, check name) -> points, as selected
        self.interrupted = False  # Ctrl-C: what did not run is named in the report, not counted as done
        self.learner_edition = edition.is_learner_edition()  # the reference's answers are recorded, not computed
        self.hidden: dict[str, str] = {}  # node id -> why the learner edition cannot decide that run
        # node id -> why a recorded answer lacked its autograd graph: a pass still proves the values, a failure may
        # be the missing graph's, so it is left to the instructor (never a point lost to the edition)
        self.values_only: dict[str, str] = {}
        self.recording: dict[tuple[str, str], CheckRecord] = {}  # (check file, check) -> answers (--record-reference)
        self._loaded: dict[tuple[Path, str], object] = {}

    def chapter(self, folder: Path, chapter: str):
        """The chapter's module from `folder`, imported once; a broken file stays broken for the whole run."""
        key = (folder, chapter)
        if key not in self._loaded:
            try:
                self._loaded[key] = load_chapter(folder, chapter)
            except ChapterBroken as broken:
                self._loaded[key] = broken
        loaded = self._loaded[key]
        if isinstance(loaded, ChapterBroken):
            # A fresh exception each time: re-raising the stored one would grow its traceback by every check that
            # raised it before, and pytest's traceback filter would then cost each check more than the last.
            raise ChapterBroken(*loaded.args) from None
        return loaded

    def record(self, item: pytest.Item, status: str, message: str, failure: Failure | None = None,
               output: str = "") -> None:
        marker = item.get_closest_marker("exercise_check")
        exercise: Exercise = marker.kwargs["exercise"]
        chapter = chapter_of(item)
        result = self.exercises.setdefault(exercise.id, ExerciseResult(
            exercise.id, exercise.function, chapter, exercise.hints, exercise.guide(chapter),
            hints_zh=exercise.hints_zh))
        name = item.originalname
        question = (item.function.__doc__ or name).strip().splitlines()[0]
        check = result.checks.setdefault(name, Check(name, question, marker.kwargs["points"]))
        run_id = item.name[len(name):] or name
        check.runs.append((run_id, status, message))
        if failure is not None:
            check.failures[run_id] = failure
        if output:
            check.outputs[run_id] = output
        self.ran.setdefault(exercise.id, set()).add(item.nodeid)
        if status == TIMEOUT:
            self.timed_out.add(exercise.id)

    def fully_graded(self, exercise_id: str) -> bool:
        """Did every check of the exercise run? Not so when a check was deselected (-k, -m, --deselect), left out of
        the collection (`test_file.py::test_name`) or never reached (-x, Ctrl-C): such a run says nothing lasting
        about the exercise, so the progress store does not keep it."""
        exercise = self.declared.get(exercise_id)
        selected = self.selected.get(exercise_id, set())
        names = {node_id.split("::")[-1].split("[")[0] for node_id in selected}
        return (exercise is not None and exercise_id not in self.deselected and set(exercise.checks) <= names
                and selected <= self.ran.get(exercise_id, set()))

    def not_graded(self) -> tuple[list[tuple[str, str]], float]:
        """After a Ctrl-C: (id, function) of every selected exercise with a check that never ran, and the points of
        the checks that never ran at all."""
        missing, points = [], 0.0
        for exercise_id, selected in sorted(self.selected.items(), key=lambda kv: tuple(map(int, kv[0].split(".")))):
            if selected <= self.ran.get(exercise_id, set()):
                continue
            missing.append((exercise_id, self.declared[exercise_id].function))
            graded = self.exercises.get(exercise_id)
            points += sum(p for (e, name), p in self.check_points.items()
                          if e == exercise_id and (graded is None or name not in graded.checks))
        return missing, points


def chapter_of(item: pytest.Item) -> str:
    return Path(item.fspath).stem.removeprefix("test_")


def _resolve_target(value: str) -> Path:
    if value == "solutions" and edition.is_learner_edition() and not (KIT_ROOT / "solutions").is_dir():
        raise pytest.UsageError("--target solutions: this is the learner edition of the kit, which holds no reference "
                                "solutions (its checks use the reference's recorded answers instead).")
    for candidate in (Path(value), KIT_ROOT / value):
        if candidate.is_dir():
            return candidate.resolve()
    raise pytest.UsageError(f"--target {value}: no such folder. Give a folder laid out like exercises/ "
                            "(one chNN_topic.py file per chapter), or `solutions` for the reference.")


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "exercise_check(exercise, points): a check of one exercise, worth points")
    # The score report is the learner's feedback; pytest's tracebacks and summary lines would bury it. `--tb=short`
    # (or any explicit --tb / -r) brings them back.
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    if config.option.reportchars == "fE":
        config.option.reportchars = ""
    # pytest's log capture: set up and torn down around every phase of every check (about 2% of a whole-kit run),
    # for "Captured log" sections the report never shows. Without it, what learner code logs reaches stderr, which
    # the report shows under its exercise like anything else it printed. Blocked before pytest registers it (its own
    # pytest_configure runs last).
    config.pluginmanager.set_blocked("logging-plugin")
    target = _resolve_target(config.getoption("--target"))
    try:  # a planted .pyc in the kit would grade with code that is not the kit's (integrity.py)
        integrity.refuse_untrusted_bytecode(config)
    except RuntimeError as refused:
        raise pytest.UsageError(str(refused)) from None
    keyword_as_exercises(config)
    if config.getoption("--record-reference") and not (edition.is_recording() and target == KIT_ROOT / "solutions"):
        raise pytest.UsageError("--record-reference records the reference's answers for the learner edition: "
                                "`coursekit edition` runs it (on solutions/, with the device runs on cpu and meta).")
    secret = config.getoption("--hidden-inputs") or os.environ.get("COURSEKIT_HIDDEN_INPUTS") or None
    if secret and edition.is_learner_edition():
        raise pytest.UsageError("--hidden-inputs is the instructor's: grade with the author kit, not the learner edition.")
    generated.use_hidden_inputs(secret)
    _settle_torch()
    config.stash[_GRADING] = GradingSession(target, config.getoption("--check-timeout"))
    if config.getoption("--plots") and importlib.util.find_spec("matplotlib") is None:
        raise pytest.UsageError('--plots draws with matplotlib, which is not installed: pip install -e ".[plots]" '
                                "(or pip install matplotlib)")
    curves.enable(bool(config.getoption("--plots")))


def _settle_torch() -> None:
    """Put torch in the state every check starts from, before any time limit applies and any snapshot is taken.

    One thread: the checks' problems are tiny, and on a busy machine a second thread makes them many times slower.
    torch imports torch._dynamo on first use of a meta tensor, an optimizer or gradcheck (about 1 s), and that import
    rewraps functions such as torch.manual_seed: done inside a check it would look like tampering, and a time limit
    that interrupted it would leave torch half-imported for every later check. So it happens here, once.
    """
    torch.set_num_threads(1)
    importlib.import_module("torch._dynamo")

    x = torch.ones(2, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    torch.testing.assert_close(x.detach(), torch.ones(2, dtype=torch.float64))
    torch.ones(1, device="meta") + 1  # the meta kernels' own first-use imports


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    global_state.guard_internals()  # the checks are imported, no learner code has run yet: see global_state.py
    seconds = config.stash[_GRADING].check_timeout
    for item in items:
        marker = item.get_closest_marker("exercise_check")
        if marker:
            exercise = marker.kwargs["exercise"]
            item.extra_keyword_matches.update({exercise.id, exercise.function})  # -k "8.1 and not meta" works
            if not item.get_closest_marker("timeout"):
                item.add_marker(pytest.mark.timeout(seconds))
    wanted = config.getoption("--exercise")
    if wanted:
        keep = exercise_filter(wanted, [i.get_closest_marker("exercise_check").kwargs["exercise"] for i in items
                                        if i.get_closest_marker("exercise_check")])
        chosen = [i for i in items if i.get_closest_marker("exercise_check")
                  and i.get_closest_marker("exercise_check").kwargs["exercise"].id in keep]
        left_out = [i for i in items if i not in chosen]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
        items[:] = chosen


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Remember the exercises of which some check was left out: their result is not complete."""
    for item in items:
        marker = item.get_closest_marker("exercise_check")
        if marker:
            item.config.stash[_GRADING].deselected.add(marker.kwargs["exercise"].id)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The checks this run will grade, by exercise (after every selection)."""
    grading = session.config.stash[_GRADING]
    for item in session.items:
        marker = item.get_closest_marker("exercise_check")
        if marker:
            exercise = marker.kwargs["exercise"]
            grading.declared[exercise.id] = exercise
            grading.selected.setdefault(exercise.id, set()).add(item.nodeid)
            grading.check_points[(exercise.id, item.originalname)] = marker.kwargs["points"]
    keyword = session.config.getoption("keyword")
    if not session.items and keyword:
        raise pytest.UsageError(f"-k {keyword!r} selected no check. Select an exercise by its id or function: "
                                "`-k 8.1`, `-k train_one_epoch` or `--exercise 8.1` (`coursekit progress` lists them).")


@pytest.fixture
def learner(request: pytest.FixtureRequest):
    """The graded target's module for this test's chapter (exercises/ unless --target says otherwise)."""
    grading: GradingSession = request.config.stash[_GRADING]
    return LearnerModule(grading.chapter(grading.target, chapter_of(request.node)))


@pytest.fixture
def reference(request: pytest.FixtureRequest):
    """The reference solution's module for this test's chapter; in the learner edition, its recorded answers to
    this check (engine/recorded_reference.py); while recording them, the module with every answer written down."""
    grading: GradingSession = request.config.stash[_GRADING]
    node = request.node
    check_file = Path(node.fspath).name
    if grading.learner_edition:
        record = recorded_reference.read(check_file).get(node.originalname)
        why = "no answer of the reference's was recorded for it" if record is None else record.hidden
        if why:  # the check does not run: a skip (pytest's own outcome, which its fixtures clean up after)
            grading.hidden[node.nodeid] = why
            pytest.skip(why)
        return ReplayingReference(record, on_miss=lambda miss: grading.hidden.setdefault(node.nodeid, miss),
                                  on_values_only=lambda why: grading.values_only.setdefault(node.nodeid, why))
    module = grading.chapter(grading.reference, chapter_of(node))
    if request.config.getoption("--record-reference"):
        return RecordingReference(module, grading.recording.setdefault((check_file, node.originalname), CheckRecord()))
    return module


@pytest.fixture(params=checked_devices())
def device(request: pytest.FixtureRequest) -> torch.device:
    """cpu, each GPU present, and meta (run under the same-device checker) on machines without one."""
    return torch.device(request.param)


class MissingName(AssertionError, AttributeError):
    """A name the chapter lacks: a failed check for the grader, and for getattr(module, name, default) a plain
    missing attribute (tools such as hypothesis probe the first argument of a check for optional hooks)."""


class LearnerModule:
    """A chapter module whose missing names become a sentence instead of an AttributeError."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        try:
            return getattr(self._module, name)
        except AttributeError:
            path = os.path.relpath(self._module.__file__)
            raise MissingName(f"{path} has no `{name}`. The exercise asks for a function or class with exactly "
                                 "that name: was it renamed or deleted? The stub in exercises/ shows its signature.") \
                from None


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("exercise_check")
    if marker and marker.kwargs["exercise"].id in item.config.stash[_GRADING].timed_out:
        pytest.fail("Timeout: an earlier check of this exercise ran past the time limit, so it is not run again.")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Run each check in a fork of torch's RNG; name, undo and fail any other global change it leaves behind."""
    before = global_state.snapshot()
    marker = item.get_closest_marker("exercise_check")
    curves.set_exercise(marker.kwargs["exercise"].id if marker else None)
    marker_timeout = item.get_closest_marker("timeout")
    seconds = marker_timeout.args[0] if marker_timeout and marker_timeout.args else DEFAULT_CHECK_TIMEOUT
    devices.forget_copies_to_cpu()
    with torch.random.fork_rng(devices=[]):
        try:
            with watchdog.deadline(seconds):  # even when learner code blocks the alarm (watchdog.py)
                result = yield
        except devices.DeviceFailure as failure:
            devices.name_the_detour(failure)  # a copy to the cpu on the way is the likely cause: say so
            raise
        finally:
            curves.set_exercise(None)
            changes = global_state.changes_since(before)
            if changes:  # nothing to undo otherwise, and scanning the guarded internals twice costs
                global_state.restore(before)
    if changes and item.get_closest_marker("exercise_check"):
        raise AssertionError(f"The code under test changed torch's global state and left it changed: {changes}. "
                             "Undo such settings before returning (a `with` block does it for you).")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if not item.get_closest_marker("exercise_check"):
        return report
    grading = item.config.stash[_GRADING]
    finished_here = report.when == "call" or (report.when == "setup" and (report.failed or item.nodeid in grading.hidden))
    if finished_here:
        marker = item.get_closest_marker("timeout")
        seconds = marker.args[0] if marker and marker.args else grading.check_timeout
        exception = showable(call.excinfo.value if call.excinfo else None)  # its __str__ may raise
        output = capped(report.capstdout + report.capstderr)
        params = getattr(getattr(item, "callspec", None), "params", {})
        status, message = classify(exception, seconds, output, on_meta=is_meta_run(params))
        if item.nodeid in grading.hidden and status != TIMEOUT:  # the learner edition cannot decide it
            status, message = HIDDEN, grading.hidden[item.nodeid]
        elif item.nodeid in grading.values_only and status in (FAILED, INCONCLUSIVE):
            status, message = HIDDEN, grading.values_only[item.nodeid]
        if status == HIDDEN and report.when == "setup":  # its recording says so: the check does not run at all
            report.outcome, report.longrepr = "skipped", (str(item.path), 0, f"Skipped: {message}")
        elif status in (INCONCLUSIVE, HIDDEN):  # meta could not run it, or the edition cannot decide: proves nothing
            report.outcome, report.longrepr = "passed", None
        location = learner_location(exception, grading.target) if status in (FAILED, TIMEOUT) else None
        failure = failure_of(exception, status, message, location)
        text = failure.text() if failure is not None else message
        grading.record(item, status, text, failure, output)
        report.grading_status = status
        if report.failed and item.config.getoption("tbstyle") not in ("long", "native"):
            report.longrepr = text
    return report


def pytest_report_teststatus(report, config: pytest.Config):
    """A stub's check is counted as "not attempted" (yellow, `n`), not as a failure in red: untouched stubs are where
    every learner starts, nothing broke. The exit status still says not everything passed."""
    if getattr(report, "grading_status", None) == NOT_ATTEMPTED and report.when in ("setup", "call"):
        return "not attempted", "n", "NOT ATTEMPTED"
    return None


def _records_progress(config: pytest.Config) -> bool:
    """Progress is the learner's: kept when grading exercises/, or when --record-progress asks."""
    asked = config.getoption("--record-progress")
    if asked is not None:
        return asked
    return config.stash[_GRADING].target == (KIT_ROOT / "exercises").resolve()


def _style(config: pytest.Config, colour: bool = False) -> ReportStyle:
    grading = config.stash[_GRADING]
    if grading.style is None:
        levels = ProgressStore().hint_levels() if _records_progress(config) else {}
        grading.style = ReportStyle(lang=i18n.choose(config.getoption("--lang")), hint_levels=levels,
                                    integrity=integrity.state(), explain=_records_progress(config))
    style = grading.style
    return ReportStyle(style.lang, colour, style.hint_levels, style.integrity, style.explain)


def _report_text(config: pytest.Config, colour: bool = False) -> str:
    grading = config.stash[_GRADING]
    missing, points = grading.not_graded() if grading.interrupted else (None, 0.0)
    return text_report(list(grading.exercises.values()), target=os.path.relpath(grading.target) + "/",
                       devices=describe_devices(), style=_style(config, colour), not_graded=missing,
                       points_not_graded=points)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    grading = config.stash[_GRADING]
    # Ctrl-C: the report names what was not graded instead of showing what ran as the whole
    grading.interrupted = getattr(session, "exitstatus", 0) == pytest.ExitCode.INTERRUPTED
    if not grading.exercises:
        return
    recorded = config.getoption("--record-reference")
    if recorded:
        by_file: dict[str, dict[str, CheckRecord]] = {}
        for (check_file, name), record in grading.recording.items():
            by_file.setdefault(check_file, {})[name] = record
        for check_file, records in by_file.items():
            recorded_reference.write(check_file, records, Path(recorded))
    results_path = config.getoption("--results")
    if results_path:
        results = gradescope_results(list(grading.exercises.values()), report=_report_text(config),
                                     started=grading.started, visibility=config.getoption("--visibility"),
                                     style=_style(config))
        write_results(Path(results_path), results)
    if _records_progress(config):
        _record_progress(grading)
    plots = config.getoption("--plots")
    if plots:
        functions = {e.id: e.function for e in grading.exercises.values()}
        grading.plots = curves.save(Path(plots), functions, _style(config).lang)


def _record_progress(grading: GradingSession) -> None:
    """Keep the results in the progress store and refresh the export the website's progress page reads."""
    from autograder.engine import catalog

    complete = [result for result in grading.exercises.values() if grading.fully_graded(result.id)]
    if not complete:
        return
    store = ProgressStore()
    try:
        store.record_run(complete, target=str(grading.target), started=grading.started)
        export = store.export()
        export["catalog"] = {e.id: {"function": e.function, "chapter": e.chapter, "points": e.points}
                             for e in catalog.read().values()}
        page_data = KIT_ROOT / "docs" / "assets" / "progress" / "progress-data.js"
        if page_data.parent.is_dir() and not os.environ.get("COURSEKIT_PROGRESS"):  # the page shows the default store
            page_data.write_text(export_script(export), encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - a locked or read-only disk must never cost the learner the report
        grading.progress_error = f"(progress not saved: {error})"


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    grading = config.stash[_GRADING]
    if grading.exercises:
        terminalreporter.write_sep("=", "score report")
        terminalreporter.write_line(_report_text(config, colour=config.get_terminal_writer().hasmarkup))
        if grading.plots:
            terminalreporter.write_line(i18n.t("plots", _style(config).lang,
                                               paths=", ".join(os.path.relpath(p) for p in grading.plots)))
        if grading.progress_error:
            terminalreporter.write_line(grading.progress_error)
