"""Sweeps behind chapter 9: RNN, LSTM and GRU on the adding, copy and temporal-order tasks.

Each suite trains every (T, cell, seed) combination with ``lstmlab.train.train_torch`` and
writes one JSON file (metadata + one record per run) that the book reads at build time::

    python experiments/sweep.py --suite adding --device cuda --impl torch.nn --workers 16
    python experiments/sweep.py --suite all --device cuda --impl torch.nn --workers 16 --out book/data

Runs go to a pool of worker processes (one torch thread each); the file is rewritten after
every finished run, so a sweep stopped by ``--deadline`` still leaves the runs it finished,
and lists the unfinished ones under ``meta.unfinished``.  ``--quick`` shrinks everything to a
smoke test that takes seconds on a CPU.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

# Shared by every suite: Adam, global-norm clipping at 1, forget bias 1 for the LSTM.
COMMON = dict(hidden_size=128, batch_size=128, lr=1e-3, clip="norm", max_norm=1.0,
              eval_every=100, eval_size=1000, test_size=4000)

SUITES = {
    "adding": dict(file="adding_sweep.json", task="adding", Ts=[50, 100, 200], steps=5000,
                   success="test MSE < 0.01"),
    "copy": dict(file="copy_sweep.json", task="copy", Ts=[10, 20, 50], steps=8000,
                 success="recall accuracy >= 0.99"),
    "temporal_order": dict(file="temporal_order_sweep.json", task="temporal_order",
                           Ts=[50, 100], steps=5000, success="test accuracy >= 0.95"),
}
CELLS = ["rnn", "lstm", "gru"]
WINDOW = 100  # per-step curves are stored as means (loss) and medians (norm) over windows


def _summary(hist) -> dict:
    """The record of one run kept in the data file: settings, final metrics, thinned curves."""
    import numpy as np

    loss = np.asarray(hist.loss)
    norm = np.asarray(hist.grad_norm)
    k = len(loss) // WINDOW * WINDOW
    cfg = hist.config
    return {
        "task": cfg["task"], "T": cfg["T"], "cell": cfg["cell"], "seed": cfg["seed"],
        "config": cfg, "info": hist.info, "metric": hist.metric, "baseline": hist.baseline,
        "test_metric": hist.test_metric, "test_loss": hist.test_loss,
        "test_accuracy": hist.test_accuracy, "wall_time": hist.wall_time,
        "eval_step": hist.eval_step, "eval_loss": hist.eval_loss,
        "eval_accuracy": hist.eval_accuracy,
        "window_step": list(range(WINDOW, k + 1, WINDOW)),
        "window_loss": loss[:k].reshape(-1, WINDOW).mean(axis=1).tolist(),
        "window_grad_norm_median": np.median(norm[:k].reshape(-1, WINDOW), axis=1).tolist(),
        "window_grad_norm_max": norm[:k].reshape(-1, WINDOW).max(axis=1).tolist(),
    }


def _run(job: dict) -> dict:
    import torch

    torch.set_num_threads(1)  # many workers share the CPU; one thread each is fastest
    from lstmlab.train.torch_loop import train_torch

    kwargs = dict(job)
    impl, device = kwargs.pop("impl"), kwargs.pop("device")
    hist = train_torch(impl=impl, device=device, progress=False, **kwargs)
    return _summary(hist)


def jobs_for(suite: str, seeds, impl: str, device: str, quick: bool) -> list[dict]:
    s = SUITES[suite]
    Ts, steps, common = s["Ts"], s["steps"], dict(COMMON)
    if quick:
        Ts, steps = [min(T, 12) for T in Ts[:1]], 30
        common.update(hidden_size=8, batch_size=8, eval_every=10, eval_size=32, test_size=64)
    jobs = [dict(common, task=s["task"], T=T, cell=cell, seed=seed, steps=steps, impl=impl,
                 device=device) for seed in seeds for T in Ts for cell in CELLS]
    # Seed by seed, longest first inside a seed: a deadline then costs the last seeds of the
    # shortest runs, never a whole configuration.
    return sorted(jobs, key=lambda j: (j["seed"], -j["T"] * j["steps"]))


def metadata(args, suite: str) -> dict:
    import numpy
    import torch

    meta = {
        "suite": suite, "task": SUITES[suite]["task"], "success": SUITES[suite]["success"], "common": COMMON,
        "steps": SUITES[suite]["steps"], "Ts": SUITES[suite]["Ts"], "cells": CELLS,
        "seeds": args.seeds, "impl": args.impl, "device": args.device, "quick": args.quick,
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version(),
        "cpu_count": os.cpu_count(), "platform": platform.platform(), "workers": args.workers,
        "git_commit": os.environ.get("LSTMLAB_COMMIT", "unknown"),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if args.device.startswith("cuda") and torch.cuda.is_available():
        meta["gpu"] = torch.cuda.get_device_name(0)
        meta["cudnn"] = torch.backends.cudnn.version()
    return meta


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=[*SUITES, "all"], nargs="+", default=["all"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--impl", choices=["torch.nn", "lstmlab"], default="torch.nn")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds after which unfinished runs are abandoned")
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "data")
    parser.add_argument("--quick", action="store_true", help="tiny smoke-test settings")
    args = parser.parse_args(argv)

    suites = list(SUITES) if "all" in args.suite else list(dict.fromkeys(args.suite))
    jobs, owner = [], []
    for suite in suites:
        for job in jobs_for(suite, args.seeds, args.impl, args.device, args.quick):
            jobs.append(job)
            owner.append(suite)
    # Interleave suites by seed so every suite gets its first seeds early.
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i]["seed"], -jobs[i]["T"] * jobs[i]["steps"]))
    args.out.mkdir(parents=True, exist_ok=True)
    results = {s: {"meta": metadata(args, s), "runs": []} for s in suites}
    pending = {i: (owner[i], jobs[i]) for i in order}
    start = time.perf_counter()

    def write(suite: str) -> None:
        doc = results[suite]
        doc["meta"]["wall_time_s"] = round(time.perf_counter() - start, 1)
        doc["meta"]["unfinished"] = [
            {k: j[k] for k in ("T", "cell", "seed")} for s, j in pending.values() if s == suite]
        doc["runs"].sort(key=lambda r: (r["T"], CELLS.index(r["cell"]), r["seed"]))
        path = args.out / SUITES[suite]["file"]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.replace(path)

    ctx = mp.get_context("spawn")  # CUDA cannot be used in forked children
    with ctx.Pool(args.workers, maxtasksperchild=None) as pool:
        futures = {i: pool.apply_async(_run, (jobs[i],)) for i in order}
        while pending:
            if args.deadline is not None and time.perf_counter() - start > args.deadline:
                print(f"deadline: {len(pending)} runs unfinished", flush=True)
                pool.terminate()
                break
            for i in [i for i in list(pending) if futures[i].ready()]:
                suite, job = pending.pop(i)
                rec = futures[i].get()
                results[suite]["runs"].append(rec)
                print(f"[{time.perf_counter() - start:6.0f}s] {suite} T={job['T']} {job['cell']} "
                      f"seed={job['seed']}: {rec['metric']}={rec['test_metric']:.4g} "
                      f"(acc {rec['test_accuracy']}) baseline={rec['baseline']:.4g} "
                      f"{rec['wall_time']:.0f}s", flush=True)
                write(suite)
            time.sleep(0.5)
    for suite in suites:
        write(suite)


if __name__ == "__main__":
    main()
