"""What every figure module shares: the lazy pyplot import, the palette, the figure size."""

from __future__ import annotations

import re

from lstmlab.errors import argument_error


def pyplot():
    """Import ``matplotlib.pyplot`` on first use (optional dependency)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "lstmlab.plots needs matplotlib: pip install matplotlib"
        ) from err
    return plt


# One palette for the whole book so RNN / LSTM / GRU keep their colour across chapters.
MODEL_COLOURS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}
# Colour is never the only cue (WCAG 1.4.1; red and green look alike to many readers): each
# model also keeps a marker and a line style in every figure.
MODEL_MARKERS = {"rnn": "o", "lstm": "s", "gru": "^"}
MODEL_LINESTYLES = {"rnn": "-", "lstm": "--", "gru": "-."}
# For further curves of one model (two LSTMs in one panel) and for curves of no model.
_EXTRA_LINESTYLES = [":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2))]
_LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3))]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def model_of(label) -> str | None:
    """``"rnn"``, ``"lstm"`` or ``"gru"`` when the label names that model as a word, else None.

    ``"tanh RNN"`` and ``"LSTM, forget bias 1"`` name a model; ``"rho = 2"`` does not.
    """
    words = set(re.findall(r"[a-z]+", str(label).lower()))
    return next((model for model in ("lstm", "gru", "rnn") if model in words), None)


def line_styles(labels, colours=None) -> list[dict]:
    """One ``dict(color=, marker=, ls=)`` per label, for ``ax.plot(..., **style)``.

    A label that names a model gets the model's colour and marker; its first curve the
    model's line style, further curves of the same model other dashes.  Other labels get
    ``colours[i]`` (default: the sequential map) with their own marker and dash, so no two
    curves differ by colour alone.
    """
    labels = list(labels)
    colours = list(colours) if colours is not None else sequential_colours(len(labels))
    if len(colours) < len(labels):
        raise argument_error("line_styles", "colours", f"should have at least {len(labels)} entries (one per label) "
                             f"but has {len(colours)}", "leave colours=None for the sequential map")
    styles, repeats = [], {}
    for i, label in enumerate(labels):
        model = model_of(label)
        if model is None:
            styles.append(dict(color=colours[i], marker=_MARKERS[i % len(_MARKERS)],
                               ls=_LINESTYLES[i % len(_LINESTYLES)]))
            continue
        n = repeats.get(model, 0)
        repeats[model] = n + 1
        ls = MODEL_LINESTYLES[model] if n == 0 else _EXTRA_LINESTYLES[(n - 1) % len(_EXTRA_LINESTYLES)]
        styles.append(dict(color=MODEL_COLOURS[model], marker=MODEL_MARKERS[model], ls=ls))
    return styles


def every(n_points: int, marks: int = 8) -> int:
    """``markevery`` for a curve of ``n_points``: about ``marks`` markers along it."""
    return max(1, n_points // marks)


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 3.6):
    """Return ``(fig, axes)`` sized for the book's text column."""
    plt = pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), constrained_layout=True)
    return fig, axes

def sequential_colours(n: int):
    """``n`` colours from light to dark, so an ordered family (gaps, radii, scales) reads in order."""
    plt = pyplot()
    cmap = plt.get_cmap("viridis")
    return [cmap(0.9 * i / max(n - 1, 1)) for i in range(n)]


def figure_for(ax=None, **size):
    """``(fig, ax)``: a new figure (``size`` as for :func:`new_figure`) when ``ax`` is None,
    else the given axes and the figure they belong to, so a plot can be drawn into a panel."""
    if ax is None:
        return new_figure(**size)
    return ax.figure, ax
