"""The walls around one grading process: who it runs as, what it sees, what it may use, what it leaves behind.

Parent side (the grader):

- `fork_contained()` forks the child as the first process (PID 1) of a new PID namespace: when it dies, the kernel
  kills every process it started, and no process inside can name (signal, trace) one outside;
- `sweep(uid)` kills every process left running as a child's uid, where no PID namespace could be made.

Child side, `enter(walls)`, in the freshly forked child, before any learner code runs:

- limits: address space (the grader's own plus the submission's allowance), CPU seconds, processes (per uid), the size
  of any file written, open files, no core dumps;
- files: a private mount namespace in which every existing mount is read-only; `solutions/`, the kit's tests and git
  history, the output folder, every other student's folder and the host's private places (home folders, /root,
  /run with its sockets, /mnt, /media, /srv) are covered by empty read-only file systems; /tmp and /dev/shm are
  fresh, size-limited file systems of the child's own; the interpreter, the virtual environment and the kit come
  back, read-only, where they were (so a Python under /root works for an unprivileged child); the student's own folder
  is a read-only copy; /proc is the new PID namespace's;
- network and IPC: new, empty network and IPC namespaces (no host sockets, abstract or otherwise);
- environment: the grader's environment variables are erased (os.environ, posix.environ and the process's own
  environment block, which /proc/self/environ shows): the child gets PATH, HOME=/tmp and the locale;
- privileges: the child becomes an unprivileged uid of its own (one per worker slot, never 0), with no capabilities,
  no way to gain any (no_new_privs, an empty bounding set), undumpable;
- Python: an audit hook refuses internet sockets, reading the hidden folders, and (without namespaces) starting
  programs; a finder refuses `import solutions / tests / coursekit`.

Without root (or where the kernel refuses namespaces) the uid switch, the mounts and the PID namespace are skipped and
the audit hook is the wall; `enter()` returns which walls applied.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import shutil
import signal
import socket
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC = 0x00020000, 0x40000000, 0x20000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
_MOUNT_OPTIONS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024, "nodiratime": 2048,
                  "relatime": 1 << 21}
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 4, 24, 38
BLOCKED_IMPORTS = ("solutions", "tests", "coursekit")
_PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn")
# Where a host keeps what is not the course's business: homes, sockets, mounted media. Covered when they exist.
HOST_PRIVATE = ("/root", "/home", "/run", "/var/run", "/mnt", "/media", "/srv", "/var/tmp", "/var/lib/docker")
SANDBOX_UID_BASE = 2_000_000_000  # far above any account a system creates; one uid per worker slot
_KEEP_ENVIRONMENT = ("LANG", "LC_ALL", "LC_CTYPE", "LANGUAGE", "COURSEKIT_LANG", "TZ")


@dataclass
class Walls:
    """What one grading child may see and use: its own folder, read-only; never `hidden`."""

    own_folder: Path
    hidden: list[Path] = field(default_factory=list)
    memory_mb: int = 2048
    namespaces: bool = True  # False: the audit-hook-only fallback (what a non-root user gets)
    read_only: list[Path] = field(default_factory=list)  # the kit, Python, the packages: visible, never writable
    uid: int | None = None  # the unprivileged uid to become (root only); None: stay who we are
    cpu_seconds: int = 3600
    processes: int = 128  # processes and threads the uid may have at once
    file_mb: int = 64  # the largest file the child may write
    tmp_mb: int = 128  # /tmp and /dev/shm, each
    own_mb: int = 64  # the copy of the student's folder


def mode(namespaces: bool = True) -> str:
    """'namespaces' when this process can make mount and network namespaces, else 'audit hook only'."""
    return "namespaces" if namespaces and os.geteuid() == 0 and sys.platform == "linux" else "audit hook only"


def sandbox_uid(slot: int) -> int | None:
    """The uid of worker slot `slot` (as root on Linux), inside the uid range this user namespace maps."""
    if os.geteuid() != 0 or sys.platform != "linux":
        return None
    try:
        extents = [tuple(int(n) for n in line.split()) for line in Path("/proc/self/uid_map").read_text().splitlines()]
    except (OSError, ValueError):
        return None
    for inside, _, count in extents:
        if inside <= SANDBOX_UID_BASE + slot < inside + count:
            return SANDBOX_UID_BASE + slot
    widest = max(extents, key=lambda e: e[2], default=None)
    if widest is None or widest[2] < slot + 3:
        return None
    return widest[0] + widest[2] - 2 - slot  # the top of the widest mapped range, below the overflow uid


# --- parent side ------------------------------------------------------------------------------------------------

def _libc():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def fork_contained(pid_namespace: bool = True) -> tuple[int, bool]:
    """fork(); returns (pid, contained). The child is PID 1 of a new PID namespace when this process may make one
    (root on Linux): its death takes every descendant with it, and nothing inside can signal the grader."""
    libc = own = None
    if pid_namespace and os.geteuid() == 0 and sys.platform == "linux":
        try:
            own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
            libc = _libc()
            _check(libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
        except OSError:
            if own is not None:
                os.close(own)
            libc = own = None
    try:
        pid = os.fork()
    except BaseException:
        pid = -1
        raise
    finally:
        if own is not None and pid != 0:
            # Later forks of the grader (the next child, a sweep) must not land in this child's namespace.
            _check(libc.setns(own, CLONE_NEWPID), "setns back to the grader's PID namespace")
            os.close(own)
    if pid == 0 and own is not None:
        os.close(own)
    return pid, own is not None


def sweep(uid: int | None) -> None:
    """Kill every process running as `uid` (a child's descendants, where no PID namespace held them)."""
    if uid is None or uid == 0 or os.geteuid() != 0:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)  # every process this uid may signal: exactly the uid's own, atomically
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


# --- child side -------------------------------------------------------------------------------------------------

def enter(walls: Walls, function_edits: list | None = None) -> str:
    """Put the walls up around this process (a fresh child); returns the walls that apply, in words.
    `function_edits[0]`, when given, counts every set or delete of a function's __code__ or defaults from now on
    (global_state._intact_check reads the functions again only once it moved)."""
    _limit(walls)
    applied = []
    namespaces = mode(walls.namespaces) == "namespaces"
    if namespaces:
        libc = _libc()
        try:
            _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
        except OSError:  # the kernel (a container's seccomp profile) refuses namespaces: the fallback below
            namespaces = False
    if namespaces:  # from here a failure ends the child (half-built walls are no walls): the parent says so
        _namespaces(walls, libc)
        applied.append("mount+net+ipc namespaces" + (", pid namespace" if os.getpid() == 1 else ""))
    _scrub_environment()
    _audit_hook(walls, block_processes=not namespaces, floor=sys._getframe(1).f_code,
                function_edits=function_edits if function_edits is not None else [0])
    sys.meta_path.insert(0, _RefuseImports(trusted_roots(walls), str(walls.own_folder.resolve()) + os.sep))
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_IMPORTS and name not in ("coursekit.batch", "coursekit.sandbox",
                                                                    "coursekit.child"):
            del sys.modules[name]
    uid = walls.uid if walls.uid is not None and (namespaces or _readable_by_others(walls)) else None
    if uid is not None:  # counted per real uid, so only for a uid of the child's own (root has hundreds)
        hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        count = walls.processes if hard == resource.RLIM_INFINITY else min(walls.processes, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (count, count))
    _drop_privileges(uid)
    if uid is not None:
        applied.append(f"uid {uid}")
    applied.append("audit hook")
    return ", ".join(applied) if namespaces else "audit hook only" + (f", uid {uid}" if uid is not None else "")


def _limit(walls: Walls) -> None:
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    mib = 1024 * 1024
    limits = {
        resource.RLIMIT_AS: current + walls.memory_mb * mib,
        resource.RLIMIT_CPU: walls.cpu_seconds,
        resource.RLIMIT_FSIZE: walls.file_mb * mib,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 4096,
    }
    for kind, value in limits.items():
        _, hard = resource.getrlimit(kind)
        new_hard = value + 5 if kind == resource.RLIMIT_CPU else value  # SIGXCPU first, SIGKILL 5 s later
        if hard != resource.RLIM_INFINITY:
            new_hard = min(new_hard, hard)
        resource.setrlimit(kind, (min(value, new_hard), new_hard))


def _mount(libc, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _mounts() -> list[tuple[str, int]]:
    """Every mount point of this namespace with its per-mount flags, shallowest first."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point = fields[4].encode().decode("unicode_escape")  # mountinfo writes a space as \040
        flags = sum(_MOUNT_OPTIONS.get(option, 0) for option in fields[5].split(","))
        found.append((point, flags))
    return sorted(set(found), key=lambda entry: len(Path(entry[0]).parts))


def _namespaces(walls: Walls, libc) -> None:
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    own = walls.own_folder.resolve()
    hidden = [h.resolve() for h in walls.hidden]
    # What must stay hidden wins over what is kept (sys.path may name a folder inside tests/, say).
    keep = {p.resolve() for p in walls.read_only if p.is_dir()}
    keep = {p for p in keep if not any(p.is_relative_to(h) for h in hidden)}
    handles = {own: os.open(own, os.O_PATH | os.O_DIRECTORY)}
    for path in keep:
        try:
            handles[path] = os.open(path, os.O_PATH | os.O_DIRECTORY)
        except FileNotFoundError:  # removed since sys.path named it (the folder the grader started in): not kept
            pass
    keep = {path for path in keep if path in handles}
    try:
        for point, flags in _mounts():  # nothing that exists can be changed from here on
            try:
                _mount(libc, None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
            except OSError:
                pass  # a mount the kernel will not remount (some /proc and /sys entries): read-only for a uid anyway
        writable = {Path("/tmp"), Path("/dev/shm")}
        covers = {p.resolve() for p in [*hidden, *(Path(h) for h in HOST_PRIVATE), Path.home(), *writable]
                  if p.is_dir() and not p.is_symlink()}
        covers = {c for c in covers if c not in keep and c != own and c != Path("/")}
        applied: dict[Path, str] = {}
        for path in sorted(covers | keep | {own}, key=lambda p: len(p.parts)):
            enclosing = max((p for p in applied if path.is_relative_to(p) and p != path),
                            key=lambda p: len(p.parts), default=None)
            under_cover = enclosing is not None and applied[enclosing] == "cover"
            if path == own:
                _make_mount_point(path, under_cover)
                _own_copy(libc, handles[own], path, walls.own_mb)
                applied[path] = "keep"
            elif path in keep:
                if under_cover:
                    _make_mount_point(path, True)
                    _mount(libc, f"/proc/self/fd/{handles[path]}", str(path), None, MS_BIND | MS_REC)
                    _mount(libc, None, str(path), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
                applied[path] = "keep"
            elif not under_cover:  # under another cover it is already out of sight
                size = f"{walls.tmp_mb}m,mode=1777" if path in writable else "64k,mode=0755"
                _mount(libc, "none", str(path), "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}")
                applied[path] = "cover"
        for path, kind in applied.items():  # the mount points are made: the covers become read-only too
            if kind == "cover" and path not in writable:
                _mount(libc, "none", str(path), "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k")
    finally:
        for handle in handles.values():
            os.close(handle)
    if os.getpid() == 1:  # the first process of a new PID namespace: /proc shows that namespace only
        try:
            _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            pass


def _make_mount_point(path: Path, under_cover: bool) -> None:
    """Inside a (still writable) covering tmpfs, the folders down to `path`, readable by anyone."""
    if under_cover:
        old = os.umask(0o022)
        try:
            path.mkdir(parents=True, exist_ok=True)
        finally:
            os.umask(old)


def _own_copy(libc, handle: int, target: Path, limit_mb: int) -> None:
    """The student's folder, copied (as root, before the uid switch) into a read-only tmpfs at its own path: readable
    by the child's uid whatever the host's permissions, and the original out of reach. Symlinks stay links (they
    resolve inside the walls); bytecode caches are left out; at most `limit_mb` of files."""
    source = f"/proc/self/fd/{handle}"
    _mount(libc, "none", str(target), "tmpfs", MS_NOSUID | MS_NODEV, f"size={limit_mb + 1}m,mode=0755")
    budget = limit_mb * 1024 * 1024
    for folder, dirs, files in os.walk(source):
        linked_folders = [d for d in dirs if os.path.islink(os.path.join(folder, d))]  # a link to a file is in files
        dirs[:] = [d for d in dirs if d != "__pycache__" and d not in linked_folders]
        relative = os.path.relpath(folder, source)
        destination = target / relative if relative != "." else target
        destination.mkdir(mode=0o755, exist_ok=True)
        for name in [*files, *linked_folders]:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                os.symlink(os.readlink(path), destination / name)
                continue
            info = os.stat(path, follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_size > budget:
                continue
            budget -= info.st_size
            shutil.copyfile(path, destination / name, follow_symlinks=False)
            os.chmod(destination / name, 0o644)
            os.utime(destination / name, ns=(info.st_atime_ns, info.st_mtime_ns))
    _mount(libc, "none", str(target), "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def _readable_by_others(walls: Walls) -> bool:
    """Without a mount namespace, may an unprivileged uid still read what grading needs (Python, the kit, the
    student's folder)? If not, the uid switch would only break the grading."""
    needed = [Path(sys.base_prefix), Path(sys.prefix), walls.own_folder, *walls.read_only]
    for path in needed:
        path = path.resolve()
        for part in [*reversed(path.parents), path]:
            try:
                mode_bits = part.stat().st_mode
            except OSError:
                return False
            if not mode_bits & stat.S_IXOTH or (part == path and not mode_bits & stat.S_IROTH):
                return False
    return True


def _scrub_environment() -> None:
    """Erase the grader's environment from this process: the mapping, posix's copy and the environment block the
    process started with (which /proc/self/environ reads), then set the few variables grading needs."""
    import posix

    kept = {k: v for k, v in os.environ.items() if k in _KEEP_ENVIRONMENT}
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51 of proc(5)
        if 0 < start < end:
            ctypes.memset(start, 0, end - start)
    except (OSError, ValueError, IndexError):
        pass
    os.environ.clear()
    posix.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", **kept})
    import tempfile

    tempfile.tempdir = "/tmp"


def _drop_privileges(uid: int | None) -> None:
    """As root: empty the capability bounding set (so nothing exec'd can regain one), become `uid` (which drops every
    capability), gain no new privileges, become undumpable. Without a uid: drop the capabilities but stay root."""
    if os.geteuid() != 0:
        return
    libc = _libc()
    for capability in range(64):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("the uid switch did not take")
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if uid is None:
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2): all empty
        _check(libc.capset(header, data), "capset")


# What learner code may not do to the process it shares with the checks: reach the grader's frames (and through them
# the reference and the verdict), the heap (gc), a tracer that rewrites running checks, raw memory (ctypes), code
# objects that pose as another file. Refused when the nearest frame that is not the standard library's is the
# student's (so torch or pytest doing the same thing on their own account is unaffected).
_INTROSPECTION_EVENTS = frozenset({
    "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "code.__new__", "marshal.loads", "marshal.load", "sys.addaudithook", "function.__new__"})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
# The standard library's own bookkeeping: the few functions that take a frame on their own account (a module name for
# a new class, a warning's line) and hand back no frame. Every other standard module on the way is transparent: it
# may be doing it on its caller's behalf (a thread pool running gc.get_objects, functools.singledispatch calling
# sys._getframe(5)), so the code that called it decides.
_OWN_ACCOUNT = frozenset({("collections/__init__.py", "namedtuple"), ("enum.py", "_create_"), ("typing.py", "_caller"),
                          ("warnings.py", "warn"), ("gettext.py", "c2py")})
# Events that hand over the heap, another frame or raw memory: refused whenever exercise code is anywhere below on the
# stack, since any library function that calls what it is given (torch.utils._pytree.tree_map(gc.get_objects, [None]))
# would otherwise launder them. The other guarded events go by the nearest frame that is not the standard library's.
_ANYWHERE_EVENTS = frozenset({"sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile",
                              "gc.get_objects", "gc.get_referrers", "gc.get_referents", "object.__getattr__",
                              "coursekit.setattr.code"})
# Setting these on an object that is not the learner's own swaps what it does under its old name: a check's oracle
# (assert_close.__code__) swapped from a backward hook or a module's method, where no calls.call is there to look
# right after (a swap that undoes itself when used would leave nothing for the end of the check to see). Refused
# whenever exercise code is below on the stack; __class__ (torch's parametrizations set it on their own account) only
# when the nearest code is the learner's.
_SEALED_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__", "__class__"})
_FUNCTION_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
_CODE_EVENT = "coursekit.setattr.code"
_LIBRARY_LOADING = ("ctypes.dlopen", "ctypes.dlsym")


def trusted_roots(walls: Walls) -> tuple[str, ...]:
    """Where the grader's own code lives (the kit, Python, its packages), read-only inside the walls: code whose file
    is there is not the learner's. Everything else (the student's folder, /tmp, /dev/shm) may be."""
    own = walls.own_folder.resolve()
    return tuple(sorted({str(p.resolve()) + os.sep for p in walls.read_only if p.is_dir()
                         and not p.resolve().is_relative_to(own) and p.resolve() != Path("/")}))


def _introspection_guard(trusted: tuple[str, ...], own: str, floor=None):
    """A predicate: was this audit event raised on behalf of learner code? The standard library's frames are its
    caller's (but for _OWN_ACCOUNT); the nearest other frame decides (learner code unless its file lies under
    `trusted`), and for the events that hand over the heap, frames or memory any learner frame below decides. A
    thread whose frames are all the standard library's (a thread pool started by learner code) is the learner's.
    The walk stops at `floor` (the code that put the walls up): below it is whatever started the grader; and at the
    import system: what a module's code does while it is imported is that module's business."""
    import _thread
    import sysconfig

    stdlib = tuple({sysconfig.get_paths()[k] + os.sep for k in ("stdlib", "platstdlib")})
    own_account = {(prefix + name, function) for prefix in stdlib for name, function in _OWN_ACCOUNT}
    importer = ("<frozen importlib._bootstrap", "<frozen zipimport")
    getframe, busy, get_ident, main = sys._getframe, set(), _thread.get_ident, _thread.get_ident()

    def learners(name: str) -> bool:
        return name.startswith(own) or not name.startswith(trusted)

    def from_learner(event: str, depth: int = 2) -> bool:
        thread = get_ident()
        if thread in busy:  # getframe below raises its own audit event
            return False
        busy.add(thread)
        try:
            frame = getframe(depth)  # 0: this function, 1: the hook, 2: the code that raised the event
            if frame is None:
                return False
            if event in ("compile", "marshal.loads", "marshal.load") and frame.f_code.co_filename.startswith(importer):
                return False  # the import system loading a module (_RefuseImports decides which ones may load)
            if (frame.f_code.co_filename, frame.f_code.co_name) in own_account:
                return False
            anywhere = event in _ANYWHERE_EVENTS or (event.startswith("ctypes.") and event not in _LIBRARY_LOADING)
            decided = False
            while frame is not None and frame.f_code is not floor:
                name = frame.f_code.co_filename
                if name.startswith(importer):  # a module's own code, run by its import (typing_extensions' _caller)
                    return False
                if not name.startswith(stdlib) and not name.startswith("<"):  # "<string>" (exec'd code): its caller's
                    if learners(name):
                        return True
                    if not anywhere:
                        return False
                    decided = True
                frame = frame.f_back
            return not decided and thread != main
        finally:
            busy.discard(thread)

    return from_learner


def _audit_hook(walls: Walls, block_processes: bool, floor=None, function_edits: list | None = None) -> None:
    hidden = tuple(str(h.resolve()) + os.sep for h in walls.hidden)
    own = str(walls.own_folder.resolve()) + os.sep
    internet = (socket.AF_INET, socket.AF_INET6)
    import sysconfig

    stdlib_paths = tuple({sysconfig.get_paths()[k] + os.sep for k in ("stdlib", "platstdlib")})
    trusted = trusted_roots(walls)
    from_learner = _introspection_guard(trusted, own, floor)

    def refuse_hidden(path) -> None:
        if isinstance(path, int):
            return
        try:
            full = os.path.realpath(os.fsdecode(path)) + os.sep
        except (TypeError, ValueError):
            return
        if full.startswith(hidden) and not full.startswith(own):
            raise PermissionError(f"grading sandbox: {os.fsdecode(path)} is not readable while grading")

    hidden_error = _Hidden

    def learners_object(target, attribute: str) -> bool:
        """Is `target` the learner's own: a function compiled from its files (or from a string it exec'd), an object
        of a class defined there?"""
        if attribute == "__class__":
            module = sys.modules.get(getattr(type(target), "__module__", None) or "")
            name = getattr(module, "__file__", None)
            return isinstance(name, str) and (name.startswith(own) or not name.startswith(trusted + stdlib_paths))
        code = getattr(target, "__code__", None)
        name = getattr(code, "co_filename", None)
        return isinstance(name, str) and (name.startswith(own) or not name.startswith(trusted + stdlib_paths))

    edits = function_edits if function_edits is not None else [0]
    edit_events, function_attributes = ("object.__setattr__", "object.__delattr__"), _FUNCTION_ATTRIBUTES

    def hook(event: str, args: tuple) -> None:
        if event in edit_events and len(args) > 1 and args[1] in function_attributes:
            edits[0] += 1  # counted whoever edits what (refused below or not): see enter()
        if event == "open":
            refuse_hidden(args[0])
        elif event in ("os.listdir", "os.scandir", "os.chdir") and args:
            refuse_hidden(args[0])
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg") and args \
                and getattr(args[0], "family", None) in internet:
            raise PermissionError("grading sandbox: no network while grading")
        elif event == "socket.getaddrinfo":
            raise PermissionError("grading sandbox: no network while grading")
        elif block_processes and event.startswith(_PROCESS_EVENTS):
            raise PermissionError("grading sandbox: starting other programs is not allowed while grading")
        elif block_processes and event in ("os.kill", "os.killpg", "signal.pthread_kill") and from_learner(event):
            # Without a PID namespace and a uid of its own the child could signal the grader: never from its code.
            raise PermissionError("grading sandbox: exercise code may not send signals while grading")
        elif event == _REVEAL_EVENT:
            if from_learner(event, 4):  # 2 is the keeper, 3 guarded_signal or guarded_getsignal
                raise hidden_error()
        elif event == "object.__setattr__" and len(args) > 1 and args[1] in _SEALED_ATTRIBUTES \
                and not learners_object(args[0], args[1]) \
                and from_learner("object.__setattr__" if args[1] == "__class__" else _CODE_EVENT):
            raise PermissionError(f"grading sandbox: exercise code may not set {args[1]} of the grader's, torch's or "
                                  "Python's own objects while grading")
        elif event == _SIGNAL_EVENT:
            if callable(args[1]) and from_learner(event, 4):  # 2 is the keeper, 3 guarded_signal
                raise PermissionError("grading sandbox: exercise code may not install signal handlers while grading")
        elif (event in _INTROSPECTION_EVENTS or event.startswith("ctypes.")
              or (event == "object.__getattr__" and len(args) > 1 and args[1] in _FRAME_ATTRIBUTES)
              or (event == "compile" and len(args) > 1 and isinstance(args[1], (str, bytes))
                  and os.fsdecode(args[1]).startswith(trusted + stdlib_paths))) and from_learner(event):
            raise PermissionError(f"grading sandbox: exercise code may not use {event} while grading (it reaches "
                                  "into the grader's frames, heap or memory)")

    sys.addaudithook(hook)
    _refuse_signal_handlers()


_SIGNAL_EVENT = "coursekit.signal.signal"
_REVEAL_EVENT = "coursekit.signal.reveal"


def _refuse_signal_handlers() -> None:
    """A Python signal handler receives the frame it interrupted, the check's among its callers: learner code may
    still ignore or reset a signal, never install a function. And a handler the grader installed (pytest-timeout's
    alarm closes over the running check's item, and through it the reference) is never handed to learner code:
    signal.signal and signal.getsignal give it None, as for a handler not installed from Python. The audit hook
    decides (through events of the kit's own); everything the decision needs (the real functions, sys.audit) lives in
    the frames of generators, so that these replacements, which learner code can reach as `_signal.signal` and
    `_signal.getsignal`, hold in their closure cells nothing that could be swapped to blind them."""
    import _signal

    def keeper(original, event):
        audit, hidden = sys.audit, _Hidden
        request = yield
        while True:
            try:
                if event:
                    audit(event, *request)
                value = original(*request)
                if callable(value):
                    try:
                        audit(_REVEAL_EVENT)
                    except hidden:
                        value = None
                answer = value, None
            except Exception as error:  # noqa: BLE001 - handed back to the caller, without this frame
                answer = None, error.with_traceback(None)
            request = yield answer

    setting, getting = keeper(_signal.signal, _SIGNAL_EVENT).send, keeper(_signal.getsignal, None).send
    setting(None)
    getting(None)

    def guarded_signal(signalnum, handler):
        previous, error = setting((signalnum, handler))
        if error is not None:
            raise error
        return previous

    def guarded_getsignal(signalnum):
        handler, error = getting((signalnum,))
        if error is not None:
            raise error
        return handler

    _signal.signal = guarded_signal  # signal.signal calls it through this module attribute
    _signal.getsignal = guarded_getsignal  # and signal.getsignal this one


class _Hidden(Exception):
    """Raised by the audit hook into guarded_signal/guarded_getsignal when learner code asked for a handler."""


class _RefuseImports:
    """A meta-path finder that refuses the reference solutions and the kit's own packages to learner code, and any
    module that is not a source file of the standard library, the grader's packages or the student's folder (a .py
    in /tmp, or bytecode without a source, could carry code that claims to be another file)."""

    def __init__(self, trusted: tuple[str, ...] = (), own: str = ""):
        import sysconfig

        self.allowed = (*trusted, own, *{sysconfig.get_paths()[k] + os.sep for k in ("stdlib", "platstdlib")})
        self.busy = False

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_IMPORTS:
            raise ImportError(f"`import {name}` is not available while grading: an exercise file may import torch, "
                              "numpy and the standard library, never the reference solutions or the kit.")
        if self.busy:  # the lookup below asks the finders again
            return None
        import importlib.machinery

        self.busy = True
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        finally:
            self.busy = False
        origin = getattr(spec, "origin", None) if spec is not None else None
        if origin and origin not in ("built-in", "frozen") and (
                origin.endswith((".pyc", ".pyo")) or not origin.startswith(self.allowed)):
            raise ImportError(f"`import {name}` ({origin}) is not available while grading: only modules of the "
                              "standard library, torch and the other installed packages, and your own folder.")
        return None
