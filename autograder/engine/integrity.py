"""Has anyone changed the autograder? A sha256 over autograder/**/*.py and the stored examples, compared with the
committed manifest.

The digest covers every Python file under autograder/ and every file of drawn examples in autograder/data/examples/
(sorted by path; each path and its bytes go into the hash), so editing a check, the engine, a stored example, or
adding a file changes it. autograder/INTEGRITY holds the digest of the kit as
published; `coursekit doctor --update-integrity` rewrites it after an intended change (the kit's tests fail while it
is stale). Every score report and results.json states the digest and whether it matches.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

AUTOGRADER = Path(__file__).resolve().parents[1]
MANIFEST = AUTOGRADER / "INTEGRITY"


def files(root: Path = AUTOGRADER) -> list[Path]:
    """The autograder's Python files, its stored examples (data/examples/*.pt: engine/example_store.py) and, in the
    learner edition, its marker and the reference's recorded answers (data/recorded/*.pt: recorded_reference.py)."""
    found = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    found += (root / "data" / "examples").glob("*.pt")
    found += (root / "data" / "recorded").glob("*.pt")  # the learner edition's recorded reference answers
    found += [marker for marker in [root / "EDITION"] if marker.is_file()]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def digest(root: Path = AUTOGRADER) -> str:
    hasher = hashlib.sha256()
    for path in files(root):
        hasher.update(path.relative_to(root).as_posix().encode() + b"\0")
        data = path.read_bytes()
        if path.suffix == ".py":
            data = data.replace(b"\r\n", b"\n")  # a Windows checkout hashes the same
        hasher.update(data + b"\0")
    return hasher.hexdigest()


def recorded(manifest: Path = MANIFEST) -> str | None:
    """The digest in the manifest, or None when there is none."""
    if not manifest.is_file():
        return None
    for line in manifest.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line.split()[0]
    return None


def state(root: Path = AUTOGRADER, manifest: Path = MANIFEST) -> tuple[str, str]:
    """(digest, 'unmodified' | 'modified' | 'no manifest')."""
    current, expected = digest(root), recorded(manifest)
    if expected is None:
        return current, "no manifest"
    return current, "unmodified" if current == expected else "modified"


def write_manifest(root: Path = AUTOGRADER, manifest: Path = MANIFEST) -> str:
    value = digest(root)
    manifest.write_text("# sha256 of autograder/**/*.py and data/examples/*.pt (sorted paths and contents); refresh with "
                        "`coursekit doctor --update-integrity`\n" + value + "\n", encoding="utf-8")
    return value


# --- bytecode: the kit never runs a .pyc it did not compile from its own source ---------------------------------
# Python (and pytest, for the rewritten checks) run the cached bytecode in __pycache__ whenever its header matches the
# source, and a header is easy to forge: a planted .pyc next to an untouched source would grade with other code while
# the sources, and their digest above, look pristine. So every .pyc under the kit's packages that Python would use is
# checked against a fresh compile of its source (code objects compared, which ignores where the file was compiled);
# the digests of the ones that match are remembered in TRUSTED_BYTECODE, so a later run only hashes them.
KIT = AUTOGRADER.parent
BYTECODE_ROOTS = (AUTOGRADER, KIT / "coursekit")
TRUSTED_BYTECODE = KIT / ".coursekit" / "trusted-bytecode.json"


def _source_of(pyc: Path) -> Path:
    return pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")


def _would_be_used(pyc: Path, source: Path, data: bytes) -> bool:
    """Does the import system (or pytest's rewriter) take this .pyc for `source` instead of compiling it?"""
    import importlib.util

    if len(data) < 16 or data[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(data[4:8], "little")
    if flags & 0b1:  # hash-based: unchecked ones are always used, checked ones when the hash matches
        return not flags & 0b10 or data[8:16] == importlib.util.source_hash(source.read_bytes())
    info = source.stat()
    return (int.from_bytes(data[8:12], "little") == int(info.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(data[12:16], "little") == info.st_size & 0xFFFFFFFF)


def _compiled_from(pyc: Path, source: Path, data: bytes, config=None) -> bool:
    import marshal

    try:
        cached = marshal.loads(data[16:])
    except (EOFError, ValueError, TypeError):
        return False
    if "-pytest-" in pyc.name:  # pytest's assertion rewriting of a check module or conftest.py
        from _pytest.assertion.rewrite import _rewrite_test

        fresh = _rewrite_test(source, config)[1]
    else:
        optimize = 2 if ".opt-2." in pyc.name else 1 if ".opt-1." in pyc.name else 0
        fresh = compile(source.read_bytes(), str(source), "exec", dont_inherit=True, optimize=optimize)
    return cached == fresh


def untrusted_bytecode(config=None, roots=BYTECODE_ROOTS, trusted_file: Path = TRUSTED_BYTECODE) -> list[Path]:
    """The .pyc files under `roots` that Python would run and that are not the compiled form of their source."""
    import json
    import os

    try:
        trusted = json.loads(trusted_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        trusted = {}
    untrusted, changed = [], False
    for root in roots:
        for pyc in sorted(root.rglob("__pycache__/*.pyc")) if root.is_dir() else []:
            source = _source_of(pyc)
            try:
                data = pyc.read_bytes()
                if not source.is_file() or not _would_be_used(pyc, source, data):
                    continue  # a stale cache is recompiled, never run
                key, digest = str(pyc.resolve()), hashlib.sha256(data).hexdigest()
                if trusted.get(key) == digest:
                    continue
                if _compiled_from(pyc, source, data, config):
                    trusted[key], changed = digest, True
                else:
                    untrusted.append(pyc)
            except OSError:
                continue
    if changed:
        try:  # written whole, then renamed: a grading run beside this one never reads half a file
            trusted_file.parent.mkdir(exist_ok=True)
            partial = trusted_file.with_name(f"{trusted_file.name}.{os.getpid()}")
            partial.write_text(json.dumps(trusted, indent=0, sort_keys=True), encoding="utf-8")
            os.replace(partial, trusted_file)
        except OSError:
            pass  # a read-only kit: the check runs in full every time
    return untrusted


def refuse_untrusted_bytecode(config=None) -> None:
    """Stop before grading when the kit holds bytecode that is not its source's (see untrusted_bytecode)."""
    found = untrusted_bytecode(config)
    if found:
        import os

        shown = ", ".join(os.path.relpath(p) for p in found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5
                                                                      else "")
        raise RuntimeError(
            f"Refusing to grade: {shown} is bytecode that was not compiled from the kit's own source (a planted or "
            "corrupted cache file); Python would run it instead of the source. Delete it (or every __pycache__ "
            "folder of the kit) and run again; `coursekit doctor` lists such files.")
