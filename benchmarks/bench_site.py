"""How long does `mkdocs build` take? Prints the median of 3 builds (target: under 30 s).

    python benchmarks/bench_site.py [--runs 3]

Measured, not asserted: the kit's tests build the site too, and should stay fast. Wall-clock time is the target;
the CPU time of the build (user + system, of the mkdocs process) is printed beside it because it hardly depends on
what else the machine is running, which the wall-clock time does.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_once(site_dir: Path) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one strict build."""
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site_dir)],
                   cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start, _children_cpu() - cpu


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            wall, cpu = build_once(Path(tmp) / f"site{run}")
            times.append(wall)
            cpus.append(cpu)
    median = statistics.median(times)
    print(f"mkdocs build --strict: median {median:.2f} s over {args.runs} runs "
          f"({', '.join(f'{t:.2f}' for t in times)}), CPU {statistics.median(cpus):.2f} s; "
          f"target < {TARGET_SECONDS:.0f} s: {'OK' if median < TARGET_SECONDS else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
