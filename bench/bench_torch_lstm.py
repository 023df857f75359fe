"""lstmlab.torch.LSTM against torch.nn.LSTM: forward and forward+backward, side by side.

Both modules get the same weights and input; their iterations are interleaved (A, B,
A, B, ...) in one run so that load changes on the machine hit both alike, and the
median per-iteration time and the ratio lstmlab / torch.nn are printed.  On CPU
torch.nn.LSTM runs its C++ loop, on CUDA it runs cuDNN's fused kernels.

    python bench/bench_torch_lstm.py                      # CPU, and CUDA when available
    python bench/bench_torch_lstm.py --device cpu --threads 2,1 --json book/data/timing_cpu.json

Default shape: T=100, N=64, D=H=256, float32, one layer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import torch

import lstmlab.torch as lt


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (falls back to platform.processor())."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def save_json(result: dict, path: str | None) -> None:
    """Write a benchmark's result dict to ``path`` as indented JSON (nothing when path is None)."""
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(f"saved {path}")


def step_fn(module, x, backward: bool):
    """One timed iteration: forward, and backward of a scalar loss when asked."""

    def run():
        out, (h, c) = module(x)
        if backward:
            loss = out.square().mean() + h.sum() + c.sum()
            loss.backward()
            module.zero_grad(set_to_none=True)
            x.grad = None

    return run


def time_interleaved(fns: dict, reps: int, warmup: int, device: torch.device) -> dict[str, list[float]]:
    """Median-ready lists of per-iteration milliseconds, the callables taking turns."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    sync()
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(reps):
        # Alternate who goes first, so neither always runs on a cache the other warmed.
        for name in names if r % 2 == 0 else reversed(names):
            t0 = time.perf_counter()
            fns[name]()
            sync()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return times


def bench_device(device: torch.device, args) -> list[dict]:
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    ref = torch.nn.LSTM(args.D, args.H, num_layers=args.layers, device=device, dtype=dtype)
    ours = lt.LSTM(args.D, args.H, num_layers=args.layers, device=device, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(args.T, args.N, args.D, device=device, dtype=dtype, requires_grad=True)
    rows = []
    for mode, backward in (("forward", False), ("forward+backward", True)):
        ctx = torch.enable_grad() if backward else torch.no_grad()
        with ctx:
            t = time_interleaved(
                {"lstmlab": step_fn(ours, x, backward), "torch.nn": step_fn(ref, x, backward)},
                args.reps, args.warmup, device,
            )
        ml, mt = statistics.median(t["lstmlab"]), statistics.median(t["torch.nn"])
        rows.append({
            "device": device.type,
            "mode": mode,
            "lstmlab_ms": round(ml, 3),
            "torch_nn_ms": round(mt, 3),
            "ratio": round(ml / mt, 3),
            "reps": args.reps,
        })
        print(f"{device.type:4s} {torch.get_num_threads():2d} thr {mode:17s} "
              f"lstmlab {ml:9.2f} ms   torch.nn {mt:9.2f} ms   "
              f"ratio {ml / mt:5.2f}x   (median of {args.reps})")
    return rows


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: CPU, plus CUDA when a GPU is visible")
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--N", type=int, default=64)
    p.add_argument("--D", type=int, default=256)
    p.add_argument("--H", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", default=None,
                   help="torch CPU threads, or a comma list such as 2,1 to measure each in turn "
                        "(default: torch's choice, one per core)")
    p.add_argument("--json", metavar="PATH", help="also save the results as JSON to PATH")
    args = p.parse_args(argv)
    thread_counts = ([int(t) for t in str(args.threads).split(",")] if args.threads
                     else [torch.get_num_threads()])

    devices = []
    if args.device in ("auto", "cpu"):
        devices.append(torch.device("cpu"))
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        devices.append(torch.device("cuda"))

    print(f"LSTM T={args.T} N={args.N} D={args.D} H={args.H} layers={args.layers} {args.dtype}; "
          f"torch {torch.__version__}, {os.cpu_count()} CPU cores, {cpu_model()}")
    load_before = os.getloadavg()  # other processes on the machine skew CPU timings: record it
    rows = []
    for dev in devices:
        for threads in thread_counts if dev.type == "cpu" else [torch.get_num_threads()]:
            torch.set_num_threads(threads)
            for row in bench_device(dev, args):
                rows.append({**row, "cpu_threads": threads} if dev.type == "cpu" else row)
    result = {
        "benchmark": "lstmlab.torch.LSTM vs torch.nn.LSTM, interleaved, median ms per iteration",
        "shape": {"T": args.T, "N": args.N, "D": args.D, "H": args.H, "num_layers": args.layers},
        "dtype": args.dtype,
        "torch_version": torch.__version__,
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "gpu_name": torch.cuda.get_device_name(0) if any(d.type == "cuda" for d in devices) else None,
        "results": rows,
    }
    save_json(result, args.json)
    return result


if __name__ == "__main__":
    main()
