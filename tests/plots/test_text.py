"""The chapter-11 figures draw what they are given: one curve per run, both norms, every character."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from lstmlab import plots  # noqa: E402


def test_bpc_curves_one_line_per_run_and_per_baseline():
    runs = [{"label": "rnn", "eval_step": [1, 2], "eval_bpc": [3.0, 2.5]},
            {"label": "lstm", "eval_step": [1, 2], "eval_bpc": [3.0, 2.0]}]
    fig = plots.bpc_curves(runs, {"trigram": 2.5})
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_array_equal(lines[1].get_ydata(), [3.0, 2.0])
    assert lines[1].get_color() == plots.MODEL_COLOURS["lstm"]
    assert "trigram (2.50)" in [t.get_text() for t in ax.get_legend().get_texts()]
    matplotlib.pyplot.close(fig)
    # Other seeds: drawn, thinner, not in the legend.
    fig = plots.bpc_curves(runs + [{"label": "lstm", "seed": 1, "eval_step": [1, 2], "eval_bpc": [3.1, 2.1]}])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 and lines[2].get_linewidth() < lines[1].get_linewidth()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["rnn", "lstm"]
    matplotlib.pyplot.close(fig)


def test_clipping_norms_draws_before_and_after_per_run():
    run = {"label": "gru", "step": [1, 2, 3], "grad_norm": [0.5, 3.0, 1.5], "grad_norm_clipped": [0.5, 1.0, 1.0]}
    fig = plots.clipping_norms([run, {**run, "label": "lstm"}], max_norm=1.0)
    assert len(fig.axes) == 2
    ys = [list(line.get_ydata()) for line in fig.axes[0].get_lines()]
    assert [0.5, 3.0, 1.5] in ys and [1.0, 1.0] in ys  # after clipping: the two clipped steps
    xs = [list(line.get_xdata()) for line in fig.axes[0].get_lines()]
    assert [2, 3] in xs
    matplotlib.pyplot.close(fig)


def test_text_heatmap_one_cell_per_character_and_checks_lengths():
    fig = plots.text_heatmap("ab\ncd", [0.0, 1.0, -1.0, 0.5, 0.2], width=10)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["a", "b", "\u21b5", "c", "d"]
    assert len(ax.patches) == 5
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match=r"text_heatmap: argument 'values' must have one value per character, "
                                         r"shape \(3,\)"):
        plots.text_heatmap("abc", [1.0, 2.0])
