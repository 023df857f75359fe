"""The committed results of experiments/charlm.py that chapter 11 reads: complete, consistent,
made on this corpus, and the checkpoint loads into the model."""

import json
from pathlib import Path

import numpy as np
import pytest

from lstmlab.data import load_char_data
from lstmlab.lm import cell_of, charlm_forward
from lstmlab.lm.train import LMConfig

DATA = Path(__file__).resolve().parents[2] / "book" / "data"


@pytest.fixture(scope="module")
def committed():
    return json.loads((DATA / "charlm_runs.json").read_text())


def test_runs_are_complete_and_consistent(committed):
    runs = committed["runs"]
    seed0 = [run["label"] for run in runs if run["config"]["seed"] == 0]
    assert seed0 == ["rnn", "gru", "lstm", "lstm T=20 carried", "lstm T=20 reset"]
    for run in runs:
        config = LMConfig(**run["config"])  # a valid configuration
        assert run["eval_step"][-1] == config.steps and len(run["eval_bpc"]) == len(run["eval_step"])
        if config.seed != 0:  # other seeds keep only the steps at which clipping acted
            assert "step" not in run and all(1 <= s <= config.steps for s in run["clipped_steps"])
            continue
        assert len(run["step"]) == len(run["loss"]) == len(run["grad_norm"]) == config.steps
        assert np.all(np.array(run["grad_norm_clipped"]) <= config.max_norm * (1 + 1e-4))
        np.testing.assert_allclose(run["grad_norm_clipped"], np.minimum(run["grad_norm"], config.max_norm),
                                   rtol=1e-4)
    cells = [run for run in runs if run["label"] in ("rnn", "gru", "lstm")]
    budgets = {json.dumps({k: v for k, v in run["config"].items() if k not in ("cell", "forget_bias", "seed")})
               for run in cells}
    assert len(budgets) == 1  # every cell and seed had the same budget
    per_cell = {c: sorted(run["config"]["seed"] for run in cells if run["label"] == c) for c in ("rnn", "gru", "lstm")}
    assert per_cell["rnn"] == per_cell["gru"] == per_cell["lstm"]  # the same seeds for each cell


def test_runs_were_made_on_this_corpus_and_the_checkpoint_loads(committed):
    data = load_char_data()
    assert committed["corpus"]["sha256"] == data.corpus.sha256
    assert committed["corpus"]["test"] == len(data.test)
    weights = {k: v.astype(np.float64) for k, v in np.load(DATA / "charlm_lstm.npz").items()}
    assert cell_of(weights) == "lstm" and weights["W"].shape == (len(data.vocab), 128)
    logits, _, _ = charlm_forward(weights, data.validation[:200, None])
    assert logits.shape == (200, 1, len(data.vocab))
