"""The package's one error format for bad arguments, and the helpers that build it.

Every ``ValueError`` a public ``lstmlab`` function raises for a bad argument reads::

    lstm_forward: argument 'W_hh' should have shape (4H, H) = (20, 5) but has shape (5, 20) ...
    Hint: W_hh is (G*H, H) with G=4 (gate order i, f, g, o); torch.nn's layout, not its transpose

that is: where (the function or class called), which argument, what was expected and what
was received, and a hint the user can act on.  Build it with :func:`argument_error` (any
check) or :class:`ShapeChecker` (arrays against symbolic shapes such as ``("T", "N", "D")``)::

    from lstmlab.errors import argument_error
    if steps < 1:
        raise argument_error("adding_problem", "steps", f"must be an int >= 1, got {steps!r}",
                             "a sequence needs at least one time step")

The implementation lives in :mod:`lstmlab.numpy.validate`, because ``lstmlab/numpy/`` must
import nothing from the rest of ``lstmlab`` (the grading checks load it again from source as
a private reference; see ``lstmlab/numpy/__init__.py``).  torch modules keep torch.nn's own
wording where they mirror a torch.nn check (``lstmlab/torch/``).
"""

from .numpy.validate import ShapeChecker, argument_error, check_layer

__all__ = ["ShapeChecker", "argument_error", "check_layer"]
