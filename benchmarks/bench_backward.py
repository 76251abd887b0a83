"""The cost of a backward pass next to its forward pass, in time (chapter 5 states it in FLOPs: 1.81 times).

Usage: python benchmarks/bench_backward.py [--repeats 200] [--batch 128] [--threads 1]

The MLP of chapter 5's claim (64-256-256-10, a batch of 128, seed 0): forward alone, then forward + backward, each
timed `--repeats` times in the same run after a warm-up; the report is the median of each and the ratio
(backward = forward+backward - forward). tests/test_site_claims.py checks the FLOP count exactly; time depends on
the machine (kernel launch overhead dominates tiny layers), which is why it is measured here and not asserted.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn


def timings(repeats: int, batch: int) -> tuple[float, float]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x = torch.randn(batch, 64)
    forward, both = [], []
    for step in range(repeats + 20):  # 20 warm-up rounds
        start = time.perf_counter()
        with torch.no_grad():
            model(x).pow(2).mean()
        middle = time.perf_counter()
        model.zero_grad(set_to_none=True)
        model(x).pow(2).mean().backward()
        end = time.perf_counter()
        if step >= 20:
            forward.append(middle - start)
            both.append(end - middle)
    return statistics.median(forward), statistics.median(both)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    forward, both = timings(args.repeats, args.batch)
    backward = both - forward
    print(f"forward {forward * 1e6:.0f} us, forward+backward {both * 1e6:.0f} us (medians of {args.repeats})")
    print(f"backward / forward = {backward / forward:.2f}")


if __name__ == "__main__":
    main()
