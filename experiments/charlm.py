"""Training runs behind the "Language models on real text" chapter (book/11-language-model.md),
too slow to repeat at every book build.

Writes into book/data/:

* ``charlm_runs.json``: for an RNN, a GRU and an LSTM with the same budget (the same windows,
  steps, hidden size, optimiser and clipping), the training loss and the gradient norm before
  and after clipping at every step, the validation bits per character every ``EVAL_EVERY``
  steps, and the test bits per character at the end; plus two LSTMs trained on short windows
  with the state carried across windows and reset at every window; plus the corpus's
  provenance (Python version, sha256) and the hardware.
* ``charlm_lstm.npz``: the trained LSTM's weights (NumPy layout, float32 to stay small), which
  the chapter samples from and looks inside.

Every run uses :func:`lstmlab.lm.train.train_lm_torch` with torch.nn's layers in float32 on
one CPU thread.  Run from the repository root (about 15 minutes on a shared 2-core machine)::

    .venv/bin/python experiments/charlm.py
"""

from __future__ import annotations

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


def _round(values, digits=5):
    return [float(f"{v:.{digits}g}") for v in values]


def _run(label: str, config: LMConfig, data) -> tuple[dict, torch.nn.Module]:
    model, hist = train_lm_torch(data.train, data.validation, len(data.vocab), config,
                                 test_ids=data.test, impl="torch.nn")
    print(f"{label}: test {hist.test_metric:.3f} bpc, {hist.wall_time:.0f} s", flush=True)
    run = dict(label=label, config=config.to_dict(), step=hist.step, loss=_round(hist.loss),
               grad_norm=_round(hist.grad_norm), grad_norm_clipped=_round(hist.info["grad_norm_clipped"]),
               eval_step=hist.eval_step, eval_bpc=_round([v / np.log(2) for v in hist.eval_loss]),
               test_bpc=hist.test_metric, wall_time=round(hist.wall_time, 1))
    return run, model


def main() -> None:
    torch.set_num_threads(1)  # small matrices; the machine is shared
    torch.manual_seed(0)
    data = load_char_data()
    runs, lstm = [], None
    start = time.perf_counter()
    for cell in ("rnn", "gru", "lstm"):
        config = LMConfig(**{**BASE.to_dict(), "cell": cell, "forget_bias": 1.0 if cell == "lstm" else 0.0})
        run, model = _run(cell, config, data)
        runs.append(run)
        if cell == "lstm":
            lstm = model
    for carry in (True, False):
        config = LMConfig(**{**BASE.to_dict(), "window": SHORT_WINDOW, "carry_state": carry, "forget_bias": 1.0})
        runs.append(_run(f"lstm T={SHORT_WINDOW} " + ("carried" if carry else "reset"), config, data)[0])
    result = dict(
        corpus=dict(python_version=data.corpus.python_version, sha256=data.corpus.sha256,
                    characters=len(data.corpus.text), vocab_size=len(data.vocab),
                    train=len(data.train), validation=len(data.validation), test=len(data.test)),
        hardware=dict(machine=platform.machine(), processor=platform.processor() or platform.machine(),
                      cpus=os.cpu_count(), threads=1, device="cpu", dtype="float32", impl="torch.nn",
                      torch=torch.__version__, python=platform.python_version(),
                      note="a 2-core machine shared with other jobs while this ran"),
        command="python experiments/charlm.py", total_seconds=round(time.perf_counter() - start),
        runs=runs,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "charlm_runs.json").write_text(json.dumps(result, indent=1) + "\n")
    weights = {k: v.astype(np.float32) for k, v in lstm.to_numpy().items()}
    np.savez_compressed(OUT / "charlm_lstm.npz", **weights)
    print(f"wrote {OUT / 'charlm_runs.json'} and {OUT / 'charlm_lstm.npz'}")


if __name__ == "__main__":
    main()
