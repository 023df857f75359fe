"""Training runs behind the "Language models on real text" chapter (book/11-language-model.md),
too slow to repeat at every book build.

Writes into book/data/:

* ``charlm_runs.json``: for an RNN, a GRU and an LSTM with the same budget (the same windows,
  steps, hidden size, optimiser and clipping), three seeds each (the seed sets the initial
  weights; the windows come in the same order), the training loss and the gradient norm before
  and after clipping at every step, the validation bits per character every ``eval_every``
  steps, and the test bits per character at the end; plus two LSTMs trained on short windows
  with the state carried across windows and reset at every window (seed 0); plus the corpus's
  provenance (Python version, sha256) and the hardware.
* ``charlm_lstm.npz``: the weights of the LSTM of seed 0 (NumPy layout, float32 to stay
  small), which the chapter samples from and looks inside.

Every run uses :func:`lstmlab.lm.train.train_lm_torch` with torch.nn's layers in float32 on
one CPU thread; on a CPU the same configuration gives the same run, so runs already in the
JSON file with an identical configuration are kept, not trained again (``--fresh`` retrains
everything).  Run from the repository root (about 40 minutes for everything on a shared
2-core machine; seed 0 alone, ``--seeds 0``, about 15)::

    .venv/bin/python experiments/charlm.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from lstmlab.data import load_char_data
from lstmlab.lm.train import LMConfig, train_lm_torch

OUT = Path(__file__).resolve().parents[1] / "book" / "data"

# The common budget: every cell sees the same 2000 windows of 32 x 100 characters.
BASE = LMConfig(hidden_size=128, embed_size=32, batch_size=32, window=100, steps=2000, lr=3e-3,
                max_norm=1.0, eval_every=100, eval_batch=8, seed=0)
# Carrying vs resetting the state matters most when windows are short.
SHORT_WINDOW = 20


PER_STEP = ("step", "loss", "grad_norm", "grad_norm_clipped")


def dumps(result: dict) -> str:
    """The JSON file: one line per run, and the per-step curves only for seed 0 (the chapter
    draws those; the other seeds keep their validation curves, test numbers and the steps at
    which clipping acted), so the file stays a few hundred kB."""
    runs = []
    for run in result["runs"]:
        if run["config"]["seed"] != 0 and "step" in run:
            acted = [s for s, a, b in zip(run["step"], run["grad_norm"], run["grad_norm_clipped"]) if b < a]
            run = {k: v for k, v in run.items() if k not in PER_STEP} | {"clipped_steps": acted}
        runs.append(run)
    head = json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1)[:-2]
    lines = ",\n  ".join(json.dumps(run, separators=(",", ":")) for run in runs)
    return f'{head},\n "runs": [\n  {lines}\n ]\n}}\n'


def _round(values, digits=5):
    return [float(f"{v:.{digits}g}") for v in values]


def _run(label: str, config: LMConfig, data) -> tuple[dict, torch.nn.Module]:
    model, hist = train_lm_torch(data.train, data.validation, len(data.vocab), config,
                                 test_ids=data.test, impl="torch.nn")
    print(f"{label} (seed {config.seed}): test {hist.test_metric:.3f} bpc, {hist.wall_time:.0f} s", flush=True)
    run = dict(label=label, config=config.to_dict(), step=hist.step, loss=_round(hist.loss),
               grad_norm=_round(hist.grad_norm), grad_norm_clipped=_round(hist.info["grad_norm_clipped"]),
               eval_step=hist.eval_step, eval_bpc=_round([v / np.log(2) for v in hist.eval_loss]),
               test_bpc=hist.test_metric, wall_time=round(hist.wall_time, 1))
    return run, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="seeds of the RNN/GRU/LSTM comparison (seed 0 is always run)")
    parser.add_argument("--fresh", action="store_true", help="retrain runs already in the JSON file")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small matrices; the machine is shared
    torch.manual_seed(0)
    data = load_char_data()
    path = OUT / "charlm_runs.json"
    old = [] if args.fresh or not path.exists() else json.loads(path.read_text())["runs"]
    if not args.fresh and path.exists() and json.loads(path.read_text())["corpus"]["sha256"] != data.corpus.sha256:
        old = []  # another text: nothing can be kept
    plan = []
    for seed in sorted(set(args.seeds) | {0}):
        for cell in ("rnn", "gru", "lstm"):
            plan.append((cell, LMConfig(**{**BASE.to_dict(), "cell": cell, "seed": seed,
                                           "forget_bias": 1.0 if cell == "lstm" else 0.0})))
    for carry in (True, False):
        plan.append((f"lstm T={SHORT_WINDOW} " + ("carried" if carry else "reset"),
                     LMConfig(**{**BASE.to_dict(), "window": SHORT_WINDOW, "carry_state": carry, "forget_bias": 1.0})))
    runs, lstm = [], None
    start = time.perf_counter()
    for label, config in plan:
        # Seed 0's runs must keep their per-step curves, which the file holds only for seed 0.
        kept = [r for r in old if r["label"] == label and r["config"] == config.to_dict()
                and (config.seed != 0 or "step" in r)]
        need_model = label == "lstm" and config.seed == 0 and not (OUT / "charlm_lstm.npz").exists()
        if kept and not need_model and not args.fresh:
            print(f"{label} (seed {config.seed}): kept from {path.name}", flush=True)
            runs.append(kept[0])
            continue
        run, model = _run(label, config, data)
        runs.append(run)
        if label == "lstm" and config.seed == 0:
            lstm = model
    result = dict(
        corpus=dict(python_version=data.corpus.python_version, sha256=data.corpus.sha256,
                    characters=len(data.corpus.text), vocab_size=len(data.vocab),
                    train=len(data.train), validation=len(data.validation), test=len(data.test)),
        hardware=dict(machine=platform.machine(), processor=platform.processor() or platform.machine(),
                      cpus=os.cpu_count(), threads=1, device="cpu", dtype="float32", impl="torch.nn",
                      torch=torch.__version__, python=platform.python_version(),
                      note="a 2-core machine shared with other jobs while this ran"),
        command="python experiments/charlm.py",
        total_seconds=round(sum(r["wall_time"] for r in runs)),
        runs=runs,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(result))
    if lstm is not None:
        weights = {k: v.astype(np.float32) for k, v in lstm.to_numpy().items()}
        np.savez_compressed(OUT / "charlm_lstm.npz", **weights)
    print(f"wrote {path} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
