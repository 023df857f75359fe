"""Chapter 1: the unrolled, bidirectional and stacked RNN diagrams, and hidden-state heatmaps.

Each function takes measurements made by the caller and returns a matplotlib Figure."""

from __future__ import annotations

from lstmlab.errors import argument_error

from ._base import figure_for, new_figure

# Coordinates are in "cell units": cell t sits at x = t * _STEP, layer l at y = l * _LAYER.

_STEP, _LAYER, _CELL_W, _CELL_H = 2.0, 1.8, 1.1, 0.7
DIAGRAM_COLOURS = {"cell": "#dbe9f6", "backward": "#fde3cf", "edge": "#34495e", "io": "#ffffff"}


def _check_count(where: str, name: str, value, low: int, high: int) -> int:
    """Diagrams stay readable only for a handful of steps/layers: say so instead of drawing mush."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise argument_error(where, name, f"must be an int in [{low}, {high}], got {value!r}",
                             f"a diagram shows the pattern; draw {low}-{high} and let the reader extrapolate")
    return value


def _diagram_axes(ax, width: float, height: float):
    """A fresh (or given) Axes with equal scaling and no frame, sized to the drawing."""
    if ax is None:
        fig, ax = new_figure(width=width, height=height)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure, ax


def _box(ax, x, y, text, colour, w=_CELL_W, h=_CELL_H, fontsize=11):
    """A rounded box centred on (x, y) with a label (a cell, or an input/output token)."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=colour, edgecolor=DIAGRAM_COLOURS["edge"], linewidth=1.3, zorder=2,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)


def _arrow(ax, start, end, colour=None, label=None, label_offset=(0.0, 0.18), rad=0.0):
    """An arrow from ``start`` to ``end`` (data coordinates), optionally labelled at its middle."""
    ax.annotate(
        "", xy=end, xytext=start,
        arrowprops=dict(
            arrowstyle="-|>", color=colour or DIAGRAM_COLOURS["edge"], lw=1.4,
            shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}",
        ),
        zorder=1,
    )
    if label:
        mx, my = (start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="bottom", fontsize=9, color=colour or DIAGRAM_COLOURS["edge"])


def _token(ax, x, y, text):
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def draw_unrolled_rnn(T: int = 4, ax=None, folded: bool = True):
    """The RNN drawn folded (one cell with a loop) and unrolled over ``T`` steps.

    Every unrolled cell is the same function with the same weights ``(W_ih, W_hh, b)``;
    the horizontal arrows carry the hidden state ``h_t`` from step t to t+1.

    Args:
        T: number of time steps to draw, 1 to 8.
        ax: an Axes to draw on, or None for a new figure.
        folded: also draw the folded cell with its self-loop on the left.

    Returns:
        the matplotlib Figure.
    """
    T = _check_count("draw_unrolled_rnn", "T", T, 1, 8)
    offset = 3.8 if folded else 0.0
    fig, ax = _diagram_axes(ax, width=1.2 + 1.15 * T + (1.8 if folded else 0), height=2.6)
    if folded:
        _box(ax, 0.0, 0.0, "RNN", DIAGRAM_COLOURS["cell"])
        _token(ax, 0.0, -1.2, r"$x_t$")
        _token(ax, 0.0, 1.2, r"$h_t$")
        _arrow(ax, (0.0, -0.95), (0.0, -_CELL_H / 2))
        _arrow(ax, (0.0, _CELL_H / 2), (0.0, 0.95))
        # The loop: h_t goes back in as h_{t-1} at the next step.
        _arrow(ax, (_CELL_W / 2, 0.12), (_CELL_W / 2, -0.12), rad=-2.4)
        ax.text(_CELL_W / 2 + 0.3, 0.42, r"$h_{t-1}$", fontsize=9, va="bottom", ha="center")
        ax.text(offset - 2.0, 0.0, "=", fontsize=20, ha="center", va="center")
    for t in range(1, T + 1):
        x = offset + (t - 1) * _STEP
        _box(ax, x, 0.0, "RNN", DIAGRAM_COLOURS["cell"])
        _token(ax, x, -1.2, rf"$x_{{{t}}}$")
        _token(ax, x, 1.2, rf"$h_{{{t}}}$")
        _arrow(ax, (x, -0.95), (x, -_CELL_H / 2))
        _arrow(ax, (x, _CELL_H / 2), (x, 0.95))
        start = x - _STEP + _CELL_W / 2 if t > 1 else x - _STEP + 0.35
        label = rf"$h_{{{t - 1}}}$"
        _arrow(ax, (start, 0.0), (x - _CELL_W / 2, 0.0), label=label)
    ax.text(offset + (T - 1) * _STEP / 2, -1.75, r"same weights $W_{ih}, W_{hh}, b$ at every step",
            ha="center", fontsize=9, style="italic")
    ax.set_xlim(offset - _STEP - 0.2 if not folded else -1.0, offset + (T - 1) * _STEP + 0.9)
    ax.set_ylim(-2.0, 1.5)
    return fig


def draw_bidirectional_rnn(T: int = 4, ax=None):
    """A bidirectional RNN over ``T`` steps (Schuster & Paliwal 1997).

    The lower row reads left to right (forward states), the upper row right to left
    (backward states, its own weights); each output concatenates the two states of its step.

    Args:
        T: number of time steps to draw, 1 to 8.
        ax: an Axes to draw on, or None for a new figure.

    Returns:
        the matplotlib Figure.
    """
    T = _check_count("draw_bidirectional_rnn", "T", T, 1, 8)
    fig, ax = _diagram_axes(ax, width=1.3 + 1.15 * T, height=3.9)
    y_fwd, y_bwd = 0.0, _LAYER
    for t in range(1, T + 1):
        x = (t - 1) * _STEP
        _box(ax, x, y_fwd, r"$\overrightarrow{\mathrm{RNN}}$", DIAGRAM_COLOURS["cell"])
        _box(ax, x, y_bwd, r"$\overleftarrow{\mathrm{RNN}}$", DIAGRAM_COLOURS["backward"])
        _token(ax, x, -1.3, rf"$x_{{{t}}}$")
        _arrow(ax, (x, -1.05), (x, y_fwd - _CELL_H / 2))
        # x_t also reaches the backward cell: the line skirts the forward cell on its left.
        ax.plot([x, x - 0.75, x - 0.75], [-0.85, -0.85, y_bwd - 0.1], color="#c0602a", lw=1.4, zorder=1)
        _arrow(ax, (x - 0.75, y_bwd - 0.1), (x - _CELL_W / 2, y_bwd - 0.1), colour="#c0602a")
        _token(ax, x, y_bwd + 1.35, rf"$[\overrightarrow{{h}}_{{{t}}};\,\overleftarrow{{h}}_{{{t}}}]$")
        # The forward state skirts the backward cell on its right on its way to the output.
        ax.plot([x + 0.3, x + 0.3, x + 0.75, x + 0.75], [y_fwd + _CELL_H / 2, y_fwd + 0.6, y_fwd + 0.6,
                y_bwd + 0.75], color=DIAGRAM_COLOURS["edge"], lw=1.4, zorder=1)
        _arrow(ax, (x + 0.75, y_bwd + 0.75), (x + 0.2, y_bwd + 1.1))
        _arrow(ax, (x, y_bwd + _CELL_H / 2), (x, y_bwd + 1.1))
        if t > 1:
            _arrow(ax, (x - _STEP + _CELL_W / 2, y_fwd - 0.15), (x - _CELL_W / 2, y_fwd - 0.15))
            _arrow(ax, (x - _CELL_W / 2, y_bwd + 0.15), (x - _STEP + _CELL_W / 2, y_bwd + 0.15),
                   colour="#c0602a")
    ax.text(-1.0, y_fwd, "forward", ha="right", va="center", fontsize=9)
    ax.text(-1.0, y_bwd, "backward", ha="right", va="center", fontsize=9, color="#c0602a")
    ax.set_xlim(-2.3, (T - 1) * _STEP + 0.9)
    ax.set_ylim(-1.7, y_bwd + 1.7)
    return fig


def draw_stacked_rnn(T: int = 4, L: int = 2, ax=None):
    """A stack of ``L`` RNN layers over ``T`` steps: layer l reads layer l-1's hidden states.

    Args:
        T: number of time steps to draw, 1 to 8.
        L: number of layers, 1 to 4.
        ax: an Axes to draw on, or None for a new figure.

    Returns:
        the matplotlib Figure.
    """
    T = _check_count("draw_stacked_rnn", "T", T, 1, 8)
    L = _check_count("draw_stacked_rnn", "L", L, 1, 4)
    fig, ax = _diagram_axes(ax, width=1.3 + 1.15 * T, height=1.6 + 1.05 * L)
    for layer in range(1, L + 1):
        y = (layer - 1) * _LAYER
        ax.text(-1.0, y, f"layer {layer}", ha="right", va="center", fontsize=9)
        for t in range(1, T + 1):
            x = (t - 1) * _STEP
            _box(ax, x, y, rf"$h^{{({layer})}}_{{{t}}}$", DIAGRAM_COLOURS["cell"], fontsize=10)
            below = -1.05 if layer == 1 else y - _LAYER + _CELL_H / 2
            _arrow(ax, (x, below), (x, y - _CELL_H / 2))
            if layer == 1:
                _token(ax, x, -1.3, rf"$x_{{{t}}}$")
            if layer == L:
                _arrow(ax, (x, y + _CELL_H / 2), (x, y + 1.05))
                _token(ax, x, y + 1.3, rf"$y_{{{t}}}$")
            if t > 1:
                _arrow(ax, (x - _STEP + _CELL_W / 2, y), (x - _CELL_W / 2, y))
    ax.set_xlim(-2.3, (T - 1) * _STEP + 0.9)
    ax.set_ylim(-1.7, (L - 1) * _LAYER + 1.7)
    return fig


def hidden_state_heatmap(hs, tokens, ax=None, title=None):
    """The hidden state at every step as a (H, T) heat map, one column per token.

    Args:
        hs: (T, H) hidden states of one sequence (take ``hs[:, n]`` of an (T, N, H) result).
        tokens: T labels for the columns.
        ax: an Axes to draw on, or None for a new figure.
        title: optional axes title.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 2 or hs.shape[0] != len(tokens):
        raise argument_error("hidden_state_heatmap", "hs",
                             f"must have shape (T, H) with T = len(tokens) = {len(tokens)}, got {hs.shape}",
                             "for a batch result of shape (T, N, H) pass hs[:, n]")
    fig, ax = figure_for(ax, width=0.9 * len(tokens) + 1.8, height=2.8)
    image = ax.imshow(hs.T, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(tokens)), tokens)
    ax.set_yticks(range(hs.shape[1]), [rf"$h[{j}]$" for j in range(hs.shape[1])], fontsize=8)
    ax.set_xlabel("token (time step)")
    fig.colorbar(image, ax=ax, label="value (tanh range)")
    if title:
        ax.set_title(title)
    return fig


