"""The package's one error format for bad arguments, and the helpers that build it.

Every ``ValueError`` a public ``lstmlab`` function raises for a bad argument reads::

    lstm_forward: argument 'x' should have shape (T, N, D) = (?, ?, ?) (3 axes) but has shape
    (2, 3) (2 axes). Hint: sequences are time-major (T, N, D); add a batch axis with x[:, None] for N=1

that is: where (the function or class called), which argument, what was expected and what
was received, and a hint the user can act on.  Build it with :func:`argument_error` (any
check) or :class:`ShapeChecker` (arrays against symbolic shapes such as ``("T", "N", "D")``)::

    from lstmlab.errors import argument_error
    if not 0.0 <= attractor <= 1.0:
        raise argument_error("agreement", "attractor", f"must be a probability in [0, 1], got {attractor!r}",
                             "the share of sentences with a noun of the other number in between")

The implementation lives in :mod:`lstmlab.numpy.validate`, because ``lstmlab/numpy/`` must
import nothing from the rest of ``lstmlab`` (the grading checks load it again from source as
a private reference; see ``lstmlab/numpy/__init__.py``).  torch modules keep torch.nn's own
wording where they mirror a torch.nn check (``lstmlab/torch/``).
"""

from .numpy.validate import ShapeChecker, argument_error, check_layer

__all__ = ["ShapeChecker", "argument_error", "check_layer"]
