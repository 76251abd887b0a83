"""Intake: turn what students and LMSs really upload into one folder per student laid out like exercises/.

What it reads, at the top of a submissions folder:
- a folder per student (the files at its top, in a nested `exercises/` or any sub-folder, split across folders);
- a zip per student (`ada.zip`), and zips inside a student's folder (a zip of the folder, with its `__MACOSX/`);
- a flat LMS export, every student's files side by side: Canvas (`lastfirst_123_456_ch01_tensors.py`,
  `lastfirst_LATE_123_456_...`) and Moodle (`Ada Lovelace_12345_assignsubmission_file_ch01_tensors.py`, or a folder
  `Ada Lovelace_12345_assignsubmission_file_/` per student);
- notebooks (`.ipynb`: the code cells, through nbformat) and browser-renamed files (`ch01_tensors (1).py`,
  `Ch02_Autograd.py`, `ch01_tensors.py.txt`).

Where a student has several candidates for one chapter it picks one, the same way every time: a file changed from the
released stub over the untouched stub; then one outside a folder named like a backup (`backup/`, `old/`, `orig/`);
then a `.py` over a notebook over a `.txt`; then the shallowest; then by name. Everything else is listed as ignored,
with the reason, so the instructor and the student see what was graded.
"""
from __future__ import annotations

import functools
import hashlib
import io
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

KIT_ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (KIT_ROOT / "exercises").glob("ch[0-9][0-9]_*.py"))
JUNK_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".venv", "venv", "node_modules"}
BACKUP_FOLDER = re.compile(r"^(backup|backups|bak|old|orig|original|copy|stubs?|starter)([ _\-].*)?$", re.I)
COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\(\d+\))?|\s+copy(\s+\d+)?|-\d+)$", re.I)
CANVAS = re.compile(r"^(?P<name>[a-z]+)_(?:late_)?(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$", re.I)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$", re.I)
ZIP_FILE_LIMIT = 2000  # members of one uploaded zip
ZIP_BYTES_LIMIT = 64 * 1024 * 1024  # uncompressed bytes of one uploaded zip
SOURCE_BYTES_LIMIT = 4 * 1024 * 1024  # one chapter file


@dataclass
class Candidate:
    """One file that may be a chapter: where it came from (as the student named it) and its code."""

    shown: str  # the path as the student's upload names it, e.g. "my-work/exercises/ch01_tensors.py"
    chapter: str
    code: str
    kind: str  # "py", "ipynb" or "txt"


@dataclass
class Submission:
    """One student's upload after intake: the chosen file per chapter, and what was left out and why."""

    name: str  # a safe folder name, unique in the class
    label: str  # the student as the upload names them ("Ada Lovelace", "lastfirst")
    lms_id: str = ""  # the LMS's user id, when a flat export gave one
    chosen: dict[str, Candidate] = field(default_factory=dict)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path as uploaded, why)

    def fingerprint(self) -> str:
        """What was graded, as one hash: a rerun with --resume regrades a student whose files changed."""
        digest = hashlib.sha256()
        for chapter in sorted(self.chosen):
            digest.update(f"{chapter}\0{self.chosen[chapter].code}\0".encode())
        return digest.hexdigest()[:16]

    def summary(self) -> str:
        """What was graded and what was ignored, in words a student understands without the kit."""
        if not self.chosen:
            lines = ["Files graded: none. No file in your upload is named after a chapter (for example "
                     f"{CHAPTERS[0]}.py or {CHAPTERS[0]}.ipynb), so every exercise scores 0."]
        else:
            lines = ["Files graded:"]
            for chapter, candidate in sorted(self.chosen.items()):
                renamed = PurePosixPath(candidate.shown).name != f"{chapter}.py"
                lines.append(f"  {candidate.shown}" + (f"  (graded as {chapter}.py)" if renamed else ""))
        shown = [(p, w) for p, w in self.ignored if w != "macOS archive metadata"]
        if shown:
            lines.append("Files not graded:")
            by_folder: dict[str, list[tuple[str, str]]] = {}
            for path, why in shown:
                by_folder.setdefault(str(PurePosixPath(path).parent), []).append((path, why))
            for folder, entries in sorted(by_folder.items()):
                if len(entries) > 3:  # a whole backup folder: one line, not twelve
                    reasons = sorted({why.split(";")[0] for _, why in entries})
                    lines.append(f"  {folder}/: {len(entries)} files ({', '.join(reasons)})")
                else:
                    lines.extend(f"  {path}: {why}" for path, why in entries)
        metadata = len(self.ignored) - len(shown)
        if metadata:
            lines.append(f"  ({metadata} macOS metadata files (__MACOSX) skipped)")
        return "\n".join(lines)

    def write(self, folder: Path) -> Path:
        """The chosen files, under their chapter names, in `folder` (made empty first)."""
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for chapter, candidate in self.chosen.items():
            (folder / f"{chapter}.py").write_text(candidate.code, encoding="utf-8")
        return folder


def chapter_of(file_name: str) -> tuple[str, str] | None:
    """(chapter, kind) for a file name a student or a browser might have given a chapter file, else None."""
    name = file_name.strip()
    lowered = name.lower()
    for suffix, kind in ((".py.txt", "txt"), (".ipynb", "ipynb"), (".py", "py"), (".txt", "txt")):
        if lowered.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        return None
    stem = COPY_SUFFIX.sub("", stem).strip().lower().replace("-", "_").replace(" ", "_")
    for chapter in CHAPTERS:
        if stem == chapter or stem.endswith("_" + chapter):
            return chapter, kind
    number = re.fullmatch(r"(?:.*_)?(ch\d\d)", stem)
    if number:  # "ch01.py", "Ch01.ipynb": the chapter by its number alone
        matches = [c for c in CHAPTERS if c.startswith(number.group(1) + "_")]
        if len(matches) == 1:
            return matches[0], kind
    return None


def notebook_code(raw: bytes) -> str:
    """The code cells of a notebook, in order, as one file; IPython magics (%, !) become comments."""
    import nbformat

    notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        lines = [("# " + line) if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()]
        cells.append("\n".join(lines))
    return "\n\n".join(cells) + "\n"


@functools.lru_cache(maxsize=None)
def _stub_text(chapter: str) -> str:
    return (KIT_ROOT / "exercises" / f"{chapter}.py").read_text(encoding="utf-8")


def _is_stub(chapter: str, code: str) -> bool:
    return code.strip() == _stub_text(chapter).strip()


class _Upload:
    """The files of one student's upload as (path shown, bytes), zips opened in place."""

    def __init__(self):
        self.files: list[tuple[str, bytes]] = []
        self.ignored: list[tuple[str, str]] = []

    def add_folder(self, folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue  # a link could point anywhere on the grader's machine
            shown = path.relative_to(folder).as_posix()
            if not (chapter_of(path.name) or path.name.lower().endswith(".zip")):
                self.add_file(shown, b"")  # listed as not graded; never read
            elif path.stat().st_size > ZIP_BYTES_LIMIT:
                self.ignored.append((shown, "too large to read"))
            else:
                self.add_file(shown, path.read_bytes())

    def add_file(self, shown: str, data: bytes) -> None:
        parts = PurePosixPath(shown).parts
        if any(p in JUNK_PARTS or (p.startswith(".") and p not in (".", "..")) for p in parts):
            if "__MACOSX" in parts:
                self.ignored.append((shown, "macOS archive metadata"))
            return  # hidden files and caches: not worth a line
        if shown.lower().endswith(".zip"):
            self.add_zip(shown, data)
        else:
            self.files.append((shown, data))

    def add_zip(self, shown: str, data: bytes) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > ZIP_FILE_LIMIT or sum(m.file_size for m in members) > ZIP_BYTES_LIMIT:
                self.ignored.append((shown, "zip too large to open"))
                return
            for member in members:
                inner = PurePosixPath(member.filename.replace("\\", "/"))
                if inner.is_absolute() or ".." in inner.parts:
                    self.ignored.append((f"{shown}/{member.filename}", "unsafe path in zip"))
                    continue
                self.add_file(f"{shown}/{inner.as_posix()}", archive.read(member))
        except (zipfile.BadZipFile, OSError, ValueError):
            self.ignored.append((shown, "not a readable zip"))


def _rank(candidate: Candidate) -> tuple:
    folders = PurePosixPath(candidate.shown).parts[:-1]
    return (_is_stub(candidate.chapter, candidate.code),
            any(BACKUP_FOLDER.match(p) for p in folders),
            {"py": 0, "ipynb": 1, "txt": 2}[candidate.kind],
            len(folders), candidate.shown)


def choose(upload: _Upload, chapters: list[str] | None = None) -> tuple[dict[str, Candidate], list[tuple[str, str]]]:
    """The best candidate per chapter, and every other file with the reason it was not graded."""
    ignored = list(upload.ignored)
    candidates: dict[str, list[Candidate]] = {}
    for shown, data in upload.files:
        found = chapter_of(PurePosixPath(shown).name)
        if found is None:
            ignored.append((shown, "not a chapter file"))
            continue
        chapter, kind = found
        if chapters is not None and chapter not in chapters:
            ignored.append((shown, f"{chapter} is not part of this assignment"))
            continue
        if len(data) > SOURCE_BYTES_LIMIT:
            ignored.append((shown, "larger than 4 MiB"))
            continue
        try:
            code = notebook_code(data) if kind == "ipynb" else data.decode("utf-8-sig")
        except (UnicodeDecodeError, ValueError, KeyError, AttributeError):
            ignored.append((shown, "not readable as " + ("a notebook" if kind == "ipynb" else "UTF-8 text")))
            continue
        candidates.setdefault(chapter, []).append(Candidate(shown, chapter, code.replace("\r\n", "\n"), kind))
    chosen = {}
    for chapter, options in sorted(candidates.items()):
        best, *others = sorted(options, key=_rank)
        chosen[chapter] = best
        for other in others:
            why = "the unchanged stub" if _is_stub(chapter, other.code) else f"another copy of {chapter}"
            ignored.append((other.shown, f"{why}; graded {best.shown}"))
    return chosen, sorted(ignored)


def read_upload(path: Path, chapters: list[str] | None = None, name: str | None = None) -> Submission:
    """One student's upload (a folder, a zip, or a single file) after intake."""
    upload = _Upload()
    if path.is_dir():
        upload.add_folder(path)
    else:
        upload.add_file(path.name, path.read_bytes())
    chosen, ignored = choose(upload, chapters)
    label = name or path.name
    return Submission(safe_name(label), label, chosen=chosen, ignored=ignored)


def safe_name(label: str) -> str:
    """A folder and CSV-friendly name: letters, digits, '.', '_' and '-' only."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", label.strip()).strip("._") or "student"
    return name[:80]


def read_class(root: Path, chapters: list[str] | None = None) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Every submission under `root`, and what at the top of `root` belongs to no student (with the reason)."""
    root = root.resolve()
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    if any(p.is_file() and chapter_of(p.name) and not _lms_match(p.name) for p in entries):
        return [read_upload(root, chapters, root.name)], []  # root itself is one student's folder
    flat: dict[tuple[str, str], _Upload] = {}
    submissions: list[Submission] = []
    unclaimed: list[tuple[str, str]] = []
    for entry in entries:
        lms = _lms_match(entry.name)
        if lms and entry.is_file():
            upload = flat.setdefault((lms["name"], lms["user"]), _Upload())
            upload.add_file(lms["file"] or entry.name, entry.read_bytes())
        elif entry.is_dir() and entry.name not in JUNK_PARTS:
            label, user = (lms["name"], lms["user"]) if lms else (entry.name, "")
            submission = read_upload(entry, chapters, label)
            if user:  # two students of the same name stay apart
                submission.name, submission.lms_id = safe_name(f"{label}_{user}"), user
            submissions.append(submission)
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            submissions.append(read_upload(entry, chapters, entry.stem))
        elif entry.name in JUNK_PARTS:
            unclaimed.append((entry.name, "macOS archive metadata" if entry.name == "__MACOSX" else "not a submission"))
        else:
            unclaimed.append((entry.name, "a loose file that names no student"))
    for (label, user), upload in sorted(flat.items()):
        chosen, ignored = choose(upload, chapters)
        submissions.append(Submission(safe_name(f"{label}_{user}"), label, user, chosen, ignored))
    _unique_names(submissions)
    if not submissions:
        raise SystemExit(f"{root}: no submissions found (one folder or zip per student, or an LMS export)")
    return sorted(submissions, key=lambda s: s.name), unclaimed


def _lms_match(name: str) -> dict | None:
    for pattern in (MOODLE, CANVAS):
        match = pattern.match(name)
        if match:
            return match.groupdict()
    return None


def _unique_names(submissions: list[Submission]) -> None:
    seen: dict[str, int] = {}
    for submission in sorted(submissions, key=lambda s: (s.name, s.lms_id, s.label)):
        count = seen.get(submission.name.lower(), 0)
        seen[submission.name.lower()] = count + 1
        if count:
            submission.name = f"{submission.name}-{count + 1}"
