"""The figures the book shows, drawn from measurements made by the caller.

Every function takes data (arrays, histories, measurement results) and returns a
matplotlib ``Figure``; nothing here trains or measures.  matplotlib is imported
lazily so that ``import lstmlab`` never needs it.
"""

from __future__ import annotations


def _pyplot():
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
    plt = _pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), constrained_layout=True)
    return fig, axes
