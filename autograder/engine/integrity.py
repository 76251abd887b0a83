"""Has anyone changed the autograder? A sha256 over autograder/**/*.py, compared with the committed manifest.

The digest covers every Python file under autograder/ (sorted by path; each path and its bytes go into the hash),
so editing a check, the engine, or adding a file changes it. autograder/INTEGRITY holds the digest of the kit as
published; `coursekit doctor --update-integrity` rewrites it after an intended change (the kit's tests fail while it
is stale). Every score report and results.json states the digest and whether it matches.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

AUTOGRADER = Path(__file__).resolve().parents[1]
MANIFEST = AUTOGRADER / "INTEGRITY"


def files(root: Path = AUTOGRADER) -> list[Path]:
    return sorted((p for p in root.rglob("*.py") if "__pycache__" not in p.parts),
                  key=lambda p: p.relative_to(root).as_posix())


def digest(root: Path = AUTOGRADER) -> str:
    hasher = hashlib.sha256()
    for path in files(root):
        hasher.update(path.relative_to(root).as_posix().encode() + b"\0")
        hasher.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")  # a Windows checkout hashes the same
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
    manifest.write_text("# sha256 of autograder/**/*.py (sorted paths and contents); refresh with "
                        "`coursekit doctor --update-integrity`\n" + value + "\n", encoding="utf-8")
    return value
