"""The walls around one grading process: memory, network, files, imports.

`enter()` runs in a freshly forked child, after the grader and the reference solutions are loaded and before any
learner code runs. What it sets up:

- memory: RLIMIT_AS, the address space the grader already had plus the submission's allowance;
- network: a new, empty network namespace (unshare CLONE_NEWNET) when the process may make one (root, or
  CAP_SYS_ADMIN); always also an audit hook that refuses internet sockets (AF_INET, AF_INET6);
- files: a private mount namespace (unshare CLONE_NEWNS) in which `solutions/`, the kit's own tests and git history,
  the output folder and every other student's folder are covered by empty tmpfs mounts, and the student's own folder
  is mounted read-only; always also an audit hook that refuses to open anything under those folders;
- imports: a finder that refuses `solutions`, `tests` and `coursekit` to the learner's code, and the reference modules
  taken out of sys.modules (the checks keep their own handle on them).

Without root the namespaces are skipped and the audit hook is the wall: it also refuses to start other programs
(subprocess, os.system, exec) there, since a child process is out of the hook's reach. `mode()` says which applies.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
BLOCKED_IMPORTS = ("solutions", "tests", "coursekit")
_PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn")


@dataclass
class Walls:
    """What one grading child may see: its own folder, read-only; never `hidden`."""

    own_folder: Path
    hidden: list[Path] = field(default_factory=list)
    memory_mb: int = 2048
    namespaces: bool = True  # False: the audit-hook-only fallback (what a non-root user gets)
    read_only: list[Path] = field(default_factory=list)  # the kit, Python, the packages: nothing may change them


def mode(namespaces: bool = True) -> str:
    """'namespaces' when this process can make mount and network namespaces, else 'audit hook only'."""
    return "namespaces" if namespaces and os.geteuid() == 0 and sys.platform == "linux" else "audit hook only"


def enter(walls: Walls) -> str:
    """Put the walls up around this process (a fresh child); returns the mode that applies."""
    _limit_memory(walls.memory_mb)
    applied = mode(walls.namespaces)
    if applied == "namespaces":
        try:
            _namespaces(walls)
        except OSError:
            applied = "audit hook only"
    _audit_hook(walls, block_processes=applied != "namespaces")
    sys.meta_path.insert(0, _RefuseImports())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_IMPORTS and name not in ("coursekit.batch", "coursekit.sandbox"):
            del sys.modules[name]
    return applied


def _limit_memory(memory_mb: int) -> None:
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    limit = current + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _libc():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(libc, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _namespaces(walls: Walls) -> None:
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    own = walls.own_folder.resolve()
    for folder in sorted({p.resolve() for p in walls.read_only if p.is_dir()}, key=lambda p: len(p.parts)):
        _mount(libc, str(folder), str(folder), None, MS_BIND | MS_REC)
        _mount(libc, None, str(folder), None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    handle = os.open(own, os.O_PATH | os.O_DIRECTORY)
    try:
        covered = sorted({h.resolve() for h in walls.hidden if h.is_dir()}, key=lambda p: len(p.parts))
        for hidden in covered:
            _mount(libc, "none", str(hidden), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
            if own.is_relative_to(hidden) and own != hidden:
                # The student's own folder sat under a hidden one: it comes back, alone, at the same path.
                (hidden / own.relative_to(hidden)).mkdir(parents=True, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{handle}", str(own), None, MS_BIND | MS_REC)
        _mount(libc, None, str(own), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        for hidden in covered:
            _mount(libc, "none", str(hidden), "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k")
    finally:
        os.close(handle)


def _audit_hook(walls: Walls, block_processes: bool) -> None:
    hidden = tuple(str(h.resolve()) + os.sep for h in walls.hidden)
    own = str(walls.own_folder.resolve()) + os.sep
    internet = (socket.AF_INET, socket.AF_INET6)

    def refuse_hidden(path) -> None:
        if isinstance(path, int):
            return
        try:
            full = os.path.realpath(os.fsdecode(path)) + os.sep
        except (TypeError, ValueError):
            return
        if full.startswith(hidden) and not full.startswith(own):
            raise PermissionError(f"grading sandbox: {os.fsdecode(path)} is not readable while grading")

    def hook(event: str, args: tuple) -> None:
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

    sys.addaudithook(hook)


class _RefuseImports:
    """A meta-path finder that refuses the reference solutions and the kit's own packages to learner code."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_IMPORTS:
            raise ImportError(f"`import {name}` is not available while grading: an exercise file may import torch, "
                              "numpy and the standard library, never the reference solutions or the kit.")
        return None
