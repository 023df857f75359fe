"""One style per model across the book: colour, marker and dash, so no figure relies on colour alone."""

from __future__ import annotations

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from lstmlab import plots  # noqa: E402


@pytest.mark.parametrize(
    ("label", "model"),
    [("tanh RNN", "rnn"), ("LSTM, forget bias 1", "lstm"), ("GRU (update bias 1)", "gru"),
     ("trained LSTM", "lstm"), ("rho = 2", None), ("clipped by norm", None), ("rnnlike", None)],
)
def test_model_of_reads_the_model_from_a_label(label, model):
    assert plots.model_of(label) == model


def test_models_keep_their_colour_and_differ_in_more_than_colour():
    styles = plots.line_styles(["tanh RNN", "LSTM", "GRU"])
    assert [s["color"] for s in styles] == [plots.MODEL_COLOURS[m] for m in ("rnn", "lstm", "gru")]
    assert len({s["marker"] for s in styles}) == 3
    assert len({str(s["ls"]) for s in styles}) == 3


def test_two_curves_of_one_model_share_its_colour_and_differ_in_dash():
    first, second = plots.line_styles(["LSTM, forget bias 0", "LSTM, forget bias 1"])
    assert first["color"] == second["color"] == plots.MODEL_COLOURS["lstm"]
    assert first["ls"] != second["ls"]


def test_other_curves_differ_in_marker_and_dash():
    styles = plots.line_styles([f"rho = {r}" for r in (0.8, 1.0, 1.5, 2.0, 3.0)])
    assert len({s["marker"] for s in styles}) == 5
    assert len({str(s["ls"]) for s in styles}) == 5


def test_too_few_colours_is_a_clear_error():
    expected = r"line_styles: argument 'colours' should have at least 2 entries \(one per label\) but has 1"
    with pytest.raises(ValueError, match=expected):
        plots.line_styles(["a", "b"], colours=["#000000"])


def test_gradient_norm_curves_use_the_model_style():
    fig = plots.gradient_norms_over_time({"tanh RNN": [1.0, 0.5, 0.2], "LSTM forget bias 1": [1.0, 0.9, 0.8]})
    lines = {line.get_label(): line for line in fig.axes[0].lines}
    assert matplotlib.colors.to_hex(lines["tanh RNN"].get_color()) == plots.MODEL_COLOURS["rnn"]
    assert lines["tanh RNN"].get_marker() == plots.MODEL_MARKERS["rnn"]
    assert matplotlib.colors.to_hex(lines["LSTM forget bias 1"].get_color()) == plots.MODEL_COLOURS["lstm"]
    matplotlib.pyplot.close(fig)


def test_loss_curves_give_the_lstm_its_colour():
    """Fig. 9.1 once drew the LSTM in another colour than Figs. 7.2 and 9.2."""
    fig = plots.loss_curves({"tanh RNN": [0.3] * 60, "LSTM": [0.1] * 60}, window=25)
    bold = {line.get_label(): line for line in fig.axes[0].lines if line.get_label() in ("tanh RNN", "LSTM")}
    assert matplotlib.colors.to_hex(bold["LSTM"].get_color()) == plots.MODEL_COLOURS["lstm"]
    assert bold["LSTM"].get_linestyle() != bold["tanh RNN"].get_linestyle()
    matplotlib.pyplot.close(fig)
