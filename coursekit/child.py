"""One grading child of `coursekit grade-class`: wall off, import the learner's chapters, run the checks, report.

The parent (batch.py) forks this child with `sandbox.fork_contained()`; `run()` never returns. What crosses back is
one line per event on a pipe, in the format `messages` below: JSON, at most LINE_LIMIT bytes, each line authenticated
with a key the parent drew for this child (a keyed BLAKE2 digest over the line and its sequence number). A line the
child's grading code did not write (a forged "passed" written to the pipe by learner code or by a process it
started, a replayed line, garbage, an endless line) fails that authentication or the schema, and the parent stops
the child: it costs the check that was running, never another student or the run.

The key lives in this process's memory, where learner code runs too: code that digs it out of the grader's frames
or heap can still forge its own lines. Only verdicts made outside the learner's process (observe here, decide in
the parent) close that; see the threat model in docs/en/instructors.md.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import types
from pathlib import Path

RESULT_FD = 1023
LINE_LIMIT = 16 * 1024  # one message; a check's message is cut to MESSAGE_LIMIT before it is sent
MESSAGE_LIMIT = 4000
DIGEST_BYTES = 16


def seal(key: bytes, sequence: int, message: dict) -> bytes:
    """The line for `message`, the `sequence`-th this child sends: JSON, a tab, its keyed digest."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode()
    return body + b"\t" + _digest(key, sequence, body).encode() + b"\n"


def unseal(key: bytes, sequence: int, line: bytes) -> dict | None:
    """The message in `line` if this child's grading code wrote it as its `sequence`-th line, else None."""
    import hmac

    if len(line) > LINE_LIMIT or line.count(b"\t") != 1:
        return None
    body, digest = line.split(b"\t")
    if not hmac.compare_digest(digest, _digest(key, sequence, body).encode()):
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    return message if isinstance(message, dict) and isinstance(message.get("e"), str) else None


def _digest(key: bytes, sequence: int, body: bytes) -> str:
    return hashlib.blake2b(sequence.to_bytes(8, "big") + body, key=key, digest_size=DIGEST_BYTES).hexdigest()


def run(config, items, job, write_fd: int, hidden: list[Path], options, kit_root: Path) -> None:
    """In the forked child: never returns. An exception that ends it (the grader's own, or a BaseException the code
    under test raised through its check) is named to the parent first, type and message: the gradebook says what
    happened instead of blaming the learner for a crash."""
    code, report = 0, []
    try:
        code = _grade(config, items, job, write_fd, hidden, options, kit_root, report)
    except BaseException as error:  # noqa: BLE001 - the parent notices the missing results and says so
        code = 70
        try:
            if report:
                report[0](e="error", t=describe_error(error)[:200], m=_error_text(error)[:MESSAGE_LIMIT])
        except BaseException:  # noqa: BLE001 - the pipe is gone: the parent still sees status 70
            pass
    finally:
        os._exit(code)


def describe_error(error: BaseException) -> str:
    """`module.Name` of the error's class, read with type's own descriptors (a metaclass's __qualname__ property or a
    class attribute cannot make it say something else)."""
    kind = type(error)
    qualname, module = type.__dict__["__qualname__"].__get__(kind), type.__dict__["__module__"].__get__(kind)
    name = qualname if isinstance(qualname, str) and type(qualname) is str else "?"
    return name if module in ("builtins", None) or type(module) is not str else f"{module}.{name}"


def _error_text(error: BaseException) -> str:
    """The error's message from its args when they are plain strings and numbers (its own __str__, learner code
    perhaps, is never called here), else a note that it has a message of its own."""
    args = BaseException.__dict__["args"].__get__(error)
    if type(args) is tuple and all(type(a) in (str, int, float, bool) for a in args):
        text = ", ".join(a if type(a) is str else repr(a) for a in args)
    else:
        text = "(a message that is not plain text)"
    filename = getattr(error, "filename", None) if isinstance(error, OSError) else None
    if type(filename) is str:
        text += f": {filename}"
    try:  # where it was raised (the innermost frame): for the instructor, when it is the grader's own
        tb = BaseException.__dict__["__traceback__"].__get__(error)
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            text += f" (at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
    except BaseException:  # noqa: BLE001
        pass
    return text


def _grade(config, items, job, write_fd: int, hidden: list[Path], options, kit_root: Path,
           report: list) -> int:
    import torch

    from coursekit import sandbox
    from coursekit import seal as wider_seal  # before the walls: they refuse `import coursekit` from here on

    key, job.key = job.key, b""
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    # The pipe moves to a fixed high descriptor, and anything else inherited (other children's pipes) is closed.
    os.dup2(write_fd, RESULT_FD)
    os.close(write_fd)
    os.closerange(3, RESULT_FD)
    sent, me, getpid, end = [0], os.getpid(), os.getpid, os._exit

    def send(**message) -> None:
        if getpid() != me:  # a copy forked by learner code, carrying on the grading: it never reports, it ends
            end(70)
        data = seal(key, sent[0], message)
        sent[0] += 1
        while data:
            data = data[os.write(RESULT_FD, data):]

    report.append(send)

    from autograder.engine import global_state, loading, plugin, watchdog
    from autograder.engine.loading import ChapterBroken
    from autograder.engine.outcomes import FAILED

    parent = config.stash[plugin._GRADING]
    grading = plugin.GradingSession(job.student.folder, options.check_timeout)
    grading._loaded = {k: module for k, module in parent._loaded.items() if k[0] == parent.reference}
    config.stash[plugin._GRADING] = grading
    read_only = [kit_root, Path(sys.prefix), Path(sys.base_prefix), loading.alias_dir(),
                 *(Path(p) for p in sys.path if p and Path(p).is_dir() and not Path(p).is_relative_to(job.student.folder))]
    chapters = len({plugin.chapter_of(items[i]) for i in job.indexes})
    walls = sandbox.Walls(job.student.folder, [h for h in hidden if h.resolve() != job.student.folder.resolve()],
                          options.memory_mb, options.namespaces, read_only, uid=job.uid,
                          cpu_seconds=int(options.timeout * chapters) + 10)
    function_edits = [0]  # moved by the sandbox's audit hook, read by the tampering checks (global_state)
    mode = sandbox.enter(walls, function_edits)
    as_entered = _leftovers()
    watchdog.enabled = False  # this process's parent keeps the time (watchdog.py)
    for name in {m.__name__ for m in grading._loaded.values()}:
        sys.modules.pop(name, None)
    # A spawned DataLoader worker re-runs the __main__ module: not the grader's (whatever started it), an empty one.
    sys.modules["__main__"] = types.ModuleType("__main__")
    _sever_paths_to_the_grader(config)
    _import_the_engine()
    global_state.guard_internals(extra=(json, os, sys, hashlib), function_edits=function_edits)
    # From here on learner code may run: the checks below use these private handles, never module attributes it
    # could replace (global_state.tampered_internals, torch._C._is_torch_function_enabled), and hold them in the
    # frames of generators (_sealed_checks), which the sandbox refuses learner code: calls.after_learner_code is a
    # generator's __next__, whose closure cells hold nothing to blind.
    tampered_internals, restore_internals = global_state.sealed(function_edits)
    del function_edits
    seal_hot, seal_all, restore_seal = wider_seal.record()
    after_learner_code = _sealed_checks((tampered_internals, restore_internals), (seal_hot, restore_seal))
    after_check = _sealed_checks((tampered_internals, restore_internals), (seal_all, restore_seal))
    del tampered_internals, restore_internals, seal_hot, seal_all, restore_seal
    torch_function_enabled = torch._C._is_torch_function_enabled

    from autograder.engine import calls

    calls.after_learner_code = after_learner_code
    tell_the_child, told_of_tampering = _flag()
    calls.on_tampering = tell_the_child
    calls.threads_allowed = as_entered[0]  # a thread started at import, still running when a call returns, fails it
    import faulthandler

    send(e="sandbox", mode=mode, uid=os.getuid())
    os.chdir(job.student.folder)
    # Tensor subclasses are treated as plain tensors by every torch function a check calls (a __torch_function__ that
    # makes every comparison pass never runs); code that switches this back is named as tampering.
    plain_tensors = torch._C.DisableTorchFunctionSubclass()
    plain_tensors.__enter__()
    chapter = None
    for position, index in enumerate(job.indexes):
        item = items[index]
        if plugin.chapter_of(item) != chapter:
            chapter = plugin.chapter_of(item)
            send(e="chapter", c=chapter)
            try:
                grading.chapter(grading.target, chapter)
            except ChapterBroken:
                pass
            after_check()  # what the import changed is put back (the chapter's checks fail on it: global_state)
            send(e="imported")
        following = job.indexes[position + 1] if position + 1 < len(job.indexes) else None
        send(e="start", i=index)
        item.ihook.pytest_runtest_protocol(item=item, nextitem=items[following] if following is not None else None)
        _end_descendants()
        faulthandler.cancel_dump_traceback_later()  # a timer that writes tracebacks into the pipe in later checks
        tampered = after_check()
        if calls.after_learner_code is not after_learner_code:
            tampered = "; ".join(filter(None, [tampered, "the grader's own tampering check was replaced"]))
            calls.after_learner_code = after_learner_code
        if calls.on_tampering is not tell_the_child:
            tampered = "; ".join(filter(None, [tampered, "the grader's tampering flag was replaced"]))
            calls.on_tampering = tell_the_child
        if torch_function_enabled():
            tampered = "; ".join(filter(None, [tampered, "torch's __torch_function__ handling was switched back on"]))
            plain_tensors.__enter__()
        if tampered:
            status, message = FAILED, (f"The code under test changed the grader itself: {tampered}. Exercise code "
                                       "must not touch the grader, pytest or torch's own functions.")
        else:
            status, message = _recorded(grading, item)
        send(e="done", i=index, s=status, m=message[:MESSAGE_LIMIT])
        # A fresh child, with the walls as they were, grades the rest: after learner code left something behind, or
        # tampered (what armed it, a finalizer chain in a reference cycle, may still be in this process's heap).
        if position + 1 < len(job.indexes) and (told_of_tampering() or tampered or _leftovers() != as_entered):
            send(e="leave")
            return 0
    send(e="memory", private_mib=_private_mib())
    return 0


def _sealed_checks(*pairs):
    """A callable that asks each (changed, restore) pair, puts back what changed and returns the sentence naming it:
    the pairs live only in a generator's frame (the sandbox refuses learner code gi_frame), so learner code that
    reaches the callable (calls.after_learner_code) finds a bound __next__ and no closure cell to overwrite."""
    def asking(pairs):
        while True:
            found = []
            for changed, restore in pairs:
                try:
                    text = changed()
                except BaseException as error:  # noqa: BLE001 - a replacement that raises when looked at
                    text = f"something the grader relies on was replaced ({type(error).__name__})"
                if text:
                    try:
                        restore()
                    except BaseException:  # noqa: BLE001 - the check fails on `text` whatever restore met
                        pass
                    found.append(text)
            yield "; ".join(found)

    return asking(pairs).__next__


def _flag():
    """(raise_it, taken): raise_it() sets the flag, taken() says whether it was set since it was last asked, and
    clears it. The state lives in a generator's frame (learner code that calls raise_it only ends its own child)."""
    def holding():
        raised, answer = False, False
        while True:
            asked = yield answer
            if asked:
                raised, answer = True, False
            else:
                answer, raised = raised, False

    generator = holding()
    next(generator)

    def raise_it(send=generator.send) -> None:
        send(True)

    def taken(send=generator.send) -> bool:
        return send(False)

    return raise_it, taken


def _sever_paths_to_the_grader(config) -> None:
    """Cut what leads from a module learner code can import to pytest's config, and from it (config.stash) to the
    grading session and the reference solutions: pytest keeps the config in module and class attributes for its own
    convenience (assertion rewriting, mark validation, pdb), in the import hook it leaves in sys.meta_path and as
    the __loader__ of every rewritten module. None of them is needed to grade; the child never returns to pytest's
    end of session. (The signal handlers that hold the running check are the sandbox's: _refuse_signal_handlers.)"""
    try:
        from _pytest.assertion import rewrite, util
    except ImportError:
        return
    for finder in list(sys.meta_path):
        if isinstance(finder, rewrite.AssertionRewritingHook):
            sys.meta_path.remove(finder)
            finder.config = finder.session = None
    assertion = config.pluginmanager.get_plugin("assertion")
    if assertion is not None:  # it puts the running item's config in util._config for every check
        config.pluginmanager.unregister(assertion)
    util._config = util._reprcompare = util._assertion_pass = None
    try:
        from _pytest.mark import structures

        structures.MARK_GEN._config = None
    except (ImportError, AttributeError):
        pass
    try:
        from _pytest.debugging import pytestPDB

        pytestPDB._config = pytestPDB._pluginmanager = None
    except (ImportError, AttributeError):
        pass


def _import_the_engine() -> None:
    """Every engine module imported now, so that none is first imported while learner code runs: a module of the
    learner's placed in sys.modules under an engine module's name (which a check imports lazily) would be used."""
    import importlib
    import pkgutil

    import autograder.engine as engine

    for info in pkgutil.iter_modules(engine.__path__):
        importlib.import_module(f"autograder.engine.{info.name}")


def _leftovers() -> tuple:
    """What learner code could leave behind in this process to act in later checks, which no check undoes: Python
    threads still running (one that patches the grader while the next check compares), interval timers armed
    (SIGPROF and SIGVTALRM end the process), and resource limits it lowered
    (a CPU limit of one second kills whatever check runs next)."""
    import _thread
    import resource

    kinds = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE,
             resource.RLIMIT_NPROC, resource.RLIMIT_STACK, resource.RLIMIT_DATA)
    timers = tuple(signal.getitimer(kind) != (0.0, 0.0) for kind in (signal.ITIMER_PROF, signal.ITIMER_VIRTUAL))
    return _thread._count(), tuple(resource.getrlimit(kind) for kind in kinds), timers  # SIGPROF/SIGVTALRM kill


def _end_descendants() -> None:
    """Nothing learner code started outlives its check: as PID 1 of the child's own namespace, kill every other
    process in it (kill(-1) spares the caller) and reap them."""
    if os.getpid() != 1:
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        return  # there were none
    while True:
        try:
            if os.waitpid(-1, 0)[0] == 0:
                break
        except ChildProcessError:
            break
        except InterruptedError:
            continue


def _recorded(grading, item) -> tuple[str, str]:
    from autograder.engine.outcomes import FAILED

    exercise = item.get_closest_marker("exercise_check").kwargs["exercise"]
    result = grading.exercises.get(exercise.id)
    check = result.checks.get(item.originalname) if result else None
    run_id = item.name[len(item.originalname):] or item.originalname
    for ran, status, message in reversed(check.runs if check else []):
        if ran == run_id:
            return status, message
    return FAILED, "The check did not run to the end (its setup or teardown failed)."


def _private_mib() -> float:
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            fields = dict(line.split(":", 1) for line in rollup if ":" in line)
        return sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty")) / 1024
    except (OSError, KeyError, ValueError):
        return 0.0
