"""Chapter 9: the sweeps (RNN / LSTM / GRU against T over several seeds).

Each function takes measurements made by the caller and returns a matplotlib Figure."""

from __future__ import annotations

from lstmlab.errors import argument_error

from ._base import MODEL_COLOURS, MODEL_LINESTYLES, MODEL_MARKERS, every, figure_for, new_figure

# Bars of each cell also carry a hatch, so success rates do not differ by colour alone.
_HATCHES = {"rnn": "", "lstm": "//", "gru": ".."}
def _sweep_runs(runs, where: str):
    if not runs:
        raise argument_error(where, "runs", "is empty", "pass the 'runs' list of a book/data/*_sweep.json file "
                             "(experiments/sweep.py writes them)")
    Ts = sorted({r["T"] for r in runs})
    cells = [c for c in MODEL_COLOURS if any(r["cell"] == c for r in runs)]
    return Ts, cells


def sweep_final_metric(runs, ylabel, key="test_metric", baseline=None, threshold=None,
                       log=False, ax=None, title=None):
    """A final metric against T: one dot per seed, a bar for the median, one colour per cell.

    Args:
        runs: list of dicts with ``T``, ``cell``, ``seed`` and ``key`` (the records of a
            ``book/data/*_sweep.json`` file).
        ylabel: label of the y axis.
        baseline: the memoryless baseline, a number or a dict ``T -> number`` (dashed grey).
        threshold: optional success threshold (dotted black).
        log: logarithmic y axis (for MSE and cross-entropy).

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    Ts, cells = _sweep_runs(runs, "sweep_final_metric")
    fig, ax = figure_for(ax)
    width = 0.8 / len(cells)
    for j, cell in enumerate(cells):
        for i, T in enumerate(Ts):
            values = [r[key] for r in runs if r["cell"] == cell and r["T"] == T]
            if not values:
                continue
            x = i + (j - (len(cells) - 1) / 2) * width
            ax.plot([x] * len(values), values, MODEL_MARKERS[cell], color=MODEL_COLOURS[cell], ms=5, alpha=0.8,
                    label=cell.upper() if i == 0 else None)
            ax.plot([x - width * 0.4, x + width * 0.4], [np.median(values)] * 2, "-",
                    color=MODEL_COLOURS[cell], lw=2.5)
    if baseline is not None:
        per_T = baseline if isinstance(baseline, dict) else {T: baseline for T in Ts}
        for i, T in enumerate(Ts):
            ax.plot([i - 0.45, i + 0.45], [per_T[T]] * 2, "--", color="#555555", lw=1.2,
                    label="memoryless baseline" if i == 0 else None)
    if threshold is not None:
        ax.axhline(threshold, color="black", ls=":", lw=1.2, label="success threshold")
    if log:
        ax.set_yscale("log")
    ax.set_xticks(range(len(Ts)), [f"T = {T}" for T in Ts])
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", which="major", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    if title:
        ax.set_title(title)
    return fig


def success_rates(runs, succeeded, ax=None, title=None):
    """Fraction of seeds that solved the task, per T and cell, as grouped bars labelled k/n.

    Args:
        runs: list of dicts with ``T`` and ``cell`` (a sweep's records).
        succeeded: function ``run -> bool``, the success criterion.

    Returns:
        the matplotlib Figure.
    """
    Ts, cells = _sweep_runs(runs, "success_rates")
    fig, ax = figure_for(ax, height=3.0)
    width = 0.8 / len(cells)
    for j, cell in enumerate(cells):
        for i, T in enumerate(Ts):
            group = [r for r in runs if r["cell"] == cell and r["T"] == T]
            if not group:
                continue
            k = sum(bool(succeeded(r)) for r in group)
            x = i + (j - (len(cells) - 1) / 2) * width
            ax.bar(x, k / len(group), width * 0.9, color=MODEL_COLOURS[cell], hatch=_HATCHES[cell],
                   edgecolor="white", label=cell.upper() if i == 0 else None)
            ax.text(x, k / len(group) + 0.03, f"{k}/{len(group)}", ha="center", fontsize=8)
    ax.set_xticks(range(len(Ts)), [f"T = {T}" for T in Ts])
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.5, 1.0])
    ax.set_ylabel("fraction of seeds solved")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small", ncol=3, loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def sweep_curves(runs, key="eval_loss", step_key="eval_step", ylabel="validation loss",
                 baseline=None, log=True, width=None):
    """Learning curves of a sweep: one panel per T, colour by cell, one line per seed.

    Args:
        runs: list of dicts with ``T``, ``cell``, ``seed``, ``step_key`` and ``key`` (lists of
            equal length), e.g. ``eval_loss``, ``eval_accuracy`` or ``window_grad_norm_median``
            against ``window_step``.
        baseline: a number or dict ``T -> number`` drawn dashed in each panel.
        log: logarithmic y axis.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    Ts, cells = _sweep_runs(runs, "sweep_curves")
    fig, axes = new_figure(ncols=len(Ts), width=width or 2.6 * len(Ts) + 0.6, height=3.2)
    axes = np.atleast_1d(axes)
    for ax, T in zip(axes, Ts):
        for r in runs:
            if r["T"] != T:
                continue
            ax.plot(r[step_key], r[key], color=MODEL_COLOURS[r["cell"]], ls=MODEL_LINESTYLES[r["cell"]],
                    marker=MODEL_MARKERS[r["cell"]], markevery=every(len(r[key]), 6), ms=4, lw=1.2, alpha=0.85)
        if baseline is not None:
            b = baseline[T] if isinstance(baseline, dict) else baseline
            ax.axhline(b, color="#555555", ls="--", lw=1.0)
        if log:
            ax.set_yscale("log")
        ax.set_title(f"T = {T}", fontsize=10)
        ax.set_xlabel("training step")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(ylabel)
    for cell in cells:
        axes[-1].plot([], [], color=MODEL_COLOURS[cell], ls=MODEL_LINESTYLES[cell], marker=MODEL_MARKERS[cell],
                      label=cell.upper())
    if baseline is not None:
        axes[-1].plot([], [], color="#555555", ls="--", label="baseline")
    axes[-1].legend(fontsize="small")
    return fig
