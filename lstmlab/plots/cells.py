"""Chapters 7-8: the GRU against the LSTM, lstmlab.torch against torch.nn timings.

Each function takes measurements made by the caller and returns a matplotlib Figure."""

from __future__ import annotations

from lstmlab.errors import argument_error

from ._base import MODEL_COLOURS, MODEL_LINESTYLES, MODEL_MARKERS, every, new_figure, pyplot
def learning_curves_by_cell(runs, baseline=None, ylabel="validation MSE"):
    """Validation loss against training step, coloured by cell (book palette), one line per run.

    Args:
        runs: list of dicts with ``cell`` ("rnn", "lstm", "gru"), ``seed``, ``eval_step`` and
            ``eval_loss`` (lists of equal length), e.g. from ``History.to_dict()`` plus the two keys.
        baseline: optional loss of the memoryless baseline (dashed line).
        ylabel: label of the y axis.

    Returns:
        the matplotlib Figure.
    """
    fig, ax = new_figure()
    # Cells differ by colour, dash and marker (never colour alone); seeds of a cell share them.
    for run in runs:
        cell = run["cell"]
        ax.semilogy(run["eval_step"], run["eval_loss"], lw=1.8, alpha=0.85,
                    color=MODEL_COLOURS.get(cell, "#555555"), ls=MODEL_LINESTYLES.get(cell, ":"),
                    marker=MODEL_MARKERS.get(cell, "x"), markevery=every(len(run["eval_loss"])), ms=5,
                    label=f"{cell.upper()}, seed {run['seed']}")
    if baseline is not None:
        ax.axhline(baseline, color="#555555", ls="--", lw=1.0, label="memoryless baseline")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    return fig


def timing_bars(panels):
    """Milliseconds per iteration of lstmlab.torch and torch.nn, one panel per measurement.

    Args:
        panels: list of ``(title, rows)``; each row a dict with ``mode`` ("forward",
            "forward+backward"), ``lstmlab_ms`` and ``torch_nn_ms`` (the rows of
            ``bench/bench_torch_lstm.py --json``).  The ratio lstmlab / torch.nn is written
            above each pair of bars.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    if not panels:
        raise argument_error("timing_bars", "panels", "is empty", "pass at least one (title, rows) pair")
    from matplotlib.ticker import NullFormatter

    # Panels as wide as their number of bar pairs, so that labels of crowded panels fit.
    widths = [max(2, len(rows)) for _, rows in panels]
    fig, axes = pyplot().subplots(1, len(panels), figsize=(1.2 * sum(widths) + 0.8, 3.8),
                                   constrained_layout=True, gridspec_kw={"width_ratios": widths})
    axes = np.atleast_1d(axes)
    colours = {"lstmlab.torch": MODEL_COLOURS["lstm"], "torch.nn": "#7f7f7f"}
    for ax, (title, rows) in zip(axes, panels):
        x = np.arange(len(rows))
        ours = np.array([r["lstmlab_ms"] for r in rows])
        theirs = np.array([r["torch_nn_ms"] for r in rows])
        ax.bar(x - 0.2, ours, 0.4, color=colours["lstmlab.torch"], label="lstmlab.torch")
        ax.bar(x + 0.2, theirs, 0.4, color=colours["torch.nn"], hatch="//", edgecolor="white", label="torch.nn")
        for xi, a, b in zip(x, ours, theirs):
            ax.text(xi, max(a, b) * 1.15, f"{a / b:.1f}x", ha="center", fontsize=9)
        ax.set_yscale("log")
        ax.set_ylim(top=max(ours.max(), theirs.max()) * 3)
        ax.set_xticks(x, [r["mode"].replace("+", "+\n").replace(", ", "\n") for r in rows], fontsize=8)
        ax.yaxis.set_minor_formatter(NullFormatter())  # decade labels only, even on a short axis
        ax.set_title(title, fontsize=8)
        ax.grid(True, axis="y", which="major", alpha=0.3)
    axes[0].set_ylabel("ms per iteration (median)")
    axes[0].legend(fontsize="small", loc="upper left")
    return fig


