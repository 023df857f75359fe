"""The figures the book shows, drawn from measurements made by the caller.

Every function takes data (arrays, histories, measurement results) and returns a
matplotlib ``Figure``; nothing here trains or measures.  matplotlib is imported
lazily, so ``import lstmlab`` never needs it.  One module per part of the book (text: Part III);
everything is re-exported here, so chapters call ``lstmlab.plots.<name>``.
"""

from ._base import MODEL_COLOURS, MODEL_LINESTYLES, MODEL_MARKERS, line_styles, model_of, new_figure
from .rnn_diagrams import (
    DIAGRAM_COLOURS,
    draw_bidirectional_rnn,
    draw_stacked_rnn,
    draw_unrolled_rnn,
    hidden_state_heatmap,
)
from .gradients import (
    accuracy_vs_gap,
    cliff_curve,
    cliff_descent,
    cliff_surface,
    dependency_arcs,
    gradient_norm_histogram,
    gradient_norms_over_time,
    loss_curves,
    saturation,
)
from .lstm import (
    checkpointing_tradeoff,
    draw_lstm_cell,
    forget_bias_training,
    gate_heatmaps,
    gate_histograms,
    truncation_bias,
)
from .cells import learning_curves_by_cell, timing_bars
from .sweeps import success_rates, sweep_curves, sweep_final_metric
from .text import bpc_curves, clipping_norms, text_heatmap

__all__ = [
    "DIAGRAM_COLOURS",
    "MODEL_COLOURS",
    "MODEL_LINESTYLES",
    "MODEL_MARKERS",
    "accuracy_vs_gap",
    "bpc_curves",
    "checkpointing_tradeoff",
    "cliff_curve",
    "cliff_descent",
    "cliff_surface",
    "clipping_norms",
    "dependency_arcs",
    "draw_bidirectional_rnn",
    "draw_lstm_cell",
    "draw_stacked_rnn",
    "draw_unrolled_rnn",
    "forget_bias_training",
    "gate_heatmaps",
    "gate_histograms",
    "gradient_norm_histogram",
    "gradient_norms_over_time",
    "hidden_state_heatmap",
    "learning_curves_by_cell",
    "line_styles",
    "loss_curves",
    "model_of",
    "new_figure",
    "saturation",
    "success_rates",
    "sweep_curves",
    "sweep_final_metric",
    "text_heatmap",
    "timing_bars",
    "truncation_bias",
]
