"""Character language models: measures, count baselines, sampling, the recurrent model.

- :mod:`~lstmlab.lm.measures`: cross-entropy (nats), bits per character, perplexity;
- :mod:`~lstmlab.lm.ngram`: uniform and additively smoothed n-gram baselines;
- :mod:`~lstmlab.lm.sampling`: greedy / temperature / top-k sampling, a chi-square check;
- :mod:`~lstmlab.lm.model`: the model in the NumPy reference (embedding or one-hot ->
  RNN/GRU/LSTM -> linear -> softmax cross-entropy), forward and backward on a window;
- :mod:`~lstmlab.lm.torch_model`: the same model in PyTorch (lstmlab.torch or torch.nn);
- :mod:`~lstmlab.lm.train`: truncated BPTT on stateful windows, with norm clipping.

The text itself comes from :mod:`lstmlab.data.text`.  Importing this package does not import
torch (only :mod:`~lstmlab.lm.torch_model` does).
"""

from lstmlab.lm.measures import LN2, bits_per_char, cross_entropy, perplexity
from lstmlab.lm.ngram import ALPHA_GRID, NGramModel, tune_alpha, uniform_cross_entropy
from lstmlab.lm.model import (
    CELLS,
    cell_of,
    charlm_backward,
    charlm_forward,
    charlm_loss_and_grads,
    charlm_step,
    init_charlm,
)
from lstmlab.lm.sampling import chi_square, generate, sample_next, sampling_probs

__all__ = [
    "ALPHA_GRID", "CELLS", "LN2", "NGramModel", "bits_per_char", "cell_of", "charlm_backward",
    "charlm_forward", "charlm_loss_and_grads", "charlm_step", "chi_square", "cross_entropy",
    "generate", "init_charlm", "perplexity", "sample_next", "sampling_probs", "tune_alpha",
    "uniform_cross_entropy",
]
