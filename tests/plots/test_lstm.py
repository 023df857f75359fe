"""The chapter 5-6 figures: each draws the data it is given, on the ranges it promises."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from lstmlab import plots  # noqa: E402


def test_cell_diagram_has_four_gates_and_the_pointwise_operations():
    from matplotlib.patches import Circle, FancyBboxPatch

    fig = plots.draw_lstm_cell()
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for label in ("forget $f_t$", "input $i_t$", "candidate $g_t$", "output $o_t$", "$c_{t-1}$", "$h_t$"):
        assert label in texts
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(circles) == 4  # forget x, input x, +, output x
    assert len(boxes) == 6  # cell outline, four gates, tanh(c)
    assert texts.count(r"$\sigma$") == 3


def test_gate_heatmaps_show_units_by_time_on_the_gate_ranges():
    rng = np.random.default_rng(0)
    gates = {"i": rng.random((7, 3)), "g": rng.uniform(-1, 1, (7, 3))}
    fig = plots.gate_heatmaps(gates, markers=[2, 5])
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    np.testing.assert_array_equal(images[0].get_array(), gates["i"].T)  # rows are units
    assert images[0].get_clim() == (0.0, 1.0)
    assert images[1].get_clim() == (-1.0, 1.0)
    assert len(fig.axes[0].lines) == 2  # the two markers


def test_gate_histograms_one_log_panel_per_gate():
    rng = np.random.default_rng(0)
    fig = plots.gate_histograms({"f": rng.random(100), "o": rng.random(100), "g": rng.uniform(-1, 1, 50)})
    assert len(fig.axes) == 3
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert fig.axes[2].get_xlim() == (-1.0, 1.0)
    heights = sum(p.get_height() * p.get_width() for p in fig.axes[0].patches)
    assert heights == pytest.approx(1.0)  # a density


def test_forget_bias_training_draws_every_run_and_one_label_per_bias():
    runs = [dict(forget_bias=b, seed=s, eval_step=[1, 2], eval_loss=[0.2, 0.1]) for b in (0.0, 1.0) for s in range(3)]
    fig = plots.forget_bias_training(runs, baseline=1 / 6)
    ax = fig.axes[0]
    assert len(ax.lines) == 7  # six runs and the baseline
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["forget bias 0", "forget bias 1", "memoryless baseline"]


def test_truncation_bias_and_checkpointing_plot_their_numbers():
    ks = np.array([1, 2, 4])
    fig = plots.truncation_bias(
        ks, {"a": {"cosine": np.array([0.1, 0.5, 0.9]), "rel_error": np.array([1.0, 0.5, 0.1])}}, T=4)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [0.1, 0.5, 0.9])
    results = [dict(chunk=c, forward_bytes=b, peak_bytes=2 * b, seconds=0.01)
               for c, b in ((0, 2**20), (2, 2**18), (4, 2**17))]
    fig = plots.checkpointing_tradeoff(results, T=16)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.5, 0.25])  # MiB, peak, chunked only
