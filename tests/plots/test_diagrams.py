"""The chapter-1 diagrams and the hidden-state heat map in lstmlab.plots."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from lstmlab import plots


def cells(fig):
    """Rounded boxes drawn on the figure's first Axes (one per cell)."""
    from matplotlib.patches import FancyBboxPatch

    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]


@pytest.mark.parametrize("T", [1, 4, 8])
def test_unrolled_rnn_draws_one_cell_per_step_plus_the_folded_cell(T):
    assert len(cells(plots.draw_unrolled_rnn(T))) == T + 1
    assert len(cells(plots.draw_unrolled_rnn(T, folded=False))) == T


def test_bidirectional_rnn_draws_a_forward_and_a_backward_cell_per_step():
    fig = plots.draw_bidirectional_rnn(5)
    assert len(cells(fig)) == 10
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sum("overleftarrow{h}" in t for t in texts) == 5  # one concatenated output per step


def test_stacked_rnn_draws_T_by_L_cells():
    fig = plots.draw_stacked_rnn(3, 4)
    assert len(cells(fig)) == 12
    assert sum(t.get_text().startswith("layer") for t in fig.axes[0].texts) == 4


def test_diagrams_draw_on_a_given_axes():
    fig, ax = plots.new_figure()
    assert plots.draw_stacked_rnn(2, 2, ax=ax) is fig


@pytest.mark.parametrize(
    "call, where, name, got",
    [
        (lambda: plots.draw_unrolled_rnn(0), "draw_unrolled_rnn", "T", "0"),
        (lambda: plots.draw_unrolled_rnn(9), "draw_unrolled_rnn", "T", "9"),
        (lambda: plots.draw_bidirectional_rnn(2.0), "draw_bidirectional_rnn", "T", "2.0"),
        (lambda: plots.draw_stacked_rnn(3, 5), "draw_stacked_rnn", "L", "5"),
        (lambda: plots.draw_stacked_rnn(True, 2), "draw_stacked_rnn", "T", "True"),
    ],
)
def test_diagram_sizes_out_of_range_are_refused(call, where, name, got):
    with pytest.raises(ValueError, match=rf"^{where}: argument '{name}' must be an int in \[1, \d\], got {got}\. Hint"):
        call()


def test_hidden_state_heatmap_shows_one_column_per_token():
    hs = np.tanh(np.arange(12.0).reshape(3, 4) - 6)
    fig = plots.hidden_state_heatmap(hs, ["leave", "Taipei", "."])
    image = fig.axes[0].images[0]
    assert image.get_array().shape == (4, 3)  # (H, T): units down, tokens across
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["leave", "Taipei", "."]


def test_hidden_state_heatmap_refuses_a_batch_or_a_token_count_mismatch():
    with pytest.raises(ValueError, match=r"^hidden_state_heatmap: argument 'hs' must have shape \(T, H\) "
                                         r"with T = len\(tokens\) = 2, got \(3, 4\)"):
        plots.hidden_state_heatmap(np.zeros((3, 4)), ["a", "b"])
    with pytest.raises(ValueError, match=r"got \(3, 1, 4\)\. Hint: for a batch result"):
        plots.hidden_state_heatmap(np.zeros((3, 1, 4)), ["a", "b", "c"])
