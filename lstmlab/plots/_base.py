"""What every figure module shares: the lazy pyplot import, the palette, the figure size."""

from __future__ import annotations


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
