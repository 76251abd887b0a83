"""The learner's install, measured: packages and size on disk of a fresh virtual environment holding only what the
README's quick start installs (the CPU build of torch, then `pip install -e .`), next to torch's own share.

    python benchmarks/bench_install.py [--keep DIR]

The README's figures ("50 packages, 1.2 GB") come from this script.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build the environment here and keep it")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="coursekit-learner-venv-"))
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "-e", str(KIT_ROOT)], check=True)
    listed = subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout.split()
    site = next((folder / "lib").glob("python3*/site-packages"))
    total, torch_only = size_of(folder), size_of(site / "torch")
    print(f"learner install: {len(listed)} packages, {total / 1e9:.2f} GB on disk "
          f"(torch alone {torch_only / 1e6:.0f} MB) in {folder}")


if __name__ == "__main__":
    main()
