"""Why the fused path picks its CPU kernels: the LSTM's products and tanh, side by side.

For each product the fused LSTM makes (T=100, N=64, D=H=256 by default, float32), the
time through ``torch.mm`` (torch's BLAS: Intel MKL in the x86 wheels) and through
oneDNN (``lstmlab.torch.products``, the library torch.nn's CPU LSTM uses), taking turns
in every repetition; then ``torch.tanh`` against ``2 sigmoid(2z) - 1`` on one step's
(N, H) block.  Prints medians and ratios; ``--json`` saves them.

    python bench/bench_cpu_kernels.py --threads 1,2 --json book/data/cpu_kernels.json
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_torch_lstm import cpu_model, save_json

from lstmlab.torch.products import RepeatedWeight, mm_t, tanh_into, use_onednn


def products(t: int, n: int, d: int, h: int) -> dict:
    """name -> (torch.mm call, oneDNN call) for the products of one fused LSTM iteration."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(t * n, d, generator=g)
    w_ih, w_hh = torch.randn(4 * h, d, generator=g), torch.randn(4 * h, h, generator=g)
    h_prev, gx = torch.randn(n, h, generator=g), torch.randn(n, 4 * h, generator=g)
    d_gates, hs = torch.randn(t * n, 4 * h, generator=g), torch.randn(t * n, h, generator=g)
    step = RepeatedWeight(w_hh, n)
    return {
        f"input projection ({t * n}x{d}) x ({d}x{4 * h})": (lambda: torch.mm(x, w_ih.t()), lambda: mm_t(x, w_ih)),
        f"recurrent step ({n}x{h}) x ({h}x{4 * h})": (lambda: torch.addmm(gx, h_prev, w_hh.t()),
                                                      lambda: step.times(h_prev, add=gx)),
        f"d input ({t * n}x{4 * h}) x ({4 * h}x{d})": (lambda: torch.mm(d_gates, w_ih),
                                                      lambda: mm_t(d_gates, w_ih.t())),
        f"d W_hh ({4 * h}x{t * n}) x ({t * n}x{h})": (lambda: torch.mm(d_gates.t(), hs),
                                                      lambda: mm_t(hs.t(), d_gates.t()).t()),
    }


def median_us(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--N", type=int, default=64)
    p.add_argument("--D", type=int, default=256)
    p.add_argument("--H", type=int, default=256)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--threads", default="1")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    if not use_onednn(torch.ones(1)):
        raise SystemExit("this torch build has no usable oneDNN on the CPU: nothing to compare")
    print(f"float32, torch {torch.__version__}, {os.cpu_count()} CPU cores, {cpu_model()}")
    rows = []
    for threads in (int(v) for v in args.threads.split(",")):
        torch.set_num_threads(threads)
        for name, (with_mm, with_onednn) in products(args.T, args.N, args.D, args.H).items():
            for fn in (with_mm, with_onednn):
                fn()  # warm up (oneDNN builds its kernel on the first call of a shape)
            pair = {"torch.mm": [], "oneDNN": []}
            for _ in range(args.reps):  # interleaved
                pair["torch.mm"].append(median_us(with_mm, 1))
                pair["oneDNN"].append(median_us(with_onednn, 1))
            mm_us, dnn_us = statistics.median(pair["torch.mm"]), statistics.median(pair["oneDNN"])
            rows.append({"kernel": name, "threads": threads, "torch_us": round(mm_us, 1),
                         "lstmlab_us": round(dnn_us, 1), "ratio": round(mm_us / dnn_us, 2)})
            print(f"{threads} thr  {name:42s} torch.mm {mm_us:9.1f} us   oneDNN {dnn_us:9.1f} us   "
                  f"{mm_us / dnn_us:4.2f}x")
        z = torch.randn(args.N, args.H)
        out = torch.empty_like(z)
        tanh_us = median_us(lambda: [torch.tanh(z, out=out) for _ in range(100)], args.reps) / 100
        ours_us = median_us(lambda: [tanh_into(z, out) for _ in range(100)], args.reps) / 100
        rows.append({"kernel": f"tanh of ({args.N}x{args.H})", "threads": threads, "torch_us": round(tanh_us, 2),
                     "lstmlab_us": round(ours_us, 2), "ratio": round(tanh_us / ours_us, 2)})
        print(f"{threads} thr  {f'tanh of ({args.N}x{args.H})':42s} torch.tanh {tanh_us:7.2f} us   "
              f"2 sigmoid(2z) - 1 {ours_us:7.2f} us   {tanh_us / ours_us:4.2f}x")
    result = {"benchmark": "the fused LSTM's CPU kernels: torch's route against lstmlab's, median microseconds",
              "shape": {"T": args.T, "N": args.N, "D": args.D, "H": args.H}, "dtype": "float32",
              "torch_version": torch.__version__, "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(),
              "command": "python bench/bench_cpu_kernels.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "results": rows}
    save_json(result, args.json)
    return result


if __name__ == "__main__":
    main()
