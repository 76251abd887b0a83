"""Do the walls of a grading child hold? Each test forks a child the way `coursekit grade-class` does
(sandbox.fork_contained, then sandbox.enter), runs probes in it as learner code would, and reads what they found
through a pipe. The probes try the real thing (write /etc, read root's files, the grader's environment, signal the
grader, leave a process behind, exhaust memory, processes, disk) and report what happened; the test decides."""
from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest
import torch  # noqa: F401 - loaded before the fork, as in the grader (the children's memory limit counts from it)

from coursekit import sandbox



def namespaces_available() -> bool:
    """Root on Linux, and a kernel that lets this process make namespaces (a container's seccomp profile may not)."""
    if os.geteuid() != 0 or not Path("/proc/self/ns/pid").exists():
        return False
    pid = os.fork()
    if pid == 0:
        libc = sandbox._libc()
        os._exit(libc.unshare(sandbox.CLONE_NEWNS | sandbox.CLONE_NEWNET | sandbox.CLONE_NEWIPC
                              | sandbox.CLONE_NEWPID) != 0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


pytestmark = pytest.mark.skipif(not namespaces_available(),
                                reason="the namespaces and the uid switch need root on Linux, where the kernel allows "
                                       "namespaces (tests/test_integrity.py covers the audit-hook fallback)")
CANARY = "coursekit-canary-3f9a1c"


def in_child(probe, tmp_path: Path, **walls) -> dict:
    """Fork a walled child, run `probe(folder)` in it, return its dict (plus the child's exit status)."""
    own = tmp_path / "student"
    own.mkdir(exist_ok=True)
    (own / "ch01_tensors.py").write_text("x = 1\n")
    own.chmod(0o700)  # as pytest makes it: unreadable to other uids on the host
    hidden = tmp_path / "hidden"
    hidden.mkdir(exist_ok=True)
    (hidden / "answer.txt").write_text("the reference")
    read_fd, write_fd = os.pipe()
    pid, contained = sandbox.fork_contained()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            options = dict(memory_mb=512, uid=sandbox.sandbox_uid(7), read_only=[Path(p) for p in __import__("sys").path
                                                                             if p and Path(p).is_dir()])
            options.update(walls)
            mode = sandbox.enter(sandbox.Walls(own, [hidden], **options))
            found = {"mode": mode, **probe(own)}
            os.write(write_fd, json.dumps(found).encode())
        except BaseException as error:  # noqa: BLE001 - reported to the test
            os.write(write_fd, json.dumps({"error": repr(error)}).encode())
            code = 3
        os._exit(code)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    found = json.loads(data or b"{}")
    assert "error" not in found, found
    found.update(contained=contained, status=status)
    return found


def attempt(action) -> str:
    """'done' if `action()` succeeded, else the error's name."""
    try:
        action()
        return "done"
    except Exception as error:  # noqa: BLE001 - what failed is the finding
        return type(error).__name__


def test_the_child_runs_as_an_unprivileged_uid_of_its_own(tmp_path):
    def probe(_):
        status = Path("/proc/self/status").read_text()
        return {"uids": os.getresuid(), "gids": os.getresgid(), "groups": os.getgroups(),
                "capabilities": [line.split()[1] for line in status.splitlines() if line.startswith("Cap")],
                "setuid0": attempt(lambda: os.setuid(0))}

    found = in_child(probe, tmp_path)
    uid = sandbox.sandbox_uid(7)
    assert found["uids"] == [uid, uid, uid] and uid != 0 and found["gids"] == [uid, uid, uid]
    assert found["groups"] == [] and found["setuid0"] == "PermissionError"
    assert set(found["capabilities"]) == {"0000000000000000"}, found["capabilities"]
    assert found["mode"].startswith("mount+net+ipc namespaces, pid namespace, uid")


def test_the_child_cannot_write_system_files_or_read_roots(tmp_path):
    def probe(own):
        return {"write /etc": attempt(lambda: Path("/etc/coursekit-probe").write_text("x")),
                "write own folder": attempt(lambda: (own / "results.json").write_text("{}")),
                "read /etc/shadow": attempt(lambda: Path("/etc/shadow").read_bytes()),
                "list root's home": os.listdir("/root") if os.path.isdir("/root") else [],
                "read hidden": attempt(lambda: (own.parent / "hidden" / "answer.txt").read_text()),
                "read own": (own / "ch01_tensors.py").read_text(),
                "write tmp": attempt(lambda: Path("/tmp/scratch").write_text("fine")),
                "a stdlib module not yet imported": attempt(lambda: __import__("colorsys"))}

    found = in_child(probe, tmp_path)
    assert not Path("/etc/coursekit-probe").exists()
    assert found["write /etc"] in ("OSError", "PermissionError")  # EROFS or EACCES
    assert found["write own folder"] in ("OSError", "PermissionError")
    assert found["read /etc/shadow"] in ("PermissionError", "FileNotFoundError")
    assert found["read hidden"] in ("PermissionError", "FileNotFoundError")
    # /root holds the interpreter here (pyenv): only the folders down to it come back, read-only.
    assert all(entry == ".pyenv" for entry in found["list root's home"]), found["list root's home"]
    assert found["read own"] == "x = 1\n" and found["write tmp"] == "done"
    assert found["a stdlib module not yet imported"] == "done"


def test_the_grader_environment_is_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_GRADER_SECRET", CANARY)

    def probe(_):
        import posix

        def proc(path):
            try:
                return Path(path).read_bytes().decode(errors="replace")
            except OSError as error:
                return type(error).__name__

        import ctypes

        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE 1: /proc/self/environ readable again
        return {"os.environ": dict(os.environ), "posix.environ": repr(posix.environ),
                "getenv": os.getenv("COURSEKIT_GRADER_SECRET"), "self": proc("/proc/self/environ"),
                "pid 1": proc("/proc/1/environ"), "parent": proc(f"/proc/{os.getppid()}/environ")}

    found = in_child(probe, tmp_path)
    assert CANARY in os.environ["COURSEKIT_GRADER_SECRET"]
    assert CANARY not in json.dumps(found), found
    assert found["self"] not in ("PermissionError", "FileNotFoundError")  # read, and the block was erased
    assert found["os.environ"]["HOME"] == "/tmp"


def test_the_grader_cannot_be_signalled_and_descendants_die_with_the_child(tmp_path):
    grader = os.getpid()

    def probe(_):
        survivor = os.fork()
        if survivor == 0:  # a grandchild that detaches and means to outlive the run
            os.setsid()
            if os.fork() == 0:
                import ctypes

                ctypes.CDLL(None).prctl(15, b"ck-survivor", 0, 0, 0)  # PR_SET_NAME: findable in /proc
                time.sleep(60)
            os._exit(0)
        os.waitpid(survivor, 0)
        return {"kill grader": attempt(lambda: os.kill(grader, signal.SIGSTOP)),
                "kill everything": attempt(lambda: os.kill(-1, 0)),
                "processes seen": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}

    found = in_child(probe, tmp_path)
    assert found["contained"] and found["kill grader"] in ("ProcessLookupError", "PermissionError")
    assert len(found["processes seen"]) <= 3, found["processes seen"]  # the child and its detached grandchild
    time.sleep(0.5)
    alive = [p for p in os.listdir("/proc") if p.isdigit() and _comm(p) == "ck-survivor"]
    assert not alive, f"processes outlived the child: {alive}"


def test_without_a_pid_namespace_the_uid_sweep_kills_what_is_left(tmp_path):
    uid = sandbox.sandbox_uid(7)
    read_fd, write_fd = os.pipe()
    pid = os.fork()  # a plain fork: no PID namespace
    if pid == 0:
        os.close(read_fd)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.fork() == 0:
            os.setsid()
            os.write(write_fd, str(os.getpid()).encode())
            time.sleep(60)
        os._exit(0)
    os.close(write_fd)
    survivor = int(os.read(read_fd, 32))
    os.waitpid(pid, 0)
    assert _alive(survivor)
    sandbox.sweep(uid)
    deadline = time.time() + 5
    while _alive(survivor) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(survivor)


def test_memory_processes_files_and_tmp_are_bounded(tmp_path):
    def probe(_):
        def fork_many():
            pids = []
            try:
                for _ in range(100):
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(5)
                        os._exit(0)
                    pids.append(pid)
            finally:
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)

        def fill_tmp():
            for n in range(100):
                Path(f"/tmp/fill{n}").write_bytes(b"\0" * (1 << 20))

        return {"memory": attempt(lambda: bytearray(2 << 30)), "processes": attempt(fork_many),
                "big file": attempt(lambda: Path("/tmp/big").write_bytes(b"\0" * (9 << 20))),
                "fill tmp": attempt(fill_tmp)}

    found = in_child(probe, tmp_path, processes=20, file_mb=8, tmp_mb=16)
    assert found["memory"] == "MemoryError"
    assert found["processes"] == "BlockingIOError"  # fork: EAGAIN at RLIMIT_NPROC
    assert found["big file"] == "OSError"  # EFBIG at RLIMIT_FSIZE (Python ignores SIGXFSZ)
    assert found["fill tmp"] == "OSError"  # ENOSPC: /tmp is 16 MiB here


def test_no_network_and_no_host_sockets(tmp_path):
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = Path("/run") / f"coursekit-test-{os.getpid()}.sock"
    listening.bind(str(path))
    listening.listen()
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(b"\0coursekit-test-abstract")
    abstract.listen()
    try:
        def probe(_):
            def unix(address):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(address)

            def internet():
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.settimeout(2)
                    s.connect(("127.0.0.1", 9))

            return {"host socket": attempt(lambda: unix(str(path))),
                    "abstract socket": attempt(lambda: unix(b"\0coursekit-test-abstract")),
                    "internet": attempt(internet)}

        found = in_child(probe, tmp_path)
    finally:
        listening.close()
        abstract.close()
        path.unlink()
    assert found["host socket"] in ("FileNotFoundError", "PermissionError")
    assert found["abstract socket"] == "ConnectionRefusedError"  # a new network namespace: nobody listens there
    assert found["internet"] == "PermissionError"


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


LEARNER_PROBE = '''
import gc, inspect, logging, sys, traceback, typing, warnings
from collections import namedtuple


def attempt(action):
    try:
        action()
        return "done"
    except Exception as error:
        return type(error).__name__


def probe():
    import torch

    def warn():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.warn("a learner's own warning")
            torch.tensor(torch.ones(2))  # torch warns: copy-construct with clone().detach()

    return {"warn": attempt(warn), "namedtuple": attempt(lambda: namedtuple("Point", "x y")),
            "typing.NamedTuple": attempt(lambda: typing.NamedTuple("Pair", [("a", int)])),
            "sys._getframe": attempt(lambda: sys._getframe(1)),
            "inspect.stack": attempt(inspect.stack), "logging.currentframe": attempt(logging.currentframe),
            "traceback frames": attempt(lambda: list(traceback.walk_stack(None))),
            "gc.get_objects": attempt(gc.get_objects), "settrace": attempt(lambda: sys.settrace(None)),
            "ctypes": attempt(lambda: __import__("ctypes").pythonapi.PyEval_GetFrame),
            "compile as torch": attempt(lambda: compile("x = 1", torch.__file__, "exec")),
            "signal handler": attempt(lambda: __import__("signal").signal(10, lambda *a: None))}
'''


def test_exercise_code_cannot_reach_frames_but_may_warn(tmp_path):
    """The audit hook refuses exercise code (compiled from the student's folder) the grader's frames, heap, tracer
    and memory; a warning (its own or torch's), a namedtuple or a typing.NamedTuple still work."""
    def probe(own):
        namespace = {}
        exec(compile(LEARNER_PROBE, str(own / "ch01_tensors.py"), "exec"), namespace)
        return namespace["probe"]()

    found = in_child(probe, tmp_path)
    assert found["warn"] == found["namedtuple"] == found["typing.NamedTuple"] == "done", found
    refused = ["sys._getframe", "inspect.stack", "logging.currentframe", "traceback frames", "gc.get_objects",
               "settrace", "ctypes", "compile as torch", "signal handler"]
    assert {name: found[name] for name in refused} == {name: "PermissionError" for name in refused}


def test_the_audit_hook_counts_every_edit_of_a_functions_code_or_defaults(tmp_path, monkeypatch):
    """The count global_state's tamper predicate trusts in the child (a function edit it does not count would go
    unseen there): every set or delete of __code__, __defaults__ or __kwdefaults__, and nothing else."""
    edits = [0]
    enter = sandbox.enter
    monkeypatch.setattr(sandbox, "enter", lambda walls: enter(walls, edits))

    def probe(own):
        def mine(a=1, *, b=2):
            return a

        counts = [edits[0]]
        for edit in (lambda: setattr(mine, "__code__", (lambda a=1, *, b=2: 2).__code__),
                     lambda: setattr(mine, "__defaults__", (3,)), lambda: setattr(mine, "__kwdefaults__", {"b": 4}),
                     lambda: delattr(mine, "__defaults__"), lambda: object.__setattr__(mine, "__code__", mine.__code__),
                     lambda: type(mine).__dict__["__kwdefaults__"].__set__(mine, None),
                     lambda: setattr(mine, "__name__", "renamed"), lambda: mine.__code__):
            edit()
            counts.append(edits[0])
        return {"counts": counts}

    assert in_child(probe, tmp_path)["counts"] == [0, 1, 2, 3, 4, 5, 6, 6, 6]
