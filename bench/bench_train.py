"""Time per training step of the three loops side by side: NumPy, lstmlab.torch, torch.nn.

    python bench/bench_train.py [--device cuda] [--T 100] [--hidden 64] [--steps 60]

Each loop trains the same LSTM on the adding problem for ``--steps`` steps (one evaluation at
the end, kept small); the table shows milliseconds per step (the median of three repeats) and
the ratio to torch.nn.  Ratios are what to read: absolute times depend on the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import torch

    from lstmlab.train import train_numpy
    from lstmlab.train.torch_loop import train_torch

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--T", type=int, default=50)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg = dict(task="adding", T=args.T, cell="lstm", hidden_size=args.hidden,
               batch_size=args.batch, steps=args.steps, eval_every=args.steps, eval_size=32,
               test_size=32, progress=False)
    loops = {
        "numpy (float64)": lambda: train_numpy(**cfg),
        "lstmlab.torch (float32)": lambda: train_torch(**cfg, impl="lstmlab", device=args.device),
        "torch.nn (float32)": lambda: train_torch(**cfg, impl="torch.nn", device=args.device),
    }
    ms = {}
    for name, run in loops.items():
        run()  # warm-up: imports, kernels, allocator
        ms[name] = statistics.median(run().wall_time for _ in range(3)) / args.steps * 1e3
    ref = ms["torch.nn (float32)"]
    print(f"LSTM, adding problem, T={args.T}, H={args.hidden}, N={args.batch}, "
          f"device={args.device}, {args.threads} thread(s)")
    for name, v in ms.items():
        print(f"  {name:24s} {v:8.2f} ms/step   {v / ref:6.2f}x torch.nn")


if __name__ == "__main__":
    main()
