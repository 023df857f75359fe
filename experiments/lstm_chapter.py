"""Training runs behind chapter 5 (book/05-lstm.md), too slow to repeat at every book build.

Writes two small files into book/data/ that the chapter reads:

* ``forget_bias_adding.json``: validation MSE curves of an LSTM on the two-marker adding
  problem (T = 50 and 100) with the forget gate's initial bias at 0 and at 1, three seeds each, trained
  with :func:`lstmlab.train.train_torch` (torch.nn.LSTM kernels, float32, one thread).
* ``lstm_adding_gates.npz``: the weights (NumPy layout, float64) of one LSTM trained on the
  same task, whose gate activations the chapter draws.

Run from the repository root (about 20-30 minutes on one busy CPU core)::

    .venv/bin/python experiments/lstm_chapter.py            # both
    .venv/bin/python experiments/lstm_chapter.py --only gates
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from lstmlab.data import ADDING_BASELINE_MSE, adding_problem
from lstmlab.train import train_torch

OUT = Path(__file__).resolve().parents[1] / "book" / "data"

# One setting for both experiments, so the chapter's numbers describe the same problem.
TASK = dict(task="adding", T=50, hidden_size=32, batch_size=64, lr=1e-2, clip="norm", max_norm=1.0)
BIAS_STEPS, BIAS_SEEDS, BIASES, BIAS_TS = 3000, (0, 1, 2), (0.0, 1.0), (50, 100)
GATE_H, GATE_STEPS = 16, 3000


def forget_bias_runs(progress: bool) -> dict:
    """Validation MSE against step for every (T, bias, seed)."""
    runs = []
    for T in BIAS_TS:
        for bias in BIASES:
            for seed in BIAS_SEEDS:
                hist = train_torch(**{**TASK, "T": T}, cell="lstm", forget_bias=bias, steps=BIAS_STEPS,
                                   seed=seed, eval_every=50, eval_size=512, test_size=2000,
                                   impl="torch.nn", progress=progress)
                print(f"T {T}: forget bias {bias}: seed {seed}: test MSE {hist.test_metric:.4g} "
                      f"({hist.wall_time:.0f} s)", flush=True)
                runs.append(dict(T=T, forget_bias=bias, seed=seed, eval_step=hist.eval_step,
                                 eval_loss=hist.eval_loss, test_mse=hist.test_metric))
    return dict(config={**TASK, "T": list(BIAS_TS), "steps": BIAS_STEPS, "cell": "lstm", "impl": "torch.nn",
                        "dtype": "float32", "torch": torch.__version__},
                baseline_mse=ADDING_BASELINE_MSE, runs=runs)


def train_gate_model(seed: int = 0) -> tuple[dict, list]:
    """An LSTM (H = GATE_H, forget bias 1) + linear read-out of h_T, trained with Adam.

    Returns the LSTM's weights as a NumPy dict (torch.nn layout, float64) with the head
    added as ``W_out (1, H)`` and ``b_out (1,)``, and the list of (step, validation MSE).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lstm = torch.nn.LSTM(2, GATE_H, dtype=torch.float64)
    head = torch.nn.Linear(GATE_H, 1, dtype=torch.float64)
    with torch.no_grad():  # forget block (i, f, g, o order) of the total bias = 1
        lstm.bias_ih_l0[GATE_H : 2 * GATE_H] = 1.0
        lstm.bias_hh_l0[GATE_H : 2 * GATE_H] = 0.0
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=TASK["lr"])
    val = adding_problem(512, TASK["T"], seed=10_000 + seed)
    xv, yv = torch.from_numpy(val.x), torch.from_numpy(val.y)
    curve = []
    for step in range(1, GATE_STEPS + 1):
        batch = adding_problem(TASK["batch_size"], TASK["T"], rng)
        hs, _ = lstm(torch.from_numpy(batch.x))
        loss = torch.nn.functional.mse_loss(head(hs[-1]), torch.from_numpy(batch.y))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, TASK["max_norm"])
        opt.step()
        if step % 100 == 0:
            with torch.no_grad():
                mse = torch.nn.functional.mse_loss(head(lstm(xv)[0][-1]), yv).item()
            curve.append((step, mse))
            print(f"gate model: step {step}: validation MSE {mse:.4g}", flush=True)
    weights = {
        "W_ih": lstm.weight_ih_l0, "W_hh": lstm.weight_hh_l0,
        "b_ih": lstm.bias_ih_l0, "b_hh": lstm.bias_hh_l0,
        "W_out": head.weight, "b_out": head.bias,
    }
    return {k: v.detach().numpy().copy() for k, v in weights.items()}, curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["bias", "gates"], help="run one experiment only")
    parser.add_argument("--no-progress", action="store_true", help="silence the progress bars")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small matrices: more threads only add contention
    OUT.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "gates"):
        start = time.perf_counter()
        weights, curve = train_gate_model()
        np.savez(OUT / "lstm_adding_gates.npz", **weights, curve=np.array(curve),
                 T=TASK["T"], steps=GATE_STEPS)
        print(f"wrote {OUT / 'lstm_adding_gates.npz'} ({time.perf_counter() - start:.0f} s)")
    if args.only in (None, "bias"):
        result = forget_bias_runs(progress=not args.no_progress)
        (OUT / "forget_bias_adding.json").write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {OUT / 'forget_bias_adding.json'}")


if __name__ == "__main__":
    main()
