"""Part III: the character language model (chapter 11).

Each function takes measurements made by the caller and returns a matplotlib Figure."""

from __future__ import annotations

import numpy as np

from lstmlab.errors import argument_error

from ._base import MODEL_COLOURS, new_figure, pyplot

__all__ = ["bpc_curves", "clipping_norms", "text_heatmap"]


def bpc_curves(runs, baselines=None):
    """Validation bits per character against training step, one line per run.

    Args:
        runs: list of dicts with ``label``, ``eval_step`` and ``eval_bpc`` (lists of equal
            length); a ``label`` starting with "rnn", "gru" or "lstm" takes the book's colour.
            A run with a ``seed`` other than 0 is drawn thin and left out of the legend (another
            seed of the labelled run).
        baselines: optional ``{name: bpc}`` drawn as dashed horizontal lines (e.g. the trigram).

    Returns:
        the matplotlib Figure.
    """
    fig, ax = new_figure()
    for run in runs:
        cell = run["label"].split()[0]
        first = run.get("seed", 0) == 0
        ax.plot(run["eval_step"], run["eval_bpc"], lw=1.8 if first else 0.8, alpha=1.0 if first else 0.7,
                color=MODEL_COLOURS.get(cell), label=run["label"] if first else None)
    greys = ["#555555", "#888888", "#aaaaaa"]
    for (name, value), grey in zip((baselines or {}).items(), greys * 3):
        ax.axhline(value, color=grey, ls="--", lw=1.0, label=f"{name} ({value:.2f})")
    ax.set_xlabel("training step (one window of N x T characters)")
    ax.set_ylabel("validation bits per character")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def clipping_norms(runs, max_norm: float):
    """The global gradient norm before clipping at every step, and after it where clipping
    acted (circles), one panel per run.

    Args:
        runs: list of dicts with ``label``, ``step``, ``grad_norm`` (before clipping) and
            ``grad_norm_clipped`` (after).
        max_norm: the clipping threshold (dotted line).

    Returns:
        the matplotlib Figure.
    """
    fig, axes = new_figure(ncols=len(runs), width=3.0 * len(runs), height=3.2)
    axes = np.atleast_1d(axes)
    for ax, run in zip(axes, runs):
        cell = run["label"].split()[0]
        ax.semilogy(run["step"], run["grad_norm"], lw=0.6, color=MODEL_COLOURS.get(cell, "#555555"),
                    label="before clipping")
        # Where clipping acted the two differ; elsewhere a second line would only hide the first.
        before, after = np.asarray(run["grad_norm"]), np.asarray(run["grad_norm_clipped"])
        acted = after < before
        ax.semilogy(np.asarray(run["step"])[acted], after[acted], "o", ms=4, mfc="none", color="black",
                    label="after clipping (where it acted)")
        ax.axhline(max_norm, color="#555555", ls=":", lw=1.0)
        ax.set_title(run["label"].upper(), fontsize="medium")
        ax.set_xlabel("training step")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("global gradient norm")
    axes[0].legend(fontsize="small")
    return fig


def text_heatmap(text: str, values, width: int = 80, title=None, cmap="coolwarm"):
    """Characters of ``text`` on a grid, each on a background coloured by its value.

    Args:
        text: the characters (newlines start a new row, so the layout follows the text).
        values: one number per character, e.g. a hidden unit's activation in [-1, 1].
        width: characters per row before a long line wraps.
        title: optional title.

    Returns:
        the matplotlib Figure.
    """
    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise argument_error("text_heatmap", "values", f"must have one value per character, shape "
                             f"({len(text)},), got {values.shape}", "pass the unit's values at each step")
    plt = pyplot()
    rows, row, col = [], 0, 0
    for ch in text:
        if col >= width:
            row, col = row + 1, 0
        rows.append((row, col))
        if ch == "\n":
            row, col = row + 1, 0
        else:
            col += 1
    n_rows = row + 1
    fig, ax = new_figure(width=min(10.0, 0.11 * width + 0.5), height=0.2 * n_rows + 0.6)
    limit = max(float(np.max(np.abs(values))), 1e-12)
    colours = plt.get_cmap(cmap)((values / limit + 1.0) / 2.0)
    for ch, (r, c), colour in zip(text, rows, colours):
        ax.add_patch(plt.Rectangle((c, -r - 1), 1, 1, color=colour, lw=0))
        ax.text(c + 0.5, -r - 0.5, "\u21b5" if ch == "\n" else ch, ha="center", va="center",
                family="monospace", fontsize=7)
    ax.set_xlim(0, width)
    ax.set_ylim(-n_rows, 0)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize="medium")
    return fig
