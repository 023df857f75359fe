"""The chapter 7-8 figures in lstmlab.plots: learning curves by cell and timing bars."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from lstmlab import plots


def test_learning_curves_one_line_per_run_in_the_cell_colour():
    runs = [{"cell": cell, "seed": seed, "eval_step": [10, 20, 30], "eval_loss": [0.2, 0.1 / (seed + 1), 0.01]}
            for seed in (0, 1) for cell in ("gru", "lstm")]
    fig = plots.learning_curves_by_cell(runs, baseline=1 / 6)
    ax = fig.axes[0]
    curves = [line for line in ax.get_lines() if line.get_label().startswith(("GRU", "LSTM"))]
    assert len(curves) == 4
    from matplotlib.colors import to_hex

    for line, run in zip(curves, runs):
        assert to_hex(line.get_color()) == plots.MODEL_COLOURS[run["cell"]]
        np.testing.assert_array_equal(line.get_ydata(), run["eval_loss"])
    assert any(np.allclose(line.get_ydata(), 1 / 6) for line in ax.get_lines())  # the baseline
    assert ax.get_yscale() == "log"


def test_timing_bars_heights_and_ratio_labels():
    rows = [{"mode": "forward", "lstmlab_ms": 12.0, "torch_nn_ms": 2.0},
            {"mode": "forward+backward", "lstmlab_ms": 50.0, "torch_nn_ms": 5.0}]
    fig = plots.timing_bars([("GPU", rows), ("CPU", rows[:1])])
    assert len(fig.axes) == 2
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    assert heights == [2.0, 5.0, 12.0, 50.0]
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert labels == {"6.0x", "10.0x"}
    assert fig.axes[1].get_title() == "CPU"


def test_timing_bars_rejects_no_panels():
    with pytest.raises(ValueError, match=r"timing_bars: argument 'panels' is empty.*Hint"):
        plots.timing_bars([])
