"""The figures of chapters 2-4 (long-term dependencies, vanishing/exploding gradients, clipping)."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from lstmlab import cliff, plots


def test_gradient_norms_draw_one_log_curve_per_setting_with_the_data():
    norms = {"a": np.logspace(-3, 0, 20), "b": np.logspace(2, 0, 20)}
    ax = plots.gradient_norms_over_time(norms).axes[0]
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[1].get_ydata(), norms["b"])
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 21))


def test_saturation_has_a_histogram_per_setting_and_the_norms_beside_it():
    rng = np.random.default_rng(0)
    derivs = {"small": rng.uniform(0.5, 1, 100), "large": rng.uniform(0, 0.2, 100)}
    norms = {"small": np.ones(10), "large": np.logspace(-5, 0, 10)}
    fig = plots.saturation(derivs, norms)
    left, right = fig.axes[:2]
    assert len(left.containers) == 2  # one bar container per histogram
    assert len(right.get_lines()) == 2 and right.get_yscale() == "log"


def test_cliff_curve_and_surface_plot_what_they_are_given():
    w = np.linspace(0, 3, 301)
    loss, dw, _ = cliff.loss_and_grad(w)
    fig = plots.cliff_curve(w, loss, dw, wall=cliff.wall_position())
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), loss)
    assert fig.axes[1].get_yscale() == "log"
    b = np.linspace(-1, 0.5, 16)
    surface = cliff.loss_and_grad(w[:, None], b[None, :])[0]
    fig = plots.cliff_surface(w, b, surface, wall=(b[:4], w[:4]))
    assert fig.axes[0].get_xlim() == (0.0, 3.0)
    assert len(fig.axes) == 2  # the map and its colour bar


def test_dependency_arcs_draw_every_word_and_one_arc_per_sentence():
    sentences = [("the cat , which ate , [was]".split(), 1, 6), ("the cats [were]".split(), 1, 2)]
    fig = plots.dependency_arcs(sentences)
    assert len(fig.axes) == 2
    first = [t.get_text() for t in fig.axes[0].texts]
    assert first[:7] == sentences[0][0]
    assert len(fig.axes[0].get_lines()) == 1 and len(fig.axes[1].get_lines()) == 1  # one arc each


def test_accuracy_vs_gap_draws_each_seed_the_mean_and_chance():
    acc = np.array([[1.0, 0.9, 0.5], [1.0, 0.5, 0.5]])
    ax = plots.accuracy_vs_gap([2, 10, 20], acc, chance=0.5).axes[0]
    lines = ax.get_lines()
    assert len(lines) == 2 + 1 + 1  # two seeds as dots, the mean, the chance line
    np.testing.assert_allclose(lines[2].get_ydata(), [1.0, 0.7, 0.5])
    assert lines[3].get_ydata()[0] == 0.5


def test_cliff_descent_marks_an_iterate_that_left_the_plot():
    w = np.linspace(0, 2.2, 221)
    loss = cliff.loss_and_grad(w)[0]
    plain = cliff.descend(0.6, lr=0.05, n_steps=150)
    clipped = cliff.descend(0.6, lr=0.05, n_steps=150, max_norm=1.0)
    ax = plots.cliff_descent(w, loss, {"plain": (plain.w, plain.loss), "clipped": (clipped.w, clipped.loss)}).axes[0]
    notes = " ".join(t.get_text() for t in ax.texts)
    assert "thrown to $w = -7.96$" in notes  # the unclipped run leaves, and the figure says where
    assert ax.get_xlim() == (0.0, 2.2)


def test_gradient_norm_histogram_ignores_non_finite_norms_and_draws_thresholds():
    norms = np.concatenate([np.random.default_rng(0).lognormal(size=200), [np.inf, np.nan, 0.0]])
    ax = plots.gradient_norm_histogram(norms, {"median": 1.0, "p90": 3.0}).axes[0]
    assert ax.get_xscale() == "log"
    assert sum(p.get_height() for p in ax.patches) == 200
    assert len(ax.get_lines()) == 2


def test_loss_curves_cut_a_diverging_run_at_the_top_and_say_when():
    good = np.full(100, 0.1)
    bad = np.concatenate([np.linspace(0.2, 5.0, 30), [1e300, np.inf]])
    ax = plots.loss_curves({"bad": bad, "good": good}, baseline=1 / 6, window=10, ylim=(0.01, 3.0)).axes[0]
    notes = " ".join(t.get_text() for t in ax.texts)
    first_above = int(np.argmax(bad > 3.0)) + 1
    assert f"above 3 from step {first_above}" in notes
    assert "overflow at step 32" in notes
    assert ax.get_ylim() == pytest.approx((0.01, 3.0))
