"""The road to fused speed: six ways to run the same LSTM, forward+backward, side by side.

Rungs (one layer, same weights, same input; each iteration is forward and backward of
a scalar loss):

  a  step loop, input projection inside the loop (x_t @ W_ih.T at every step)
  b  step loop, input projection hoisted: one (T*N, D) x (D, 4H) product
     (this is lstmlab.torch.LSTM's plain path)
  c  pointwise work fused, three ways:
     c1 compile  b with the step compiled by torch.compile (the first call compiles)
     c2 by hand  lstmlab.torch.LSTM(fused=True) with its products in torch.mm (oneDNN
                 switched off for the rung): the forward without autograd records and a
                 hand-written backward through time (lstmlab/torch/fused.py)
     c3 fused    lstmlab.torch.LSTM(fused=True) as shipped: c2 with the products in oneDNN
                 on a CPU (lstmlab/torch/products.py); on a GPU c3 is c2
  d  (CUDA only) c3 replayed from CUDA graphs (lstmlab/torch/graphs.py)
  e  torch.nn.LSTM (oneDNN's LSTM on a CPU, cuDNN on a GPU)

The rungs take turns within every repetition (the order rotating), so load on a shared
machine hits them alike; the medians, the ratios to torch.nn and the minor page faults
per iteration (fresh memory the kernel hands out, which glibc's malloc settings decide:
the MALLOC_* variables are recorded) are printed and saved.

    python bench/bench_lstm_ladder.py --threads 1,2 --json book/data/ladder_cpu.json
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_torch_lstm import cpu_model, save_json

import lstmlab.torch as lt
from lstmlab.torch import input_projection, lstm_step
from lstmlab.torch.graphs import cuda_graphed
from lstmlab.torch.products import onednn_disabled


def loss_of(out, h, c):
    return out.square().mean() + h.sum() + c.sum()


def rung_a(module):
    """The textbook loop: every step projects its own input."""
    w_ih, w_hh, b = module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0 + module.bias_hh_l0

    def forward(x):
        h = c = x.new_zeros(x.shape[1], module.hidden_size)
        outs = []
        for x_t in x.unbind(0):
            h, c = lstm_step(input_projection(x_t, w_ih, b), h, c, w_hh)
            outs.append(h)
        return torch.stack(outs), (h, c)

    return forward


def rung_c_compile(module):
    """Rung b with ``lstm_step`` compiled (Inductor: generated C++/OpenMP or Triton)."""
    step = torch.compile(lstm_step, dynamic=False)
    w_ih, w_hh, b = module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0 + module.bias_hh_l0

    def forward(x):
        gx = input_projection(x, w_ih, b)
        h = c = x.new_zeros(x.shape[1], module.hidden_size)
        outs = []
        for g in gx.unbind(0):
            h, c = step(g, h, c, w_hh)
            outs.append(h)
        return torch.stack(outs), (h, c)

    return forward


def without_onednn(forward):
    def run(x):
        with onednn_disabled():
            out, (h, c) = forward(x)
        return out, (h, c)

    return run


def iteration(forward, x, params, backward_context=contextlib.nullcontext):
    def run():
        out, (h, c) = forward(x)
        with backward_context():
            loss_of(out, h, c).backward()
        for p in params:
            p.grad = None
        x.grad = None

    return run


def build(args, device, dtype):
    torch.manual_seed(0)
    ref = torch.nn.LSTM(args.D, args.H, device=device, dtype=dtype)
    plain = lt.LSTM(args.D, args.H, device=device, dtype=dtype)
    fused = lt.LSTM(args.D, args.H, device=device, dtype=dtype, fused=True)
    for m in (plain, fused):
        m.load_state_dict(ref.state_dict())
    x = torch.randn(args.T, args.N, args.D, device=device, dtype=dtype, requires_grad=True)
    rungs = {"a: projection per step": (rung_a(plain), plain, contextlib.nullcontext),
             "b: projection hoisted": (plain, plain, contextlib.nullcontext)}
    compile_s = None
    if args.compile:
        fwd = rung_c_compile(plain)
        t0 = time.perf_counter()
        out, (h, c) = fwd(x)
        loss_of(out, h, c).backward()  # compiles forward and backward graphs
        compile_s = time.perf_counter() - t0
        rungs["c1: torch.compile step"] = (fwd, plain, contextlib.nullcontext)
    if device.type == "cpu":
        rungs["c2: fused=True, torch.mm"] = (without_onednn(fused), fused, onednn_disabled)
    rungs["c3: fused=True"] = (fused, fused, contextlib.nullcontext)
    if device.type == "cuda":
        rungs["d: fused + CUDA graphs"] = (cuda_graphed(fused, x), fused, contextlib.nullcontext)
    rungs["e: torch.nn"] = (ref, ref, contextlib.nullcontext)
    return {name: iteration(fwd, x, list(m.parameters()), ctx)
            for name, (fwd, m, ctx) in rungs.items()}, compile_s


def measure(fns, reps, warmup, device):
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    sync()
    names = list(fns)
    times = {n: [] for n in names}
    faults = dict.fromkeys(names, 0)
    for r in range(reps):
        k = r % len(names)
        for name in names[k:] + names[:k]:  # rotate who goes first
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t0 = time.perf_counter()
            fns[name]()
            sync()
            times[name].append((time.perf_counter() - t0) * 1e3)
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    return times, {n: faults[n] / reps for n in names}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--N", type=int, default=64)
    p.add_argument("--D", type=int, default=256)
    p.add_argument("--H", type=int, default=256)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", default="1", help="comma list of CPU thread counts, e.g. 1,2")
    p.add_argument("--no-compile", dest="compile", action="store_false",
                   help="skip the torch.compile rung (its first call compiles C++ with the system compiler)")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    print(f"LSTM T={args.T} N={args.N} D={args.D} H={args.H} {args.dtype}, forward+backward; "
          f"torch {torch.__version__}, {os.cpu_count()} CPU cores, {cpu_model()}")
    load = [os.getloadavg()[0]]
    rows = []
    compile_times = {}
    for threads in ([int(t) for t in args.threads.split(",")] if device.type == "cpu" else [0]):
        if threads:
            torch.set_num_threads(threads)
        fns, compile_s = build(args, device, dtype)
        if compile_s is not None:
            compile_times[threads] = round(compile_s, 2)
        times, faults = measure(fns, args.reps, args.warmup, device)
        med = {n: statistics.median(t) for n, t in times.items()}
        ref = med["e: torch.nn"]
        for name, ms in med.items():
            rows.append({"rung": name, "threads": threads or None, "median_ms": round(ms, 2),
                         "ratio_to_torch_nn": round(ms / ref, 3), "reps": args.reps,
                         "page_faults_per_iter": round(faults[name])})
            print(f"{threads:2d} thr  {name:26s} {ms:9.2f} ms   {ms / ref:5.2f}x torch.nn   "
                  f"{faults[name]:8.0f} page faults/iter")
        load.append(os.getloadavg()[0])
    result = {
        "benchmark": "LSTM forward+backward ladder, rungs interleaved, median ms per iteration",
        "shape": {"T": args.T, "N": args.N, "D": args.D, "H": args.H, "num_layers": 1},
        "dtype": args.dtype, "device": args.device, "torch_version": torch.__version__,
        "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(),
        "gpu_name": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        "load_average_1min": [round(v, 2) for v in load],
        "torch_compile_first_call_s": compile_times,
        "malloc_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("MALLOC_")},
        "command": "python bench/bench_lstm_ladder.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "results": rows,
    }
    save_json(result, args.json)
    return result


if __name__ == "__main__":
    main()
