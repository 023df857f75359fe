"""Chapters 5-6: the LSTM cell diagram, gate activations, forget bias, truncation, checkpointing.

Each function takes measurements made by the caller and returns a matplotlib Figure."""

from __future__ import annotations

from ._base import MODEL_COLOURS, every, figure_for, line_styles, new_figure, sequential_colours
def draw_lstm_cell(ax=None):
    """The LSTM cell as a diagram: cell state along the top, four gates, pointwise operations.

    Drawn with patches and arrows (no image file).  Gate order and names follow lstmlab:
    input ``i``, forget ``f``, candidate ``g``, output ``o``; ``\\odot`` is the elementwise
    product.  Returns the matplotlib Figure.
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    fig, ax = figure_for(ax, width=7.5, height=4.6)
    gate_colour, op_colour, line = "#cfe2f3", "#fff2cc", "#333333"
    ax.set_xlim(-1.6, 11.2)
    ax.set_ylim(-1.2, 6.9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((0.0, 0.2), 9.2, 5.6, boxstyle="round,pad=0.1,rounding_size=0.4",
                                fc="#f5f5f5", ec="#999999", lw=1.2, zorder=0))

    def arrow(start, end, lw=1.4):
        ax.annotate("", xy=end, xytext=start, zorder=1,
                    arrowprops=dict(arrowstyle="-|>", color=line, lw=lw, shrinkA=0, shrinkB=0))

    def segment(*points):
        xs, ys = zip(*points)
        ax.plot(xs, ys, color=line, lw=1.4, zorder=1, solid_capstyle="round")

    def gate(xy, text, label):
        x, y = xy
        ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.02",
                                    fc=gate_colour, ec=line, lw=1.2, zorder=2))
        ax.text(x, y, text, ha="center", va="center", fontsize=11, zorder=3)
        ax.text(x, y - 0.55, label, ha="center", va="top", fontsize=9, color="#1f4e79", zorder=3)

    def op(xy, text, r=0.28):
        ax.add_patch(Circle(xy, r, fc=op_colour, ec=line, lw=1.2, zorder=2))
        ax.text(*xy, text, ha="center", va="center", fontsize=12, zorder=3)

    # Cell state: the conveyor belt along the top, touched only by x and +.
    arrow((-1.0, 5.0), (10.6, 5.0), lw=2.4)
    ax.text(-1.1, 5.25, r"$c_{t-1}$", ha="left", va="bottom", fontsize=12)
    ax.text(10.6, 5.25, r"$c_t$", ha="right", va="bottom", fontsize=12)
    # The bus [h_{t-1}; x_t] along the bottom feeds all four gates.
    segment((-1.0, 1.0), (6.5, 1.0))
    ax.text(-1.1, 1.2, r"$h_{t-1}$", ha="left", va="bottom", fontsize=12)
    arrow((1.0, -0.9), (1.0, 0.95))
    ax.text(1.15, -0.9, r"$x_t$", ha="left", va="bottom", fontsize=12)
    gates = [(2.0, r"$\sigma$", r"forget $f_t$"), (3.5, r"$\sigma$", r"input $i_t$"),
             (5.0, r"$\tanh$", r"candidate $g_t$"), (6.5, r"$\sigma$", r"output $o_t$")]
    for x, text, label in gates:
        arrow((x, 1.0), (x, 2.2))
        gate((x, 2.5), text, label)
    # forget: f * c_{t-1}
    arrow((2.0, 2.8), (2.0, 4.72))
    op((2.0, 5.0), r"$\times$")
    # input: i * g, added to the belt
    segment((3.5, 2.8), (3.5, 3.75))
    arrow((3.5, 3.75), (4.72, 3.75))
    arrow((5.0, 2.8), (5.0, 3.47))
    op((5.0, 3.75), r"$\times$")
    arrow((5.0, 4.03), (5.0, 4.72))
    op((5.0, 5.0), r"$+$")
    # output: h = o * tanh(c)
    arrow((8.0, 5.0), (8.0, 4.35))
    ax.add_patch(FancyBboxPatch((7.55, 3.75), 0.9, 0.55, boxstyle="round,pad=0.02",
                                fc=op_colour, ec=line, lw=1.2, zorder=2))
    ax.text(8.0, 4.02, r"$\tanh$", ha="center", va="center", fontsize=10, zorder=3)
    arrow((8.0, 3.75), (8.0, 2.78))
    arrow((6.95, 2.5), (7.72, 2.5))
    op((8.0, 2.5), r"$\times$")
    segment((8.0, 2.22), (8.0, 1.0))
    arrow((8.0, 1.0), (10.6, 1.0))
    ax.text(10.6, 1.2, r"$h_t$", ha="right", va="bottom", fontsize=12)
    arrow((9.6, 1.0), (9.6, 6.6))
    ax.text(9.75, 6.5, r"$h_t$ (output)", ha="left", va="top", fontsize=10)
    ax.text(0.25, 5.45, "cell state", fontsize=9, color="#555555")
    return fig


def _gate_range(values):
    """Colour limits and map: [0, 1] for sigmoid gates, [-1, 1] (diverging) otherwise."""
    import numpy as np

    if np.min(values) >= 0.0 and np.max(values) <= 1.0:
        return 0.0, 1.0, "viridis"
    return -1.0, 1.0, "RdBu_r"


def gate_heatmaps(gates, markers=None, title=None):
    """One heatmap per gate: unit (rows) against time step (columns), for one sequence.

    Args:
        gates: dict ``name -> (T, H)`` activations (e.g. ``{"input $i_t$": ...}``); sigmoid
            gates are drawn on [0, 1], anything with negative values (g, c) on [-1, 1].
        markers: optional time steps to mark with dashed lines (e.g. the adding problem's
            two marked positions).
        title: optional figure title.

    Returns:
        the matplotlib Figure.
    """
    fig, axes = new_figure(ncols=1, nrows=len(gates), width=8.0, height=1.35 * len(gates) + 0.6)
    axes = [axes] if len(gates) == 1 else list(axes)
    for ax, (name, values) in zip(axes, gates.items()):
        vmin, vmax, cmap = _gate_range(values)
        image = ax.imshow(values.T, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                          interpolation="nearest", origin="lower")
        for t in markers if markers is not None else ():
            # white shows on viridis' dark end, black on the diverging map's white middle
            ax.axvline(t, color="white" if cmap == "viridis" else "black", lw=1.0, ls="--")
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
    for ax in axes[:-1]:
        ax.set_xticklabels([])
    axes[-1].set_xlabel("time step $t$")
    if title:
        fig.suptitle(title)
    return fig


def gate_histograms(gates, title=None):
    """Histograms of gate activations, one panel per gate (log density).

    Args:
        gates: dict ``name -> array`` (any shape, flattened); ranges as in :func:`gate_heatmaps`.
        title: optional figure title.

    Returns:
        the matplotlib Figure.
    """
    import numpy as np

    fig, axes = new_figure(ncols=len(gates), width=2.3 * len(gates), height=2.8)
    axes = [axes] if len(gates) == 1 else list(axes)
    for ax, (name, values) in zip(axes, gates.items()):
        vmin, vmax, _ = _gate_range(values)
        ax.hist(np.ravel(values), bins=np.linspace(vmin, vmax, 41), density=True,
                color=MODEL_COLOURS["lstm"], alpha=0.8)
        ax.set_yscale("log")
        ax.set_title(name, fontsize="medium")
        ax.set_xlim(vmin, vmax)
    axes[0].set_ylabel("density")
    if title:
        fig.suptitle(title)
    return fig


def forget_bias_training(runs, baseline=None, ax=None, title=None):
    """Validation loss against training step, one line per run, coloured by forget-gate bias.

    Args:
        runs: list of dicts with ``forget_bias``, ``eval_step`` and ``eval_loss`` (lists).
        baseline: optional loss of the memoryless baseline (dashed line).
        ax: an existing Axes to draw on, or None for a new figure.
        title: optional axes title.

    Returns:
        the matplotlib Figure.
    """
    fig, ax = figure_for(ax)
    if title:
        ax.set_title(title)
    biases = sorted({run["forget_bias"] for run in runs})
    # Biases differ by dash and marker as well as by colour.
    styles = dict(zip(biases, line_styles([f"bias {b:g}" for b in biases])))
    labelled = set()
    for run in runs:
        bias = run["forget_bias"]
        label = None if bias in labelled else f"forget bias {bias:g}"
        labelled.add(bias)
        ax.semilogy(run["eval_step"], run["eval_loss"], lw=1.6, alpha=0.85, label=label,
                    markevery=every(len(run["eval_loss"])), ms=4, **styles[bias])
    if baseline is not None:
        ax.axhline(baseline, color="#555555", ls="--", lw=1.0, label="memoryless baseline")
    ax.set_xlabel("training step")
    ax.set_ylabel("validation MSE")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def truncation_bias(ks, measures, T=None):
    """How far truncated BPTT's gradient is from the full one, against the truncation length.

    Args:
        ks: (K,) truncation lengths.
        measures: dict ``label -> {"cosine": (K,), "rel_error": (K,)}`` (one line per setting).
        T: optional sequence length, marked on both panels.

    Returns:
        the matplotlib Figure.
    """
    fig, (left, right) = new_figure(ncols=2, width=9.0, height=3.4)
    colours = sequential_colours(len(measures))
    for colour, (label, m) in zip(colours, measures.items()):
        left.plot(ks, m["cosine"], "o-", color=colour, lw=1.6, ms=4, label=label)
        right.plot(ks, m["rel_error"], "o-", color=colour, lw=1.6, ms=4, label=label)
    left.set_ylabel("cosine(truncated, full)")
    right.set_ylabel(r"$\|g_k - g\| / \|g\|$")
    right.set_ylim(bottom=0.0)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("truncation length $k$ (steps)")
        ax.grid(True, which="major", alpha=0.3)
        if T is not None:
            ax.axvline(T, color="#555555", ls=":", lw=1.0)
    left.legend(fontsize="small")
    return fig


def checkpointing_tradeoff(results, T=None):
    """Memory and time of BPTT with gradient checkpointing, one point per chunk size.

    Args:
        results: list of dicts with ``chunk`` (0 = no checkpointing), ``forward_bytes``,
            ``peak_bytes`` and ``seconds`` (as from :func:`lstmlab.checkpointing.measure_checkpointing`).
        T: optional sequence length, to mark ``sqrt(T)``.

    Returns:
        the matplotlib Figure.
    """
    fig, (left, right) = new_figure(ncols=2, width=9.5, height=3.6)
    ckpt = [r for r in results if r["chunk"]]
    plain = [r for r in results if not r["chunk"]]
    ks = [r["chunk"] for r in ckpt]
    mib = 2.0**20
    colour = MODEL_COLOURS["lstm"]
    left.plot(ks, [r["peak_bytes"] / mib for r in ckpt], "o-", color=colour, label="peak (forward + backward)")
    left.plot(ks, [r["forward_bytes"] / mib for r in ckpt], "s--", color="#7f7f7f", label="held after the forward")
    for r in plain:
        left.axhline(r["peak_bytes"] / mib, color=MODEL_COLOURS["rnn"], lw=1.2, label="no checkpointing")
    if T is not None:
        left.axvline(T ** 0.5, color="#555555", ls=":", lw=1.0, label=r"$k=\sqrt{T}$")
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("chunk length $k$ (steps)")
    left.set_ylabel("saved activations (MiB)")
    left.legend(fontsize="small")
    left.grid(True, which="major", alpha=0.3)
    right.scatter([r["seconds"] * 1e3 for r in ckpt], [r["peak_bytes"] / mib for r in ckpt], color=colour,
                  label="checkpointed")
    for r in ckpt:
        right.annotate(f"k={r['chunk']}", (r["seconds"] * 1e3, r["peak_bytes"] / mib), fontsize=8,
                       xytext=(4, 3), textcoords="offset points")
    for r in plain:
        right.scatter([r["seconds"] * 1e3], [r["peak_bytes"] / mib], color=MODEL_COLOURS["rnn"], marker="D",
                      label="no checkpointing")
    right.set_yscale("log")
    right.set_xlabel("forward + backward time (ms)")
    right.set_ylabel("peak saved activations (MiB)")
    right.legend(fontsize="small")
    right.grid(True, which="major", alpha=0.3)
    return fig


