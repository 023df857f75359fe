"""lstm_forward + lstm_backward (NumPy, float64) against torch.nn.LSTM, on one CPU thread.

Prints the median time of each, their ratio, and the fraction of this machine's float64
matrix-multiply rate the reference achieves (the LSTM's matrix products counted as 2*m*n*k
FLOPs; the elementwise gate arithmetic is extra work that this count leaves out).

    python bench/bench_numpy_lstm.py [--T 50 --N 32 --D 128 --H 128 --repeats 30]
"""

from __future__ import annotations

import os

# One thread for both libraries, set before numpy/torch load their BLAS.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from lstmlab.numpy import init_params, lstm_backward, lstm_forward  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gemm_rate(m: int, k: int, n: int, repeats: int) -> float:
    """float64 FLOP/s of an (m, k) @ (k, n) product, the shape of the batched projections."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    return 2 * m * k * n / median_seconds(lambda: a @ b, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("T", 50), ("N", 32), ("D", 128), ("H", 128), ("repeats", 30)):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    T, N, D, H = args.T, args.N, args.D, args.H
    torch.set_num_threads(1)

    rng = np.random.default_rng(0)
    params = init_params("lstm", D, H, rng)
    x = rng.standard_normal((T, N, D))
    dhs = rng.standard_normal((T, N, H))

    def ours():
        _, _, cache = lstm_forward(x, None, None, **params)
        lstm_backward(dhs, cache)

    module = torch.nn.LSTM(D, H).double()
    with torch.no_grad():
        for ours_name, theirs in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"),
                                  ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")):
            getattr(module, theirs).copy_(torch.from_numpy(params[ours_name]))
    xt = torch.from_numpy(x).requires_grad_()
    dhs_t = torch.from_numpy(dhs)

    def theirs():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = module(xt)
        out.backward(dhs_t)

    # Interleave the two so that drifts in machine load hit both alike.
    t_ours, t_torch = [], []
    for _ in range(3):
        t_ours.append(median_seconds(ours, args.repeats // 3 or 1))
        t_torch.append(median_seconds(theirs, args.repeats // 3 or 1))
    ours_s, torch_s = statistics.median(t_ours), statistics.median(t_torch)

    # Matrix-product FLOPs: forward (input + recurrent projections) and backward (dx, dh, dW_ih, dW_hh).
    forward_flops = 2 * T * N * 4 * H * (D + H)
    total_flops = 3 * forward_flops
    rate = gemm_rate(T * N, D, 4 * H, args.repeats)

    print(f"lstm forward+backward, T={T} N={N} D={D} H={H}, float64, 1 thread")
    print(f"  lstmlab.numpy : {ours_s * 1e3:8.2f} ms")
    print(f"  torch.nn.LSTM : {torch_s * 1e3:8.2f} ms")
    print(f"  ratio lstmlab/torch = {ours_s / torch_s:.2f}  (<= 1 means at least as fast as torch)")
    print(f"  GEMM rate (float64, ({T * N}x{D}) @ ({D}x{4 * H})): {rate / 1e9:.2f} GFLOP/s")
    print(f"  lstmlab achieves {total_flops / ours_s / 1e9:.2f} GFLOP/s = "
          f"{total_flops / ours_s / rate:.0%} of the GEMM rate")


if __name__ == "__main__":
    main()
