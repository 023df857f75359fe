"""Does feeding batches make the host wait for the GPU?  Three ways to copy a NumPy batch, compared.

The training loop of the book's chapter 8 (lstmlab.torch.LSTM + linear head, Adam, clipping,
adding problem) runs with each feed in turn, under ``torch.cuda.set_sync_debug_mode("warn")``,
which flags the synchronising CUDA calls torch makes (a prototype: it does not see every
kind).  For each feed the script prints the flagged calls per step inside the loop and the
time per step:

- ``as_tensor``: ``torch.as_tensor(a, device="cuda")``, a blocking copy from pageable memory;
- ``pageable+non_blocking``: ``torch.from_numpy(a).to("cuda", non_blocking=True)``;
- ``pinned+non_blocking``: ``torch.from_numpy(a).pin_memory().to("cuda", non_blocking=True)``.

    python bench/bench_host_sync.py            # needs a CUDA GPU
    python bench/bench_host_sync.py --steps 200 --H 64

Prints ratios of step times against the first feed, measured in one run.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

import lstmlab.torch as lt
from lstmlab.data import adding_problem


def make_feeds(device: str) -> dict:
    """Name -> function(numpy array) -> float32 tensor on ``device``."""
    return {
        "as_tensor": lambda a: torch.as_tensor(a, dtype=torch.float32, device=device),
        "pageable+non_blocking": lambda a: torch.from_numpy(a).to(torch.float32).to(device, non_blocking=True),
        "pinned+non_blocking": lambda a: (
            torch.from_numpy(a).to(torch.float32).pin_memory().to(device, non_blocking=True)),
    }


def train_loop(feed, steps: int, H: int, T: int, device: str) -> torch.Tensor:
    """The chapter's loop; returns the per-step losses (still on the device)."""
    torch.manual_seed(0)
    model = lt.LSTM(2, H).to(device)
    head = torch.nn.Linear(H, 1).to(device)
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    torch.cuda.synchronize()
    losses = []
    torch.cuda.set_sync_debug_mode("warn")  # only the loop itself is watched
    try:
        for step in range(steps):
            batch = adding_problem(32, T, seed=step)
            x, y = feed(batch.x), feed(batch.y)
            hs, _ = model(x)
            loss = torch.nn.functional.mse_loss(head(hs[-1]), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            losses.append(loss.detach())
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return torch.stack(losses)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--H", type=int, default=16)
    p.add_argument("--T", type=int, default=20)
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA GPU visible: host-device synchronisation only exists with one; nothing to measure")
        return {}
    device = "cuda"
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}; LSTM H={args.H}, T={args.T}, "
          f"batch 32, {args.steps} steps per feed")
    results = {}
    for name, feed in make_feeds(device).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train_loop(feed, args.warmup, args.H, args.T, device)  # allocations, cuBLAS handles
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            losses = train_loop(feed, args.steps, args.H, args.T, device)
            torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
        flagged = [w for w in caught if "synchronizing" in str(w.message)]
        results[name] = {"syncs_per_step": len(flagged) / args.steps,
                         "ms_per_step": 1e3 * elapsed / args.steps,
                         "final_loss": float(losses[-1])}
    base = results["as_tensor"]["ms_per_step"]
    for name, r in results.items():
        print(f"{name:22s} flagged syncs per step {r['syncs_per_step']:4.1f}   "
              f"{r['ms_per_step']:7.2f} ms/step   ratio to as_tensor {r['ms_per_step'] / base:5.2f}")
    return results


if __name__ == "__main__":
    main()
