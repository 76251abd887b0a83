"""The learner's install, measured: packages and size on disk of a fresh virtual environment holding only what the
README's quick start installs (the CPU build of torch, then `pip install -e .`), next to torch's own share; then the
same environment after `pip install -e ".[site]"` (reading the course site offline). With --baseline, a third fresh
environment holds what `pip install -e .` installed before the split into extras (pyproject.toml at commit 6596744:
nbgrader, scikit-learn, matplotlib and playwright included), measured the same way, so the ratio is same-run.

    python benchmarks/bench_install.py [--keep DIR] [--baseline]

The README's figures come from this script.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
# The learner's install before the dependencies were split (pyproject.toml at 6596744), after the same torch.
BEFORE_THE_SPLIT = ["numpy>=1.24", "pytest>=8", "pytest-timeout>=2.3", "pytest-random-order>=1.1",
                    "nbgrader>=0.9,<0.10", "mkdocs>=1.6,<2", "mkdocs-material>=9.5,<10", "mkdocs-static-i18n>=1.2,<2",
                    "jieba>=0.42", "scikit-learn>=1.3", "matplotlib>=3.7", "playwright>=1.40"]


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build the environment here and keep it")
    parser.add_argument("--baseline", action="store_true", help="also measure the install before the split")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="coursekit-learner-venv-"))
    pip = fresh_environment(folder)
    subprocess.run([*pip, "-e", str(KIT_ROOT)], check=True)
    learner = measure(folder)
    print(f"learner install: {describe(*learner, folder)}")
    subprocess.run([*pip, "-e", f"{KIT_ROOT}[site]"], check=True)
    print(f"with the site extra: {describe(*measure(folder), folder)}")
    if options.baseline:
        before = Path(tempfile.mkdtemp(prefix="coursekit-before-split-venv-"))
        subprocess.run([*fresh_environment(before), *BEFORE_THE_SPLIT], check=True)
        baseline = measure(before)
        print(f"before the split: {describe(*baseline, before)}")
        print(f"learner install / before the split: {learner[0] / baseline[0]:.2f} of the packages, "
              f"{learner[1] / baseline[1]:.2f} of the size")


def fresh_environment(folder: Path) -> list[str]:
    """A new virtual environment in `folder` with the CPU build of torch; returns its pip install command."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    return pip


def measure(folder: Path) -> tuple[int, int, int]:
    """(packages, bytes on disk, torch's bytes) of the environment in `folder`."""
    listed = subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout.split()
    site = next((folder / "lib").glob("python3*/site-packages"))
    return len(listed), size_of(folder), size_of(site / "torch")


def describe(packages: int, total: int, torch_only: int, folder: Path) -> str:
    return f"{packages} packages, {total / 1e9:.2f} GB on disk (torch alone {torch_only / 1e6:.0f} MB) in {folder}"


if __name__ == "__main__":
    main()
