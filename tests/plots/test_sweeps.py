"""The chapter-9 sweep figures draw what they are given: every seed, the median, the baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from lstmlab import plots  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "book" / "data"


def _runs():
    rows = []
    for T in (5, 10):
        for cell in ("rnn", "lstm"):
            for seed in range(3):
                v = 0.1 * (seed + 1) if cell == "rnn" else 0.001 * (seed + 1)
                rows.append({"T": T, "cell": cell, "seed": seed, "test_metric": v,
                             "eval_step": [1, 2], "eval_loss": [0.2, v]})
    return rows


def test_final_metric_draws_every_seed_and_the_median():
    fig = plots.sweep_final_metric(_runs(), "MSE", baseline={5: 0.16, 10: 0.17}, threshold=0.01,
                                   log=True)
    ax = fig.axes[0]
    dots = [line for line in ax.lines if line.get_marker() in set(plots.MODEL_MARKERS.values())]
    assert sum(len(line.get_ydata()) for line in dots) == 12  # 2 T x 2 cells x 3 seeds
    medians = [line for line in ax.lines if line.get_marker() in ("None", "") and len(line.get_ydata()) == 2
               and line.get_ydata()[0] == line.get_ydata()[1]]
    assert any(np.isclose(m.get_ydata()[0], 0.2) for m in medians)  # RNN median at each T
    assert any(np.isclose(m.get_ydata()[0], 0.17) for m in medians)  # per-T baseline
    assert ax.get_yscale() == "log"


def test_success_rates_label_k_over_n():
    fig = plots.success_rates(_runs(), lambda r: r["test_metric"] < 0.15)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["1/3", "1/3", "3/3", "3/3"]


def test_curves_one_panel_per_T_and_one_line_per_run():
    fig = plots.sweep_curves(_runs(), baseline=0.16)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["T = 5", "T = 10"]
    # 6 runs per panel (x = their eval steps), plus the baseline and legend proxies.
    assert sum(list(line.get_xdata()) == [1, 2] for line in fig.axes[0].lines) == 6


@pytest.mark.parametrize("fn", [plots.sweep_final_metric, plots.success_rates, plots.sweep_curves])
def test_empty_runs_are_refused_with_a_hint(fn):
    args = {plots.sweep_final_metric: ("MSE",), plots.success_rates: (bool,)}.get(fn, ())
    with pytest.raises(ValueError, match=r"argument 'runs' is empty.*experiments/sweep.py"):
        fn([], *args)


@pytest.mark.parametrize("name", ["adding", "copy", "temporal_order"])
def test_committed_sweep_files_are_complete(name):
    """The book reads these files: every (T, cell, seed) of the protocol must be there."""
    doc = json.loads((DATA / f"{name}_sweep.json").read_text())
    meta = doc["meta"]
    assert meta["unfinished"] == [] and not meta["quick"]
    keys = {(r["T"], r["cell"], r["seed"]) for r in doc["runs"]}
    assert keys == {(T, c, s) for T in meta["Ts"] for c in meta["cells"] for s in meta["seeds"]}
    assert len(meta["seeds"]) >= 3
    for r in doc["runs"]:
        assert len(r["eval_step"]) == len(r["eval_loss"]) == meta["steps"] // 100
        assert np.isfinite(r["test_metric"])


def test_cells_differ_by_marker_not_by_colour_alone():
    fig = plots.sweep_final_metric(_runs(), "MSE")
    markers = {line.get_label(): line.get_marker() for line in fig.axes[0].lines
               if line.get_label() in ("RNN", "LSTM")}
    assert markers == {"RNN": plots.MODEL_MARKERS["rnn"], "LSTM": plots.MODEL_MARKERS["lstm"]}
    assert markers["RNN"] != markers["LSTM"]
